"""One bucket of leads through the relational plan: SQL in, scan, and what the replay needs out.

The same code runs for the embedded engine (buckets of lead keys, one DuckDB database) and
inside Spark tasks (one bucket per task, an in-memory DuckDB over the task's rows), so both
engines compute with one definition. Input: a DuckDB table of the bucket's placed rows (the
canonical columns plus ``lead_id`` and the integer ``lk``). Output: the quiet leads' results,
and the rows and per-lead data the per-lead replay needs for every other lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from leadpact.adapters.batch import sql_compile as sc
from leadpact.adapters.batch.agreement_sql import AgreementSql
from leadpact.adapters.batch.matching import RULES_PER_MASK
from leadpact.adapters.batch.results_table import result_schema
from leadpact.adapters.batch.scan import (
    ACTION_CODES,
    EXACT,
    QUIET,
    REDUCED,
    TYPE_CODES,
    BucketScan,
    ScanResult,
    Traits,
    core_from_arrow,
)
from leadpact.adapters.batch.trait_rows import TraitVerdicts, empty_verdicts, trait_rows_sql

WIDE_COLUMNS = (
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


@dataclass(frozen=True, slots=True)
class BucketOutput:
    quiet: Any
    """Arrow results table of the leads finished without the replay."""
    machine_rows: Any
    """Arrow table: rows to feed, per lead in order, with the plan's engagement per epoch."""
    machine_leads: Any
    """Arrow table: per lead to replay: mode, last event time, touches, as-of engagement."""
    stats: dict[str, int]


