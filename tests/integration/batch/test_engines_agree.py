"""The batch engines give exactly the reference replay's results on 1 200 generated histories.

Four agreements (step decay, half-life decay, no decay, a one-day window) × 300 seeded
histories each. Every lead is compared on every field: the SPEC §7 object (stage, scores,
reasons, history, SLA clocks with status, refused actions, owner) and the LeadResult details
the reports read (traits, company traits, touched content, BANT, creation and last-event times,
assignments, history actors and reasons). The histories are checked to contain every feature
they are meant to exercise, so a generator change cannot quietly weaken the test.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from batch_checks import mismatches
from batch_histories import AGREEMENTS, agreement

from leadpact.adapters.batch.duckdb_engine import DuckDbOptions, run_duckdb
from leadpact.adapters.batch.results_table import lead_results
from leadpact.adapters.batch.run import BatchRun
from leadpact.adapters.jsonl import read_messages
from leadpact.domain.replay import ReplayResult, replay

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

GENERATED_FEATURES = {
    "anonymous_before_identify",
    "company_traits",
    "trait_change",
    "decay_boundary",
    "duplicate",
    "sgl",
    "unknown_lead_action",
    "unlinked_visitor",
    *(
        f"action:{name}"
        for name in (
            "assign",
            "accept",
            "reject",
            "contact",
            "confirm_bant",
            "open_opportunity",
            "win",
            "lose",
            "recycle",
            "disqualify",
        )
    ),
}


def _reference(path: Path, name: str) -> tuple[ReplayResult, Any]:
    messages, bad = read_messages(path)
    assert not bad
    a = agreement(name)
    as_of = max(m.ts for m in messages)
    return replay(messages, a, as_of), a


def _assert_same(reference: ReplayResult, run: BatchRun, a: Any) -> None:
    assert run.as_of == reference.as_of
    found = mismatches(reference, lead_results(run.results), a.zone, with_traits=True)
    assert found == []
    assert sorted((lead, r.message_id) for lead, r in run.unknown_lead_actions) == sorted(
        (u.lead_id, u.refused.message_id) for u in reference.unknown_lead_actions
    )
    assert run.stats.duplicates == reference.duplicates
    assert run.stats.unlinked_anonymous == reference.unlinked_anonymous


@pytest.mark.parametrize("name", sorted(AGREEMENTS))
def test_embedded_engine_gives_the_replays_results(history_files: dict[str, Any], name: str) -> None:
    path, _features = history_files[name]
    reference, a = _reference(path, name)
    run = run_duckdb(a, str(path), None, DuckDbOptions(workers=1, with_traits=True))
    _assert_same(reference, run, a)
    # The fast paths were all taken: leads finished in SQL, reduced replays, exact replays.
    assert run.stats.quiet_leads > 0
    assert run.stats.exact_leads > 0
    assert 0 < run.stats.replayed_rows < run.stats.rows


@pytest.mark.spark
@pytest.mark.parametrize("name", sorted(AGREEMENTS))
def test_spark_engine_gives_the_replays_results(history_files: dict[str, Any], name: str, spark: Any) -> None:
    from leadpact.adapters.batch.spark_engine import run_spark

    path, _ = history_files[name]
    reference, a = _reference(path, name)
    run = run_spark(a, str(path), None, session=spark, with_traits=True)
    _assert_same(reference, run, a)


def test_histories_exercise_every_feature(history_files: dict[str, Any]) -> None:
    features: set[str] = set()
    outcomes: Counter[str] = Counter()
    for name, (path, generated) in history_files.items():
        features |= generated
        reference, _ = _reference(path, name)
        for lead in reference.leads.values():
            outcomes[f"stage:{lead.stage}"] += 1
            outcomes["refused"] += len(lead.errors)
            outcomes["fast_track"] += sum(h.fast_track for h in lead.history)
            outcomes["recycled"] += sum(h.stage == "mal" and h.from_stage not in (None, "lead") for h in lead.history)
            outcomes["lost"] += sum(h.stage == "lost" for h in lead.history)
            outcomes["sgl"] += lead.origin == "sales"
            outcomes["owned"] += lead.owner is not None
            outcomes["hot"] += lead.hot
            outcomes["decayed"] += any(r.decayed_points != r.points for r in lead.reasons if r.kind == "engagement")
            outcomes["negative"] += any(r.points < 0 for r in lead.reasons)
            outcomes["max_count"] += any(r.rule in ("top", "open", "webinar") and r.count >= 2 for r in lead.reasons)
            outcomes["bant"] += len(lead.bant) >= 2
            for clock in lead.sla:
                outcomes[f"sla:{clock.id}:{clock.status(reference.as_of)}"] += 1
    assert features >= GENERATED_FEATURES
    for outcome in (
        "stage:mal",
        "stage:mql",
        "stage:sal",
        "stage:sql",
        "stage:opportunity",
        "stage:customer",
        "stage:disqualified",
        "refused",
        "fast_track",
        "recycled",
        "lost",
        "sgl",
        "owned",
        "hot",
        "decayed",
        "negative",
        "max_count",
        "bant",
    ):
        assert outcomes[outcome] > 0, outcome
    statuses = {key.rsplit(":", 1)[1] for key in outcomes if key.startswith("sla:")}
    assert statuses == {"met", "breached", "running", "cancelled"}
    assert any(key.startswith("sla:first_contact:") for key in outcomes)  # business days
    assert any(key.startswith("sla:handoff:") for key in outcomes)  # hours and minutes


@pytest.mark.spark
def test_spark_reports_bad_lines_with_their_line_numbers(tmp_path: Path, spark: Any) -> None:
    from leadpact.adapters.batch.spark_engine import run_spark

    good = '{"type":"page","messageId":"m%d","timestamp":"2026-01-09T15:00:00+09:00","userId":"u1"}'
    lines = [good % 1, "", "not json", good % 2, '{"type":"track","messageId":"m3","userId":"u1"}', good % 4]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected_messages, expected_bad = read_messages(path)
    run = run_spark(agreement("step"), str(path), None, session=spark)
    assert [(b.line, b.reason) for b in run.bad_rows] == [(b.line, b.reason) for b in expected_bad]
    assert run.stats.leads == 1
    assert len(expected_messages) == 3
