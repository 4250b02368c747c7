"""``flows simulate``: what a flow would have done over a period of history, sending nothing.

Leads enter when a trigger happens within ``[start, end)``; runs are evaluated as of ``end``
with every decided send taken as sent (replayed as an ``Email Sent`` event at its due time) and
every emit replayed, so "reached MQL afterwards" uses the agreement exactly as the live system
would. Opens, clicks and webinar attendance come from the history itself: a simulation cannot
invent behaviour. Runs still waiting at ``end`` are reported with their next step and time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from leadpact.domain.agreement import Agreement
from leadpact.domain.flow_engine import evaluate_flows
from leadpact.domain.flow_runs import ActiveFlow, LeadFlows
from leadpact.domain.flows import Flow
from leadpact.domain.messages import Message
from leadpact.domain.timeutil import iso
from leadpact.service.nurture.report import FlowStats, flow_report, runs_json, stats_json


@dataclass(frozen=True, slots=True)
class Simulation:
    agreement: Agreement
    flows: tuple[Flow, ...]
    start: int | None
    end: int
    leads: dict[str, LeadFlows]
    stats: list[FlowStats]

    def to_json(self) -> dict[str, Any]:
        zone = self.agreement.zone
        return {
            "agreement": {"name": self.agreement.name, "version": self.agreement.version},
            "from": iso(self.start, zone) if self.start is not None else None,
            "to": iso(self.end, zone),
            "flows": stats_json(self.stats),
            "runs": runs_json(self.leads, self.end - 1, zone),
        }


def simulate(
    messages: Sequence[Message], agreement: Agreement, flows: Sequence[Flow], start: int | None, end: int
) -> Simulation:
    """Runs of ``flows`` over ``messages``: entries in ``[start, end)`` (``start`` None: from
    the beginning), evaluated just before ``end``."""
    now = end - 1
    active = [ActiveFlow(flow, active_from=start, active_until=end) for flow in flows]
    evaluated = evaluate_flows(messages, agreement, active, now, assume_sent=True)
    leads = {lead_id: lead for lead_id, lead in evaluated.items() if lead.runs}
    stats = flow_report(flows, leads, messages, until=now, assume_sent=True)
    return Simulation(agreement, tuple(flows), start, end, leads, stats)


def live_status(
    messages: Sequence[Message], agreement: Agreement, flows: Sequence[Flow], as_of: int, active_from: int | None = None
) -> Simulation:
    """The flows as they stand at ``as_of`` on the real log (entries from ``active_from``):
    sends count only when an ``Email Sent`` event recorded them (``flows report``)."""
    active = [ActiveFlow(flow, active_from=active_from) for flow in flows]
    evaluated = evaluate_flows(messages, agreement, active, as_of)
    leads = {lead_id: lead for lead_id, lead in evaluated.items() if lead.runs}
    stats = flow_report(flows, leads, messages, until=as_of, assume_sent=False)
    return Simulation(agreement, tuple(flows), active_from, as_of + 1, leads, stats)
