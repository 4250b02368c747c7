"""The nurture scheduler on the store: one :meth:`NurtureScheduler.tick` is one pass of
:class:`~leadpact.service.nurture.runner.NurtureRunner` over the store's event log with the
active flows (:meth:`FlowService.active_flows`) and the active agreement. ``leadpact serve``
ticks every ``nurture_interval_seconds``; ``leadpact flows tick`` runs one (cron, tests).

**Which leads a tick evaluates.** Re-reading the whole log every minute would not scale, and
a lead's flows can only change when (a) it gets a new event or (b) one of its runs reaches a
moment it was waiting for (a wait ends, a send slot opens, a branch's window closes). So a
tick evaluates only

* leads with an event whose id is above the cursor the previous tick stored (``nurture_ticks``):
  new events, late events, the tick's own ``Email Sent`` and goals, identity links;
* leads whose stored timer (``nurture_leads.next_at``: the earliest ``next_at`` of their active
  runs, or the time of an event stamped in the future) is due;
* leads whose mail could not be composed last time (a template error): again, every tick;

and, when the configuration changed — a flow activated or deactivated, another agreement
activated — every lead once (the cursor stores a fingerprint of the configuration). Stages
change only with events (SPEC §5), so nothing else can start, move or end a run.

Each lead is evaluated from its whole history (the engine is a pure function of it), so
evaluating a lead more often than needed is harmless. Ticks exclude each other
(:func:`~leadpact.adapters.store.nurture_lock.tick_lock`): only the tick holding the lock may
recover mail a crashed tick left in ``sending``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path

from leadpact.adapters.smtp import SmtpConfig, SmtpMailer
from leadpact.adapters.store.engine import Store
from leadpact.adapters.store.event_log import EventLog
from leadpact.adapters.store.nurture_lock import tick_lock
from leadpact.adapters.store.nurture_repo import NurtureRepo
from leadpact.config import Settings
from leadpact.domain.agreement import Agreement
from leadpact.domain.flow_runs import ActiveFlow, LeadFlows
from leadpact.domain.messages import Message
from leadpact.domain.timeutil import US_PER_HOUR, iso
from leadpact.service.agreements import ActiveAgreement, AgreementService
from leadpact.service.clock import Clock
from leadpact.service.flows import FlowService
from leadpact.service.ingest import append, validate
from leadpact.service.nurture.compose import AddressError, mail_address
from leadpact.service.nurture.delivery import Mailer, RetryPolicy
from leadpact.service.nurture.links import LinkBuilder, TrackingLink, tracking_event
from leadpact.service.nurture.rate_limit import RateLimiter
from leadpact.service.nurture.runner import Checkpoint, NurtureRunner, RunnerSettings, RunReport, no_checkpoint
from leadpact.service.nurture.store_outbox import StoreOutbox
from leadpact.service.nurture.templates import TemplateLibrary

log = logging.getLogger("leadpact.nurture")

CHUNK = 500
"""Leads evaluated per read of the log (bounds memory on a full pass)."""


@dataclass(frozen=True, slots=True)
class NurtureConfig:
    """What sending needs, from :class:`~leadpact.config.Settings`; ``problem`` says why the
    scheduler cannot send (None: it can)."""

    smtp: SmtpConfig | None
    runner: RunnerSettings | None
    rate_global: float | None = None
    rate_domain: float | None = None
    problem: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> NurtureConfig:
        host = settings.smtp_host.strip()
        if not host:
            return cls(None, None, problem="no SMTP server configured (set LEADPACT_SMTP_HOST)")
        name, address = parseaddr(settings.mail_from)
        sender: Address | None = None
        problem = None
        try:
            sender = mail_address(address, name)
        except AddressError as exc:
            problem = (
                f"LEADPACT_MAIL_FROM: expected an address like 'ACME <news@acme.example>', "
                f"found {settings.mail_from!r} ({exc})"
                if settings.mail_from.strip()
                else "LEADPACT_MAIL_FROM is not set"
            )
        keys = settings.tracking_keys()
        missing = [d for d in settings.nurture_templates if not Path(d).is_dir()]
        if problem is None and missing:
            problem = f"LEADPACT_NURTURE_TEMPLATES: no such directory {missing[0]!r}"
        if problem is None and not settings.tracking_base_url.strip():
            problem = "LEADPACT_TRACKING_BASE_URL is not set (the links in the mail point there)"
        if problem is None and not keys:
            problem = "no tracking secret (set LEADPACT_TRACKING_SECRETS or LEADPACT_TRACKING_SECRET)"
        smtp = SmtpConfig(
            host,
            settings.smtp_port,
            settings.smtp_starttls,
            settings.smtp_user or None,
            settings.smtp_password or None,
        )
        if problem is not None or sender is None:
            return cls(smtp, None, problem=problem)
        runner = RunnerSettings(
            sender=sender,
            links=LinkBuilder(settings.tracking_base_url.strip(), keys[0]),
            retry=RetryPolicy(max_attempts=settings.nurture_max_attempts),
            max_late_us=int(settings.nurture_max_late_hours * US_PER_HOUR),
        )
        return cls(smtp, runner, settings.nurture_rate_global, settings.nurture_rate_domain)


@dataclass(slots=True)
class TickReport:
    now: int
    ran: bool
    reason: str | None = None
    """Why the tick did nothing (not configured, no active flow, another tick running)."""
    full: bool = False
    """Every lead was evaluated (the configuration changed since the last tick)."""
    run: RunReport = field(default_factory=RunReport)

    def summary(self) -> str:
        if not self.ran:
            return f"nurture tick at {iso(self.now)}: nothing done — {self.reason}"
        scope = "every lead (configuration changed)" if self.full else "leads with new events or due timers"
        return f"nurture tick at {iso(self.now)}: evaluated {self.run.evaluated} ({scope}); {self.run.summary()}"


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    stored: bool
    """False: the lead had already unsubscribed through this link."""
    addresses: tuple[str, ...]
    """The addresses suppressed (the mail's recipient, the lead's current address)."""
    cancelled: int
    """Queued mail cancelled."""


class NurtureScheduler:
    def __init__(
        self,
        store: Store,
        flows: FlowService,
        agreements: AgreementService,
        config: NurtureConfig,
        *,
        templates: TemplateLibrary | None = None,
        limiter_clock: Clock | None = None,
        on_stored: Callable[[], None] | None = None,
        mailer_factory: Callable[[SmtpConfig], Mailer] = SmtpMailer,
    ) -> None:
        """``limiter_clock`` refills the rate limits (the real clock in ``serve``: tokens come
        back with time, whatever moment a tick evaluates); ``on_stored`` is called after the
        scheduler appended events (wakes the online engine)."""
        self.store = store
        self.flows = flows
        self.agreements = agreements
        self.config = config
        self.templates = templates or flows.templates
        self.on_stored = on_stored
        self.mailer_factory = mailer_factory
        limited = config.rate_global is not None or config.rate_domain is not None
        self.limiter = (
            RateLimiter(limiter_clock, config.rate_global, config.rate_domain)
            if limiter_clock is not None and limited
            else None
        )

    # --- one tick ------------------------------------------------------------------------------
    def idle_reason(self, now: int) -> str | None:
        """Why a tick at ``now`` would do nothing (None: it would run)."""
        if self.config.problem is not None:
            return self.config.problem
        if not self.flows.active_flows(now):
            return "no active flow (activate one: leadpact flows activate FILE, or POST /v1/flows/{id}/activate)"
        return None

    def tick(self, now: int, *, checkpoint: Checkpoint = no_checkpoint) -> TickReport:
        """Evaluate the leads that may have changed, queue due mail, record goals, deliver.
        ``checkpoint`` lets tests simulate a crash between deciding and sending."""
        reason = self.idle_reason(now)
        if reason is not None:
            return TickReport(now, ran=False, reason=reason)
        with tick_lock(self.store) as acquired:
            if not acquired:
                return TickReport(now, ran=False, reason="another tick is running")
            return self._tick(now, checkpoint)

    def _tick(self, now: int, checkpoint: Checkpoint) -> TickReport:
        flows = self.flows.active_flows(now)
        active = self.agreements.active()
        runner = self._runner(now, checkpoint)
        report = TickReport(now, ran=True)
        runner.recover(now, report.run)
        fingerprint = _fingerprint(flows, active)
        with self.store.read() as conn:
            repo = NurtureRepo(conn)
            state = repo.tick_state()
            watermark = repo.max_event_id()
            report.full = state is None or state[1] != fingerprint
            selected = [] if report.full or state is None else _selected(repo, state[0], watermark, now)
        for chunk in self._all_leads() if report.full else _chunks(selected):
            self._decide(runner, chunk, active.agreement, flows, now, report.run)
        with self.store.write(durable=False) as conn:
            NurtureRepo(conn).set_tick_state(watermark, fingerprint, now)
        # read again: a flow stopped while this tick was deciding sends nothing
        runner.deliver(now, active.agreement, self.flows.active_flows(now), report.run, only_active=True)
        return report

    def _runner(self, now: int, checkpoint: Checkpoint) -> NurtureRunner:
        assert self.config.smtp is not None and self.config.runner is not None
        outbox = StoreOutbox(self.store, self.on_stored, received_at=lambda: now)
        limiter = self.limiter or RateLimiter(_Fixed(now), self.config.rate_global, self.config.rate_domain)
        mailer = self.mailer_factory(self.config.smtp)
        return NurtureRunner(outbox, mailer, self.templates, self.config.runner, limiter, checkpoint)

    def _all_leads(self) -> Iterator[list[str]]:
        after: str | None = None
        while True:
            with self.store.read() as conn:
                ids = EventLog(conn).all_lead_ids_after(after, CHUNK)
            if not ids:
                return
            yield ids
            after = ids[-1]

    def _decide(
        self,
        runner: NurtureRunner,
        lead_ids: Sequence[str],
        agreement: Agreement,
        flows: Sequence[ActiveFlow],
        now: int,
        report: RunReport,
    ) -> None:
        with self.store.read() as conn:
            histories = EventLog(conn).lead_messages(lead_ids)
        messages = [m for lead in lead_ids for m in histories.get(lead, ())]
        failing = set(report.problem_leads)
        evaluated = runner.decide(messages, agreement, flows, now, report)
        retry = report.problem_leads - failing
        timers = {
            lead: now if lead in retry else _next_timer(evaluated.get(lead), histories.get(lead, ()), now)
            for lead in lead_ids
        }
        with self.store.write(durable=False) as conn:
            NurtureRepo(conn).set_timers(timers)

    # --- the unsubscribe link --------------------------------------------------------------------
    def unsubscribe(self, link: TrackingLink, now: int) -> Unsubscribed:
        """Record ``Unsubscribed`` for the link's lead and, in the same transaction, suppress
        its addresses and cancel its queued mail: nothing goes out after this returns, even
        before the next tick evaluates the lead."""
        message = validate(tracking_event(link, now), default_timestamp=None, allow_actions=False)
        with self.store.write() as conn:
            stored = append(conn, [message], now).stored == 1
            repo = NurtureRepo(conn)
            mail = repo.get(link.mail_key)
            found = [mail.recipient if mail is not None else None, repo.lead_email(link.lead_id)]
            addresses = tuple(dict.fromkeys(a.strip().lower() for a in found if a and a.strip()))
            for address in addresses:
                repo.suppress_address(address, link.lead_id, "unsubscribed", now)
            cancelled = repo.suppress_pending_of_lead(link.lead_id, "lead unsubscribed")
        if stored and self.on_stored is not None:
            self.on_stored()
        return Unsubscribed(stored, addresses, cancelled)


class _Fixed:
    """The tick's moment as the rate limiter's clock when none is injected (``flows tick``)."""

    def __init__(self, now: int) -> None:
        self.now = now

    def now_us(self) -> int:
        return self.now


def _selected(repo: NurtureRepo, cursor: int, watermark: int, now: int) -> list[str]:
    return sorted({*repo.leads_with_events(cursor, watermark), *repo.due_timers(now)})


def _chunks(lead_ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(lead_ids), CHUNK):
        yield list(lead_ids[start : start + CHUNK])


def _next_timer(lead: LeadFlows | None, messages: Sequence[Message], now: int) -> int | None:
    """The next moment the lead's flows can change without a new event: a run's next step, or
    an event stamped after ``now`` becoming visible."""
    moments = [r.next_at for r in (lead.runs if lead is not None else ()) if r.active and r.next_at is not None]
    moments += [m.ts for m in messages if m.ts > now]
    return min(moments, default=None)


def _fingerprint(flows: Sequence[ActiveFlow], active: ActiveAgreement) -> str:
    config = {
        "agreement": [active.agreement.version, active.activation.id if active.activation is not None else None],
        "flows": [[a.flow.id, a.flow.version, a.active_from, a.active_until] for a in flows],
    }
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode("utf-8")).hexdigest()


def template_library(settings: Settings) -> TemplateLibrary:
    return TemplateLibrary([Path(d) for d in settings.nurture_templates])
