"""The predictive model's score stored beside the rule score (issue #7): the repository, the
lead view (``GET /v1/leads/{id}``) and ``leadpact calibrate --store``; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import math
import random
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from store_checks import ingest
from typer.testing import CliRunner

from leadpact.adapters.store.model_scores_repo import ModelScore, ModelScoresRepo
from leadpact.domain.timeutil import iso, parse_iso, to_us
from leadpact.entrypoints.api.app import create_app
from leadpact.entrypoints.cli import build_app
from leadpact.service.clock import FixedClock
from leadpact.service.container import Services

NOW = to_us(parse_iso("2026-03-02T09:00:00+09:00"))
WARM = [{"feature": "industry", "value": "software", "effect": 0.8}]
COLD = [{"feature": "Webinar Attended", "value": "0", "effect": -0.4}]


def _score(lead_id: str, score: float, model: str = "hgb-aaaa", at: int = NOW) -> ModelScore:
    return ModelScore(lead_id, model, "customer", score, WARM, COLD, at)


def _identify(lead_id: str, at: int, traits: dict[str, Any]) -> dict[str, Any]:
    return {"type": "identify", "messageId": f"{lead_id}:id", "userId": lead_id, "timestamp": iso(at), "traits": traits}


def test_stored_scores_read_back_with_their_factors(services: Services) -> None:
    with services.store.write() as conn:
        assert ModelScoresRepo(conn).upsert_many([_score("u1", 0.72), _score("u2", 0.05)]) == 2
    with services.store.read() as conn:
        repo = ModelScoresRepo(conn)
        first, missing = repo.get("u1"), repo.get("nobody")
    assert first == ModelScore("u1", "hgb-aaaa", "customer", 0.72, WARM, COLD, NOW)
    assert missing is None


def test_a_new_calibration_replaces_the_leads_earlier_score_and_keeps_the_others(services: Services) -> None:
    with services.store.write() as conn:
        ModelScoresRepo(conn).upsert_many([_score("u1", 0.72), _score("u2", 0.05)])
    with services.store.write() as conn:
        ModelScoresRepo(conn).upsert_many([_score("u1", 0.31, model="hgb-bbbb", at=NOW + 1)])
    with services.store.read() as conn:
        repo = ModelScoresRepo(conn)
        replaced, kept = repo.get("u1"), repo.get("u2")
    assert replaced is not None and (replaced.score, replaced.model, replaced.computed_at) == (
        0.31,
        "hgb-bbbb",
        NOW + 1,
    )
    assert kept is not None and kept.score == 0.05


def test_many_scores_are_stored_in_one_call_past_the_statement_chunk(services: Services) -> None:
    scores = [_score(f"lead-{i:05d}", i / 2500) for i in range(2500)]
    with services.store.write() as conn:
        assert ModelScoresRepo(conn).upsert_many(scores) == 2500
    with services.store.read() as conn:
        last = ModelScoresRepo(conn).get("lead-02499")
    assert last is not None and math.isclose(last.score, 2499 / 2500)


def _get(app: FastAPI, path: str, key: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://leadpact.test") as client:
            return await client.get(path, headers={"Authorization": f"Bearer {key}"})

    return asyncio.run(go())


def test_the_lead_api_shows_the_model_score_beside_the_rule_score(services: Services) -> None:
    ingest(services, [_identify("u1", NOW - 3600_000_000, {"industry": "software"}), _identify("u2", NOW, {})])
    services.engine.run_pending()
    with services.store.write() as conn:
        ModelScoresRepo(conn).upsert_many([_score("u1", 0.72)])
    key = services.access.create_user_key("mika", "inside_sales", NOW)
    app = create_app(services, clock=FixedClock(NOW), web=False, warm_dashboard=False)

    scored = _get(app, "/v1/leads/u1", key)
    unscored = _get(app, "/v1/leads/u2", key)

    assert scored.status_code == 200, scored.text
    body = scored.json()
    assert isinstance(body["score"], float | int) and "handoff" in body  # the rule score is unchanged
    assert body["model_score"] == {
        "score": 0.72,
        "model": "hgb-aaaa",
        "target": "customer",
        "computed_at": "2026-03-02T09:00:00+09:00",
        "top_positive": WARM,
        "top_negative": COLD,
    }
    assert unscored.status_code == 200 and unscored.json()["model_score"] is None


def _history_jsonl(path: Path, leads: int, unlabelled: int, seed: int) -> None:
    """Leads whose chance to become a customer rises with company size and webinars."""
    rng = random.Random(seed)
    start = to_us(parse_iso("2025-01-06T09:00:00+09:00"))
    lines: list[dict[str, Any]] = []
    for i in range(leads + unlabelled):
        lead_id = f"lead-{i:04d}"
        at = start + rng.randrange(60) * 86_400_000_000
        employees, webinars = rng.randint(1, 2000), rng.randint(0, 4)
        traits: dict[str, Any] = {"industry": rng.choice(["retail", "software", "finance"]), "employees": employees}
        if i < leads:
            won = rng.random() < 1 / (1 + math.exp(-(employees / 500 + webinars - 3)))
            traits["outcome"] = "customer" if won else "not_converted"
        lines.append(_identify(lead_id, at, traits))
        lines += [
            {
                "type": "track",
                "messageId": f"{lead_id}:w{k}",
                "userId": lead_id,
                "event": "Webinar Attended",
                "timestamp": iso(at + (k + 1) * 60_000_000),
            }
            for k in range(webinars)
        ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def test_calibrate_store_writes_every_leads_model_score(services: Services, database_url: str, tmp_path: Path) -> None:
    events = tmp_path / "history.jsonl"
    _history_jsonl(events, leads=240, unlabelled=3, seed=11)
    args = ["calibrate", str(events), "--folds", "3", "--out", str(tmp_path / "out"), "--store", "--json"]

    result = CliRunner().invoke(build_app("calibrate"), args, env={"LEADPACT_DATABASE_URL": database_url})

    assert result.exit_code == 0, result.output
    stored = json.loads(result.stdout)["stored_model_scores"]
    assert stored["leads"] == 243  # every lead: the 240 with an outcome and the 3 still open
    assert stored["model"].startswith("hgb-")
    with services.store.read() as conn:
        repo = ModelScoresRepo(conn)
        rows = [repo.get(f"lead-{i:04d}") for i in range(243)]
    assert all(row is not None and row.model == stored["model"] and row.target == "customer" for row in rows)
    assert all(row is not None and 0.0 <= row.score <= 1.0 for row in rows)
    assert any(row is not None and row.positive for row in rows) and any(
        row is not None and row.negative for row in rows
    )
