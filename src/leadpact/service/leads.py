"""Reading leads: one lead as of a time (with its hand-off packet), filtered lists, notes.

One lead is replayed as of the reading time from its stored messages, so its score, hot flag
and SLA statuses are current ("as of now") while owners come from the stored round robin.
Lists read the stored snapshots (as of each lead's last event) and compute SLA lateness as
of the reading time.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from leadpact.adapters.store.engine import Store
from leadpact.adapters.store.event_log import EventLog
from leadpact.adapters.store.lead_queries import LeadFilter, LeadQueries, Note, OverdueFilter
from leadpact.adapters.store.model_scores_repo import ModelScore, ModelScoresRepo
from leadpact.domain.results import lead_to_json, round_score
from leadpact.domain.timeutil import US_PER_SECOND, iso
from leadpact.service.agreements import AgreementService
from leadpact.service.evaluation import OnlineEngine
from leadpact.service.handoff import activities, bant_status, profile, qualification, run_machine
from leadpact.service.labels import Lang

MAX_NOTE_LENGTH = 10_000


class UnknownLeadError(LookupError):
    def __init__(self, lead_id: str) -> None:
        super().__init__(f"no lead {lead_id!r}")
        self.lead_id = lead_id


class BadCursorError(ValueError):
    pass


def encode_cursor(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(text: str) -> Any:
    try:
        padded = text + "=" * (-len(text) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise BadCursorError("cursor: not a cursor this API returned") from exc


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


class LeadService:
    def __init__(self, store: Store, engine: OnlineEngine, agreements: AgreementService) -> None:
        self.store = store
        self.engine = engine
        self.agreements = agreements

    def _fresh(self, lead_id: str) -> None:
        """Evaluate the lead first if events for it are still queued (read-your-writes)."""
        with self.store.read() as conn:
            queued = EventLog(conn).dirty(1, [lead_id])
        if queued:
            with self.engine.transaction(durable=False) as tx:
                tx.flush([lead_id])

    def get(self, lead_id: str, as_of: int, lang: Lang = "en") -> dict[str, Any]:
        self._fresh(lead_id)
        with self.store.read() as conn:
            queries = LeadQueries(conn)
            row = queries.row(lead_id)
            if row is None:
                raise UnknownLeadError(lead_id)
            messages = EventLog(conn).lead_messages([lead_id])[lead_id]
            owners = queries.assignment_owners(lead_id)
            notes = queries.notes(lead_id)
            model_score = ModelScoresRepo(conn).get(lead_id)
            agreement = self.agreements.active_in(conn).agreement
        zone = agreement.zone
        machine, kept = run_machine(lead_id, messages, agreement, as_of)
        if machine is None:  # every event is after ``as_of``
            raise UnknownLeadError(lead_id)
        result = machine.result(as_of)
        for index, assignment in enumerate(result.assignments):
            if assignment.team is not None and index < len(owners):
                assignment.owner = owners[index]
        result.owner = result.assignments[-1].owner if result.assignments else None
        view = lead_to_json(result, as_of, zone)
        view["as_of"] = iso(as_of, zone)
        view["agreement_version"] = agreement.version
        view["created_at"] = iso(result.created_at, zone)
        view["last_event_at"] = iso(result.last_event_at, zone) if result.last_event_at is not None else None
        view["traits"] = result.traits
        view["company"] = result.company
        view["bant"] = list(result.bant)
        for item, entry in zip(view["history"], result.history, strict=True):
            item.update(
                {
                    "from_stage": entry.from_stage,
                    "actor": {"id": entry.actor_id, "role": entry.actor_role},
                    "agreement_version": entry.agreement_version,
                    "reason": entry.reason,
                }
            )
        for item, clock in zip(view["sla"], result.sla, strict=True):
            late = as_of - clock.deadline if item["status"] == "breached" and clock.stopped_at is None else 0
            item["overdue_seconds"] = late // US_PER_SECOND if late > 0 else 0
        view["reasons"] = [
            {
                "rule": r.rule,
                "kind": r.kind,
                "count": r.count,
                "points": round_score(r.points),
                "decayed_points": round_score(r.decayed_points),
            }
            for r in result.reasons
        ]
        view["assignments"] = [
            {
                "at": iso(a.at, zone),
                "team": a.team,
                "owner": a.owner,
                "cause": a.cause,
                "actor": {"id": a.actor_id, "role": a.actor_role},
            }
            for a in result.assignments
        ]
        view["model_score"] = _model_score_json(model_score, zone) if model_score is not None else None
        view["handoff"] = {
            "profile": profile(result),
            "company": result.company,
            "activities": activities(machine, kept, as_of, zone),
            "bant": bant_status(result),
            "notes": [_note_json(n, zone) for n in notes],
            "qualification": qualification(lead_id, result, kept, agreement, lang),
        }
        return view

    def list(self, flt: LeadFilter, as_of: int) -> Page:
        with self.store.read() as conn:
            rows = LeadQueries(conn).page(flt, as_of)
            zone = self.engine.active_in(conn)[1].agreement.zone  # cached: lists are polled
        items = [_summary(row, as_of, zone) for row in rows]
        next_cursor = encode_cursor(rows[-1]["lead_id"]) if len(rows) == flt.limit else None
        return Page(items, next_cursor)

    def overdue(self, as_of: int, flt: OverdueFilter) -> Page:
        with self.store.read() as conn:
            clocks = LeadQueries(conn).overdue_clocks(as_of, flt)
            zone = self.agreements.active_in(conn).agreement.zone
        items = [
            {
                "lead_id": c.lead_id,
                "sla_id": c.sla_id,
                "department": c.department,
                "lead_owner": c.lead_owner,
                "stage": c.stage,
                "started_at": iso(c.started_at, zone),
                "deadline": iso(c.deadline, zone),
                "overdue_seconds": (as_of - c.deadline) // US_PER_SECOND,
            }
            for c in clocks
        ]
        last = clocks[-1] if len(clocks) == flt.limit else None
        next_cursor = encode_cursor([last.deadline, last.lead_id, last.ordinal]) if last else None
        return Page(items, next_cursor)

    def add_note(self, lead_id: str, author: str, role: str, body: str, now: int) -> dict[str, Any]:
        self._fresh(lead_id)
        with self.store.write() as conn:
            queries = LeadQueries(conn)
            if not queries.exists(lead_id):
                raise UnknownLeadError(lead_id)
            note = queries.add_note(lead_id, author, role, body, now)
        zone = self.agreements.active().agreement.zone
        return _note_json(note, zone)


def _note_json(note: Note, zone: Any) -> dict[str, Any]:
    return {
        "id": note.id,
        "author": note.author,
        "author_role": note.author_role,
        "body": note.body,
        "created_at": iso(note.created_at, zone),
    }


def _model_score_json(stored: ModelScore, zone: Any) -> dict[str, Any]:
    """The predictive model's score (``leadpact calibrate --store``), beside the rule score."""
    return {
        "score": stored.score,
        "model": stored.model,
        "target": stored.target,
        "computed_at": iso(stored.computed_at, zone),
        "top_positive": list(stored.positive),
        "top_negative": list(stored.negative),
    }


def _summary(row: dict[str, Any], as_of: int, zone: Any) -> dict[str, Any]:
    deadline = row["next_sla_deadline"]
    return {
        "lead_id": row["lead_id"],
        "stage": row["stage"],
        "score": round_score(row["score"]),
        "fit": round_score(row["fit"]),
        "engagement": round_score(row["engagement"]),
        "hot": bool(row["hot"]),
        "owner": row["owner"],
        "origin": row["origin"],
        "created_at": iso(row["created_at"], zone),
        "last_event_at": iso(row["last_event_at"], zone),
        "next_sla_deadline": iso(deadline, zone) if deadline is not None else None,
        "overdue": deadline is not None and deadline < as_of,
        "agreement_version": row["agreement_version"],
    }
