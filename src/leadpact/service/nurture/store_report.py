"""Per flow and step over the store (issue #8, item 6): the report behind ``GET /v1/reports/flows``,
the dashboard's nurture page and ``leadpact flows report`` without files.

The figures are the ones :func:`~leadpact.service.nurture.simulate.live_status` gives for the
store's log exported to a file (a test holds them equal): every activated flow version with its
entry window, the active agreement, the flow engine run as of a moment, and ``Email Sent`` /
``Email Opened`` / ``Email Link Clicked`` events as the proof of what happened to each mail.

A flow deactivated by the report's moment stays in it (:meth:`FlowService.reported_flows`: its
most recent epoch, with when and by whom it was stopped). Its runs are evaluated as they stood
just before the stop — the scheduler evaluated it last then; a run still in progress counts as
ended ``stopped`` — by themselves, against the log (what other flows did is in the log as their
runner recorded it). What happened to its mail afterwards still counts: an ``Email Opened`` /
``Email Link Clicked`` of mail sent before the stop, and the lead reaching MQL, up to the moment.

Evaluating every lead takes seconds on a large store, so the report is kept per lead:

* A lead is evaluated only if one of its events could start a flow (an event trigger matches,
  or a recycling action for a recycle trigger; a stage trigger makes every lead a candidate).
  A lead none of whose events can start a run has no run, emits nothing and counts nowhere.
* Each lead's part (its runs, when it reached MQL, its mail events) is kept with the mark of its
  events (count, newest id) and how long it stays true: until its earliest active run is due,
  or its next event with a later timestamp. Nothing else changes a lead's runs as time passes
  (stage changes happen at events).
* A report as of a later moment asks the store for the events after the newest it saw (an
  indexed range, empty when nothing arrived) and reads again only their leads and the leads
  whose part expired. When one of the new events links an anonymous id to a user (ingestion may
  then move that id's earlier events from one lead to another), every lead's mark is compared
  instead (one indexed ``GROUP BY``). A changed configuration starts afresh: another agreement,
  or another set of flow windows — an activation, or a deactivation (it closes the last window
  and stamps the stop, like the scheduler's configuration fingerprint). A stopped flow's runs
  never fall due: only new events of a lead change them.
* A report as of a given moment (``as_of`` on the API and the CLI) evaluates every candidate
  lead as of then, beside the kept parts; those answers are kept by (newest event id,
  agreement, flows, moment).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from leadpact.adapters.store.engine import Store
from leadpact.adapters.store.event_log import EventLog
from leadpact.adapters.store.raw import Raw
from leadpact.domain.agreement import Agreement
from leadpact.domain.conditions import EventPredicate, compile_event
from leadpact.domain.flow_engine import evaluate_lead
from leadpact.domain.flow_runs import ActiveFlow, FlowRun
from leadpact.domain.flows import EventTrigger, RecycleTrigger, StageTrigger
from leadpact.domain.messages import Message, MessageError
from leadpact.domain.replay import group_by_lead, link_identities
from leadpact.domain.timeutil import iso
from leadpact.service.agreements import ActiveAgreement, AgreementService
from leadpact.service.flows import ReportedFlow
from leadpact.service.labels import Lang
from leadpact.service.nurture.render_text import word
from leadpact.service.nurture.report import (
    FlowStats,
    MailEvents,
    add_runs,
    mail_events,
    mql_times,
    new_stats,
    stats_json,
)

FlowsProvider = Callable[[int], Sequence[ReportedFlow | ActiveFlow]]
"""Every flow version to report with its entry window, as of a moment (``FlowService.reported_flows``;
a bare :class:`ActiveFlow`, as ``FlowService.active_flows`` gives, is a flow in force)."""

READ_CHUNK: Final = 500
"""Leads whose events are read in one statement."""
FIXED_CACHE: Final = 8
"""Reports as of given moments kept."""
PAGE_WAIT_SECONDS: Final = 0.15
STOPPED: Final = "stopped"
"""How a run still in progress when its flow was deactivated ended (in ``ended``)."""

_Mark = tuple[int, int]
"""A lead's (event count, newest event id): changes whenever its events do."""


