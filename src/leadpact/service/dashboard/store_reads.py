"""Read-only queries the dashboard runs over the store's lead tables, in bulk.

The store keeps every lead's state as the online engine last evaluated it (``leads`` plus its
lists, see :mod:`leadpact.adapters.store.lead_models`). The dashboard reads all of it into
:class:`~leadpact.domain.results.LeadResult` objects for the reports, so these statements use
the driver directly (:class:`~leadpact.adapters.store.raw.Raw`) and the store's own row
converters (:mod:`leadpact.adapters.store.lead_rows`): tens of thousands of rows per page
would otherwise spend most of their time in SQLAlchemy's per-row machinery.

They belong beside :mod:`leadpact.adapters.store.lead_queries`; they live here until the
store's owner adopts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from leadpact.adapters import fastjson
from leadpact.adapters.store.lead_rows import (
    ASSIGNMENT_COLUMNS,
    HISTORY_COLUMNS,
    SLA_COLUMNS,
    assignment,
    sla_clock,
    stage_entry,
)
from leadpact.adapters.store.raw import Raw, chunks
from leadpact.domain.results import Assignment, LeadResult

Fingerprint = tuple[int, int, int, int, int, int]
"""(newest event id, queued leads, pending round-robin renumberings, latest activation id,
its leads done, whether it finished): changes whenever the stored lead states can have."""

_LEAD_COLUMNS = (
    "lead_id, stage, origin, created_at, owner, fit, engagement, score, hot, last_event_at, traits, company, bant"
)


LeadToken = tuple[str, str | None]
"""(evaluation token, owner): the engine writes a new token whenever it re-evaluates a lead;
the round robin changes owners without one."""


class StoreReads:
    def __init__(self, conn: Connection) -> None:
        self.raw = Raw(conn)

    def fingerprint(self) -> Fingerprint:
        newest = self.raw.fetchall("SELECT COALESCE(MAX(id), 0) FROM events")[0][0]
        queued = self.raw.fetchall("SELECT COUNT(*) FROM dirty_leads")[0][0]
        pending = self.raw.fetchall("SELECT COUNT(*) FROM round_robin_pending")[0][0]
        activation = self.raw.fetchall(
            "SELECT id, leads_done, finished_at FROM agreement_activations ORDER BY id DESC LIMIT 1"
        )
        act_id, done, finished = activation[0] if activation else (0, 0, None)
        return (int(newest), int(queued), int(pending), int(act_id), int(done), int(finished is not None))

    def newest_event_ts(self) -> int | None:
        value = self.raw.fetchall("SELECT MAX(ts) FROM events")[0][0]
        return int(value) if value is not None else None

    def tokens(self) -> dict[str, LeadToken]:
        return {
            lead: (token, owner)
            for lead, token, owner in self.raw.fetchall("SELECT lead_id, eval_token, owner FROM leads")
        }

    # --- whole leads ------------------------------------------------------------------------
    def leads(self, lead_ids: Sequence[str] | None = None) -> dict[str, LeadResult]:
        """Leads (all when ``lead_ids`` is None) with history, SLA clocks and assignments;
        ``touches`` are left empty (see :meth:`touches`), ``reasons`` are not stored."""
        found: dict[str, LeadResult] = {}
        for where, params in self._where(lead_ids):
            for row in self.raw.fetchall(f"SELECT {_LEAD_COLUMNS} FROM leads{where}", params):
                found[row[0]] = _lead(row)
        for lead_id, entry in self._list("stage_changes", HISTORY_COLUMNS, lead_ids):
            lead = found.get(lead_id)
            if lead is not None:
                lead.history.append(stage_entry(entry))
        for lead_id, entry in self._list("sla_clocks", SLA_COLUMNS, lead_ids):
            lead = found.get(lead_id)
            if lead is not None:
                lead.sla.append(sla_clock(entry))
        for lead_id, items in self.assignments(lead_ids).items():
            lead = found.get(lead_id)
            if lead is not None:
                lead.assignments = items
        return found

    def assignments(self, lead_ids: Sequence[str] | None = None) -> dict[str, list[Assignment]]:
        """Each lead's assignments in order; ``owner`` is the stored one (the round robin's
        pick for the engine's own assignments, the named person for manual ones)."""
        out: dict[str, list[Assignment]] = {}
        for lead_id, entry in self._list("assignments", (*ASSIGNMENT_COLUMNS, "owner"), lead_ids):
            out.setdefault(lead_id, []).append(assignment(entry[:-1], entry[-1]))
        return out

    def assignment_owners(self) -> dict[str, tuple[str | None, ...]]:
        """Each lead's assignment owners in order: the part of a lead the round robin
        renumbers without re-evaluating it."""
        out: dict[str, list[str | None]] = {}
        for lead_id, owner in self.raw.fetchall("SELECT lead_id, owner FROM assignments ORDER BY lead_id, ordinal"):
            out.setdefault(lead_id, []).append(owner)
        return {lead_id: tuple(owners) for lead_id, owners in out.items()}

    def touches(self, lead_ids: Sequence[str] | None = None) -> dict[str, dict[str, int]]:
        """Content each lead touched, counted as the replay counts it (``event:<name>`` for
        track events, ``page:<path>`` for pages, anonymous visits linked to the lead included)."""
        out: dict[str, dict[str, int]] = {}
        base = "SELECT lead_id, type, event, path, COUNT(*) FROM events WHERE type IN ('page', 'track') AND "
        for where, params in self._where(lead_ids, prefix=""):
            condition = where or "lead_id IS NOT NULL"
            sql = f"{base}{condition} GROUP BY lead_id, type, event, path"
            for lead_id, kind, event, path, count in self.raw.fetchall(sql, params):
                key = f"event:{event or ''}" if kind == "track" else f"page:{path or ''}"
                bucket = out.setdefault(lead_id, {})
                bucket[key] = bucket.get(key, 0) + int(count)
        return out

    # --- helpers ------------------------------------------------------------------------------
    def _where(self, lead_ids: Sequence[str] | None, prefix: str = " WHERE ") -> list[tuple[str, list[Any]]]:
        if lead_ids is None:
            return [("", [])]
        parts = []
        for part in chunks(list(lead_ids)):
            clause, params = self.raw.in_list("lead_id", part)
            parts.append((prefix + clause, params))
        return parts

    def _list(
        self, table: str, columns: Sequence[str], lead_ids: Sequence[str] | None
    ) -> list[tuple[str, tuple[Any, ...]]]:
        selected = ", ".join(columns)
        rows: list[tuple[str, tuple[Any, ...]]] = []
        for where, params in self._where(lead_ids):
            sql = f"SELECT lead_id, {selected} FROM {table}{where} ORDER BY lead_id, ordinal"
            rows.extend((row[0], tuple(row[1:])) for row in self.raw.fetchall(sql, params))
        return rows


def _lead(row: Sequence[Any]) -> LeadResult:
    lead_id, stage, origin, created_at, owner, fit, engagement, score, hot, last_event_at, traits, company, bant = row
    return LeadResult(
        lead_id=lead_id,
        stage=stage,
        origin=origin,
        created_at=int(created_at),
        score=float(score),
        fit=float(fit),
        engagement=float(engagement),
        hot=bool(hot),
        owner=owner,
        traits=fastjson.loads(traits) if traits else {},
        company=fastjson.loads(company) if company else {},
        bant=tuple(fastjson.loads(bant)) if bant else (),
        last_event_at=int(last_event_at) if last_event_at is not None else None,
    )
