"""One bucket of leads through the relational plan: arrays in, what the replay needs out.

The same code runs for the embedded engine (ranges of lead keys cut from one sorted core, in
worker processes) and inside Spark tasks (one bucket per task, an in-memory DuckDB over the
task's rows), so both engines compute with one definition.

* :func:`plan_bucket` — the scan (``scan``) and its verdicts as plain arrays (picklable):
  :class:`QuietPlan` for the leads finished here, :class:`MachinePlan` for the rows and
  per-lead sums the per-lead replay needs;
* :func:`quiet_table` — the quiet leads' results, column by column;
* :func:`replay_batches` — the machine leads cut into :class:`ReplayBatch` chunks of whole
  leads, with the canonical columns of their rows (fetched by ``seq``);
* :class:`SqlRows` — the same inputs read from a DuckDB relation of placed rows (Spark tasks,
  and the embedded engine's detail queries).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from leadpact.adapters.batch import sql_compile as sc
from leadpact.adapters.batch.agreement_sql import AgreementSql
from leadpact.adapters.batch.matching import RULES_PER_MASK
from leadpact.adapters.batch.results_table import LIST_FIELDS, result_schema
from leadpact.adapters.batch.scan import (
    ACTION_CODES,
    EXACT,
    QUIET,
    TYPE_CODES,
    BucketScan,
    Core,
    Traits,
    core_from_arrow,
)
from leadpact.adapters.batch.trait_rows import TraitVerdicts, empty_verdicts, trait_rows_sql

WIDE_COLUMNS: Final = (
    "seq",
    "type",
    "message_id",
    "ts",
    "user_id",
    "anonymous_id",
    "event",
    "path",
    "action",
    "actor_id",
    "actor_role",
    "traits",
    "properties",
)
"""The canonical columns the per-lead replay reads (``lead_runner``)."""

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


# --- the plan (numpy only) ---------------------------------------------------------------------


@dataclass(slots=True)
class QuietPlan:
    """Leads finished by the plan: ``lead`` → ``mal`` at creation, scores as of ``as_of``."""

    lk: I64
    creation_seq: I64
    created_at: I64
    last_ts: I64
    fit: F64
    engagement: F64
    hot: B
    fit_rules: B
    """(leads, fit rules) verdicts on the final traits."""
    counts: I64
    """(leads, engagement rules) contributions counted as of ``as_of``."""
    decayed: F64


@dataclass(slots=True)
class MachinePlan:
    """Leads for the per-lead replay, in lead-key order; their rows are contiguous."""

    lk: I64
    exact: B
    last_ts: I64
    row_off: I64
    """Lead ``k``'s rows are ``row_off[k]:row_off[k + 1]``."""
    seqs: I64
    """Per row: the arrival number, to fetch its canonical columns."""
    ords: I64
    """Per row: its 1-based position in the lead's full history (epochs are named by it)."""
    o_off: I64
    """Row ``i``'s engagement per epoch: ``o_epochs``/``o_values[o_off[i]:o_off[i + 1]]``."""
    o_epochs: I64
    o_values: F64
    seg_off: I64
    """Lead ``k``'s as-of sums per epoch: segments ``seg_off[k]:seg_off[k + 1]`` (reduced leads)."""
    seg_epoch: I64
    seg_total: F64
    seg_counts: I64
    seg_decayed: F64

    def __len__(self) -> int:
        return len(self.lk)

    def leads(self, lo: int, hi: int) -> MachinePlan:
        """Leads ``lo:hi``, offsets rebased to the slice."""
        r0, r1 = int(self.row_off[lo]), int(self.row_off[hi])
        o0, o1 = int(self.o_off[r0]), int(self.o_off[r1])
        s0, s1 = int(self.seg_off[lo]), int(self.seg_off[hi])
        return MachinePlan(
            lk=self.lk[lo:hi],
            exact=self.exact[lo:hi],
            last_ts=self.last_ts[lo:hi],
            row_off=self.row_off[lo : hi + 1] - r0,
            seqs=self.seqs[r0:r1],
            ords=self.ords[r0:r1],
            o_off=self.o_off[r0 : r1 + 1] - o0,
            o_epochs=self.o_epochs[o0:o1],
            o_values=self.o_values[o0:o1],
            seg_off=self.seg_off[lo : hi + 1] - s0,
            seg_epoch=self.seg_epoch[s0:s1],
            seg_total=self.seg_total[s0:s1],
            seg_counts=self.seg_counts[s0:s1],
            seg_decayed=self.seg_decayed[s0:s1],
        )