# --- the report -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlowReport:
    as_of: int
    agreement: Agreement
    flows: tuple[ReportedFlow, ...]
    stats: tuple[FlowStats, ...]
    position: int
    """The newest event id the report saw."""

    def select(self, flow_id: str | None) -> FlowReport:
        """Only the versions of ``flow_id`` (None: all); MessageError if none is activated."""
        if flow_id is None:
            return self
        chosen = tuple(s for s in self.stats if s.flow_id == flow_id)
        if not chosen:
            known = ", ".join(dict.fromkeys(s.flow_id for s in self.stats)) or "none"
            raise MessageError("flow", f"no activated flow {flow_id!r} (activated: {known})")
        flows = tuple(a for a in self.flows if a.flow.id == flow_id)
        return FlowReport(self.as_of, self.agreement, flows, chosen, self.position)

    def _of(self, stats: FlowStats) -> list[ReportedFlow]:
        return [a for a in self.flows if (a.flow.id, a.flow.version) == (stats.flow_id, stats.version)]

    def window(self, stats: FlowStats) -> tuple[int | None, int | None]:
        """When leads could enter this version: the union of its activation windows."""
        windows = [a.window for a in self._of(stats)]
        starts = [a.active_from for a in windows]
        ends = [a.active_until for a in windows]
        start = None if not starts or None in starts else min(s for s in starts if s is not None)
        end = None if not ends or None in ends else max(e for e in ends if e is not None)
        return start, end

    def stop(self, stats: FlowStats) -> tuple[int, str | None] | None:
        """When and by whom this version's flow was stopped (None: it is in force)."""
        return next(((a.stopped_at, a.stopped_by) for a in self._of(stats) if a.stopped_at is not None), None)

    def to_json(self, lang: Lang = "ja") -> dict[str, Any]:
        zone = self.agreement.zone
        flows = []
        for stats, data in zip(self.stats, stats_json(self.stats), strict=True):
            start, end = self.window(stats)
            data["active_from"] = iso(start, zone) if start is not None else None
            data["active_until"] = iso(end, zone) if end is not None else None
            stop = self.stop(stats)
            data["stopped_at"] = iso(stop[0], zone) if stop is not None else None
            data["stopped_by"] = stop[1] if stop is not None else None
            data["ended_labels"] = {reason: end_reason_label(reason, lang) for reason in data["ended"]}
            for step in data["steps"]:
                step["kind_label"] = word(step["kind"], lang)
            flows.append(data)
        return {
            "as_of": iso(self.as_of, zone),
            "agreement": {"name": self.agreement.name, "version": self.agreement.version},
            "lang": lang,
            "flows": flows,
        }


def end_reason_label(reason: str, lang: Lang) -> str:
    return word("branch_end" if reason == "branch" else reason, lang)


@dataclass(frozen=True, slots=True)
class FlowReportView:
    """What a page shows: the report (None while a first one is computed) and whether it is
    the one for the store as it is now."""

    report: FlowReport | None
    fresh: bool
    pending: bool = False


# --- one lead's part --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Triggers:
    """Which of a lead's events could start a run of one of the flows."""

    everyone: bool
    actions: frozenset[str]
    events: tuple[EventPredicate, ...]

    @classmethod
    def of(cls, flows: Sequence[ActiveFlow]) -> _Triggers:
        everyone = False
        actions: set[str] = set()
        events: list[EventPredicate] = []
        for active in flows:
            trigger = active.flow.trigger
            if isinstance(trigger, StageTrigger):
                everyone = True
            elif isinstance(trigger, RecycleTrigger):
                actions.update(trigger.actions)
            elif isinstance(trigger, EventTrigger):
                events.append(compile_event(trigger.condition))
        return cls(everyone, frozenset(actions), tuple(events))

    def may_enter(self, messages: Sequence[Message]) -> bool:
        if self.everyone:
            return True
        for msg in messages:
            if msg.action is not None and msg.action in self.actions:
                return True
            if msg.type in ("track", "page") and any(test(msg) for test in self.events):
                return True
        return False


@dataclass(frozen=True, slots=True)
class _Stopped:
    """Flows stopped at one moment: evaluated together as of just before it."""

    at: int
    flows: tuple[ActiveFlow, ...]
    triggers: _Triggers


@dataclass(frozen=True, slots=True)
class _Plan:
    """How a lead is evaluated for the reported flows: those in force as of the report's moment,
    each group of stopped ones as of just before its stop."""

    live: tuple[ActiveFlow, ...]
    triggers: _Triggers
    stopped: tuple[_Stopped, ...]

    @classmethod
    def of(cls, flows: Sequence[ReportedFlow]) -> _Plan:
        live = tuple(r.window for r in flows if r.stopped_at is None)
        stops = sorted({r.stopped_at for r in flows if r.stopped_at is not None})
        stopped = []
        for at in stops:
            mine = tuple(r.window for r in flows if r.stopped_at == at)
            stopped.append(_Stopped(at, mine, _Triggers.of(mine)))
        return cls(live, _Triggers.of(live), tuple(stopped))

    @property
    def empty(self) -> bool:
        return not self.live and not self.stopped


