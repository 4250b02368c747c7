"""``service.batch.score_file`` and its outputs: engine choice, errors users can act on,
JSONL/Parquet results that say the same thing, scores alone."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from batch_histories import agreement, write_histories

from leadpact.adapters.batch.agreement_sql import AgreementSql
from leadpact.adapters.batch.duckdb_engine import DuckDbOptions, connect, place
from leadpact.adapters.batch.events_table import EVENT_NAMES
from leadpact.adapters.batch.matching import RuleMatching
from leadpact.adapters.batch.reader import load_events
from leadpact.adapters.batch.run import RunStats
from leadpact.adapters.batch.scores import scores_as_of
from leadpact.adapters.batch.writer import rounded
from leadpact.adapters.jsonl import read_messages
from leadpact.domain.replay import replay
from leadpact.domain.results import round_score
from leadpact.domain.timeutil import to_us
from leadpact.service.batch import BatchError, choose_engine, score_file
from leadpact.service.scoring import default_as_of


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path, _ = write_histories(tmp_path_factory.mktemp("svc") / "step.jsonl", "step", 60, seed=3)
    return path


def test_auto_replays_small_files_and_reads_stdin_only_with_the_replay(small: Path) -> None:
    assert choose_engine("auto", small) == "replay"
    assert choose_engine("duckdb", small) == "duckdb"
    assert choose_engine("auto", "-") == "replay"
    with pytest.raises(BatchError, match="standard input"):
        choose_engine("duckdb", "-")
    with pytest.raises(BatchError, match="unknown engine 'fast'"):
        choose_engine("fast", small)


def test_auto_switches_to_the_embedded_engine_earlier_for_parquet(tmp_path: Path) -> None:
    """About the same number of events: 16 MB of JSONL, 2 MB of Parquet."""
    for name, size, expected in (
        ("a.parquet", (2 << 20) - 1, "replay"),
        ("b.parquet", 2 << 20, "duckdb"),
        ("c.jsonl", 2 << 20, "replay"),
        ("d.jsonl", 16 << 20, "duckdb"),
    ):
        path = tmp_path / name
        with path.open("wb") as stream:
            stream.truncate(size)  # only the size is read
        assert choose_engine("auto", path) == expected, name


def test_a_missing_events_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(BatchError, match=r"nope\.jsonl: no such events file"):
        score_file(agreement("step"), tmp_path / "nope.jsonl")


def test_every_engine_prints_the_same_json(small: Path) -> None:
    a = agreement("step")
    replayed = list(score_file(a, small, engine="replay").json_objects())
    embedded = list(score_file(a, small, engine="duckdb", workers=1).json_objects())
    assert replayed == embedded
    assert len(replayed) > 60


def test_parquet_results_hold_the_json_fields_typed(small: Path, tmp_path: Path) -> None:
    run = score_file(agreement("step"), small, engine="duckdb", workers=1)
    run.write(tmp_path / "r.parquet")
    run.write(tmp_path / "r.jsonl")
    objects = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = pq.read_table(tmp_path / "r.parquet").to_pylist()
    assert [o["lead_id"] for o in objects] == [r["lead_id"] for r in rows]
    for obj, row in zip(objects, rows, strict=True):
        assert (obj["stage"], obj["score"], obj["owner"], obj["hot"]) == (
            row["stage"],
            row["score"],
            row["owner"],
            row["hot"],
        )
        assert [h["at"] for h in obj["history"]] == [h["at"].isoformat() for h in row["history"]]
        assert [c["status"] for c in obj["sla"]] == [c["status"] for c in row["sla"]]
        assert [r["decayed_points"] for r in obj["reasons"]] == [r["decayed_points"] for r in row["reasons"]]


def test_parquet_rounding_matches_round_score_on_ties() -> None:
    values = [0.1 + 0.2, 2.0000005, 1.0000015, -0.0000004, 12.5, 1e-7, 123456.1234565]
    assert list(rounded(values)) == [round_score(v) for v in values]


def test_scores_alone_are_the_engines_scores_for_leads_never_recycled(small: Path) -> None:
    a = agreement("step")
    messages, _ = read_messages(small)
    as_of = max(m.ts for m in messages)
    reference = replay(messages, a, as_of)
    matching = RuleMatching(a)
    con = connect(DuckDbOptions())
    load_events(con, small, matching, keep_event_properties=False)
    place(con, "events", as_of, RunStats(), [*EVENT_NAMES, *(c for c, _ in matching.columns)])
    table = scores_as_of(con, AgreementSql(a), "placed", as_of)
    got: dict[str, Any] = {row["lead_id"]: row for row in table.to_pylist()}
    compared = 0
    for lead_id, lead in reference.leads.items():
        if lead.origin == "sales" or any(h.stage == "mal" and h.from_stage not in (None, "lead") for h in lead.history):
            continue  # recycled (engagement reset) or sales-created (traits from the action): lifecycle matters
        assert round_score(got[lead_id]["fit"]) == round_score(lead.fit)
        assert round_score(got[lead_id]["engagement"]) == round_score(lead.engagement)
        compared += 1
    assert compared > 50


def test_spark_engine_without_pyspark_says_how_to_install_it(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # importing it now fails
    with pytest.raises(BatchError, match=r"pip install 'leadpact\[spark\]'"):
        score_file(agreement("step"), small, engine="spark")


def test_the_default_evaluation_time_ignores_a_later_copy_of_a_message(tmp_path: Path, spark: Any) -> None:
    """A repeated messageId is ignored (SPEC §3), so its timestamp cannot move "the newest
    event's timestamp", on any engine."""
    from leadpact.adapters.batch.spark_engine import run_spark

    lines = [
        {"type": "identify", "messageId": "m1", "timestamp": "2026-03-02T10:00:00+09:00", "userId": "u1"},
        {"type": "track", "messageId": "m2", "timestamp": "2026-03-02T11:00:00+09:00", "userId": "u1", "event": "X"},
        {"type": "track", "messageId": "m2", "timestamp": "2026-03-20T11:00:00+09:00", "userId": "u1", "event": "X"},
    ]
    path = tmp_path / "copies.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    expected = to_us(datetime.fromisoformat("2026-03-02T11:00:00+09:00"))
    a = agreement("step")
    found = {engine: score_file(a, path, engine=engine, workers=1).as_of for engine in ("replay", "duckdb")}
    found["spark"] = run_spark(a, str(path), None, session=spark, with_traits=False).as_of
    assert found == dict.fromkeys(("replay", "duckdb", "spark"), expected)
    messages, _ = read_messages(path)
    assert default_as_of(messages) == expected  # the reports' and flows' default too


