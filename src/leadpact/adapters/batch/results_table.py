"""Lead results as an Arrow table: what every batch engine returns, whatever did the work.

One row per lead with everything a :class:`~leadpact.domain.results.LeadResult` holds
(timestamps as µs integers, traits as JSON text, touches as ``{key, count}`` pairs), so the
rows finished in SQL and the rows the per-lead replay produced travel, merge and sort alike,
and convert back to ``LeadResult`` objects for the reports and to the SPEC §7 JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from operator import attrgetter
from typing import Any, Final

from leadpact.domain.results import (
    Assignment,
    LeadResult,
    Reason,
    RefusedAction,
    SlaClock,
    StageEntry,
)

_REASON: Final = (("rule", "str"), ("kind", "str"), ("count", "int"), ("points", "float"), ("decayed_points", "float"))
_HISTORY: Final = (
    ("stage", "str"),
    ("at", "int"),
    ("cause", "str"),
    ("fast_track", "bool"),
    ("from_stage", "str"),
    ("actor_id", "str"),
    ("actor_role", "str"),
    ("agreement_version", "str"),
    ("reason", "str"),
)
_SLA: Final = (
    ("id", "str"),
    ("owner", "str"),
    ("started_at", "int"),
    ("deadline", "int"),
    ("stopped_at", "int"),
    ("stop_cause", "str"),
    ("cancelled", "bool"),
)
_ERROR: Final = (
    ("message_id", "str"),
    ("action", "str"),
    ("at", "int"),
    ("actor_id", "str"),
    ("actor_role", "str"),
    ("reason", "str"),
)
_ASSIGNMENT: Final = (
    ("at", "int"),
    ("cause", "str"),
    ("team", "str"),
    ("owner", "str"),
    ("actor_id", "str"),
    ("actor_role", "str"),
    ("mql_at", "int"),
)
_TOUCH: Final = (("key", "str"), ("count", "int"))


_DUCKDB_TYPES: Final = {"str": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN"}
LIST_FIELDS: Final = {
    "reasons": _REASON,
    "history": _HISTORY,
    "sla": _SLA,
    "errors": _ERROR,
    "assignments": _ASSIGNMENT,
    "touches": _TOUCH,
}


def duckdb_list_type(column: str) -> str:
    """The DuckDB type of a list column (for typed empty lists in SQL)."""
    fields = ", ".join(f'"{name}" {_DUCKDB_TYPES[kind]}' for name, kind in LIST_FIELDS[column])
    return f"STRUCT({fields})[]"


def _arrow_type(kind: str) -> Any:
    import pyarrow as pa

    return {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}[kind]


def _struct_list(fields: tuple[tuple[str, str], ...]) -> Any:
    import pyarrow as pa

    return pa.list_(pa.struct([pa.field(name, _arrow_type(kind)) for name, kind in fields]))


def result_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("lead_id", pa.string()),
            pa.field("stage", pa.string()),
            pa.field("origin", pa.string()),
            pa.field("created_at", pa.int64()),
            pa.field("score", pa.float64()),
            pa.field("fit", pa.float64()),
            pa.field("engagement", pa.float64()),
            pa.field("hot", pa.bool_()),
            pa.field("owner", pa.string()),
            pa.field("reasons", _struct_list(_REASON)),
            pa.field("history", _struct_list(_HISTORY)),
            pa.field("sla", _struct_list(_SLA)),
            pa.field("errors", _struct_list(_ERROR)),
            pa.field("assignments", _struct_list(_ASSIGNMENT)),
            pa.field("traits", pa.string()),
            pa.field("company", pa.string()),
            pa.field("bant", pa.list_(pa.string())),
            pa.field("last_event_at", pa.int64()),
            pa.field("touches", _struct_list(_TOUCH)),
        ]
    )


RESULT_COLUMNS: Final = (
    "lead_id",
    "stage",
    "origin",
    "created_at",
    "score",
    "fit",
    "engagement",
    "hot",
    "owner",
    "reasons",
    "history",
    "sla",
    "errors",
    "assignments",
    "traits",
    "company",
    "bant",
    "last_event_at",
    "touches",
)


def lead_row(lead: LeadResult, *, with_traits: bool) -> dict[str, Any]:
    """A LeadResult as one row of the results table."""
    return {
        "lead_id": lead.lead_id,
        "stage": lead.stage,
        "origin": lead.origin,
        "created_at": lead.created_at,
        "score": lead.score,
        "fit": lead.fit,
        "engagement": lead.engagement,
        "hot": lead.hot,
        "owner": lead.owner,
        "reasons": [
            {"rule": r.rule, "kind": r.kind, "count": r.count, "points": r.points, "decayed_points": r.decayed_points}
            for r in lead.reasons
        ],
        "history": [
            {
                "stage": h.stage,
                "at": h.at,
                "cause": h.cause,
                "fast_track": h.fast_track,
                "from_stage": h.from_stage,
                "actor_id": h.actor_id,
                "actor_role": h.actor_role,
                "agreement_version": h.agreement_version,
                "reason": h.reason,
            }
            for h in lead.history
        ],
        "sla": [
            {
                "id": c.id,
                "owner": c.owner,
                "started_at": c.started_at,
                "deadline": c.deadline,
                "stopped_at": c.stopped_at,
                "stop_cause": c.stop_cause,
                "cancelled": c.cancelled,
            }
            for c in lead.sla
        ],
        "errors": [
            {
                "message_id": e.message_id,
                "action": e.action,
                "at": e.at,
                "actor_id": e.actor_id,
                "actor_role": e.actor_role,
                "reason": e.reason,
            }
            for e in lead.errors
        ],
        "assignments": [
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
        "traits": json.dumps(lead.traits, ensure_ascii=False) if with_traits else None,
        "company": json.dumps(lead.company, ensure_ascii=False) if with_traits else None,
        "bant": list(lead.bant),
        "last_event_at": lead.last_event_at,
        "touches": [{"key": k, "count": n} for k, n in lead.touches.items()],
    }


def rows_table(rows: Iterable[dict[str, Any]]) -> Any:
    import pyarrow as pa

    return pa.Table.from_pylist(list(rows), schema=result_schema())


_SCALARS: Final = ("lead_id", "stage", "origin", "created_at", "score", "fit", "engagement", "hot", "owner")


class ResultBuilder:
    """The results table built column by column from ``LeadResult`` objects (no per-row dicts):
    the same table as ``rows_table(lead_row(...))``, several times faster."""

    def __init__(self, *, with_traits: bool) -> None:
        self.with_traits = with_traits
        self.scalars: dict[str, list[Any]] = {name: [] for name in _SCALARS}
        self.extra: dict[str, list[Any]] = {"traits": [], "company": [], "bant": [], "last_event_at": []}
        self.offsets: dict[str, list[int]] = {name: [0] for name in LIST_FIELDS}
        self.items: dict[str, list[tuple[Any, ...]]] = {name: [] for name in LIST_FIELDS}
        """Per list column: one tuple of field values per item (transposed in :meth:`table`)."""
        self.getters = {name: attrgetter(*(f for f, _ in fields)) for name, fields in LIST_FIELDS.items()}

    def __len__(self) -> int:
        return len(self.scalars["lead_id"])

    def add(self, lead: LeadResult) -> None:
        s = self.scalars
        s["lead_id"].append(lead.lead_id)
        s["stage"].append(lead.stage)
        s["origin"].append(lead.origin)
        s["created_at"].append(lead.created_at)
        s["score"].append(lead.score)
        s["fit"].append(lead.fit)
        s["engagement"].append(lead.engagement)
        s["hot"].append(lead.hot)
        s["owner"].append(lead.owner)
        self._objects("reasons", lead.reasons)
        self._objects("history", lead.history)
        self._objects("sla", lead.sla)
        self._objects("errors", lead.errors)
        self._objects("assignments", lead.assignments)
        self.items["touches"].extend(lead.touches.items())
        offsets = self.offsets["touches"]
        offsets.append(offsets[-1] + len(lead.touches))
        e = self.extra
        e["traits"].append(json.dumps(lead.traits, ensure_ascii=False) if self.with_traits else None)
        e["company"].append(json.dumps(lead.company, ensure_ascii=False) if self.with_traits else None)
        e["bant"].append(list(lead.bant))
        e["last_event_at"].append(lead.last_event_at)

    def _objects(self, name: str, items: list[Any]) -> None:
        if items:
            self.items[name].extend(map(self.getters[name], items))
        offsets = self.offsets[name]
        offsets.append(offsets[-1] + len(items))

    def table(self) -> Any:
        import pyarrow as pa

        schema = result_schema()
        columns: dict[str, Any] = {}
        for name in RESULT_COLUMNS:
            kind = schema.field(name).type
            if name in LIST_FIELDS:
                values = pa.array(self.items[name], type=kind.value_type)
                columns[name] = pa.ListArray.from_arrays(pa.array(self.offsets[name], type=pa.int32()), values)
            elif name in self.scalars:
                columns[name] = pa.array(self.scalars[name], type=kind)
            else:
                columns[name] = pa.array(self.extra[name], type=kind)
        return pa.table(columns, schema=schema)


def lead_results(table: Any) -> Iterator[LeadResult]:
    """The results table back as LeadResult objects (for the reports), in table order."""
    for batch in table.to_batches(max_chunksize=4096):
        for row in batch.to_pylist():
            yield row_lead(row)


def row_lead(row: dict[str, Any]) -> LeadResult:
    return LeadResult(
        lead_id=row["lead_id"],
        stage=row["stage"],
        origin=row["origin"],
        created_at=row["created_at"],
        score=row["score"],
        fit=row["fit"],
        engagement=row["engagement"],
        hot=row["hot"],
        owner=row["owner"],
        reasons=[Reason(**r) for r in row["reasons"]],
        history=[StageEntry(**h) for h in row["history"]],
        sla=[SlaClock(**c) for c in row["sla"]],
        errors=[RefusedAction(**e) for e in row["errors"]],
        assignments=[Assignment(**a) for a in row["assignments"]],
        traits=json.loads(row["traits"]) if row["traits"] is not None else {},
        company=json.loads(row["company"]) if row["company"] is not None else {},
        bant=tuple(row["bant"]),
        last_event_at=row["last_event_at"],
        touches={t["key"]: t["count"] for t in row["touches"]},
    )


def error_rows(unknown: Iterable[tuple[str, RefusedAction]]) -> Any:
    """Refused actions of leads that never existed, as result rows carrying only ``errors``
    (how the Spark engine brings them back from its tasks)."""
    import pyarrow as pa

    by_lead: dict[str, list[dict[str, Any]]] = {}
    for lead_id, e in unknown:
        by_lead.setdefault(lead_id, []).append(
            {
                "message_id": e.message_id,
                "action": e.action,
                "at": e.at,
                "actor_id": e.actor_id,
                "actor_role": e.actor_role,
                "reason": e.reason,
            }
        )
    schema = result_schema()
    rows = [{**dict.fromkeys(schema.names), "lead_id": k, "errors": v} for k, v in by_lead.items()]
    for row in rows:
        for name in ("reasons", "history", "sla", "assignments", "touches", "bant"):
            row[name] = []
    return pa.Table.from_pylist(rows, schema=schema)