@dataclass(frozen=True, slots=True)
class _Part:
    """One lead's contribution to the report, true for moments in [evaluated_at, until)."""

    mark: _Mark
    evaluated_at: int
    until: int | None
    """None: until the lead's events change."""
    candidate: bool = False
    """Whether one of its events could start a run (the flow engine evaluated it)."""
    runs: tuple[FlowRun, ...] = ()
    mql: tuple[int, ...] = ()
    mails: MailEvents = field(default_factory=dict)

    def holds_at(self, as_of: int) -> bool:
        return self.evaluated_at <= as_of and (self.until is None or as_of < self.until)


def _mark(messages: Sequence[Message]) -> _Mark:
    return (len(messages), max((m.seq for m in messages), default=0))


def _own(lead_id: str, messages: Sequence[Message], as_of: int) -> list[Message]:
    """The lead's messages as of ``as_of``. Its stored events include anonymous ones linked to
    it; as in the replay, an anonymous event counts only once its link is in the log by then."""
    seen = [m for m in messages if m.ts <= as_of]
    return group_by_lead(seen, link_identities(seen))[0].get(lead_id, [])


def _part(lead_id: str, messages: Sequence[Message], agreement: Agreement, plan: _Plan, as_of: int) -> _Part:
    """The lead's part as of ``as_of``: its runs of the flows in force as of then, and of each
    stopped flow as of just before the stop (those still in progress then ended ``stopped``);
    its mail events and MQL entries up to ``as_of`` either way."""
    later = min((m.ts for m in messages if m.ts > as_of), default=None)
    mine = _own(lead_id, messages, as_of)
    mark = _mark(messages)
    stopped: list[FlowRun] = []
    candidate = False
    for group in plan.stopped:
        moment = min(group.at - 1, as_of)  # deactivated at `at`: the scheduler evaluated it last just before
        theirs = _own(lead_id, messages, moment)
        if group.triggers.may_enter(theirs):
            candidate = True
            at_stop = evaluate_lead(lead_id, theirs, agreement, group.flows, moment)
            stopped.extend(_stopped_run(run, group.at) for run in at_stop.runs)
    live = plan.triggers.may_enter(mine)
    if not live and not stopped:
        return _Part(mark, as_of, later, candidate=candidate)
    # without a live trigger no live run can start, but the stopped runs' MQL afterwards needs the lead
    evaluated = evaluate_lead(lead_id, mine, agreement, plan.live, as_of)
    runs = (*evaluated.runs, *stopped)
    if not runs:
        return _Part(mark, as_of, later, candidate=True)
    due = [run.next_at for run in evaluated.runs if run.active and run.next_at is not None]
    if later is not None:
        due.append(later)
    until = min(due) if due else None
    return _Part(mark, as_of, until, True, runs, mql_times(evaluated), mail_events(mine))


def _stopped_run(run: FlowRun, at: int) -> FlowRun:
    """A run as it stood when its flow was stopped at ``at``: one still in progress ends there."""
    if not run.active:
        return run
    return replace(run, ended_at=at, end_reason=STOPPED, current_step=None, next_at=None)


# --- reading the store --------------------------------------------------------------------------


