"""The embedded batch engine: DuckDB for the relational plan, worker processes for the rest.

Steps: read and validate the file into DuckDB; the global prelude (duplicates, as-of, identity
links) gives every row its lead key, and one sorted, narrow *core* (codes and rule matches, no
strings) comes back as numpy arrays with the trait verdicts at identify/group rows; the leads
are cut into buckets (ranges of lead keys), each planned (``bucket.plan_bucket``) in a worker
process; for each plan the canonical columns of the fed rows are fetched by ``seq`` and the
machine leads go through the reference per-lead replay in worker processes, in chunks of
whole leads; the quiet leads' results are built in columns; a final pass gives system
assignments their owners.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

import numpy as np

from leadpact.adapters.batch import prelude
from leadpact.adapters.batch.agreement_sql import AgreementSql
from leadpact.adapters.batch.assignment import assign_system_owners
from leadpact.adapters.batch.bucket import (
    BucketPlan,
    ReplayBatch,
    SqlRows,
    action_code_sql,
    fetch,
    machine_batches,
    plan_bucket,
    quiet_results,
    traits_from_arrow,
    traits_slice,
    type_code_sql,
)
from leadpact.adapters.batch.lead_runner import RunnerOutput, replay_batch
from leadpact.adapters.batch.matching import RuleMatching
from leadpact.adapters.batch.reader import load_events
from leadpact.adapters.batch.results_table import result_schema
from leadpact.adapters.batch.run import BatchRun, RunStats
from leadpact.adapters.batch.scan import Core, Traits, core_from_arrow
from leadpact.adapters.batch.trait_rows import TraitVerdicts, empty_verdicts, trait_rows_sql
from leadpact.domain.agreement import Agreement
from leadpact.domain.conditions import EventCond, walk

IN_PROCESS_BYTES: Final = 48 << 20
"""Files smaller than this are planned and replayed in this process: starting worker
processes (about a second of imports each) costs more than it saves."""
CHUNK_ROWS: Final = 100_000
"""Fed rows per replay task."""
IN_FLIGHT: Final = 4
"""Replay batches handed to the workers ahead of the results (bounds the parent's copies)."""
BUCKET_ROWS: Final = 1_000_000
"""Rows per bucket of leads: bounds the scan's memory; buckets are planned in parallel, and
the replay of one bucket overlaps the planning of the next."""

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class DuckDbOptions:
    threads: int | None = None
    workers: int | None = None
    memory_limit: str = "2GB"
    with_traits: bool = True
    bucket_rows: int = BUCKET_ROWS
    chunk_rows: int = CHUNK_ROWS


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


@dataclass(slots=True)
class Placed:
    """Every lead after the prelude (besides the sorted core): trait verdicts, lead ids."""

    traits: Traits
    trait_lk: Any
    """The lead key of each trait row (sorted)."""
    lead_ids: Any
    """Arrow string array: the lead id of each lead key (sorted by lead id)."""
    lk_off: Any
    """Lead key ``k``'s rows are ``lk_off[k]:lk_off[k + 1]`` of the core."""


def run_duckdb(
    agreement: Agreement,
    events_path: str,
    as_of: int | None,
    options: DuckDbOptions = DuckDbOptions(),
    progress: Progress | None = None,
) -> BatchRun:
    count = _worker_count(options.workers, events_path)
    with _workers(count) as pool:
        for _ in range(count if count > 1 else 0):
            pool.submit(warm_up, agreement)  # the workers import and compile while DuckDB reads
        return _run(pool, agreement, events_path, as_of, options, progress or (lambda _: None))


def _run(
    pool: Any, agreement: Agreement, events_path: str, as_of: int | None, options: DuckDbOptions, say: Progress
) -> BatchRun:
    con = connect(options)
    say("reading events")
    matching = RuleMatching(agreement)
    report = load_events(con, events_path, matching, keep_event_properties=needs_event_properties(agreement))
    stats = RunStats(rows=report.rows, python_rows=report.python_rows)
    say("placing events under their leads")
    a = AgreementSql(agreement)
    core, placed, as_of = place_core(con, "events", as_of, stats, a, matching)
    rows = SqlRows(con, a, wide="events", placed="_detail")
    buckets = list(_buckets(placed.lk_off, options.bucket_rows))
    quiet: list[tuple[Any, Any]] = []
    detail = options.with_traits
    say(f"planning {len(placed.lead_ids)} leads in {len(buckets)} buckets")
    inputs = (_bucket_input(core, placed, lo, hi) for lo, hi in buckets)
    planning = [pool.submit(plan_task, agreement, as_of, *bucket) for bucket in inputs]
    plans = [p.result() for p in planning]
    del core, inputs, planning  # the plans hold what is needed from here on
    say("fetching the rows to replay")
    fetched = fetch(rows, plans, detail=detail)
    con.close()  # everything SQL was needed for is fetched: free the database's memory
    say("replaying leads")
    for plan in plans:
        _add_stats(stats, plan.stats)
    batches = (
        batch
        for plan, got in zip(plans, fetched, strict=True)
        for batch in machine_batches(plan, placed.lead_ids, got, options.chunk_rows)
    )
    in_flight: deque[Future[RunnerOutput]] = deque()
    outputs: list[RunnerOutput] = []
    for batch in batches:
        in_flight.append(pool.submit(replay_task, batch, agreement, as_of, detail))
        if len(in_flight) > IN_FLIGHT:
            outputs.append(in_flight.popleft().result())
        if len(quiet) < len(plans):  # build the quiet leads' results meanwhile
            plan, got = plans[len(quiet)], fetched[len(quiet)]
            quiet.append((quiet_results(a, plan, placed.lead_ids, got), plan.quiet.lk))
    for plan, got in list(zip(plans, fetched, strict=True))[len(quiet) :]:
        quiet.append((quiet_results(a, plan, placed.lead_ids, got), plan.quiet.lk))
    del fetched, plans, batches
    outputs += [r.result() for r in in_flight]
    run = merge(quiet, outputs, agreement, stats)
    return BatchRun("duckdb", as_of, run.results, run.unknown, report.bad, stats)


@lru_cache(maxsize=8)
def _agreement_sql(agreement: Agreement) -> AgreementSql:
    return AgreementSql(agreement)


def warm_up(agreement: Agreement) -> None:
    """Import and compile what the tasks need (runs once in each worker process)."""
    _agreement_sql(agreement)


def plan_task(agreement: Agreement, as_of: int, core: Core, traits: Traits) -> BucketPlan:
    """One bucket's plan (runs in a worker process)."""
    return plan_bucket(_agreement_sql(agreement), as_of, core, traits)


def replay_task(batch: ReplayBatch, agreement: Agreement, as_of: int, with_traits: bool) -> RunnerOutput:
    """One chunk of leads through the per-lead replay (runs in a worker process)."""
    return replay_batch(batch, agreement, as_of, with_traits=with_traits)


def _buckets(lk_off: Any, bucket_rows: int) -> Iterator[tuple[int, int]]:
    """Ranges of lead keys with about ``bucket_rows`` rows each."""
    n_leads = len(lk_off) - 1
    total = int(lk_off[-1])
    count = max(1, -(-total // bucket_rows))
    cuts = np.searchsorted(lk_off, np.arange(1, count) * (total / count))
    edges = sorted({0, n_leads, *(int(c) for c in cuts if 0 < c < n_leads)})
    yield from pairwise(edges)


def _bucket_input(c: Core, placed: Placed, lo: int, hi: int) -> tuple[Core, Traits]:
    r0, r1 = int(placed.lk_off[lo]), int(placed.lk_off[hi])
    t0, t1 = np.searchsorted(placed.trait_lk, [lo, hi])
    return _rows(c, r0, r1), traits_slice(placed.traits, int(t0), int(t1))


def _rows(c: Core, r0: int, r1: int) -> Core:
    """Rows ``r0:r1`` of the core (views, no copy)."""
    return Core(
        lk=c.lk[r0:r1],
        ts=c.ts[r0:r1],
        seq=c.seq[r0:r1],
        type=c.type[r0:r1],
        action=c.action[r0:r1],
        is_user=c.is_user[r0:r1],
        opaque=c.opaque[r0:r1],
        watched=c.watched[r0:r1],
        masks=[m[r0:r1] for m in c.masks],
        match_unsure=c.match_unsure[r0:r1],
    )


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
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def _worker_count(workers: int | None, events_path: str) -> int:
    """Worker processes for the plan and the replay (1: in this process)."""
    if Path(events_path).stat().st_size < IN_PROCESS_BYTES:
        return 1
    return max(1, workers if workers is not None else (os.cpu_count() or 1))


def _workers(count: int) -> Any:
    if count <= 1:
        return _InProcess()
    import multiprocessing

    return ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"))


def place_core(
    con: Any, events: str, as_of: int | None, stats: RunStats, a: AgreementSql, matching: RuleMatching
) -> tuple[Core, Placed, int]:
    """The global prelude, every row under its lead key: the sorted narrow core as arrays,
    the trait verdicts, lead ids, and the evaluation time (``as_of``, or the newest message
    that counts). Leaves ``_detail`` (lead key and the columns the detail queries read, by
    row) in the database."""

    masks = [name for name, _ in matching.columns if name.startswith("mask_")]
    valid = (
        f"(SELECT seq, ts, message_id, user_id, anonymous_id, type, {type_code_sql()} AS type_code,"
        f" {action_code_sql()} AS action_code, user_id IS NOT NULL AS is_user, opaque, watched_code,"
        f" {', '.join(masks)}, match_unsure,"
        f" CASE WHEN type IN ('identify', 'group') THEN traits END AS traits FROM {events} WHERE ok)"
    )
    narrow = ["seq", "ts", "type", "type_code", "action_code", "is_user", "opaque", "watched_code", *masks]
    narrow += ["match_unsure", "traits"]
    total = con.execute(f"SELECT count(*) FROM {events} WHERE ok").fetchall()[0][0]
    con.execute(f"CREATE TEMP TABLE _later AS {prelude.later_copies_sql(valid)}")
    stats.duplicates = con.execute("SELECT count(*) FROM _later").fetchall()[0][0]
    if as_of is None:
        newest = con.execute(prelude.newest_sql(valid, "_later")).fetchall()[0][0]
        as_of = int(newest) if newest is not None else 0
    kept = f"({prelude.kept_sql(valid, '_later', as_of, ['user_id', 'anonymous_id', *narrow])})"
    con.execute(f"CREATE TEMP TABLE _links AS {prelude.links_sql(kept)}")
    con.execute(f"CREATE TEMP TABLE _leads AS {prelude.user_keys_sql(kept)}")
    by_hash = bool(con.execute(prelude.keys_unique_sql("_leads")).fetchall()[0][0])
    con.execute(f"CREATE VIEW _keyed AS {prelude.keyed_sql(kept, '_leads', '_links', narrow, by_hash=by_hash)}")
    # Sorted by lead key: never-linked anonymous rows (-1) come first and are counted apart.
    core_table = con.sql(
        f"""SELECT lk, ts, seq, type_code, action_code, is_user, opaque, watched_code, {", ".join(masks)},
            match_unsure FROM _keyed ORDER BY lk, ts, seq"""
    ).to_arrow_table()
    core = core_from_arrow(core_table, len(masks))
    del core_table
    unlinked = int(np.searchsorted(core.lk, 0))
    stats.after_as_of = total - stats.duplicates - len(core.lk)
    stats.unlinked_anonymous = unlinked
    core = _rows(core, unlinked, len(core.lk))
    lead_ids = con.sql("SELECT lead_id FROM _leads ORDER BY lk").to_arrow_table().column("lead_id").combine_chunks()
    verdicts = TraitVerdicts.of(a)
    trait_rows = "(SELECT * FROM _keyed WHERE type IN ('identify', 'group') AND lk >= 0)"
    trait_table = con.sql(trait_rows_sql(a, verdicts, trait_rows)).to_arrow_table()
    traits = traits_from_arrow(trait_table, verdicts, empty_verdicts(con, a, verdicts))
    trait_lk = trait_table.column("lk").to_numpy(zero_copy_only=False).astype(np.int64)
    counts = np.bincount(core.lk, minlength=len(lead_ids)) if len(core.lk) else np.zeros(len(lead_ids), np.int64)
    lk_off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    con.execute(
        "CREATE VIEW _detail AS SELECT p.lk, p.seq, p.ts, p.type, p.opaque, p.traits, e.event, e.path"
        f" FROM _keyed p JOIN {events} e USING (seq) WHERE p.lk >= 0"
    )
    return core, Placed(traits, trait_lk, lead_ids, lk_off), as_of


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


def merge(
    quiet: list[tuple[Any, Any]], outputs: list[RunnerOutput], agreement: Agreement, stats: RunStats
) -> RunnerOutput:
    """Quiet and replayed leads together in lead-key order (lead-id order), owners assigned."""
    import pyarrow as pa

    schema = result_schema()
    tables = [table for table, _ in quiet] + [o.results for o in outputs]
    lks = [lk for _, lk in quiet] + [o.lks for o in outputs]
    if not tables:
        return RunnerOutput(schema.empty_table(), [])
    results = pa.concat_tables([t.cast(schema) for t in tables])
    order = np.argsort(np.concatenate(lks), kind="stable")
    results = results.take(pa.array(order))
    results = assign_system_owners(results, agreement)
    stats.leads = results.num_rows
    unknown = [item for o in outputs for item in o.unknown]
    unknown.sort(key=lambda item: item[0])
    return RunnerOutput(results, unknown)
