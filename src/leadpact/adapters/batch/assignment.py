"""The global round robin of SPEC §4.4, as a final pass over the engines' results.

System assignments leave the per-lead replay without owners; the owners depend on every
lead's MQL entries. This pass hands the pending assignments to the domain's own
:func:`~leadpact.domain.replay.assign_owners` (the single definition of the round robin) on
lightweight stand-ins, then writes the owners back into the Arrow results.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from leadpact.domain.agreement import Agreement
from leadpact.domain.replay import assign_owners
from leadpact.domain.results import Assignment, LeadResult

Pending = tuple[str, list[dict[str, Any]]]
"""(lead id, its assignments as result-table structs)."""


def pending_assignments(results: Any) -> list[Pending]:
    """The leads of an Arrow results table that have a system assignment without an owner."""
    import pyarrow.compute as pc

    has = pc.list_value_length(results.column("assignments"))
    table = results.filter(pc.greater(has, 0)).select(["lead_id", "assignments"])
    out: list[Pending] = []
    for lead_id, assignments in zip(
        table.column("lead_id").to_pylist(), table.column("assignments").to_pylist(), strict=True
    ):
        if any(a["owner"] is None and a["team"] is not None for a in assignments):
            out.append((lead_id, assignments))
    return out


def owners(pending: Iterable[Pending], agreement: Agreement) -> dict[str, tuple[str | None, list[dict[str, Any]]]]:
    """lead id → (its owner, its assignments with owners), computed by the domain's pass."""
    stand_ins = [
        LeadResult(
            lead_id=lead_id,
            stage="",
            origin="",
            created_at=0,
            assignments=[Assignment(**a) for a in assignments],
        )
        for lead_id, assignments in pending
    ]
    assign_owners(stand_ins, agreement)
    return {
        lead.lead_id: (
            lead.owner,
            [
                {
                    "at": a.at,
                    "cause": a.cause,
                    "team": a.team,
                    "owner": a.owner,
                    "actor_id": a.actor_id,
                    "actor_role": a.actor_role,
                    "mql_at": a.mql_at,
                }
                for a in lead.assignments
            ],
        )
        for lead in stand_ins
    }


def apply_owners(results: Any, decided: dict[str, tuple[str | None, list[dict[str, Any]]]]) -> Any:
    """``results`` with the decided owners and assignments written in."""
    import pyarrow as pa

    if not decided:
        return results
    lead_ids = results.column("lead_id").to_pylist()
    owner_col = results.column("owner").to_pylist()
    assignment_col = results.column("assignments").to_pylist()
    for i, lead_id in enumerate(lead_ids):
        hit = decided.get(lead_id)
        if hit is not None:
            owner_col[i], assignment_col[i] = hit
    schema = results.schema
    results = results.set_column(
        schema.get_field_index("owner"), schema.field("owner"), pa.array(owner_col, schema.field("owner").type)
    )
    return results.set_column(
        schema.get_field_index("assignments"),
        schema.field("assignments"),
        pa.array(assignment_col, schema.field("assignments").type),
    )