@dataclass(slots=True)
class BucketPlan:
    quiet: QuietPlan
    machine: MachinePlan
    stats: dict[str, int] = field(default_factory=dict)


def plan_bucket(a: AgreementSql, as_of: int, core: Core, traits: Traits) -> BucketPlan:
    """The scan of one bucket (rows sorted by lead key, timestamp, arrival) as plain arrays."""
    scan = BucketScan(a, TraitVerdicts.of(a), as_of).run(core, traits)
    n_leads = len(scan.lead_start)
    mode = scan.mode
    seg_lead, seg_epoch = scan.seg_lead, scan.seg_epoch

    # Quiet leads: live from creation on, so each has its epoch-0 segment.
    quiet = np.flatnonzero(mode == QUIET)
    seg0 = np.full(n_leads, -1, dtype=np.int64)
    first_epoch = np.flatnonzero(seg_epoch == 0)
    seg0[seg_lead[first_epoch]] = first_epoch
    q_seg = seg0[quiet]
    n_fit = scan.fit_rules_final.shape[1]
    quiet_plan = QuietPlan(
        lk=core.lk[scan.lead_start[quiet]],
        creation_seq=core.seq[scan.creation[quiet]],
        created_at=core.ts[scan.creation[quiet]],
        last_ts=core.ts[scan.lead_end[quiet] - 1],
        fit=scan.fit_final[quiet],
        engagement=scan.seg_total[q_seg],
        hot=scan.hot_final[quiet],
        fit_rules=(scan.fit_rules_final[quiet] == 1.0) if n_fit else np.zeros((len(quiet), 0), dtype=bool),
        counts=scan.seg_counts[q_seg],
        decayed=scan.seg_decayed[q_seg],
    )

    # Machine leads: their fed rows, the plan's engagement at each, the as-of sums per epoch.
    machine = np.flatnonzero(mode != QUIET)
    rows = scan.machine_rows
    row_lead = np.searchsorted(scan.lead_start, rows, side="right") - 1
    ords = rows - scan.lead_start[row_lead] + 1
    row_off = np.append(np.searchsorted(rows, scan.lead_start[machine]), len(rows)).astype(np.int64)
    lo = np.searchsorted(scan.oracle_rows, rows, side="left")
    hi = np.searchsorted(scan.oracle_rows, rows, side="right")
    per_row = hi - lo
    o_off = np.concatenate([[0], np.cumsum(per_row)]).astype(np.int64)
    take = np.repeat(lo - o_off[:-1], per_row) + np.arange(int(o_off[-1]), dtype=np.int64)
    segs = np.flatnonzero(mode[seg_lead] != QUIET) if len(seg_lead) else np.zeros(0, dtype=np.int64)
    seg_off = np.append(np.searchsorted(seg_lead[segs], machine), len(segs)).astype(np.int64)
    machine_plan = MachinePlan(
        lk=core.lk[scan.lead_start[machine]],
        exact=mode[machine] == EXACT,
        last_ts=core.ts[scan.lead_end[machine] - 1],
        row_off=row_off,
        seqs=core.seq[rows],
        ords=ords.astype(np.int64),
        o_off=o_off,
        o_epochs=scan.oracle_epochs[take],
        o_values=scan.oracle_values[take],
        seg_off=seg_off,
        seg_epoch=seg_epoch[segs],
        seg_total=scan.seg_total[segs],
        seg_counts=scan.seg_counts[segs],
        seg_decayed=scan.seg_decayed[segs],
    )
    stats = dict(scan.stats)
    stats["quiet_leads"] = len(quiet)
    stats["exact_leads"] = int((mode == EXACT).sum())
    stats["replayed_rows"] = len(rows)
    return BucketPlan(quiet_plan, machine_plan, stats)


# --- quiet leads' results, column by column ------------------------------------------------------