class _Reads:
    def __init__(self, store: Store) -> None:
        self.store = store

    def position(self) -> int:
        with self.store.read() as conn:
            return int(Raw(conn).fetchall("SELECT COALESCE(MAX(id), 0) FROM events")[0][0])

    def changes_since(self, position: int) -> tuple[int, set[str] | None]:
        """The newest event id and the leads of the events after ``position`` — or None for
        the leads if one of those events links an anonymous id to a user: the ingestion then
        moves that id's earlier events between leads, which only the marks show."""
        with self.store.read() as conn:
            rows = Raw(conn).fetchall(
                "SELECT id, lead_id, anonymous_id IS NOT NULL AND user_id IS NOT NULL FROM events WHERE id > ?",
                (position,),
            )
        if not rows:
            return position, set()
        newest = max(int(row[0]) for row in rows)
        if any(row[2] for row in rows):
            return newest, None
        return newest, {row[1] for row in rows if row[1] is not None}

    def marks(self) -> tuple[int, dict[str, _Mark]]:
        """The newest event id and every lead's mark, in one read."""
        with self.store.read() as conn:
            raw = Raw(conn)
            position = int(raw.fetchall("SELECT COALESCE(MAX(id), 0) FROM events")[0][0])
            rows = raw.fetchall(
                "SELECT lead_id, COUNT(*), MAX(id) FROM events WHERE lead_id IS NOT NULL GROUP BY lead_id"
            )
        return position, {lead: (int(count), int(newest)) for lead, count, newest in rows}

    def messages(self, lead_ids: Sequence[str]) -> Iterator[tuple[str, list[Message]]]:
        """Each lead's stored events, a chunk of leads per read."""
        ordered = sorted(lead_ids)
        for start in range(0, len(ordered), READ_CHUNK):
            with self.store.read() as conn:
                found = EventLog(conn).lead_messages(ordered[start : start + READ_CHUNK])
            yield from found.items()


# --- the service ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Live:
    """The per-lead parts for the newest moment asked, under one agreement and set of flows."""

    key: Hashable
    agreement: Agreement
    flows: tuple[ReportedFlow, ...]
    plan: _Plan
    as_of: int
    position: int
    parts: dict[str, _Part]
    report: FlowReport | None = None


