"""A replayed lead (:class:`~leadpact.domain.results.LeadResult`) as table rows, and back.

List entries become tuples in column order (without ``lead_id`` and ``ordinal``) so two
versions of a list compare cheaply and only the tail that changed is rewritten.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadpact.adapters import fastjson
from leadpact.domain.results import Assignment, LeadResult, RefusedAction, SlaClock, StageEntry

HISTORY_COLUMNS = (
    "stage",
    "from_stage",
    "at",
    "cause",
    "fast_track",
    "actor_id",
    "actor_role",
    "agreement_version",
    "reason",
)
SLA_COLUMNS = ("sla_id", "owner", "started_at", "deadline", "stopped_at", "stop_cause", "cancelled")
ERROR_COLUMNS = ("message_id", "action", "at", "actor_id", "actor_role", "reason")
ASSIGNMENT_COLUMNS = ("at", "cause", "team", "owner", "actor_id", "actor_role", "mql_at", "rr_at")
"""``owner`` here is the owner a person named (manual assign); system rows get theirs from
the round robin, stored beside these in ``owner``/``turn``."""

Row = tuple[Any, ...]


def dumps(value: Any) -> str:
    return fastjson.dumps(value, sort_keys=True)


def history_rows(entries: Sequence[StageEntry]) -> list[Row]:
    return [
        (h.stage, h.from_stage, h.at, h.cause, h.fast_track, h.actor_id, h.actor_role, h.agreement_version, h.reason)
        for h in entries
    ]


def sla_rows(clocks: Sequence[SlaClock]) -> list[Row]:
    return [(c.id, c.owner, c.started_at, c.deadline, c.stopped_at, c.stop_cause, c.cancelled) for c in clocks]


def error_rows(refusals: Sequence[RefusedAction]) -> list[Row]:
    return [(e.message_id, e.action, e.at, e.actor_id, e.actor_role, e.reason) for e in refusals]


def assignment_rows(assignments: Sequence[Assignment]) -> list[Row]:
    return [
        (
            a.at,
            a.cause,
            a.team,
            a.owner if a.team is None else None,
            a.actor_id,
            a.actor_role,
            a.mql_at,
            a.mql_at if a.mql_at is not None else a.at,
        )
        for a in assignments
    ]


def next_deadline(lead: LeadResult) -> int | None:
    running = [c.deadline for c in lead.sla if c.stopped_at is None and not c.cancelled]
    return min(running) if running else None


LEAD_COLUMNS = (
    "lead_id",
    "stage",
    "origin",
    "created_at",
    "owner",
    "fit",
    "engagement",
    "score",
    "hot",
    "last_event_at",
    "last_event_id",
    "next_sla_deadline",
    "traits",
    "company",
    "bant",
    "agreement_version",
    "eval_token",
)
_OWNER = LEAD_COLUMNS.index("owner")


JsonMemo = dict[str, tuple[Any, str]]
"""Each JSON column's last value and text, so an unchanged value is not serialised again."""


def _json(memo: JsonMemo, name: str, value: Any) -> str:
    previous = memo.get(name)
    if previous is not None and previous[0] == value:
        return previous[1]
    text = dumps(value)
    memo[name] = (value, text)
    return text


def lead_values(lead: LeadResult, last_event_id: int, agreement_version: str, token: str, memo: JsonMemo) -> list[Any]:
    """The ``leads`` row in :data:`LEAD_COLUMNS` order; :func:`set_owner` fills ``owner``."""
    return [
        lead.lead_id,
        lead.stage,
        lead.origin,
        lead.created_at,
        None,
        lead.fit,
        lead.engagement,
        lead.score,
        lead.hot,
        lead.last_event_at if lead.last_event_at is not None else lead.created_at,
        last_event_id,
        next_deadline(lead),
        _json(memo, "traits", lead.traits),
        _json(memo, "company", lead.company),
        _json(memo, "bant", list(lead.bant)),
        agreement_version,
        token,
    ]


def set_owner(row: list[Any], owner: str | None) -> None:
    row[_OWNER] = owner


# --- back to domain objects (for reading) ----------------------------------------------------
def stage_entry(row: Row) -> StageEntry:
    stage, from_stage, at, cause, fast_track, actor_id, actor_role, version, reason = row
    return StageEntry(stage, at, cause, bool(fast_track), from_stage, actor_id, actor_role, version, reason)


def sla_clock(row: Row) -> SlaClock:
    sla_id, owner, started_at, deadline, stopped_at, stop_cause, cancelled = row
    return SlaClock(sla_id, owner, started_at, deadline, stopped_at, stop_cause, bool(cancelled))


def refused_action(row: Row) -> RefusedAction:
    message_id, action, at, actor_id, actor_role, reason = row
    return RefusedAction(message_id, action, at, actor_id, actor_role, reason)


def assignment(row: Row, owner: str | None) -> Assignment:
    at, cause, team, _manual_owner, actor_id, actor_role, mql_at, _rr_at = row
    return Assignment(at, cause, team, owner, actor_id, actor_role, mql_at)