def _list_column(offsets: Any, children: dict[str, Any], column: str) -> Any:
    import pyarrow as pa

    struct = result_schema().field(column).type.value_type
    arrays = [pa.array(children[f.name], type=f.type) for f in struct]
    return pa.ListArray.from_arrays(
        pa.array(offsets, type=pa.int32()), pa.StructArray.from_arrays(arrays, fields=list(struct))
    )


def _empty_lists(n: int, column: str) -> Any:
    fields = LIST_FIELDS[column]
    return _list_column(np.zeros(n + 1, dtype=np.int32), {name: [] for name, _ in fields}, column)


def quiet_table(
    a: AgreementSql,
    plan: QuietPlan,
    lead_ids: Any,
    causes: Any,
    *,
    traits: list[str | None] | None = None,
    company: list[str | None] | None = None,
    touches: list[list[dict[str, Any]]] | None = None,
) -> Any:
    """The results of the quiet leads: ``lead_ids`` and ``causes`` (the creation message ids)
    are Arrow string arrays in the plan's order; the detail columns are optional."""
    import pyarrow as pa

    agreement = a.agreement
    n = len(plan.lk)
    n_fit = len(agreement.fit)
    fit_points = np.array([r.points for r in agreement.fit], dtype=np.float64)
    eng_points = np.array([r.points for r in agreement.engagement], dtype=np.float64)
    rule_ids = np.array([r.id for r in agreement.fit] + [r.id for r in agreement.engagement], dtype=object)
    kinds = np.array(["fit"] * n_fit + ["engagement"] * len(eng_points), dtype=object)
    # Reasons: per lead, the fit rules that hold, then the engagement rules that counted, in
    # agreement order (the row-major order of the (lead, rule) matrices).
    held = np.concatenate([plan.fit_rules.reshape(n, n_fit), plan.counts > 0], axis=1)
    fit_matrix = np.broadcast_to(fit_points, (n, n_fit))
    count_matrix = np.concatenate([np.ones((n, n_fit), dtype=np.int64), plan.counts], axis=1)
    points_matrix = np.concatenate([fit_matrix, eng_points * plan.counts], axis=1)
    decayed_matrix = np.concatenate([fit_matrix, plan.decayed], axis=1)
    lead_of, rule = np.nonzero(held)
    reason_off = np.concatenate([[0], np.cumsum(held.sum(axis=1))]).astype(np.int32)
    reasons = _list_column(
        reason_off,
        {
            "rule": rule_ids[rule].tolist(),
            "kind": kinds[rule].tolist(),
            "count": count_matrix[lead_of, rule].astype(np.int64),
            "points": points_matrix[lead_of, rule].astype(np.float64),
            "decayed_points": decayed_matrix[lead_of, rule].astype(np.float64),
        },
        "reasons",
    )
    # History: "lead" (from no earlier stage, as the replay records it), then "mal", both at
    # creation, caused by the creation message.
    at = np.repeat(plan.created_at, 2)
    cause = causes.take(pa.array(np.repeat(np.arange(n, dtype=np.int64), 2)))
    history = _list_column(
        np.arange(0, 2 * n + 1, 2, dtype=np.int32),
        {
            "stage": pa.array(["lead", "mal"] * n, type=pa.string()),
            "at": at,
            "cause": cause,
            "fast_track": np.zeros(2 * n, dtype=bool),
            "from_stage": pa.array([None, "lead"] * n, type=pa.string()),
            "actor_id": pa.array(["system"] * (2 * n), type=pa.string()),
            "actor_role": pa.array(["system"] * (2 * n), type=pa.string()),
            "agreement_version": pa.array([agreement.version] * (2 * n), type=pa.string()),
            "reason": pa.nulls(2 * n, type=pa.string()),
        },
        "history",
    )
    if touches is not None:
        flat = [t for lead in touches for t in lead]
        touch_off = np.concatenate([[0], np.cumsum([len(t) for t in touches])]).astype(np.int32)
        touches_col = _list_column(
            touch_off, {"key": [t["key"] for t in flat], "count": [t["count"] for t in flat]}, "touches"
        )
    else:
        touches_col = _empty_lists(n, "touches")
    schema = result_schema()
    columns = {
        "lead_id": lead_ids,
        "stage": pa.array(["mal"] * n, type=pa.string()),
        "origin": pa.array(["marketing"] * n, type=pa.string()),
        "created_at": pa.array(plan.created_at, type=pa.int64()),
        "score": pa.array(plan.fit + plan.engagement, type=pa.float64()),
        "fit": pa.array(plan.fit, type=pa.float64()),
        "engagement": pa.array(plan.engagement, type=pa.float64()),
        "hot": pa.array(plan.hot, type=pa.bool_()),
        "owner": pa.nulls(n, type=pa.string()),
        "reasons": reasons,
        "history": history,
        "sla": _empty_lists(n, "sla"),
        "errors": _empty_lists(n, "errors"),
        "assignments": _empty_lists(n, "assignments"),
        "traits": pa.array(traits, type=pa.string()) if traits is not None else pa.nulls(n, type=pa.string()),
        "company": pa.array(company, type=pa.string()) if company is not None else pa.nulls(n, type=pa.string()),
        "bant": pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, dtype=np.int32)), pa.array([], type=pa.string())),
        "last_event_at": pa.array(plan.last_ts, type=pa.int64()),
        "touches": touches_col,
    }
    return pa.table(columns, schema=schema)


