"""The sequential half of a batch run: the reference per-lead replay over the plan's rows.

Runs in the engine's worker processes (DuckDB mode) or inside Spark tasks. Each lead's rows
(already ordered by timestamp, arrival) go through :class:`~leadpact.domain.lead_replay.LeadMachine`
exactly as :func:`leadpact.domain.replay.replay` feeds them; for *reduced* leads the machine's
engagement comes from the plan (:class:`~leadpact.adapters.batch.oracle.PlannedEngagement`)
and touches and the last event time are taken from the plan, since not every row is fed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from leadpact.adapters.batch.oracle import PlannedEngagement
from leadpact.adapters.batch.results_table import lead_row, rows_table
from leadpact.domain.agreement import Agreement
from leadpact.domain.lead_replay import LeadMachine
from leadpact.domain.messages import Message
from leadpact.domain.replay import compiled
from leadpact.domain.results import RefusedAction

_ROW_COLUMNS = (
    "lead_id",
    "ord",
    "seq",
    "type",
    "message_id",
    "ts",
    "user_id",
    "anonymous_id",
    "event",
    "path",
    "action",
    "actor_id",
    "actor_role",
    "traits",
    "properties",
    "eng_epochs",
    "eng_values",
)


@dataclass(slots=True)
class RunnerOutput:
    results: Any
    """Arrow results table (system assignments still without owners)."""
    unknown: list[tuple[str, RefusedAction]] = field(default_factory=list)
    """Refused actions of leads that never came to exist."""


def replay_leads(rows: Any, leads: Any, agreement: Agreement, as_of: int, *, with_traits: bool) -> RunnerOutput:
    """Replay every lead of ``leads`` from its ``rows`` (both Arrow tables sorted by lead)."""
    c = compiled(agreement)
    col = {name: rows.column(name).to_pylist() for name in _ROW_COLUMNS}
    lead_ids = leads.column("lead_id").to_pylist()
    exact = leads.column("exact").to_pylist()
    last_ts = leads.column("last_ts").to_pylist()
    touches = leads.column("touches").to_pylist()
    finals = leads.column("finals").to_pylist()
    out: list[dict[str, Any]] = []
    unknown: list[tuple[str, RefusedAction]] = []
    row_lead, row_ord, epochs, values = col["lead_id"], col["ord"], col["eng_epochs"], col["eng_values"]
    i, n = 0, len(row_lead)
    for k, lead_id in enumerate(lead_ids):
        machine = LeadMachine(lead_id, c)
        planned: PlannedEngagement | None = None
        if not exact[k]:
            planned = PlannedEngagement(finals[k], c.engagement)
            # The machine's scoring component, swapped for the plan's sums (same interface).
            machine.engagement = planned  # type: ignore[assignment]
        while i < n and row_lead[i] == lead_id:
            if planned is not None:
                planned.at_row(row_ord[i], epochs[i] or (), values[i] or ())
            machine.apply(_message(col, i))
            i += 1
        if machine.stage is None:
            unknown.extend((lead_id, refused) for refused in machine.errors)
            continue
        if planned is not None:
            planned.at_end()
        result = machine.result(as_of)
        if planned is not None:
            result.touches = {t["key"]: t["count"] for t in touches[k]}
            result.last_event_at = last_ts[k]
        out.append(lead_row(result, with_traits=with_traits))
    return RunnerOutput(rows_table(out), unknown)


def _message(col: dict[str, list[Any]], i: int) -> Message:
    traits = col["traits"][i]
    properties = col["properties"][i]
    return Message(
        col["type"][i],
        col["message_id"][i],
        col["ts"][i],
        col["user_id"][i],
        col["anonymous_id"][i],
        json.loads(traits) if traits is not None else {},
        col["event"][i],
        col["path"][i],
        None,
        json.loads(properties) if properties is not None else {},
        None,
        col["action"][i],
        col["actor_id"][i],
        col["actor_role"][i],
        col["seq"][i],
    )
