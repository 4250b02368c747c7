"""The generated demo dataset (``leadpact generate``, default agreement) scored by all three
engines: identical results, from JSONL and from Parquet."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from batch_checks import mismatches

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.adapters.batch.duckdb_engine import DuckDbOptions, run_duckdb
from leadpact.adapters.batch.results_table import lead_results
from leadpact.adapters.jsonl import read_messages
from leadpact.adapters.synthetic import GeneratorConfig, generate_to_file
from leadpact.domain.replay import ReplayResult, replay

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

DEMO_LEADS = 1500


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, ReplayResult]:
    folder = tmp_path_factory.mktemp("demo")
    config = GeneratorConfig(leads=DEMO_LEADS, start=date(2025, 4, 1), days=365, seed=1, agreement=default_agreement())
    jsonl = folder / "demo.jsonl"
    parquet = folder / "demo.parquet"
    generate_to_file(config, jsonl, "jsonl")
    generate_to_file(config, parquet, "parquet")
    messages, bad = read_messages(jsonl)
    assert not bad
    return jsonl, parquet, replay(messages, default_agreement(), max(m.ts for m in messages))


def _check(reference: ReplayResult, results: Any) -> None:
    zone = default_agreement().zone
    assert mismatches(reference, lead_results(results), zone, with_traits=True) == []


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_embedded_engine_scores_the_demo_dataset_like_the_replay(demo: Any, kind: str) -> None:
    jsonl, parquet, reference = demo
    run = run_duckdb(
        default_agreement(),
        str(jsonl if kind == "jsonl" else parquet),
        None,
        DuckDbOptions(workers=1, with_traits=True),
    )
    assert run.bad_rows == []
    _check(reference, run.results)


@pytest.mark.spark
def test_spark_engine_scores_the_demo_dataset_like_the_replay(demo: Any, spark: Any) -> None:
    from leadpact.adapters.batch.spark_engine import run_spark

    _, parquet, reference = demo
    run = run_spark(default_agreement(), str(parquet), None, session=spark, with_traits=True)
    assert run.bad_rows == []
    _check(reference, run.results)