# --- replay batches --------------------------------------------------------------------------------


@dataclass(slots=True)
class ReplayBatch:
    """Whole leads for the per-lead replay: their rows' canonical columns and the plan."""

    wide: Any
    """Arrow table, :data:`WIDE_COLUMNS`, one row per fed row, in the plan's order."""
    lead_ids: Any
    """Arrow string array, one per lead."""
    plan: MachinePlan
    touches: list[list[dict[str, Any]]] | None = None
    """Per lead (detail runs): touched content as the plan counted it over the whole history."""


def replay_batches(
    plan: MachinePlan,
    wide: Any,
    lead_ids: Any,
    chunk_rows: int,
    touches: list[list[dict[str, Any]]] | None = None,
) -> Iterator[ReplayBatch]:
    """Chunks of whole leads with about ``chunk_rows`` fed rows each."""
    import pyarrow as pa

    n = len(plan)
    start = 0
    while start < n:
        target = int(plan.row_off[start]) + chunk_rows
        stop = int(np.searchsorted(plan.row_off, target, side="left"))
        stop = min(max(stop, start + 1), n)
        part = plan.leads(start, stop)
        r0, r1 = int(plan.row_off[start]), int(plan.row_off[stop])
        # Copies, not slices: a pickled Arrow slice carries its parent's whole buffers, and
        # batches travel to worker processes.
        yield ReplayBatch(
            wide=wide.take(pa.array(np.arange(r0, r1, dtype=np.int64))),
            lead_ids=lead_ids.take(pa.array(np.arange(start, stop, dtype=np.int64))),
            plan=part,
            touches=touches[start:stop] if touches is not None else None,
        )
        start = stop


@dataclass(slots=True)
class Fetched:
    """What a plan needs from the canonical rows: its fed rows' columns, its quiet leads'
    creation message ids, and (detail runs) touches and final traits."""

    wide: Any
    causes: Any
    machine_touches: list[list[dict[str, Any]]] | None = None
    quiet_touches: list[list[dict[str, Any]]] | None = None
    quiet_traits: list[str | None] | None = None
    quiet_company: list[str | None] | None = None


def fetch(rows: SqlRows, plans: list[BucketPlan], *, detail: bool) -> list[Fetched]:
    """Everything the plans need from SQL, so the database can be closed before the replay;
    the canonical columns in one query (a single pass over the canonical rows)."""
    parts: list[Any] = []
    for plan in plans:
        parts += [plan.machine.seqs, plan.quiet.creation_seq]
    table = rows.wide(np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64))
    out: list[Fetched] = []
    at = 0
    for plan in plans:
        n_machine, n_quiet = len(plan.machine.seqs), len(plan.quiet.creation_seq)
        got = Fetched(
            wide=table.slice(at, n_machine),
            causes=table.column("message_id").slice(at + n_machine, n_quiet).combine_chunks(),
        )
        out.append(got)
        at += n_machine + n_quiet
    if detail:
        touches = rows.touches()
        own, company = rows.final_traits()
        for plan, got in zip(plans, out, strict=True):
            got.machine_touches = [touches.get(lk, []) for lk in plan.machine.lk.tolist()]
            got.quiet_touches = [touches.get(lk, []) for lk in plan.quiet.lk.tolist()]
            got.quiet_traits = [own.get(lk, "{}") for lk in plan.quiet.lk.tolist()]
            got.quiet_company = [company.get(lk, "{}") for lk in plan.quiet.lk.tolist()]
    return out


