"""The embedded batch engine: DuckDB for the relational plan, worker processes for the replay.

Steps: read and validate the file into DuckDB; the global prelude (duplicates, as-of, identity
links); per bucket of leads, the plan (``bucket``, ``scan``), which finishes quiet leads and
selects the rows the other leads need; those leads go through the reference per-lead replay
in worker processes, in chunks of whole leads, while the next bucket is scanned; a final pass
gives system assignments their owners.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

from leadpact.adapters.batch import prelude
from leadpact.adapters.batch.agreement_sql import AgreementSql
from leadpact.adapters.batch.assignment import apply_owners, owners, pending_assignments
from leadpact.adapters.batch.bucket import BucketRunner
from leadpact.adapters.batch.events_table import EVENT_NAMES
from leadpact.adapters.batch.lead_runner import RunnerOutput, replay_leads
from leadpact.adapters.batch.matching import RuleMatching
from leadpact.adapters.batch.reader import load_events
from leadpact.adapters.batch.results_table import result_schema
from leadpact.adapters.batch.run import BatchRun, RunStats
from leadpact.domain.agreement import Agreement
from leadpact.domain.conditions import EventCond, walk

IN_PROCESS_ROWS: Final = 200_000
"""Below this many rows to replay, worker processes cost more than they save."""
CHUNK_ROWS: Final = 150_000
BUCKET_ROWS: Final = 2_000_000
"""Rows per bucket of leads: bounds the scan's memory; the replay of one bucket overlaps the
scan of the next."""

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class DuckDbOptions:
    threads: int | None = None
    workers: int | None = None
    memory_limit: str = "2GB"
    with_traits: bool = True


def needs_event_properties(agreement: Agreement) -> bool:
    """Engagement rules that test event properties need the properties of page/track rows."""
    return any(
        isinstance(node, EventCond) and node.properties
        for rule in agreement.engagement
        for node in walk(rule.condition)
    )


def connect(options: DuckDbOptions) -> Any:
    import duckdb

    con = duckdb.connect(config={"memory_limit": options.memory_limit})
    if options.threads is not None:
        con.execute(f"SET threads = {int(options.threads)}")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    return con


def run_duckdb(
    agreement: Agreement,
    events_path: str,
    as_of: int | None,
    options: DuckDbOptions = DuckDbOptions(),
    progress: Progress | None = None,
) -> BatchRun:
    con = connect(options)
    say = progress or (lambda _: None)
    say("reading events")
    matching = RuleMatching(agreement)
    report = load_events(con, events_path, matching, keep_event_properties=needs_event_properties(agreement))
    stats = RunStats(rows=report.rows, python_rows=report.python_rows)
    if as_of is None:
        newest = con.execute("SELECT max(ts) FROM events").fetchall()[0][0]
        as_of = int(newest) if newest is not None else 0
    say("placing events under their leads")
    n_leads = place(con, "events", as_of, stats, [*EVENT_NAMES, *(name for name, _ in matching.columns)])
    runner = BucketRunner(AgreementSql(agreement), as_of, detail=options.with_traits)
    n_rows = con.execute("SELECT count(*) FROM placed").fetchall()[0][0]
    n_buckets = max(1, -(-n_rows // BUCKET_ROWS))
    outputs: list[RunnerOutput] = []
    quiet: list[Any] = []
    pending: list[Any] = []
    with _replayer(options.workers, n_rows) as pool:
        for bucket in range(n_buckets):
            say(f"scoring leads (bucket {bucket + 1} of {n_buckets}, {n_leads} leads in all)")
            rows = bucket_rows(con, bucket, n_buckets)
            out = runner.run(con, rows)
            quiet.append(out.quiet)
            _add_stats(stats, out.stats)
            for chunk_rows, chunk_leads in _chunks(out.machine_rows, out.machine_leads):
                pending.append(
                    pool.submit(
                        replay_leads, chunk_rows, chunk_leads, agreement, as_of, with_traits=options.with_traits
                    )
                )
        say("replaying leads with actions")
        outputs = [p.result() for p in pending]
    con.close()
    run = merge(quiet, outputs, agreement, stats)
    return BatchRun("duckdb", as_of, run.results, run.unknown, report.bad, stats)


def _add_stats(stats: RunStats, bucket: dict[str, int]) -> None:
    stats.quiet_leads += bucket.get("quiet_leads", 0)
    stats.exact_leads += bucket.get("exact_leads", 0)
    stats.replayed_rows += bucket.get("replayed_rows", 0)


class _InProcess:
    """The executor interface, running each task at once (small runs, or ``workers=1``)."""

    def __enter__(self) -> _InProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from concurrent.futures import Future

        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def _replayer(workers: int | None, n_rows: int) -> Any:
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count <= 1 or n_rows < IN_PROCESS_ROWS:
        return _InProcess()
    import multiprocessing

    return ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"))


def place(con: Any, events: str, as_of: int, stats: RunStats, columns: list[str]) -> int:
    """The global prelude into table ``placed`` (rows with their ``lead_id``; NULL for
    anonymous rows never linked); returns the number of leads."""
    valid = f"(SELECT * FROM {events} WHERE ok)"
    total = con.execute(f"SELECT count(*) FROM {events} WHERE ok").fetchall()[0][0]
    con.execute(f"CREATE TEMP TABLE _later AS {prelude.later_copies_sql(valid)}")
    stats.duplicates = con.execute("SELECT count(*) FROM _later").fetchall()[0][0]
    kept = f"({prelude.kept_sql(valid, '_later', as_of, columns)})"
    con.execute(f"CREATE TEMP TABLE _links AS {prelude.links_sql(kept)}")
    con.execute(f"CREATE TEMP TABLE placed AS {prelude.placed_sql(kept, '_links', columns)}")
    con.execute(f"DROP TABLE {events}")
    con.execute("DROP TABLE _later")
    con.execute("DROP TABLE _links")
    n_kept, unlinked, n_leads = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE lead_id IS NULL), count(DISTINCT lead_id) FROM placed"
    ).fetchall()[0]
    stats.after_as_of = total - stats.duplicates - n_kept
    stats.unlinked_anonymous = unlinked
    return int(n_leads)


def bucket_rows(con: Any, bucket: int, buckets: int) -> str:
    """Materialise one bucket of leads (by hash of the lead id) with dense lead keys ``lk``."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE bucket AS SELECT *, CAST(dense_rank() OVER (ORDER BY lead_id) - 1 AS BIGINT)"
        f" AS lk FROM placed WHERE lead_id IS NOT NULL AND hash(lead_id) % {buckets} = {bucket}"
    )
    return "bucket"