class FlowReportService:
    """Per flow and step over the store, kept per lead so a page view reads almost nothing."""

    def __init__(
        self, store: Store, agreements: AgreementService, flows: FlowsProvider, *, background: bool = True
    ) -> None:
        self.reads = _Reads(store)
        self.agreements = agreements
        self.flows = flows
        self.background = background
        self.evaluated = 0
        """Leads whose events were read and judged so far (for tests and the benchmark)."""
        self.candidates = 0
        """Of those, the leads the flow engine evaluated (an event could start a run)."""
        self._live: _Live | None = None
        self._fixed_reports: OrderedDict[Hashable, FlowReport] = OrderedDict()
        self._lock = threading.Lock()
        self._fixed_lock = threading.Lock()
        self._job: threading.Thread | None = None
        self._job_done = threading.Event()
        self._job_lock = threading.Lock()

    def current(self, now: int, flow: str | None = None) -> FlowReport:
        """The report as of ``now`` (µs), moving the kept per-lead parts forward: for pages and
        the API's default moment. ``flow``: only that flow id's versions (MessageError naming
        ``flow`` if it has none)."""
        with self._lock:
            full = self._current(now)
        return full.select(flow)

    def at(self, as_of: int, flow: str | None = None) -> FlowReport:
        """The report as of a given moment (past or future), computed for it and kept (by
        store state and moment) without disturbing the parts kept for the current report."""
        with self._fixed_lock:  # not the current report's lock: pages keep answering meanwhile
            active, flows, key = self._setting(as_of)
            full = self._fixed(key, active.agreement, flows, as_of)
        return full.select(flow)

    def view(self, now: int, wait_seconds: float = PAGE_WAIT_SECONDS) -> FlowReportView:
        """The current report for a page, answered within about ``wait_seconds``: it is brought
        up to date beside the request; if that takes longer (the first one on a large store,
        or after a big import) the page gets the previous figures marked as not fresh, or
        ``pending`` when there are none yet."""
        if not self.background:
            return FlowReportView(self.current(now), fresh=True)
        with self._job_lock:
            if self._job is None or not self._job.is_alive():
                self._job_done = threading.Event()
                self._job = threading.Thread(
                    target=self._refresh, args=(now, self._job_done), name="leadpact-flow-report", daemon=True
                )
                self._job.start()
            done = self._job_done
        finished = done.wait(wait_seconds)
        live = self._live
        if live is None or live.report is None:
            return FlowReportView(None, fresh=False, pending=True)
        return FlowReportView(live.report, fresh=finished)

    def _refresh(self, now: int, done: threading.Event) -> None:
        try:
            self.current(now)
        finally:
            done.set()

    # --- computing --------------------------------------------------------------------------
    def _setting(self, as_of: int) -> tuple[ActiveAgreement, tuple[ReportedFlow, ...], Hashable]:
        active = self.agreements.active()
        flows = tuple(f if isinstance(f, ReportedFlow) else ReportedFlow(f) for f in self.flows(as_of))
        return active, flows, (_agreement_key(active), _flows_key(flows))

    def _current(self, now: int) -> FlowReport:
        active, flows, key = self._setting(now)
        live = self._live
        if live is not None and live.key == key and now < live.as_of:
            with self._fixed_lock:
                return self._fixed(key, active.agreement, flows, now)  # the clock went back
        if live is None or live.key != key:
            live = self._build(key, active.agreement, flows, now)
            changed = True
        else:
            changed = self._advance(live, now)
        report = live.report
        if changed or report is None:
            report = self._sum(live.agreement, live.flows, live.parts.values(), now, live.position)
        elif report.as_of != now or report.position != live.position:
            report = FlowReport(now, report.agreement, report.flows, report.stats, live.position)
        live.report = report  # a page reading it meanwhile sees the previous figures, never none
        self._live = live
        return report

    def _build(self, key: Hashable, agreement: Agreement, flows: tuple[ReportedFlow, ...], as_of: int) -> _Live:
        position, marks = self.reads.marks()
        plan = _Plan.of(flows)
        parts = self._evaluate(list(marks), agreement, plan, as_of) if not plan.empty else {}
        return _Live(key, agreement, flows, plan, as_of, position, parts)

    def _advance(self, live: _Live, as_of: int) -> bool:
        """Bring the parts to ``as_of``: leads whose events changed, or whose part expired.
        True if any part changed."""
        changed = False
        position, stale_or_all = self.reads.changes_since(live.position)
        if stale_or_all is not None:
            stale = stale_or_all
            live.position = position
        else:
            live.position, marks = self.reads.marks()
            stale = {lead for lead, mark in marks.items() if _mark_of(live.parts.get(lead)) != mark}
            for gone in live.parts.keys() - marks.keys():
                del live.parts[gone]
                changed = True
        stale.update(lead for lead, part in live.parts.items() if not part.holds_at(as_of))
        if stale and not live.plan.empty:
            live.parts.update(self._evaluate(sorted(stale), live.agreement, live.plan, as_of))
            changed = True
        live.as_of = as_of
        return changed

    def _evaluate(self, lead_ids: Sequence[str], agreement: Agreement, plan: _Plan, as_of: int) -> dict[str, _Part]:
        parts: dict[str, _Part] = {}
        for lead_id, messages in self.reads.messages(lead_ids):
            part = _part(lead_id, messages, agreement, plan, as_of)
            self.evaluated += 1
            self.candidates += part.candidate
            parts[lead_id] = part
        return parts

    def _fixed(self, key: Hashable, agreement: Agreement, flows: tuple[ReportedFlow, ...], as_of: int) -> FlowReport:
        position = self.reads.position()
        fixed_key = (key, position, as_of)
        cached = self._fixed_reports.get(fixed_key)
        if cached is not None:
            self._fixed_reports.move_to_end(fixed_key)
            return cached
        _, marks = self.reads.marks()
        plan = _Plan.of(flows)
        parts = self._evaluate(list(marks), agreement, plan, as_of) if not plan.empty else {}
        report = self._sum(agreement, flows, parts.values(), as_of, position)
        self._fixed_reports[fixed_key] = report
        while len(self._fixed_reports) > FIXED_CACHE:
            self._fixed_reports.popitem(last=False)
        return report

    @staticmethod
    def _sum(
        agreement: Agreement, flows: tuple[ReportedFlow, ...], parts: Iterable[_Part], as_of: int, position: int
    ) -> FlowReport:
        stats = new_stats([active.flow for active in flows])
        for part in parts:
            if part.runs:
                add_runs(stats, part.runs, part.mql, part.mails, until=as_of, assume_sent=False)
        return FlowReport(as_of, agreement, flows, tuple(stats.values()), position)


def _mark_of(part: _Part | None) -> _Mark | None:
    return part.mark if part is not None else None


def _agreement_key(active: ActiveAgreement) -> tuple[str, int | None]:
    return (active.agreement.version, active.activation.id if active.activation else None)


def _flows_key(
    flows: Sequence[ReportedFlow],
) -> tuple[tuple[str, str, int | None, int | None, int | None, str | None], ...]:
    """The configuration the parts were computed under (cf. the scheduler's fingerprint): the
    windows, and whether and when each flow was stopped — a deactivation closes the last window
    and makes the runs end there, so every part is computed again."""
    return tuple(
        (a.flow.id, a.flow.version, a.window.active_from, a.window.active_until, a.stopped_at, a.stopped_by)
        for a in flows
    )