def quiet_results(a: AgreementSql, plan: BucketPlan, lead_ids: Any, fetched: Fetched) -> Any:
    """The quiet leads' results table (``lead_ids``: the lead id of each lead key)."""
    import pyarrow as pa

    q = plan.quiet
    return quiet_table(
        a,
        q,
        lead_ids.take(pa.array(q.lk)),
        fetched.causes,
        traits=fetched.quiet_traits,
        company=fetched.quiet_company,
        touches=fetched.quiet_touches,
    )


def machine_batches(plan: BucketPlan, lead_ids: Any, fetched: Fetched, chunk_rows: int) -> Iterator[ReplayBatch]:
    """The machine leads of ``plan`` in replay batches, with their rows' canonical columns."""
    import pyarrow as pa

    m = plan.machine
    if len(m) == 0:
        return
    ids = lead_ids.take(pa.array(m.lk))
    yield from replay_batches(m, fetched.wide, ids, chunk_rows, fetched.machine_touches)


# --- reading the inputs from a DuckDB relation ----------------------------------------------------


def type_code_sql(column: str = "type") -> str:
    return (
        "CAST(CASE "
        + column
        + " "
        + " ".join(f"WHEN '{t}' THEN {c}" for t, c in TYPE_CODES.items())
        + " END AS TINYINT)"
    )


def action_code_sql(column: str = "action") -> str:
    cases = " ".join(f"WHEN '{a}' THEN {c}" for a, c in ACTION_CODES.items())
    return f"CAST(CASE {column} {cases} ELSE -1 END AS TINYINT)"


def traits_from_arrow(table: Any, verdicts: TraitVerdicts, empty: dict[str, Any]) -> Traits:
    """The trait-rows query's result (``trait_rows_sql``) as the scan's input."""
    columns = {
        name: table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)
        for name in verdicts.names()
        if name != "fit_unsure"
    }
    fit_t = table.column("fit_t").to_numpy(zero_copy_only=False).astype(np.float64)
    unsure = table.column("fit_unsure").to_numpy(zero_copy_only=False).astype(bool)
    unsure |= table.column("row_unsure").to_numpy(zero_copy_only=False).astype(bool)
    unsure |= np.isnan(fit_t)
    columns["fit_t"] = np.nan_to_num(fit_t)
    empty_floats = {k: float(v) if v is not None else 0.5 for k, v in empty.items() if k != "fit_unsure"}
    if empty["fit_unsure"] or empty["fit_t"] is None:
        unsure[:] = True  # conditions unsure even without traits: leave every lead to the replay
    return Traits(columns, empty_floats, unsure)


def traits_slice(traits: Traits, lo: int, hi: int) -> Traits:
    return Traits({k: v[lo:hi] for k, v in traits.columns.items()}, traits.empty, traits.unsure[lo:hi])


