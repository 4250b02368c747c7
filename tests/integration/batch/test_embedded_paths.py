"""The embedded engine's other paths give the reference replay's results too: worker
processes over many buckets and replay batches, and lead keys joined on the ids themselves
(the fallback when two lead ids share a hash)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from batch_checks import mismatches
from batch_histories import agreement

from leadpact.adapters.batch import duckdb_engine, prelude
from leadpact.adapters.batch.duckdb_engine import DuckDbOptions, run_duckdb
from leadpact.adapters.batch.results_table import lead_results
from leadpact.adapters.jsonl import read_messages
from leadpact.domain.replay import ReplayResult, replay


def _reference(path: Path, name: str) -> tuple[ReplayResult, Any]:
    messages, bad = read_messages(path)
    assert not bad
    a = agreement(name)
    return replay(messages, a, max(m.ts for m in messages)), a


def _check(reference: ReplayResult, results: Any, a: Any) -> None:
    assert mismatches(reference, lead_results(results), a.zone, with_traits=True) == []


def test_worker_processes_over_many_buckets_and_batches(
    history_files: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = history_files["step"]
    reference, a = _reference(path, "step")
    monkeypatch.setattr(duckdb_engine, "IN_PROCESS_BYTES", 0)  # use the workers even for a small file
    options = DuckDbOptions(workers=2, with_traits=True, bucket_rows=3_000, chunk_rows=500)
    seen: list[str] = []
    run = run_duckdb(a, str(path), None, options, progress=seen.append)
    _check(reference, run.results, a)
    buckets = next(m for m in seen if m.startswith("planning"))
    assert int(buckets.split(" in ")[1].split()[0]) >= 3
    assert run.stats.quiet_leads > 0 and run.stats.exact_leads > 0


def test_lead_keys_joined_on_ids_when_hashes_could_collide(
    history_files: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = history_files["half"]
    reference, a = _reference(path, "half")
    joins: list[bool] = []
    original = prelude.keyed_sql

    def keyed(*args: Any, by_hash: bool) -> str:
        joins.append(by_hash)
        return original(*args, by_hash=by_hash)

    monkeypatch.setattr(prelude, "keys_unique_sql", lambda keys: "SELECT FALSE")
    monkeypatch.setattr(prelude, "keyed_sql", keyed)
    run = run_duckdb(a, str(path), None, DuckDbOptions(workers=1, with_traits=True))
    assert joins == [False]
    _check(reference, run.results, a)
