"""Read-side queries over the stored lead states: one lead, filtered lists, overdue clocks, notes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, exists, func, or_, select, tuple_

from leadpact.adapters.store.dialect import json_text_field
from leadpact.adapters.store.lead_models import AssignmentRow, LeadRow, NoteRow, SlaClockRow

_L = cast(Table, LeadRow.__table__)
_S = cast(Table, SlaClockRow.__table__)
_A = cast(Table, AssignmentRow.__table__)
_N = cast(Table, NoteRow.__table__)

LIST_COLUMNS = (
    _L.c.lead_id,
    _L.c.stage,
    _L.c.score,
    _L.c.fit,
    _L.c.engagement,
    _L.c.hot,
    _L.c.owner,
    _L.c.origin,
    _L.c.created_at,
    _L.c.last_event_at,
    _L.c.next_sla_deadline,
    _L.c.agreement_version,
)


@dataclass(frozen=True, slots=True)
class LeadFilter:
    stages: Sequence[str] = ()
    owner: str | None = None
    hot: bool | None = None
    overdue: bool | None = None
    traits: Sequence[tuple[str, str]] = ()
    after: str | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class OverdueFilter:
    sla_id: str | None = None
    owner: str | None = None
    department: str | None = None
    after: tuple[int, str, int] | None = None
    limit: int = 100


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    author: str
    author_role: str
    body: str
    created_at: int


@dataclass(slots=True)
class OverdueClock:
    lead_id: str
    ordinal: int
    sla_id: str
    department: str
    started_at: int
    deadline: int
    lead_owner: str | None
    stage: str
    extra: dict[str, Any] = field(default_factory=dict)


def _overdue_clock(as_of: int) -> Any:
    """Running past its deadline at ``as_of``: not stopped (or cancelled) by then. The stored
    clocks are as of each lead's last event, so for an earlier ``as_of`` a clock stopped
    after it still counts (it was running then); a clock's deadline follows its start, so one
    with ``deadline < as_of`` had started."""
    # two terms, each an index range on ix_sla_clocks_stopped_at_deadline (checked: SQLite's plan
    # is a MULTI-INDEX OR of two searches; as of now the second finds nothing)
    running_now = and_(_S.c.stopped_at.is_(None), _S.c.deadline < as_of)
    stopped_later = and_(_S.c.stopped_at > as_of, _S.c.deadline < as_of)
    return or_(running_now, stopped_later)


class LeadQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def row(self, lead_id: str) -> dict[str, Any] | None:
        found = self.conn.execute(select(_L).where(_L.c.lead_id == lead_id)).mappings().first()
        return dict(found) if found else None

    def exists(self, lead_id: str) -> bool:
        return self.conn.scalar(select(_L.c.lead_id).where(_L.c.lead_id == lead_id)) is not None

    def assignment_owners(self, lead_id: str) -> list[str | None]:
        return list(self.conn.scalars(select(_A.c.owner).where(_A.c.lead_id == lead_id).order_by(_A.c.ordinal)))

    def page(self, flt: LeadFilter, as_of: int) -> list[dict[str, Any]]:
        stmt = select(*LIST_COLUMNS)
        if flt.stages:
            stmt = stmt.where(_L.c.stage.in_(list(flt.stages)))
        if flt.owner is not None:
            stmt = stmt.where(_L.c.owner == flt.owner)
        if flt.hot is not None:
            stmt = stmt.where(_L.c.hot.is_(flt.hot))
        if flt.overdue is not None:
            late = exists().where(_S.c.lead_id == _L.c.lead_id, _overdue_clock(as_of))
            stmt = stmt.where(late if flt.overdue else ~late)
        for key, value in flt.traits:
            own = json_text_field(self.conn, _L.c.traits, key)
            company = json_text_field(self.conn, _L.c.company, key)
            if key.startswith("company."):
                stmt = stmt.where(json_text_field(self.conn, _L.c.company, key[8:]) == value)
            else:  # SPEC §3: a plain trait name is the lead's own, else the company's
                stmt = stmt.where(or_(own == value, and_(own.is_(None), company == value)))
        if flt.after is not None:
            stmt = stmt.where(_L.c.lead_id > flt.after)
        stmt = stmt.order_by(_L.c.lead_id).limit(flt.limit)
        return [dict(row) for row in self.conn.execute(stmt).mappings()]

    def overdue_clocks(self, as_of: int, flt: OverdueFilter) -> list[OverdueClock]:
        """Clocks still running past their deadline (neglected leads), most overdue first."""
        stmt = (
            select(
                _S.c.lead_id,
                _S.c.ordinal,
                _S.c.sla_id,
                _S.c.owner,
                _S.c.started_at,
                _S.c.deadline,
                _L.c.owner,
                _L.c.stage,
            )
            .join(_L, _L.c.lead_id == _S.c.lead_id)
            .where(_overdue_clock(as_of))
        )
        if flt.sla_id is not None:
            stmt = stmt.where(_S.c.sla_id == flt.sla_id)
        if flt.owner is not None:
            stmt = stmt.where(_L.c.owner == flt.owner)
        if flt.department is not None:
            stmt = stmt.where(_S.c.owner == flt.department)
        if flt.after is not None:
            stmt = stmt.where(tuple_(_S.c.deadline, _S.c.lead_id, _S.c.ordinal) > tuple_(*flt.after))
        stmt = stmt.order_by(_S.c.deadline, _S.c.lead_id, _S.c.ordinal).limit(flt.limit)
        return [OverdueClock(*row) for row in self.conn.execute(stmt)]

    def count(self) -> int:
        return int(self.conn.scalar(select(func.count()).select_from(_L)) or 0)

    # --- notes ------------------------------------------------------------------------------
    def notes(self, lead_id: str) -> list[Note]:
        rows = self.conn.execute(
            select(_N.c.id, _N.c.author, _N.c.author_role, _N.c.body, _N.c.created_at)
            .where(_N.c.lead_id == lead_id)
            .order_by(_N.c.id)
        )
        return [Note(*row) for row in rows]

    def add_note(self, lead_id: str, author: str, role: str, body: str, at: int) -> Note:
        result = self.conn.execute(
            _N.insert().values(lead_id=lead_id, author=author, author_role=role, body=body, created_at=at)
        )
        return Note(int(result.inserted_primary_key[0]), author, role, body, at)  # type: ignore[index]
