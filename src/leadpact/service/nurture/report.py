"""Per flow and per step: entered, sent, opened, clicked, reached the goal, reached MQL afterwards.

Computed from the engine's runs and the event log, so the same function serves the simulation
(where every decided send counts as sent) and the live report (where ``Email Sent`` events
recorded by the runner are the proof). Opens and clicks are the ``Email Opened`` / ``Email Link
Clicked`` events whose properties name the run and step; each mail counts once, and only for
a run that entered before the event (a flow re-activated with the same version numbers its runs
from 1 again: the earlier run 1's mail events are not the new run's).

The counting is additive per lead (:func:`new_stats` + :func:`add_runs`), so the store's report
(:mod:`leadpact.service.nurture.store_report`) keeps each lead's part and re-evaluates only the
leads that changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadpact.domain.flow_runs import FlowRun, LeadFlows, SendEmail
from leadpact.domain.flows import EMAIL_CLICKED, EMAIL_OPENED, EMAIL_SENT, EmitStep, Flow, SendStep, Step, step_kind
from leadpact.domain.messages import Message
from leadpact.domain.timeutil import iso
from leadpact.service.reports.stats import rate

MailId = tuple[str, str, str, int, str]
"""(lead, flow, version, run, step)."""
MailEvents = dict[str, dict[MailId, int]]
"""``Email Sent`` / ``Email Opened`` / ``Email Link Clicked`` → the mails they name → the time
of the latest such event."""


@dataclass(slots=True)
class StepStats:
    step_id: str
    kind: str
    detail: str
    reached: int = 0
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    goal: int = 0
    mql_after: int = 0


@dataclass(slots=True)
class FlowStats:
    flow_id: str
    version: str
    title: str
    entered: int = 0
    active: int = 0
    goal: int = 0
    mql_after: int = 0
    ended: dict[str, int] = field(default_factory=dict)
    steps: list[StepStats] = field(default_factory=list)


def _detail(step: Step) -> str:
    if isinstance(step, SendStep):
        return step.template
    if isinstance(step, EmitStep):
        return step.event
    return ""


def mail_events(messages: Iterable[Message]) -> MailEvents:
    """The mails that ``messages`` record as sent, opened and clicked."""
    found: MailEvents = {EMAIL_SENT: {}, EMAIL_OPENED: {}, EMAIL_CLICKED: {}}
    for msg in messages:
        if msg.type != "track" or msg.event not in found or msg.user_id is None:
            continue
        p = msg.properties
        run = p.get("run")
        if isinstance(run, int) and isinstance(p.get("flow"), str) and isinstance(p.get("step"), str):
            mails = found[msg.event]
            mail = (msg.user_id, p["flow"], str(p.get("flow_version")), run, p["step"])
            mails[mail] = max(msg.ts, mails.get(mail, msg.ts))
    return found


def _recorded(events: MailEvents, kind: str, mail: MailId, since: int) -> bool:
    """Whether a ``kind`` event names ``mail`` at or after ``since`` (the run's entry)."""
    at = events.get(kind, {}).get(mail)
    return at is not None and at >= since


def mql_times(lead: LeadFlows) -> tuple[int, ...]:
    """When the lead entered MQL (as the engine replayed it, its own emits included)."""
    if lead.lead is None:
        return ()
    return tuple(h.at for h in lead.lead.history if h.stage == "mql")


def _mql_at(mql: Sequence[int], after: int, until: int) -> int | None:
    return next((at for at in mql if after <= at <= until), None)


def new_stats(flows: Sequence[Flow]) -> dict[tuple[str, str], FlowStats]:
    """Empty counters for each flow version, keyed by (flow id, version), in ``flows`` order."""
    return {
        (f.id, f.version): FlowStats(
            f.id, f.version, f.title, steps=[StepStats(s.id, step_kind(s), _detail(s)) for s in f.steps]
        )
        for f in flows
    }


def add_runs(
    stats: Mapping[tuple[str, str], FlowStats],
    runs: Iterable[FlowRun],
    mql: Sequence[int],
    events: MailEvents,
    *,
    until: int,
    assume_sent: bool,
) -> None:
    """Count one lead's ``runs`` (``mql``: when it entered MQL; ``events``: its mail events)."""
    for run in runs:
        flow_stats = stats.get((run.flow_id, run.flow_version))
        if flow_stats is not None:
            _count_run(flow_stats, mql, run, events, until, assume_sent)


def flow_report(
    flows: Sequence[Flow],
    leads: Mapping[str, LeadFlows],
    messages: Iterable[Message],
    *,
    until: int,
    assume_sent: bool,
) -> list[FlowStats]:
    """One :class:`FlowStats` per flow version, steps in flow order. Mail events after
    ``until`` do not count (a report as of a past moment)."""
    events = mail_events(m for m in messages if m.ts <= until)
    stats = new_stats(flows)
    for lead in leads.values():
        add_runs(stats, lead.runs, mql_times(lead), events, until=until, assume_sent=assume_sent)
    return list(stats.values())


def _count_run(
    stats: FlowStats, mql: Sequence[int], run: FlowRun, events: MailEvents, until: int, assume_sent: bool
) -> None:
    stats.entered += 1
    if run.active:
        stats.active += 1
    elif run.end_reason is not None:
        stats.ended[run.end_reason] = stats.ended.get(run.end_reason, 0) + 1
    if run.goal_at is not None:
        stats.goal += 1
    if _mql_at(mql, run.entered_at, until) is not None:
        stats.mql_after += 1
    by_id = {s.step_id: s for s in stats.steps}
    for record in run.steps:
        step = by_id.get(record.step_id)
        if step is None:
            continue
        step.reached += 1
        mail: MailId = (run.lead_id, run.flow_id, run.flow_version, run.run, record.step_id)
        if step.kind == "send_email":
            decided = record.outcome == "sent"
            step.sent += decided if assume_sent else _recorded(events, EMAIL_SENT, mail, run.entered_at)
            step.opened += _recorded(events, EMAIL_OPENED, mail, run.entered_at)
            step.clicked += _recorded(events, EMAIL_CLICKED, mail, run.entered_at)
        if run.goal_at is not None and run.goal_at >= record.reached_at:
            step.goal += 1
        if _mql_at(mql, record.reached_at, until) is not None:
            step.mql_after += 1


def runs_json(leads: Mapping[str, LeadFlows], until: int, zone: Any) -> list[dict[str, Any]]:
    """Every run: who entered when, which mails went (or would go) out when, how it ended."""
    rows: list[dict[str, Any]] = []
    for lead in leads.values():
        mails = [e for e in lead.effects if isinstance(e, SendEmail)]
        mql = mql_times(lead)
        for run in lead.runs:
            mql_at = _mql_at(mql, run.entered_at, until)
            rows.append(
                {
                    "lead_id": run.lead_id,
                    "flow": run.flow_id,
                    "flow_version": run.flow_version,
                    "run": run.run,
                    "entered_at": iso(run.entered_at, zone),
                    "mails": [
                        {
                            "step": m.step_id,
                            "template": m.template,
                            "language": m.language,
                            "at": iso(m.due_at, zone),
                            "key": m.key,
                        }
                        for m in mails
                        if (m.flow_id, m.flow_version, m.run) == (run.flow_id, run.flow_version, run.run)
                    ],
                    "ended_at": iso(run.ended_at, zone) if run.ended_at is not None else None,
                    "end_reason": run.end_reason,
                    "goal_at": iso(run.goal_at, zone) if run.goal_at is not None else None,
                    "mql_at": iso(mql_at, zone) if mql_at is not None else None,
                    "waiting_at": run.current_step,
                    "next_at": iso(run.next_at, zone) if run.next_at is not None else None,
                }
            )
    return rows


def stats_json(stats: Sequence[FlowStats]) -> list[dict[str, Any]]:
    """Counts and rates (0–1, None when there is nothing to divide by). Per flow: of the runs
    that entered, the share that reached the goal and MQL afterwards. Per step: of the runs that
    entered the flow, the share that reached the step; for a mail, of those that reached it the
    share sent, and of the mail sent the share opened and clicked; of those that reached it the
    share that reached the goal and MQL afterwards."""
    return [
        {
            "flow": s.flow_id,
            "flow_version": s.version,
            "title": s.title,
            "entered": s.entered,
            "active": s.active,
            "goal": s.goal,
            "mql_after": s.mql_after,
            "goal_rate": rate(s.goal, s.entered),
            "mql_rate": rate(s.mql_after, s.entered),
            "ended": dict(sorted(s.ended.items())),
            "steps": [_step_json(st, s.entered) for st in s.steps],
        }
        for s in stats
    ]


def _step_json(step: StepStats, entered: int) -> dict[str, Any]:
    mail = step.kind == "send_email"
    return {
        "step": step.step_id,
        "kind": step.kind,
        "detail": step.detail,
        "reached": step.reached,
        "sent": step.sent,
        "opened": step.opened,
        "clicked": step.clicked,
        "goal": step.goal,
        "mql_after": step.mql_after,
        "reach_rate": rate(step.reached, entered),
        "sent_rate": rate(step.sent, step.reached) if mail else None,
        "open_rate": rate(step.opened, step.sent) if mail else None,
        "click_rate": rate(step.clicked, step.sent) if mail else None,
        "goal_rate": rate(step.goal, step.reached),
        "mql_rate": rate(step.mql_after, step.reached),
    }
