"""Per flow and per step: entered, sent, opened, clicked, reached the goal, reached MQL afterwards.

Computed from the engine's runs and the event log, so the same function serves the simulation
(where every decided send counts as sent) and the live report (where ``Email Sent`` events
recorded by the runner are the proof). Opens and clicks are the ``Email Opened`` / ``Email Link
Clicked`` events whose properties name the run and step; each mail counts once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadpact.domain.flow_runs import FlowRun, LeadFlows, SendEmail
from leadpact.domain.flows import EMAIL_CLICKED, EMAIL_OPENED, EMAIL_SENT, EmitStep, Flow, SendStep, Step, step_kind
from leadpact.domain.messages import Message
from leadpact.domain.timeutil import iso

_MailId = tuple[str, str, str, int, str]
"""(lead, flow, version, run, step)."""


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


def _mail_events(messages: Iterable[Message]) -> dict[str, set[_MailId]]:
    found: dict[str, set[_MailId]] = {EMAIL_SENT: set(), EMAIL_OPENED: set(), EMAIL_CLICKED: set()}
    for msg in messages:
        if msg.type != "track" or msg.event not in found or msg.user_id is None:
            continue
        p = msg.properties
        run = p.get("run")
        if isinstance(run, int) and isinstance(p.get("flow"), str) and isinstance(p.get("step"), str):
            found[msg.event].add((msg.user_id, p["flow"], str(p.get("flow_version")), run, p["step"]))
    return found


def _mql_at(lead: LeadFlows, after: int, until: int) -> int | None:
    if lead.lead is None:
        return None
    return next((h.at for h in lead.lead.history if h.stage == "mql" and after <= h.at <= until), None)


def flow_report(
    flows: Sequence[Flow],
    leads: Mapping[str, LeadFlows],
    messages: Iterable[Message],
    *,
    until: int,
    assume_sent: bool,
) -> list[FlowStats]:
    """One :class:`FlowStats` per flow version, steps in flow order."""
    events = _mail_events(messages)
    stats = {
        (f.id, f.version): FlowStats(
            f.id, f.version, f.title, steps=[StepStats(s.id, step_kind(s), _detail(s)) for s in f.steps]
        )
        for f in flows
    }
    for lead in leads.values():
        for run in lead.runs:
            flow_stats = stats.get((run.flow_id, run.flow_version))
            if flow_stats is not None:
                _count_run(flow_stats, lead, run, events, until, assume_sent)
    return list(stats.values())


def _count_run(
    stats: FlowStats, lead: LeadFlows, run: FlowRun, events: dict[str, set[_MailId]], until: int, assume_sent: bool
) -> None:
    stats.entered += 1
    if run.active:
        stats.active += 1
    elif run.end_reason is not None:
        stats.ended[run.end_reason] = stats.ended.get(run.end_reason, 0) + 1
    if run.goal_at is not None:
        stats.goal += 1
    if _mql_at(lead, run.entered_at, until) is not None:
        stats.mql_after += 1
    by_id = {s.step_id: s for s in stats.steps}
    for record in run.steps:
        step = by_id.get(record.step_id)
        if step is None:
            continue
        step.reached += 1
        mail: _MailId = (run.lead_id, run.flow_id, run.flow_version, run.run, record.step_id)
        if step.kind == "send_email":
            decided = record.outcome == "sent"
            step.sent += decided if assume_sent else mail in events[EMAIL_SENT]
            step.opened += mail in events[EMAIL_OPENED]
            step.clicked += mail in events[EMAIL_CLICKED]
        if run.goal_at is not None and run.goal_at >= record.reached_at:
            step.goal += 1
        if _mql_at(lead, record.reached_at, until) is not None:
            step.mql_after += 1


def runs_json(leads: Mapping[str, LeadFlows], until: int, zone: Any) -> list[dict[str, Any]]:
    """Every run: who entered when, which mails went (or would go) out when, how it ended."""
    rows: list[dict[str, Any]] = []
    for lead in leads.values():
        mails = [e for e in lead.effects if isinstance(e, SendEmail)]
        for run in lead.runs:
            mql_at = _mql_at(lead, run.entered_at, until)
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
    return [
        {
            "flow": s.flow_id,
            "flow_version": s.version,
            "title": s.title,
            "entered": s.entered,
            "active": s.active,
            "goal": s.goal,
            "mql_after": s.mql_after,
            "ended": dict(sorted(s.ended.items())),
            "steps": [
                {
                    "step": st.step_id,
                    "kind": st.kind,
                    "detail": st.detail,
                    "reached": st.reached,
                    "sent": st.sent,
                    "opened": st.opened,
                    "clicked": st.clicked,
                    "goal": st.goal,
                    "mql_after": st.mql_after,
                }
                for st in s.steps
            ],
        }
        for s in stats
    ]