def test_struct_fields_of_json_type_read_alike_on_every_engine(tmp_path: Path, spark: Any) -> None:
    """DuckDB writes a trait whose values mix strings and numbers as Arrow's JSON type; Spark
    reads such a field as its storage text, so its tasks cast it back to the file's type."""
    import pyarrow as pa

    from leadpact.adapters.batch.results_table import lead_results
    from leadpact.adapters.batch.spark_engine import run_spark

    employees = pa.array(['"350"', "5000", "12"], type=pa.json_())
    traits = pa.StructArray.from_arrays(
        [pa.array(["director", "staff", "staff"]), employees], ["job_level", "employees"]
    )
    table = pa.table(
        {
            "type": ["identify"] * 3,
            "messageId": ["m1", "m2", "m3"],
            "timestamp": ["2026-01-09T15:00:00+09:00"] * 3,
            "userId": ["u1", "u2", "u3"],
            "traits": traits,
        }
    )
    path = tmp_path / "json_typed.parquet"
    pq.write_table(table, path)
    a = agreement("step")
    fits = {
        engine: [lead.fit for lead in score_file(a, path, engine=engine, workers=1, detail=True).lead_results()]
        for engine in ("replay", "duckdb")
    }
    spark_run = run_spark(a, str(path), None, session=spark, with_traits=True)
    fits["spark"] = [lead.fit for lead in lead_results(spark_run.results)]
    assert fits == {engine: [25.0, 15.0, 10.0] for engine in ("replay", "duckdb", "spark")}


def test_spark_names_a_parquet_type_it_cannot_read_and_the_way_out(tmp_path: Path, spark: Any) -> None:
    import pyarrow as pa

    from leadpact.adapters.batch.spark_engine import SparkInputError, run_spark

    path = tmp_path / "ns.parquet"
    stamps = pa.array([1767225600123456789], type=pa.timestamp("ns", tz="UTC"))
    pq.write_table(pa.table({"type": ["page"], "messageId": ["m1"], "userId": ["u1"], "timestamp": stamps}), path)
    with pytest.raises(SparkInputError, match=r"TIMESTAMP\(NANOS,true\).*use --engine duckdb"):
        run_spark(agreement("step"), str(path), None, session=spark)
    assert [
        lead.lead_id for lead in score_file(agreement("step"), path, engine="duckdb", workers=1).lead_results()
    ] == ["u1"]