class SqlRows:
    """A bucket's inputs read from DuckDB relations.

    ``wide`` has the canonical columns (:data:`WIDE_COLUMNS`, unique ``seq``); ``placed`` has
    them plus the lead key ``lk`` and the rule matches (it may be the same relation).
    """

    def __init__(self, con: Any, a: AgreementSql, *, wide: str, placed: str) -> None:
        self.con = con
        self.a = a
        self.wide_rel = wide
        self.placed = placed
        self.verdicts = TraitVerdicts.of(a)
        self.n_masks = max(1, -(-len(a.agreement.engagement) // RULES_PER_MASK))

    def core(self) -> Core:
        masks = ", ".join(f"mask_{m}" for m in range(self.n_masks))
        table = self.con.sql(
            f"""SELECT lk, ts, seq, {type_code_sql()} AS type_code, {action_code_sql()} AS action_code,
                user_id IS NOT NULL AS is_user, opaque, watched_code, {masks}, match_unsure
            FROM {self.placed} ORDER BY lk, ts, seq"""
        ).to_arrow_table()
        return core_from_arrow(table, self.n_masks)

    def traits(self) -> Traits:
        table = self.con.sql(trait_rows_sql(self.a, self.verdicts, self.placed)).to_arrow_table()
        return traits_from_arrow(table, self.verdicts, empty_verdicts(self.con, self.a, self.verdicts))

    def lead_ids(self) -> Any:
        """Lead ids by lead key (``lk`` is dense from 0 in the relation)."""
        return (
            self.con.sql(f"SELECT any_value(lead_id) AS lead_id FROM {self.placed} GROUP BY lk ORDER BY lk")
            .to_arrow_table()
            .column("lead_id")
            .combine_chunks()
        )

    def wide(self, seqs: Any) -> Any:
        """The canonical columns of the rows with these ``seq`` values, in that order."""
        import pyarrow as pa

        seqs = np.asarray(seqs, dtype=np.int64)
        self.con.register("_want", pa.table({"seq": seqs}))
        columns = ", ".join(f"r.{c}" for c in WIDE_COLUMNS)
        table = self.con.sql(
            f"SELECT {columns} FROM {self.wide_rel} r SEMI JOIN _want w ON r.seq = w.seq"
        ).to_arrow_table()
        self.con.unregister("_want")
        if table.num_rows != len(seqs):
            raise AssertionError(f"{len(seqs) - table.num_rows} planned rows not found by seq")
        got = table.column("seq").to_numpy()
        order = np.argsort(got, kind="stable")
        position = np.searchsorted(got[order], seqs)
        return table.take(pa.array(order[position]))

    def touches(self) -> dict[int, list[dict[str, Any]]]:
        """Per lead key: touched content (``event:<name>``/``page:<path>``) with counts, by key."""
        found = self.con.execute(
            f"""SELECT lk, list({{'key': key, 'count': n}} ORDER BY key) FROM (
                SELECT lk, CASE WHEN type = 'track' THEN 'event:' || coalesce(event, '')
                    ELSE 'page:' || coalesce(path, '') END AS key, count(*) AS n
                FROM {self.placed} WHERE type IN ('page', 'track') GROUP BY ALL
            ) GROUP BY lk"""
        ).fetchall()
        return {int(lk): touched for lk, touched in found}

    def final_traits(self) -> tuple[dict[int, str], dict[int, str]]:
        """Per lead key: final traits and company traits as JSON text (leads without any are
        absent): the newest value per key (``null`` removes it), ``email_domain`` following
        ``email``."""
        strip = sc.text(" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f")
        pointer = "'/' || replace(replace(key, '~', '~0'), '/', '~1')"
        found = self.con.execute(
            f"""WITH src AS (SELECT lk, ts, seq, type, traits FROM {self.placed}
                             WHERE type IN ('identify', 'group') AND NOT opaque),
            changes AS (
                SELECT lk, ts, seq, type, key, json_extract(traits, {pointer}) AS value
                FROM (SELECT *, unnest(json_keys(traits)) AS key FROM src)
                WHERE NOT (type = 'identify' AND key = 'email_domain' AND json_type(traits, '/email') IS NOT NULL)
                UNION ALL
                SELECT lk, ts, seq, type, 'email_domain',
                    CASE WHEN json_type(traits, '/email') = 'VARCHAR' AND contains(traits ->> '/email', '@')
                    THEN to_json(lower(trim(regexp_extract(traits ->> '/email', '@([^@]*)$', 1), {strip}))) END
                FROM src WHERE type = 'identify' AND json_type(traits, '/email') IS NOT NULL
            ),
            latest AS (SELECT lk, type, key, arg_max(value, (ts, seq)) AS value FROM changes GROUP BY ALL)
            SELECT lk, type, CAST(json_group_object(key, value) AS VARCHAR) FROM latest
            WHERE value IS NOT NULL AND json_type(value) <> 'NULL' GROUP BY lk, type"""
        ).fetchall()
        own: dict[int, str] = {}
        company: dict[int, str] = {}
        for lk, kind, text in found:
            (own if kind == "identify" else company)[int(lk)] = text
        return own, company