def merge(quiet: list[Any], outputs: list[RunnerOutput], agreement: Agreement, stats: RunStats) -> RunnerOutput:
    """Quiet and replayed leads together, owners assigned, sorted by lead id."""
    import pyarrow as pa

    schema = result_schema()
    tables = [q.cast(schema) for q in quiet] + [o.results for o in outputs]
    results = pa.concat_tables(tables) if tables else schema.empty_table()
    results = apply_owners(results, owners(pending_assignments(results), agreement))
    results = results.sort_by("lead_id")
    stats.leads = results.num_rows
    unknown = [item for o in outputs for item in o.unknown]
    unknown.sort(key=lambda item: item[0])
    return RunnerOutput(results, unknown)


def _chunks(rows: Any, leads: Any) -> Any:
    """Slices of whole leads, about :data:`CHUNK_ROWS` rows each (both tables sorted by lead)."""
    import pyarrow.compute as pc

    if leads.num_rows == 0:
        return
    counts = pc.value_counts(rows.column("lead_id"))
    per_lead = dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True))
    lead_ids = leads.column("lead_id").to_pylist()
    start_lead = start_row = 0
    taken = 0
    for k, lead_id in enumerate(lead_ids):
        taken += per_lead.get(lead_id, 0)
        if taken >= CHUNK_ROWS or k == len(lead_ids) - 1:
            n_leads = k + 1 - start_lead
            yield rows.slice(start_row, taken), leads.slice(start_lead, n_leads)
            start_lead, start_row, taken = k + 1, start_row + taken, 0
