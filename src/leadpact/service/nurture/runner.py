"""The one-shot nurture runner: evaluate the flows at ``now``, queue what is due, send it.

One call of :meth:`NurtureRunner.run_once` is one ``flows run``; a tick of the store's scheduler
(:mod:`.scheduler`) runs the same phases, :meth:`~NurtureRunner.decide` only for the leads that
may have changed:

1. **Recover** rows a crashed run left in ``sending`` (see :mod:`.outbox`).
2. **Evaluate** every flow for every lead with the pure engine, as of ``now``.
3. **Stop mail** to leads who unsubscribed (their address is suppressed for good), and to
   leads who left every flow (disqualified, SAL or beyond) after the mail's run began — whether
   that run is still going or already ended at its last send.
4. **Enqueue** each decided send once, by its idempotency key, rendered and composed at that
   moment; sends discovered more than ``max_late`` after their due time are not sent at all.
5. **Journal** emitted events (``Nurture Goal Reached``) for the event log.
6. **Deliver** due rows: quiet hours and rate limits defer, temporary errors back off,
   permanent errors bounce (and suppress the address), and every outcome is journalled. A mail
   never goes out more than ``max_late`` after its due time: a retry or a deferral that would
   take it past that suppresses it instead, and so does finding it that late (a runner that
   did not run for days).

The clock is never read here: ``now`` is a parameter, and the rate limiter has its own
injected clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from email.headerregistry import Address
from email.policy import SMTP
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from leadpact.domain.agreement import Agreement
from leadpact.domain.calendar import BusinessCalendar
from leadpact.domain.flow_engine import evaluate_flows
from leadpact.domain.flow_events import emit_event, failed_event, sent_event
from leadpact.domain.flow_runs import ActiveFlow, Emit, LeadFlows, SendEmail
from leadpact.domain.flow_timing import next_send_slot
from leadpact.domain.flows import Flow, SendWindow
from leadpact.domain.messages import Message
from leadpact.domain.replay import compiled
from leadpact.domain.timeutil import US_PER_HOUR, iso
from leadpact.service.nurture.compose import AddressError, compose, mail_address, message_id_for
from leadpact.service.nurture.delivery import DeliveryError, Mailer, RetryPolicy, TransportConfigError
from leadpact.service.nurture.links import LinkBuilder
from leadpact.service.nurture.outbox import ActivationLog, MailState, Outbox, OutboxMail
from leadpact.service.nurture.rate_limit import RateLimiter
from leadpact.service.nurture.templates import MailTemplateError, MailVariables, TemplateLibrary

Json = dict[str, Any]


class Checkpoint(Protocol):
    """Called at ``claimed`` (recorded as sending, before SMTP), ``end_of_data`` (recorded,
    before the final dot) and ``accepted`` (server said 250, before recording it). Tests raise
    here to simulate a crash at each point."""

    def __call__(self, stage: str, mail: OutboxMail, /) -> None: ...


def no_checkpoint(_stage: str, _mail: OutboxMail, /) -> None:
    return None


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    sender: Address
    links: LinkBuilder
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_late_us: int = 72 * US_PER_HOUR
    batch_limit: int = 1000


@dataclass(slots=True)
class RunReport:
    evaluated: int = 0
    """Leads evaluated (not part of the summary: ``flows run`` evaluates every lead)."""
    recovered_requeued: int = 0
    recovered_unconfirmed: list[str] = field(default_factory=list)
    enqueued: int = 0
    too_late: int = 0
    emitted: int = 0
    sent: int = 0
    deferred_quiet_hours: int = 0
    deferred_rate_limit: int = 0
    retried: int = 0
    bounced: int = 0
    failed: int = 0
    suppressed: int = 0
    problems: list[str] = field(default_factory=list)
    problem_leads: set[str] = field(default_factory=set)
    """Leads with mail that could not be composed (not queued: tried again next run)."""

    def summary(self) -> str:
        parts = [
            f"sent {self.sent}",
            f"queued {self.enqueued}",
            f"goals recorded {self.emitted}",
            f"deferred {self.deferred_quiet_hours} (quiet hours) + {self.deferred_rate_limit} (rate limit)",
            f"retrying {self.retried}",
            f"bounced {self.bounced}",
            f"failed {self.failed}",
            f"suppressed {self.suppressed}",
            f"too late {self.too_late}",
        ]
        if self.recovered_requeued or self.recovered_unconfirmed:
            parts.append(
                f"recovered after a crash: {self.recovered_requeued} re-queued, "
                f"{len(self.recovered_unconfirmed)} taken as sent (unconfirmed)"
            )
        return ", ".join(parts)


class NurtureRunner:
    def __init__(
        self,
        outbox: Outbox,
        mailer: Mailer,
        templates: TemplateLibrary,
        settings: RunnerSettings,
        limiter: RateLimiter,
        checkpoint: Checkpoint = no_checkpoint,
    ) -> None:
        self.outbox = outbox
        self.mailer = mailer
        self.templates = templates
        self.settings = settings
        self.limiter = limiter
        self.checkpoint = checkpoint

    def run_once(
        self, messages: Iterable[Message], agreement: Agreement, flows: Sequence[ActiveFlow], now: int
    ) -> RunReport:
        """One pass: :meth:`recover`, :meth:`decide` for every lead in ``messages``, :meth:`deliver`."""
        report = RunReport()
        self.recover(now, report)
        self.decide(messages, agreement, flows, now, report)
        self.deliver(now, agreement, flows, report)
        return report

    def recover(self, now: int, report: RunReport) -> None:
        """Step 1 (call it only when no other runner can be sending: see :mod:`.outbox`)."""
        self._recover(now, report)

    def decide(
        self,
        messages: Iterable[Message],
        agreement: Agreement,
        flows: Sequence[ActiveFlow],
        now: int,
        report: RunReport,
    ) -> dict[str, LeadFlows]:
        """Steps 2–5 for the leads in ``messages`` (each lead's whole history): evaluate, stop
        mail, enqueue due sends, record emitted events. Returns the evaluated leads."""
        leads = evaluate_flows(messages, agreement, flows, now)
        versions = _versions(flows)
        report.evaluated += len(leads)
        self._stop_mail(leads, report)
        self._enqueue(leads, versions, now, report)
        self._journal_emits(leads, report)
        return leads

    def deliver(
        self,
        now: int,
        agreement: Agreement,
        flows: Sequence[ActiveFlow],
        report: RunReport,
        *,
        only_active: bool = False,
    ) -> None:
        """Step 6. With ``only_active``, mail of a flow version not in ``flows`` (a flow
        stopped since it was queued) is suppressed instead of sent."""
        try:
            self._deliver(now, _versions(flows), compiled(agreement).calendar, report, only_active)
        finally:
            self.mailer.close()

    def publish(self, write: Callable[[list[Json]], None]) -> int:
        """Hand journalled events to ``write`` (the event log), then mark them published. A
        crash in between publishes them again next time: same messageIds, so no double count."""
        events = self.outbox.unpublished_events()
        if events:
            write(events)
            self.outbox.mark_published([e["messageId"] for e in events])
        return len(events)

    # --- 1. recovery --------------------------------------------------------------------------
    def _recover(self, now: int, report: RunReport) -> None:
        for mail in self.outbox.in_flight():
            if mail.end_of_data_at is None:
                self.outbox.requeue(mail.key, now)
                report.recovered_requeued += 1
            else:
                at = mail.end_of_data_at
                event = sent_event(mail.as_send(), at, mail.message_id, confirmed=False)
                self.outbox.mark_sent(mail.key, at, confirmed=False, event=event)
                report.recovered_unconfirmed.append(mail.key)

    # --- 3. leads who said no, or left nurturing -------------------------------------------------
    def _stop_mail(self, leads: Mapping[str, LeadFlows], report: RunReport) -> None:
        for lead in leads.values():
            if lead.suppressed_at is None and not lead.left:
                continue
            address = _address_of(lead)
            if lead.suppressed_at is not None and address is not None and not self.outbox.is_suppressed(address):
                self.outbox.suppress_address(address, lead.lead_id, "unsubscribed", lead.suppressed_at)
            for mail in self.outbox.pending_for_lead(lead.lead_id):
                reason = hold_back_reason(lead, mail)
                if reason is not None:
                    self.outbox.suppress(mail.key, f"lead {reason}")
                    report.suppressed += 1

    # --- 4. queueing decided sends ----------------------------------------------------------------
    def _enqueue(
        self, leads: Mapping[str, LeadFlows], versions: Mapping[tuple[str, str], Flow], now: int, report: RunReport
    ) -> None:
        for lead in leads.values():
            for effect in lead.effects:
                if isinstance(effect, SendEmail) and self.outbox.get(effect.key) is None:
                    self._enqueue_one(lead, effect, versions[(effect.flow_id, effect.flow_version)], now, report)

    def _enqueue_one(self, lead: LeadFlows, effect: SendEmail, flow: Flow, now: int, report: RunReport) -> None:
        address = _address_of(lead) or ""
        if now - effect.due_at > self.settings.max_late_us:
            reason = f"too late: due {iso(effect.due_at, ZoneInfo(effect.zone))}"  # the recipient's clock
            self.outbox.enqueue(_row(effect, address, "", b"", MailState.suppressed, reason))
            report.too_late += 1
            return
        if self.outbox.is_suppressed(address):
            self.outbox.enqueue(_row(effect, address, "", b"", MailState.suppressed, "address suppressed"))
            report.suppressed += 1
            return
        try:
            message_id, content, language = self._compose(lead, effect, flow, address, now)
        except (MailTemplateError, AddressError, ValueError) as exc:
            report.problems.append(f"{effect.key}: {exc}")  # not queued: fixed templates send next run
            report.problem_leads.add(effect.lead_id)
            return
        row = _row(effect, address, message_id, content, MailState.pending, None)
        if self.outbox.enqueue(replace(row, language=language)):
            report.enqueued += 1

    def _compose(
        self, lead: LeadFlows, effect: SendEmail, flow: Flow, address: str, now: int
    ) -> tuple[str, bytes, str]:
        """The Message-ID, the MIME bytes and the language actually used (a missing variant
        falls back to the other language)."""
        traits = lead.lead.traits if lead.lead is not None else {}
        company = lead.lead.company if lead.lead is not None else {}
        name = traits.get("name")
        recipient = mail_address(address, name if isinstance(name, str) else "")
        links = self.settings.links
        unsubscribe = links.unsubscribe_url(effect)
        variables = MailVariables(
            lead=traits,
            company=company,
            data=dict(effect.data),
            flow={"id": flow.id, "name": flow.title, "version": flow.version},
            unsubscribe_url=unsubscribe,
            track=lambda url: links.click_url(effect, url),
        )
        rendered = self.templates.render(effect.template, effect.language, variables)
        sender = self.settings.sender
        message_id = message_id_for(effect.key, sender.domain)
        message = compose(
            rendered,
            sender=sender,
            recipient=recipient,
            key=effect.key,
            message_id=message_id,
            date_us=max(now, effect.due_at),
            unsubscribe_url=unsubscribe,
            pixel_url=links.open_url(effect),
        )
        return message_id, message.as_bytes(policy=SMTP), rendered.language

    # --- 5. emitted events -------------------------------------------------------------------------
    def _journal_emits(self, leads: Mapping[str, LeadFlows], report: RunReport) -> None:
        for lead in leads.values():
            for effect in lead.effects:
                if isinstance(effect, Emit) and self.outbox.record_event(emit_event(effect)):
                    report.emitted += 1

    # --- 6. delivery ------------------------------------------------------------------------------
    def _deliver(
        self,
        now: int,
        versions: Mapping[tuple[str, str], Flow],
        calendar: BusinessCalendar,
        report: RunReport,
        only_active: bool,
    ) -> None:
        for mail in self.outbox.due(now, self.settings.batch_limit):
            flow = versions.get((mail.flow_id, mail.flow_version))
            flow_allowed = flow is not None or not only_active  # with only_active, a stopped flow sends nothing
            if self._dropped(mail, flow_allowed, now, report):
                continue
            window = flow.send_window if flow is not None else SendWindow()
            zone = ZoneInfo(mail.zone)
            if not self._postponed(mail, now, window, zone, calendar, report) and self.outbox.claim(mail.key, now):
                self._send(mail, now, window, zone, calendar, report)

    def _dropped(self, mail: OutboxMail, flow_allowed: bool, now: int, report: RunReport) -> bool:
        """Suppress a due mail that must not go out any more; True if it was."""
        if self.outbox.is_suppressed(mail.recipient):
            self.outbox.suppress(mail.key, "address suppressed")
        elif not flow_allowed:
            self.outbox.suppress(mail.key, "flow not active")
        else:  # the runner did not run for that long: skipped ticks, a crash recovered days later
            return self._suppressed_as_late(mail, now, report)
        report.suppressed += 1
        return True

    def _postponed(
        self,
        mail: OutboxMail,
        now: int,
        window: SendWindow,
        zone: ZoneInfo,
        calendar: BusinessCalendar,
        report: RunReport,
    ) -> bool:
        """Defer a due mail that cannot go out yet (or suppress it if that would make it too
        late); True if it does not go out now."""
        slot = next_send_slot(now, window, zone, calendar)
        if slot > now:  # the runner is late and it is now night or a holiday there
            if not self._suppressed_as_late(mail, slot, report):
                self.outbox.defer(mail.key, slot, "quiet hours")
                report.deferred_quiet_hours += 1
            return True
        wait = self.limiter.reserve(mail.domain)
        if wait:
            if not self._suppressed_as_late(mail, now + wait, report):
                self.outbox.defer(mail.key, now + wait, "rate limit")
                report.deferred_rate_limit += 1
            return True
        return False

    def _suppressed_as_late(self, mail: OutboxMail, at: int, report: RunReport, last_error: str | None = None) -> bool:
        """Suppress ``mail`` (pending) if it could go out no earlier than ``at``, more than
        ``max_late`` after its due time: a webinar invitation for a past webinar helps nobody,
        however it got that late (retries over a long weekend, deferrals, skipped runs)."""
        if at - mail.due_at <= self.settings.max_late_us:
            return False
        zone = ZoneInfo(mail.zone)  # the recipient's clock, as the send window reads it
        reason = f"too late: due {iso(mail.due_at, zone)}, could go out {iso(at, zone)} at the earliest"
        self.outbox.suppress(mail.key, f"{reason}; last error: {last_error}" if last_error else reason)
        report.too_late += 1
        return True

    def _send(
        self,
        mail: OutboxMail,
        now: int,
        window: SendWindow,
        zone: ZoneInfo,
        calendar: BusinessCalendar,
        report: RunReport,
    ) -> None:
        self.checkpoint("claimed", mail)

        def end_of_data() -> None:
            self.outbox.mark_end_of_data(mail.key, now)
            self.checkpoint("end_of_data", mail)

        try:
            self.mailer.send(mail.content, self.settings.sender.addr_spec, mail.recipient, end_of_data)
        except TransportConfigError:
            self.outbox.requeue(mail.key, now, count_attempt=False)
            raise
        except DeliveryError as exc:
            self._failed(mail, now, exc, window, zone, calendar, report)
            return
        self.checkpoint("accepted", mail)
        self.outbox.mark_sent(mail.key, now, confirmed=True, event=sent_event(mail.as_send(), now, mail.message_id))
        report.sent += 1

    def _failed(
        self,
        mail: OutboxMail,
        now: int,
        exc: DeliveryError,
        window: SendWindow,
        zone: ZoneInfo,
        calendar: BusinessCalendar,
        report: RunReport,
    ) -> None:
        attempts = mail.attempts + 1
        error = str(exc)
        if exc.permanent:
            self.outbox.fail(mail.key, error, failed_event(mail.as_send(), now, error, bounced=True, attempts=attempts))
            self.outbox.suppress_address(mail.recipient, mail.lead_id, "bounced", now)
            report.bounced += 1
        elif attempts >= self.settings.retry.max_attempts:
            self.outbox.fail(
                mail.key, error, failed_event(mail.as_send(), now, error, bounced=False, attempts=attempts)
            )
            report.failed += 1
        else:
            retry_at = next_send_slot(now + self.settings.retry.delay_us(attempts), window, zone, calendar)
            # back to pending first, as every temporary failure goes: the row then leaves
            # pending for suppressed if the retry is too late (a crash in between leaves a
            # pending row that the delivery of its retry suppresses just the same)
            self.outbox.retry_later(mail.key, retry_at, error)
            if not self._suppressed_as_late(mail, retry_at, report, last_error=error):
                report.retried += 1


def _versions(flows: Sequence[ActiveFlow]) -> dict[tuple[str, str], Flow]:
    return {(a.flow.id, a.flow.version): a.flow for a in flows}


def activate(
    outbox: ActivationLog, flows: Sequence[Flow], now: int, active_from: int | None = None
) -> list[ActiveFlow]:
    """The flows with their entry windows. A version is active from the first run that saw it
    (recorded in the outbox), so triggers older than the activation never start a run — and
    never make the runner send or record goals for history — until the next version of the
    same flow is activated. ``active_from`` overrides the recorded moment."""
    active: list[ActiveFlow] = []
    for flow in flows:
        versions = outbox.activate(flow.id, flow.version, now)
        start = versions[flow.version] if active_from is None else active_from
        later = [at for version, at in versions.items() if version != flow.version and at > start]
        active.append(ActiveFlow(flow, active_from=start, active_until=min(later, default=None)))
    return active


def _address_of(lead: LeadFlows) -> str | None:
    email = lead.lead.traits.get("email") if lead.lead is not None else None
    return email.strip() if isinstance(email, str) and email.strip() else None


def hold_back_reason(lead: LeadFlows, mail: OutboxMail) -> str | None:
    """Why ``mail``, still queued, must not go out (None: it may). An unsubscribed lead gets
    nothing more at all. A lead that left every flow (disqualified, SAL or beyond) gets nothing
    more from the runs it was in by then, ended or not — a run ends at its last send while that
    mail may still wait for a rate limit, quiet hours or a retry — but a run it entered later
    (sales sent it back to nurturing) mails as usual."""
    if lead.suppressed_at is not None:
        return "unsubscribed"
    entered = {(r.flow_id, r.flow_version, r.run): r.entered_at for r in lead.runs}
    # A run the engine no longer shows (its flow version is not evaluated any more) began by
    # the time its mail was due, which is all that is known of it.
    began = entered.get((mail.flow_id, mail.flow_version, mail.run), mail.due_at)
    return next((reason for at, reason in lead.left if at >= began), None)


def _row(
    effect: SendEmail, address: str, message_id: str, content: bytes, state: MailState, error: str | None
) -> OutboxMail:
    return OutboxMail(
        key=effect.key,
        lead_id=effect.lead_id,
        flow_id=effect.flow_id,
        flow_version=effect.flow_version,
        run=effect.run,
        step_id=effect.step_id,
        template=effect.template,
        language=effect.language,
        zone=effect.zone,
        due_at=effect.due_at,
        recipient=address,
        message_id=message_id,
        content=content,
        state=state,
        next_attempt_at=effect.due_at,
        last_error=error,
    )
