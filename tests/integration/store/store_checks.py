"""Ingest Segment-shaped dicts into the store and compare it with the reference replay."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from leadpact.adapters.store.models import metadata
from leadpact.config import Settings
from leadpact.domain.agreement import Agreement
from leadpact.domain.messages import Message, parse_message
from leadpact.domain.replay import ReplayResult, replay
from leadpact.domain.results import LeadResult, lead_to_json
from leadpact.service import evaluation
from leadpact.service.container import Services, build_services
from leadpact.service.ingest import validate


def parse_all(objects: Sequence[dict[str, Any]]) -> list[Message]:
    """As ``leadpact score`` reads a file: seq is the line number."""
    return [parse_message(obj, seq=number) for number, obj in enumerate(objects, start=1)]


def ingest(services: Services, objects: Sequence[dict[str, Any]], received_at: int = 0) -> None:
    messages = [validate(obj, default_timestamp=None, allow_actions=True) for obj in objects]
    services.ingest.ingest(messages, received_at)


def ingest_during_evaluation(services: Services, objects: Sequence[dict[str, Any]], seed: int) -> int:
    """Any order and batching, with batches committed *between* the engine's read snapshot and
    its write (where ingestion really can land, see :mod:`leadpact.service.evaluation`): late
    events, re-links and new events for the very leads being evaluated. Returns how many
    batches landed there."""
    rng = random.Random(seed)
    shuffled = list(objects)
    rng.shuffle(shuffled)
    batches: list[Sequence[dict[str, Any]]] = []
    position = 0
    while position < len(shuffled):
        size = rng.choice([1, 2, 3, 8])
        batches.append(shuffled[position : position + size])
        position += size
    waiting: list[Sequence[dict[str, Any]]] = []
    landed = 0
    real_prepare = evaluation.prepare

    def prepare_then_ingest(*args: Any, **kwargs: Any) -> Any:
        nonlocal landed
        changes = real_prepare(*args, **kwargs)
        if waiting:
            ingest(services, waiting.pop())
            landed += 1
        return changes

    evaluation.prepare = prepare_then_ingest  # type: ignore[assignment]
    try:
        for batch in batches:
            if rng.random() < 0.5:
                waiting.append(batch)
                services.engine.run_pending(max_chunks=1)
                while waiting:  # nothing was queued to evaluate: it lands now
                    ingest(services, waiting.pop())
            else:
                ingest(services, batch)
                if rng.random() < 0.3:
                    services.engine.run_pending(max_chunks=rng.randint(1, 2))
    finally:
        evaluation.prepare = real_prepare  # type: ignore[assignment]
    services.engine.run_pending()
    return landed


def ingest_shuffled(services: Services, objects: Sequence[dict[str, Any]], seed: int) -> None:
    """Any order, any batching, with evaluation and single-lead reads interleaved at random."""
    rng = random.Random(seed)
    shuffled = list(objects)
    rng.shuffle(shuffled)
    position = 0
    while position < len(shuffled):
        size = rng.choice([1, 2, 5, 17, 40])
        ingest(services, shuffled[position : position + size])
        position += size
        roll = rng.random()
        if roll < 0.3:
            services.engine.run_pending(max_chunks=rng.randint(1, 3))
        elif roll < 0.4:
            lead = next((o.get("userId") for o in shuffled[position - size : position] if o.get("userId")), None)
            if lead is not None:
                with services.engine.transaction() as tx:
                    tx.flush([lead])
    services.engine.run_pending()


@dataclass(frozen=True)
class Reference:
    """The reference replay as of a moment, with what it replayed, so the stored scores (as
    of each lead's last event) can be checked too."""

    result: ReplayResult
    messages: Sequence[Message]
    agreement: Agreement

    @property
    def leads(self) -> dict[str, LeadResult]:
        return self.result.leads

    @property
    def as_of(self) -> int:
        return self.result.as_of


def reference(objects: Sequence[dict[str, Any]], agreement: Agreement, as_of: int) -> Reference:
    return replayed(parse_all(objects), agreement, as_of)


def replayed(messages: Sequence[Message], agreement: Agreement, as_of: int) -> Reference:
    return Reference(replay(messages, agreement, as_of), messages, agreement)


def assert_stored_scores(services: Services, expected: Reference) -> None:
    """Each lead row's fit, engagement, score, hot and last event time equal the reference
    replay as of that lead's last event (the row holds the scores of its last change)."""
    with services.store.read() as conn:
        rows = {
            row[0]: tuple(row[1:])
            for row in conn.execute(text("SELECT lead_id, fit, engagement, score, hot, last_event_at FROM leads"))
        }
    moments: dict[int, list[str]] = {}
    for lead_id, lead in expected.leads.items():
        moments.setdefault(lead.last_event_at or lead.created_at, []).append(lead_id)
    for moment, lead_ids in moments.items():
        then = replay(expected.messages, expected.agreement, moment).leads
        for lead_id in lead_ids:
            lead = then[lead_id]
            want = (lead.fit, lead.engagement, lead.score, lead.hot, moment)
            fit, engagement, score, hot, last_event_at = rows[lead_id]
            assert (fit, engagement, score, bool(hot), last_event_at) == want, lead_id


def stored(services: Services) -> dict[str, dict[str, Any]]:
    """Every stored lead: its row and its lists, as plain tuples."""
    out: dict[str, dict[str, Any]] = {}
    with services.store.read() as conn:
        for row in conn.execute(
            text("SELECT lead_id, stage, owner, origin, next_sla_deadline, agreement_version FROM leads")
        ):
            out[row[0]] = {
                "stage": row[1],
                "owner": row[2],
                "origin": row[3],
                "next_sla_deadline": row[4],
                "version": row[5],
                "history": [],
                "sla": [],
                "errors": [],
                "assignments": [],
            }
        for row in conn.execute(
            text(
                "SELECT lead_id, stage, from_stage, at, cause, fast_track, actor_id, actor_role, agreement_version, "
                "reason FROM stage_changes ORDER BY lead_id, ordinal"
            )
        ):
            out[row[0]]["history"].append(
                (row[1], row[2], row[3], row[4], bool(row[5]), row[6], row[7], row[8], row[9])
            )
        for row in conn.execute(
            text(
                "SELECT lead_id, sla_id, owner, started_at, deadline, stopped_at, cancelled FROM sla_clocks "
                "ORDER BY lead_id, ordinal"
            )
        ):
            out[row[0]]["sla"].append((row[1], row[2], row[3], row[4], row[5], bool(row[6])))
        for row in conn.execute(
            text(
                "SELECT lead_id, message_id, action, at, actor_id, actor_role, reason FROM refused_actions "
                "ORDER BY lead_id, ordinal"
            )
        ):
            out[row[0]]["errors"].append(tuple(row[1:]))
        for row in conn.execute(
            text("SELECT lead_id, at, team, owner, actor_id FROM assignments ORDER BY lead_id, ordinal")
        ):
            out[row[0]]["assignments"].append(tuple(row[1:]))
    return out


def assert_store_matches(services: Services, expected: Reference) -> None:
    """Stored rows, their scores and the as-of view of every lead equal the reference replay."""
    assert_stored_scores(services, expected)
    found = stored(services)
    assert sorted(found) == sorted(expected.leads), "the store and the replay know different leads"
    zone = services.agreements.active().agreement.zone
    for lead_id, lead in expected.leads.items():
        row = found[lead_id]
        assert row["stage"] == lead.stage, lead_id
        assert row["owner"] == lead.owner, lead_id
        assert row["origin"] == lead.origin, lead_id
        assert row["history"] == [
            (
                h.stage,
                h.from_stage,
                h.at,
                h.cause,
                h.fast_track,
                h.actor_id,
                h.actor_role,
                h.agreement_version,
                h.reason,
            )
            for h in lead.history
        ], lead_id
        assert row["sla"] == [(c.id, c.owner, c.started_at, c.deadline, c.stopped_at, c.cancelled) for c in lead.sla], (
            lead_id
        )
        assert row["errors"] == [
            (e.message_id, e.action, e.at, e.actor_id, e.actor_role, e.reason) for e in lead.errors
        ], lead_id
        assert row["assignments"] == [(a.at, a.team, a.owner, a.actor_id) for a in lead.assignments], lead_id
        view = services.leads.get(lead_id, expected.as_of)
        reference_json = lead_to_json(lead, expected.as_of, zone)
        projected = {key: view[key] for key in reference_json}
        projected["reasons"] = [
            {k: r[k] for k in ("rule", "count", "points", "decayed_points")} for r in view["reasons"]
        ]
        projected["history"] = [{k: h[k] for k in ("stage", "at", "cause", "fast_track")} for h in view["history"]]
        projected["sla"] = [{k: c[k] for k in reference_json["sla"][0]} for c in view["sla"]] if view["sla"] else []
        assert projected == reference_json, lead_id


def empty_store(services: Services) -> None:
    """Delete every row (for property tests that reuse one database across examples)."""
    with services.store.write() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    services.engine.cache.clear()


def make_services(database_url: str, **overrides: object) -> Services:
    settings = Settings.model_validate({"database_url": database_url, "auto_migrate": False, **overrides})
    return build_services(settings, poster=lambda url, payload: None)
