"""The back-test of a proposal, in brief, for the calibration report and ``--json``.

It is the reports' back-test (:mod:`leadpact.service.backtest`, base vs proposed on the same
history) plus one figure that back-test cannot give for imported histories: how many of the
leads each agreement hands over actually reached the target by their *recorded* outcome (an
import records outcomes as a trait, so no lead ever enters ``sql`` or ``customer`` on replay).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from leadpact.domain.agreement import Agreement
from leadpact.domain.messages import Message
from leadpact.domain.replay import ReplayResult, replay
from leadpact.service.backtest import Side, Window, compare


def _side(totals: Side, run: ReplayResult, outcomes: Mapping[str, int]) -> dict[str, Any]:
    handed = [lead_id for lead_id, lead in run.leads.items() if any(h.stage == "mql" for h in lead.history)]
    known = [outcomes[lead_id] for lead_id in handed if lead_id in outcomes]
    reached = sum(known)
    return {
        "agreement": f"{totals.name} {totals.version}",
        "mql": totals.mql,
        "mql_leads": totals.mql_leads,
        "mql_to_sql": totals.mql_to_sql,
        "mql_to_customer": totals.mql_to_customer,
        "mql_reached_target": reached,
        "mql_target_rate": reached / len(known) if known else None,
    }


def backtest_summary(
    messages: Sequence[Message], base: Agreement, proposed: Agreement, outcomes: Mapping[str, int], as_of: int
) -> dict[str, Any]:
    """``outcomes``: lead id → 1 if it reached the calibration target, 0 if not."""
    current_run = replay(messages, base, as_of)
    proposed_run = replay(messages, proposed, as_of)
    result = compare(current_run.leads, proposed_run.leads, base, proposed, Window(as_of, base.zone))
    return {
        "current": _side(result.current, current_run, outcomes),
        "proposed": _side(result.proposed, proposed_run, outcomes),
        "changes": result.change_counts(),
    }
