"""The lead-state repository the online engine writes through.

Lists are rewritten from the first entry that changed (``replace_tails``), so appending an
event to a lead usually costs an UPDATE of its row and nothing else. Statements use the
driver directly (:mod:`leadpact.adapters.store.raw`): they run for every evaluated lead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from leadpact.adapters.store.lead_rows import (
    ASSIGNMENT_COLUMNS,
    ERROR_COLUMNS,
    HISTORY_COLUMNS,
    LEAD_COLUMNS,
    SLA_COLUMNS,
    Row,
)
from leadpact.adapters.store.raw import Raw, chunks

LISTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "history": ("stage_changes", HISTORY_COLUMNS),
    "sla": ("sla_clocks", SLA_COLUMNS),
    "errors": ("refused_actions", ERROR_COLUMNS),
    "assignments": ("assignments", ASSIGNMENT_COLUMNS),
}
_TEAM = ASSIGNMENT_COLUMNS.index("team")
_OWNER = LEAD_COLUMNS.index("owner")
_MANUAL_OWNER = ASSIGNMENT_COLUMNS.index("owner")


@dataclass(slots=True)
class StoredLists:
    """A lead's stored lists, as :mod:`~leadpact.adapters.store.lead_rows` builds them."""

    history: list[Row] = field(default_factory=list)
    sla: list[Row] = field(default_factory=list)
    errors: list[Row] = field(default_factory=list)
    assignments: list[Row] = field(default_factory=list)

    def get(self, name: str) -> list[Row]:
        rows: list[Row] = getattr(self, name)
        return rows


@dataclass(frozen=True, slots=True)
class Tail:
    """Rows of ``lead_id`` from ordinal ``start`` on are replaced by ``rows``."""

    lead_id: str
    start: int
    old_length: int
    rows: list[Row]


def first_difference(old: Sequence[Row], new: Sequence[Row]) -> int:
    """The first ordinal at which two lists differ (their common length if one extends the other)."""
    limit = min(len(old), len(new))
    for index in range(limit):
        if old[index] != new[index]:
            return index
    return limit


def _booleans(row: Sequence[Any], columns: tuple[str, ...]) -> Row:
    """SQLite returns booleans as 0/1; compare like with like."""
    return tuple(bool(v) if c in ("fast_track", "cancelled") else v for c, v in zip(columns, row, strict=True))


class LeadStates:
    def __init__(self, conn: Connection) -> None:
        self.raw = Raw(conn)

    def tokens(self, lead_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for part in chunks(lead_ids):
            where, params = self.raw.in_list("lead_id", part)
            found.update(self.raw.fetchall(f"SELECT lead_id, eval_token FROM leads WHERE {where}", params))
        return found

    def lists(self, lead_ids: Sequence[str]) -> dict[str, StoredLists]:
        stored = {lead: StoredLists() for lead in lead_ids}
        for name, (table, columns) in LISTS.items():
            for part in chunks(lead_ids):
                where, params = self.raw.in_list("lead_id", part)
                rows = self.raw.fetchall(
                    f"SELECT lead_id, {', '.join(columns)} FROM {table} WHERE {where} ORDER BY lead_id, ordinal", params
                )
                for row in rows:
                    values = _booleans(row[1:], columns)
                    if name == "assignments" and values[_TEAM] is not None:
                        # the owner column holds the round robin's pick; the list compares without it
                        values = (*values[:_MANUAL_OWNER], None, *values[_MANUAL_OWNER + 1 :])
                    stored[row[0]].get(name).append(values)
        return stored

    def replace_tails(self, name: str, tails: Sequence[Tail]) -> None:
        table, columns = LISTS[name]
        cut = [(t.lead_id, t.start) for t in tails if t.start < t.old_length]
        self.raw.executemany(f"DELETE FROM {table} WHERE lead_id = ? AND ordinal >= ?", cut)
        rows = [(t.lead_id, t.start + offset, *values) for t in tails for offset, values in enumerate(t.rows)]
        self.raw.insert_many(table, ("lead_id", "ordinal", *columns), rows)

    def insert(self, rows: Sequence[Sequence[Any]]) -> None:
        """New ``leads`` rows (values in :data:`LEAD_COLUMNS` order)."""
        self.raw.insert_many("leads", LEAD_COLUMNS, rows)

    def update_columns(self, columns: Sequence[int], rows: Sequence[Sequence[Any]]) -> None:
        """Write the given columns (indexes into :data:`LEAD_COLUMNS`) of existing ``leads``
        rows (full rows, in :data:`LEAD_COLUMNS` order). Writing only what changed spares
        SQLite and PostgreSQL the index entries of unchanged columns (stage, owner, deadline)."""
        if not rows or not columns:
            return
        assignments = ", ".join(f"{LEAD_COLUMNS[i]} = ?" for i in columns)
        self.raw.executemany(
            f"UPDATE leads SET {assignments} WHERE lead_id = ?", [(*(row[i] for i in columns), row[0]) for row in rows]
        )

    def delete(self, lead_ids: Sequence[str]) -> None:
        for part in chunks(lead_ids):
            where, params = self.raw.in_list("lead_id", part)
            for table in ("leads", *(t for t, _ in LISTS.values())):
                self.raw.execute(f"DELETE FROM {table} WHERE {where}", params)

    def last_owners(self, lead_ids: Sequence[str]) -> dict[str, str | None]:
        """Each lead's owner: the owner of its last assignment (SPEC §4.4); None without one."""
        owners: dict[str, str | None] = dict.fromkeys(lead_ids)
        for part in chunks(lead_ids):
            where, params = self.raw.in_list("a.lead_id", part)
            rows = self.raw.fetchall(
                "SELECT a.lead_id, a.owner FROM assignments a WHERE " + where + " AND a.ordinal = "
                "(SELECT MAX(b.ordinal) FROM assignments b WHERE b.lead_id = a.lead_id)",
                params,
            )
            owners.update(rows)
        return owners

    def set_owners(self, owners: dict[str, str | None]) -> None:
        self.raw.executemany("UPDATE leads SET owner = ? WHERE lead_id = ?", [(o, lead) for lead, o in owners.items()])