class BucketRunner:
    def __init__(self, agreement_sql: AgreementSql, as_of: int, *, detail: bool) -> None:
        self.a = agreement_sql
        self.as_of = as_of
        self.detail = detail
        """Also compute traits, company traits and touches (for the reports)."""
        self.verdicts = TraitVerdicts.of(agreement_sql)
        self.n_masks = max(1, -(-len(agreement_sql.agreement.engagement) // RULES_PER_MASK))

    # --- SQL: the narrow input --------------------------------------------------------------
    def core_sql(self, rows: str) -> str:
        """The scan's narrow input: codes instead of strings, sorted by lead and time."""
        type_code = "CASE type " + " ".join(f"WHEN '{t}' THEN {c}" for t, c in TYPE_CODES.items()) + " END"
        action_code = (
            "CASE action " + " ".join(f"WHEN '{a}' THEN {c}" for a, c in ACTION_CODES.items()) + " ELSE -1 END"
        )
        masks = ", ".join(f"mask_{m}" for m in range(self.n_masks))
        return f"""
            SELECT lk, ts, seq, CAST({type_code} AS TINYINT) AS type_code,
                CAST({action_code} AS TINYINT) AS action_code,
                user_id IS NOT NULL AS is_user, opaque, watched_code, {masks}, match_unsure
            FROM {rows} ORDER BY lk, ts, seq"""

    def traits(self, con: Any, rows: str) -> Traits:
        table = con.sql(trait_rows_sql(self.a, self.verdicts, rows)).to_arrow_table()
        names = self.verdicts.names()
        columns = {
            name: table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)
            for name in names
            if name != "fit_unsure"
        }
        fit_t = table.column("fit_t").to_numpy(zero_copy_only=False)
        unsure = table.column("fit_unsure").to_numpy(zero_copy_only=False).astype(bool)
        unsure |= table.column("row_unsure").to_numpy(zero_copy_only=False).astype(bool)
        unsure |= np.isnan(fit_t.astype(np.float64))
        columns["fit_t"] = np.nan_to_num(fit_t.astype(np.float64))
        empty = empty_verdicts(con, self.a, self.verdicts)
        empty_floats = {k: float(v) if v is not None else 0.5 for k, v in empty.items() if k != "fit_unsure"}
        if empty["fit_unsure"] or empty["fit_t"] is None:
            unsure[:] = True  # conditions unsure even without traits: leave every lead to the replay
        return Traits(columns, empty_floats, unsure)

    # --- the run ------------------------------------------------------------------------------
    def run(self, con: Any, rows: str) -> BucketOutput:
        core_table = con.sql(self.core_sql(rows)).to_arrow_table()
        core = core_from_arrow(core_table, self.n_masks)
        traits = self.traits(con, rows)
        scan = BucketScan(self.a, self.verdicts, self.as_of).run(core, traits)
        leads = self._lead_ids(con, rows)
        wide = self._wide(con, rows, core.seq[scan.machine_rows])
        quiet = self._quiet(con, rows, scan, core, leads)
        machine_rows, machine_leads = self._machine(con, rows, scan, core, leads, wide)
        stats = dict(scan.stats)
        stats["quiet_leads"] = int((scan.mode == QUIET).sum())
        stats["exact_leads"] = int((scan.mode == EXACT).sum())
        stats["replayed_rows"] = len(scan.machine_rows)
        return BucketOutput(quiet, machine_rows, machine_leads, stats)

    def _lead_ids(self, con: Any, rows: str) -> list[str]:
        """Lead ids in lead-key order (the scan's lead order)."""
        return [r[0] for r in con.execute(f"SELECT lead_id FROM {rows} GROUP BY lk, lead_id ORDER BY lk").fetchall()]

    def _wide(self, con: Any, rows: str, seqs: Any) -> Any:
        import pyarrow as pa

        con.register("_want", pa.table({"seq": pa.array(seqs, type=pa.int64())}))
        columns = ", ".join(f"r.{c}" for c in WIDE_COLUMNS)
        table = con.sql(
            f"SELECT {columns} FROM {rows} r SEMI JOIN _want w ON r.seq = w.seq ORDER BY r.lk, r.ts, r.seq"
        ).to_arrow_table()
        con.unregister("_want")
        return table

    def _touches(self, con: Any, rows: str, lks: Any) -> dict[int, list[dict[str, Any]]]:
        if not self.detail or len(lks) == 0:
            return {}
        import pyarrow as pa

        con.register("_lks", pa.table({"lk": pa.array(lks, type=pa.int64())}))
        found = con.execute(
            f"""SELECT lk, list({{'key': key, 'count': n}} ORDER BY key) FROM (
                SELECT lk, CASE WHEN type = 'track' THEN 'event:' || coalesce(event, '')
                    ELSE 'page:' || coalesce(path, '') END AS key, count(*) AS n
                FROM {rows} SEMI JOIN _lks USING (lk) WHERE type IN ('page', 'track') GROUP BY ALL
            ) GROUP BY lk"""
        ).fetchall()
        con.unregister("_lks")
        return dict(found)

    # --- quiet leads ----------------------------------------------------------------------------
    def _quiet(self, con: Any, rows: str, scan: ScanResult, core: Any, leads: list[str]) -> Any:
        import pyarrow as pa

        quiet = np.flatnonzero(scan.mode == QUIET)
        creation_rows = scan.creation[quiet]
        causes = self._causes(con, rows, core.seq[creation_rows])
        engagement = self.a.agreement.engagement
        fit_rules = self.a.agreement.fit
        eng0 = {int(s): i for i, s in enumerate(np.flatnonzero(scan.seg_epoch == 0))}
        seg_of_lead = {int(scan.seg_lead[s]): s for s in eng0}
        lks = core.lk[scan.lead_start[quiet]]
        touches = self._touches(con, rows, lks)
        traits = self._final_traits(con, rows, lks)
        out: dict[str, list[Any]] = {name: [] for name in result_schema().names}
        version = self.a.agreement.version
        for k, lead in enumerate(quiet):
            seg = seg_of_lead[int(lead)]
            fit = float(scan.fit_final[lead])
            eng = float(scan.seg_total[seg])
            at = int(core.ts[creation_rows[k]])
            cause = causes[k]
            reasons = [
                {"rule": r.id, "kind": "fit", "count": 1, "points": r.points, "decayed_points": r.points}
                for i, r in enumerate(fit_rules)
                if scan.fit_rules_final[lead, i] == 1.0
            ]
            counts = scan.seg_counts[seg]
            decayed = scan.seg_decayed[seg]
            reasons += [
                {
                    "rule": r.id,
                    "kind": "engagement",
                    "count": int(counts[i]),
                    "points": r.points * int(counts[i]),
                    "decayed_points": float(decayed[i]),
                }
                for i, r in enumerate(engagement)
                if counts[i] > 0
            ]
            entry = {
                "at": at,
                "cause": cause,
                "fast_track": False,
                "actor_id": "system",
                "actor_role": "system",
                "agreement_version": version,
                "reason": None,
            }
            lk = int(core.lk[scan.lead_start[lead]])
            lead_traits = traits.get(lk, ("{}", "{}"))
            values = {
                "lead_id": leads[lead],
                "stage": "mal",
                "origin": "marketing",
                "created_at": at,
                "score": fit + eng,
                "fit": fit,
                "engagement": eng,
                "hot": bool(scan.hot_final[lead]),
                "owner": None,
                "reasons": reasons,
                "history": [
                    # As the replay records it: the creation entry comes from no earlier stage.
                    {"stage": "lead", "from_stage": None, **entry},
                    {"stage": "mal", "from_stage": "lead", **entry},
                ],
                "sla": [],
                "errors": [],
                "assignments": [],
                "traits": lead_traits[0] if self.detail else None,
                "company": lead_traits[1] if self.detail else None,
                "bant": [],
                "last_event_at": int(core.ts[scan.lead_end[lead] - 1]),
                "touches": touches.get(lk, []),
            }
            for name, value in values.items():
                out[name].append(value)
        return pa.table(out, schema=result_schema())

    def _causes(self, con: Any, rows: str, seqs: Any) -> list[str]:
        import pyarrow as pa

        con.register("_causes", pa.table({"seq": pa.array(seqs, type=pa.int64()), "i": pa.array(np.arange(len(seqs)))}))
        found = con.execute(
            f"SELECT c.i, r.message_id FROM _causes c JOIN {rows} r USING (seq) ORDER BY c.i"
        ).fetchall()
        con.unregister("_causes")
        return [message_id for _, message_id in found]

    def _final_traits(self, con: Any, rows: str, lks: Any) -> dict[int, tuple[str, str]]:
        """Final traits and company traits of the given leads, as JSON text: the newest value
        per key (``null`` removes it), ``email_domain`` following ``email``."""
        if not self.detail or len(lks) == 0:
            return {}
        import pyarrow as pa

        con.register("_lks", pa.table({"lk": pa.array(lks, type=pa.int64())}))
        strip = sc.text(" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f")
        pointer = "'/' || replace(replace(key, '~', '~0'), '/', '~1')"
        found = con.execute(
            f"""WITH src AS (SELECT lk, ts, seq, type, traits FROM {rows} SEMI JOIN _lks USING (lk)
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
        con.unregister("_lks")
        out: dict[int, tuple[str, str]] = {}
        for lk, kind, text in found:
            own, company = out.get(int(lk), ("{}", "{}"))
            out[int(lk)] = (text, company) if kind == "identify" else (own, text)
        return out

    # --- leads for the replay ---------------------------------------------------------------------
    def _machine(
        self, con: Any, rows: str, scan: ScanResult, core: Any, leads: list[str], wide: Any
    ) -> tuple[Any, Any]:
        import pyarrow as pa

        machine_rows = scan.machine_rows
        n = len(core.lk)
        lead_of = np.zeros(n, dtype=np.int64)
        if n:
            lead_of = np.repeat(np.arange(len(scan.lead_start)), scan.lead_end - scan.lead_start)
        row_lead = lead_of[machine_rows]
        ords = machine_rows - scan.lead_start[row_lead] + 1
        # The plan's engagement per epoch at each fed row (reduced leads only).
        lo = np.searchsorted(scan.oracle_rows, machine_rows, side="left")
        hi = np.searchsorted(scan.oracle_rows, machine_rows, side="right")
        offsets = np.concatenate([[0], np.cumsum(hi - lo)]).astype(np.int32)
        take = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)]) if len(lo) else np.zeros(0, int)
        epochs = pa.ListArray.from_arrays(pa.array(offsets), pa.array(scan.oracle_epochs[take], type=pa.int64()))
        values = pa.ListArray.from_arrays(pa.array(offsets), pa.array(scan.oracle_values[take], type=pa.float64()))
        lead_ids = pa.array([leads[i] for i in row_lead], type=pa.string())
        table = wide.append_column("lead_id", lead_ids).append_column("ord", pa.array(ords, type=pa.int64()))
        table = table.append_column("eng_epochs", epochs).append_column("eng_values", values)

        machine = np.flatnonzero(scan.mode != QUIET)
        lks = core.lk[scan.lead_start[machine]] if len(machine) else np.zeros(0, dtype=np.int64)
        touches = self._touches(con, rows, lks)
        finals: list[list[dict[str, Any]]] = [[] for _ in machine]
        position = {int(lead): k for k, lead in enumerate(machine)}
        for s in range(len(scan.seg_lead)):
            k = position.get(int(scan.seg_lead[s]))
            if k is not None and scan.mode[machine[k]] == REDUCED:
                finals[k].append(
                    {
                        "e": int(scan.seg_epoch[s]),
                        "total": float(scan.seg_total[s]),
                        "counts": scan.seg_counts[s].tolist(),
                        "decayed": scan.seg_decayed[s].tolist(),
                    }
                )
        lead_table = pa.table(
            {
                "lead_id": pa.array([leads[i] for i in machine], type=pa.string()),
                "exact": pa.array(scan.mode[machine] == EXACT),
                "last_ts": pa.array(core.ts[scan.lead_end[machine] - 1] if len(machine) else [], type=pa.int64()),
                "touches": pa.array(
                    [touches.get(int(lk), []) for lk in lks],
                    type=pa.list_(pa.struct([("key", pa.string()), ("count", pa.int64())])),
                ),
                "finals": pa.array(
                    finals,
                    type=pa.list_(
                        pa.struct(
                            [
                                ("e", pa.int64()),
                                ("total", pa.float64()),
                                ("counts", pa.list_(pa.int64())),
                                ("decayed", pa.list_(pa.float64())),
                            ]
                        )
                    ),
                ),
            }
        )
        return table, lead_table
