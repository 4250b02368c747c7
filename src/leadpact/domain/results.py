"""What a replay yields for each lead, and its JSON shape (SPEC §7 ``score --json``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from leadpact.domain.timeutil import iso

SCORE_DECIMALS = 6
"""Scores are float64; they are compared and reported rounded to this many decimals so that
every engine (replay, DuckDB, Spark) decides threshold crossings identically."""


def round_score(value: float) -> float:
    rounded = round(value, SCORE_DECIMALS)
    return 0.0 if rounded == 0 else rounded  # no "-0.0" in output


@dataclass(slots=True)
class StageEntry:
    """One stage change: from → to, when, why (message id), who, under which agreement."""

    stage: str
    at: int
    cause: str
    fast_track: bool
    from_stage: str | None
    actor_id: str
    actor_role: str
    agreement_version: str
    reason: str | None = None


@dataclass(slots=True)
class Reason:
    rule: str
    kind: str  # "fit" or "engagement"
    count: int
    points: float
    decayed_points: float


@dataclass(slots=True)
class SlaClock:
    id: str
    owner: str
    started_at: int
    deadline: int
    stopped_at: int | None = None
    stop_cause: str | None = None
    cancelled: bool = False

    def status(self, as_of: int) -> str:
        """met / breached / running / cancelled as of ``as_of`` (SPEC §4.5)."""
        if self.cancelled:
            return "cancelled"
        if self.stopped_at is not None:
            return "met" if self.stopped_at <= self.deadline else "breached"
        return "running" if as_of <= self.deadline else "breached"


@dataclass(slots=True)
class RefusedAction:
    message_id: str
    action: str
    at: int
    actor_id: str
    actor_role: str
    reason: str


@dataclass(slots=True)
class Assignment:
    """An ``assign`` recorded for a lead; ``owner`` is filled by the global round-robin pass
    for system assignments (SPEC §4.4)."""

    at: int
    cause: str
    team: str | None
    owner: str | None
    actor_id: str
    actor_role: str
    mql_at: int | None = None  # for system assignments: the MQL entry that triggered it


@dataclass(slots=True)
class LeadResult:
    lead_id: str
    stage: str
    origin: str
    created_at: int
    score: float = 0.0
    fit: float = 0.0
    engagement: float = 0.0
    hot: bool = False
    owner: str | None = None
    reasons: list[Reason] = field(default_factory=list)
    history: list[StageEntry] = field(default_factory=list)
    sla: list[SlaClock] = field(default_factory=list)
    errors: list[RefusedAction] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    traits: dict[str, Any] = field(default_factory=dict)
    company: dict[str, Any] = field(default_factory=dict)
    bant: tuple[str, ...] = ()
    last_event_at: int | None = None
    touches: dict[str, int] = field(default_factory=dict)
    """Content touched (``event:<name>`` for track events, ``page:<path>`` for pages), counted
    over the whole history, for attribution reports."""


def lead_to_json(lead: LeadResult, as_of: int, zone: tzinfo) -> dict[str, Any]:
    """The §7 JSON object, exactly the keys the contract names."""
    return {
        "lead_id": lead.lead_id,
        "stage": lead.stage,
        "score": round_score(lead.score),
        "fit": round_score(lead.fit),
        "engagement": round_score(lead.engagement),
        "hot": lead.hot,
        "owner": lead.owner,
        "origin": lead.origin,
        "reasons": [
            {
                "rule": r.rule,
                "count": r.count,
                "points": round_score(r.points),
                "decayed_points": round_score(r.decayed_points),
            }
            for r in lead.reasons
        ],
        "history": [
            {"stage": h.stage, "at": iso(h.at, zone), "cause": h.cause, "fast_track": h.fast_track}
            for h in lead.history
        ],
        "sla": [
            {
                "id": c.id,
                "owner": c.owner,
                "status": c.status(as_of),
                "started_at": iso(c.started_at, zone),
                "deadline": iso(c.deadline, zone),
                "stopped_at": iso(c.stopped_at, zone) if c.stopped_at is not None else None,
            }
            for c in lead.sla
        ],
        "errors": [
            {
                "message_id": e.message_id,
                "action": e.action,
                "at": iso(e.at, zone),
                "actor": {"id": e.actor_id, "role": e.actor_role},
                "reason": e.reason,
            }
            for e in lead.errors
        ],
    }
