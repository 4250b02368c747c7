"""The vectorised half of a batch run: one pass over a bucket's rows, sorted by lead and time.

Input is narrow (lead key, timestamp, arrival, type, action, which engagement rules each row
matches) plus the trait verdicts at identify/group rows (``trait_rows``). With numpy this
computes, for every row, the lead's engagement under every *epoch* (an epoch starts at the
lead's creation and at each recycling action, because the replay resets engagement at an
accepted recycle and only the replay knows which are accepted), its fit, and the verdict of
every score comparison of the MQL/SQL criteria. From these it decides each lead's mode:

* ``QUIET`` — no actions, and exclusions and the MQL/SQL criteria certainly never hold from its
  creation on: finished here (``lead`` → ``mal`` at creation, scores as of ``as_of``);
* ``REDUCED`` — replayed by the reference per-lead machine on the rows where something can
  happen, with engagement read from this scan (``oracle.PlannedEngagement``);
* ``EXACT`` — anything this scan is not certain about: replayed row by row like ``replay``.

Sums that decide a threshold are compared with a margin for float noise; inside the margin
the lead is ``EXACT``. Sums that are reported (as of ``as_of``) are folded in the same order as
``Engagement.explain`` (``np.bincount`` adds in index order), so they are bit-identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from leadpact.adapters.batch.agreement_sql import AgreementSql
from leadpact.adapters.batch.kleene import Leaves, Verdicts, evaluate, score_verdict
from leadpact.adapters.batch.matching import RULES_PER_MASK
from leadpact.adapters.batch.trait_rows import TraitVerdicts
from leadpact.domain.conditions import TraitCond
from leadpact.domain.messages import ACTIONS

QUIET: Final = 0
REDUCED: Final = 1
EXACT: Final = 2

TYPE_CODES: Final = {"identify": 0, "track": 1, "page": 2, "group": 3, "action": 4}
ACTION_CODES: Final = {name: i for i, name in enumerate(ACTIONS)}
_RECYCLING: Final = tuple(ACTION_CODES[a] for a in ("reject", "recycle", "lose"))
_SGL: Final = ACTION_CODES["create_sgl"]
HALF_LIFE_SPAN_LIMIT: Final = 1000.0
"""Half-lives a lead's history may span before the scaled sums could overflow."""
_KEY_BITS: Final = 2**62

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


@dataclass(slots=True)
class Core:
    """One bucket's rows, sorted by (lead, timestamp, arrival)."""

    lk: I64
    ts: I64
    seq: I64
    type: npt.NDArray[np.int8]
    action: npt.NDArray[np.int8]
    """Index in ``messages.ACTIONS``; -1 for other types."""
    is_user: B
    opaque: B
    watched: npt.NDArray[np.int16]
    """Index in ``AgreementSql.watched`` for track rows with a watched name; else -1."""
    masks: list[npt.NDArray[np.uint64]]
    """Engagement rules matched, as bit masks of :data:`RULES_PER_MASK` rules each."""
    match_unsure: B


@dataclass(slots=True)
class Traits:
    """The trait verdicts at identify/group rows (same order as the core's such rows)."""

    columns: dict[str, F64]
    empty: dict[str, float]
    unsure: B
    """Rows whose fit (or a trait SQL could not read) is unsure."""


@dataclass(slots=True)
class ScanResult:
    lead_start: I64
    lead_end: I64
    mode: npt.NDArray[np.int8]
    creation: I64
    """Row index of each lead's creation (-1: never created by a data message)."""
    fit_final: F64
    hot_final: B
    fit_rules_final: F64
    """(leads, fit rules): verdicts on the final traits (quiet leads only are meaningful)."""
    machine_rows: I64
    """Row indices to feed the per-lead replay (machine leads, in order)."""
    oracle_rows: I64
    oracle_epochs: I64
    oracle_values: F64
    """(row, epoch, engagement) for the machine rows of reduced leads, sorted by row."""
    seg_lead: I64
    seg_epoch: I64
    seg_total: F64
    seg_counts: I64
    """(segments, rules): contributions counted as of ``as_of``."""
    seg_decayed: F64
    """(segments, rules): points after decay as of ``as_of``."""
    stats: dict[str, int] = field(default_factory=dict)


def _segmented_cumsum(values: F64, starts: I64, lengths: I64, exact_scale: float | None) -> F64:
    """Running sums restarting at each segment (segments are contiguous runs of ``values``)."""
    if len(values) == 0:
        return values.copy()
    if exact_scale is not None:
        # All values are multiples of 1/scale: integer arithmetic is exact, so the restart by
        # subtraction is exact too (and matches the replay's float sums of the same numbers).
        scaled = np.rint(values * exact_scale).astype(np.int64)
        total = np.cumsum(scaled)
        base = np.repeat(np.where(starts > 0, total[np.maximum(starts - 1, 0)], 0), lengths)
        return np.asarray((total - base).astype(np.float64) / exact_scale, dtype=np.float64)
    import pandas as pd

    seg_id = np.repeat(np.arange(len(lengths)), lengths)
    return np.asarray(pd.Series(values).groupby(seg_id, sort=False).cumsum().to_numpy(), dtype=np.float64)


def _exact_scale(numbers: list[float]) -> float | None:
    """A power of two making every number an integer (small enough for int64 sums), if any."""
    for bits in range(0, 21):
        scale = float(2**bits)
        if all(float(n * scale).is_integer() and abs(n * scale) < 2**31 for n in numbers):
            return scale
    return None


class BucketScan:
    def __init__(self, agreement_sql: AgreementSql, verdicts: TraitVerdicts, as_of: int) -> None:
        self.a = agreement_sql
        self.verdicts = verdicts
        self.as_of = as_of
        engagement = agreement_sql.agreement.engagement
        self.points = np.array([r.points for r in engagement], dtype=np.float64)
        self.limits = [r.max_count for r in engagement]

    # --- helpers --------------------------------------------------------------------------
    def run(self, core: Core, traits: Traits) -> ScanResult:
        n = len(core.lk)
        new = np.ones(n, dtype=bool)
        if n:
            new[1:] = core.lk[1:] != core.lk[:-1]
        starts = np.flatnonzero(new).astype(np.int64)
        ends = np.append(starts[1:], n).astype(np.int64)
        n_leads = len(starts)
        lead_of = (np.cumsum(new) - 1).astype(np.int64)
        rows = np.arange(n, dtype=np.int64)
        ord_ = rows - starts[lead_of] + 1

        is_action = core.type == TYPE_CODES["action"]
        has_action = np.bincount(lead_of[is_action], minlength=n_leads) > 0
        has_sgl = np.bincount(lead_of[core.action == _SGL], minlength=n_leads) > 0
        creation = np.full(n_leads, -1, dtype=np.int64)
        candidates = np.flatnonzero(core.is_user & ~is_action)
        if len(candidates):
            leads_with, first = np.unique(lead_of[candidates], return_index=True)
            creation[leads_with] = candidates[first]

        # Trait verdicts carried forward to every row.
        is_trait = ((core.type == TYPE_CODES["identify"]) | (core.type == TYPE_CODES["group"])) & ~core.opaque
        trait_pos = np.flatnonzero(is_trait)
        last = np.maximum.accumulate(np.where(is_trait, rows, -1)) if n else rows
        has_trait = last >= starts[lead_of]
        trait_index = np.searchsorted(trait_pos, np.maximum(last, 0))

        def carried(name: str) -> F64:
            values = traits.columns[name]
            if len(values) == 0:
                return np.full(n, traits.empty[name], dtype=np.float64)
            return np.where(has_trait, values[np.minimum(trait_index, len(values) - 1)], traits.empty[name])

        fit_row = carried("fit_t")
        exact_pre = (np.bincount(lead_of[core.opaque | core.match_unsure], minlength=n_leads) > 0) | has_sgl
        if len(trait_pos):
            exact_pre |= np.bincount(lead_of[trait_pos[traits.unsure]], minlength=n_leads) > 0
        decay = self.a.decay
        if decay.kind == "half" and n:
            span = (core.ts[ends - 1] - core.ts[starts]).astype(np.float64) / decay.half_life_us
            exact_pre |= span > HALF_LIFE_SPAN_LIMIT

        # Epoch segments: each lead from its first row, and after each recycling action.
        live = ~exact_pre
        seg_start = [starts[live]]
        seg_lead = [np.flatnonzero(live).astype(np.int64)]
        seg_epoch = [np.zeros(int(live.sum()), dtype=np.int64)]
        if self.a.reset_engagement:
            recycle = np.flatnonzero(np.isin(core.action, _RECYCLING) & live[lead_of])
            seg_start.append(recycle + 1)
            seg_lead.append(lead_of[recycle])
            seg_epoch.append(ord_[recycle])
        s_start = np.concatenate(seg_start)
        s_lead = np.concatenate(seg_lead)
        s_epoch = np.concatenate(seg_epoch)
        order = np.lexsort((s_epoch, s_lead))
        s_start, s_lead, s_epoch = s_start[order], s_lead[order], s_epoch[order]
        s_end = ends[s_lead]
        s_len = s_end - s_start
        n_seg = len(s_start)
        x_start = np.concatenate([[0], np.cumsum(s_len)[:-1]]).astype(np.int64) if n_seg else s_start
        total_x = int(s_len.sum())
        seg_of_x = np.repeat(np.arange(n_seg, dtype=np.int64), s_len)
        xrow = (np.arange(total_x, dtype=np.int64) - np.repeat(x_start - s_start, s_len)) if total_x else seg_of_x
        xts = core.ts[xrow]

        # Contributions (max_count per epoch), points per row, and the as-of explanation.
        weight = self._weights(xts)
        pts = np.zeros(total_x, dtype=np.float64)
        n_rules = len(self.points)
        seg_counts = np.zeros((n_seg, n_rules), dtype=np.int64)
        seg_decayed = np.zeros((n_seg, n_rules), dtype=np.float64)
        seg_total = np.zeros(n_seg, dtype=np.float64)
        masks_x = [mask[xrow] for mask in core.masks]
        for rule in range(n_rules):
            # The (expanded) rows this rule matches, in order; within max_count of their epoch.
            mask = masks_x[rule // RULES_PER_MASK]
            hits = np.flatnonzero((mask & np.uint64(1 << (rule % RULES_PER_MASK))) != 0)
            seg_hits = seg_of_x[hits]
            limit = self.limits[rule]
            if limit is not None and len(hits):
                # Rank of each hit within its segment (hits are sorted, so are their segments).
                rank = np.arange(len(hits)) - np.searchsorted(seg_hits, seg_hits, side="left") + 1
                hits, seg_hits = hits[rank <= limit], seg_hits[rank <= limit]
            pts[hits] += self.points[rule]  # rule by rule, in agreement order, like the replay
            counts = np.bincount(seg_hits, minlength=n_seg)
            wsum = np.bincount(seg_hits, weights=weight[hits], minlength=n_seg)
            seg_counts[:, rule] = counts
            seg_decayed[:, rule] = self.points[rule] * wsum
            seg_total = np.where(counts > 0, seg_total + seg_decayed[:, rule], seg_total)

        eng = self._engagement(pts, xts, x_start, s_len, seg_of_x)
        xfit = fit_row[xrow]

        # Score comparisons of the MQL/SQL criteria: unsure anywhere → exact; turns → kept rows.
        unsure_lead = np.zeros(n_leads, dtype=bool)
        turned = np.zeros(n, dtype=bool)
        first_of_seg = np.zeros(total_x, dtype=bool)
        first_of_seg[x_start[s_len > 0]] = True
        for atom in self.a.atoms:
            verdict = score_verdict(self._score(atom.kind, xfit, eng), atom.value)
            unsure_lead |= np.bincount(s_lead[seg_of_x[verdict == 0.5]], minlength=n_leads) > 0
            if total_x:
                change = np.zeros(total_x, dtype=bool)
                change[1:] = verdict[1:] != verdict[:-1]
                change &= ~first_of_seg
                turned[xrow[change]] = True
        fit_final = fit_row[ends - 1] if n else np.zeros(0)
        for atom in self.a.hot_atoms:
            verdict = score_verdict(self._score(atom.kind, fit_final[s_lead], seg_total), atom.value)
            unsure_lead |= np.bincount(s_lead[verdict == 0.5], minlength=n_leads) > 0
        exact = exact_pre | unsure_lead

        # Quiet leads: the criteria, evaluated at every row from creation on, never hold.
        epoch0 = s_epoch == 0
        x0 = np.repeat(epoch0, s_len)
        rows0 = xrow[x0]
        eng0 = np.zeros(n, dtype=np.float64)
        eng0[rows0] = eng[x0]
        seen = self._seen(core, lead_of, starts)
        atoms = {id(atom): i for i, atom in enumerate(self.verdicts.atoms)}

        def trait_leaf(node: TraitCond) -> Verdicts:
            return carried(f"atom_{atoms[id(node)]}")

        leaves = Leaves(
            score=lambda kind: self._score(kind, fit_row, eng0),
            trait=trait_leaf,
            seen=lambda names: seen[names].astype(np.float64),
            bant=lambda needed: np.full(n, 1.0 if needed <= 0 else 0.0),
        )
        stages = self.a.agreement.stages
        candidate = ~exact & ~has_action & (creation >= 0)
        risk = carried("excl")
        risk = np.maximum(risk, evaluate(stages.mql, leaves))
        if stages.sql is not None:
            risk = np.maximum(risk, evaluate(stages.sql, leaves))
        after_creation = rows >= creation[lead_of]
        risky = np.bincount(lead_of[after_creation & (risk != 0.0)], minlength=n_leads) > 0
        quiet = candidate & ~risky

        # The hot flag of quiet leads, on the final state (epoch 0, no BANT for quiet leads).
        eng_final0 = np.zeros(n_leads, dtype=np.float64)
        eng_final0[s_lead[epoch0]] = seg_total[epoch0]
        hot_final = np.zeros(n_leads, dtype=bool)
        if stages.hot is not None and n:
            last_rows = ends - 1
            final_leaves = Leaves(
                score=lambda kind: self._score(kind, fit_final, eng_final0),
                trait=lambda node: trait_leaf(node)[last_rows],
                seen=lambda names: seen[names][last_rows].astype(np.float64),
                bant=lambda needed: np.full(n_leads, 1.0 if needed <= 0 else 0.0),
            )
            hot = evaluate(stages.hot, final_leaves)
            quiet &= hot != 0.5
            hot_final = hot == 1.0
        fit_rules_final = (
            np.stack([carried(f"fit_{i}")[ends - 1] for i in range(self.verdicts.fit_rules)], axis=1)
            if self.verdicts.fit_rules and n
            else np.zeros((n_leads, 0))
        )

        mode = np.where(exact, EXACT, np.where(quiet, QUIET, REDUCED)).astype(np.int8)

        # Rows the machine needs: structure, watched events, creation, after a recycling
        # action, and where a score comparison turns. Exact leads: every row.
        # The replay does not evaluate after a refused or recycling action, so the score
        # verdicts it last saw may be older than the action row's: the first data row after
        # any action is where evaluation resumes, and is fed.
        # It is needed only if the state changed without evaluation (a recycling action) or a
        # score verdict turned since the previous data row (the action rows included).
        after_action = np.zeros(n, dtype=bool)
        if n:
            last_action = np.maximum.accumulate(np.where(is_action, rows, -1))
            last_recycle = np.maximum.accumulate(np.where(np.isin(core.action, _RECYCLING), rows, -1))
            last_data = np.maximum.accumulate(np.where(~is_action, rows, -1))
            data_before = np.concatenate([[-1], last_data[:-1]])
            turns_so_far = np.cumsum(turned)
            turned_since = turns_so_far - np.where(data_before >= 0, turns_so_far[np.maximum(data_before, 0)], 0) > 0
            after_action = (
                ~is_action
                & (last_action > data_before)
                & (last_action >= starts[lead_of])
                & ((last_recycle > data_before) | turned_since)
            )
        structural = (core.type == TYPE_CODES["action"]) | is_trait | (core.type == TYPE_CODES["identify"])
        structural |= core.type == TYPE_CODES["group"]
        is_creation = np.zeros(n, dtype=bool)
        is_creation[creation[creation >= 0]] = True
        kept = structural | (core.watched >= 0) | is_creation | after_action | turned
        lead_mode = mode[lead_of]
        kept = np.where(lead_mode == EXACT, True, kept) & (lead_mode != QUIET)
        machine_rows = np.flatnonzero(kept).astype(np.int64)

        # Oracle values at the machine rows of reduced leads, per epoch, sorted by row.
        reduced_x = (lead_mode[xrow] == REDUCED) & kept[xrow]
        o_rows, o_epochs, o_values = xrow[reduced_x], s_epoch[seg_of_x[reduced_x]], eng[reduced_x]
        o_order = np.lexsort((o_epochs, o_rows))

        return ScanResult(
            lead_start=starts,
            lead_end=ends,
            mode=mode,
            creation=creation,
            fit_final=fit_final,
            hot_final=hot_final,
            fit_rules_final=fit_rules_final,
            machine_rows=machine_rows,
            oracle_rows=o_rows[o_order],
            oracle_epochs=o_epochs[o_order],
            oracle_values=o_values[o_order],
            seg_lead=s_lead,
            seg_epoch=s_epoch,
            seg_total=seg_total,
            seg_counts=seg_counts,
            seg_decayed=seg_decayed,
            stats={"rows": n, "leads": n_leads, "expanded_rows": total_x},
        )

    # --- pieces ---------------------------------------------------------------------------
    @staticmethod
    def _score(kind: str, fit: F64, eng: F64) -> F64:
        if kind == "fit":
            return fit
        if kind == "engagement":
            return eng
        return fit + eng

    def _weights(self, ts: I64) -> F64:
        """``scoring.decay_weight`` of each contribution as of ``as_of``."""
        d = self.a.decay
        age = self.as_of - ts
        if d.kind == "none":
            return np.ones(len(ts), dtype=np.float64)
        if d.kind == "step":
            return np.where(age > d.after_us, d.factor, 1.0)
        return np.asarray(0.5 ** (age.astype(np.float64) / d.half_life_us), dtype=np.float64)

    def _engagement(self, pts: F64, ts: I64, x_start: I64, s_len: I64, seg_of_x: I64) -> F64:
        """Engagement after each row, per epoch, the way the replay's running sums see it."""
        d = self.a.decay
        if d.kind == "half":
            first = np.repeat(ts[x_start[s_len > 0]], s_len[s_len > 0]) if len(ts) else ts
            rel = (ts - first).astype(np.float64) / d.half_life_us
            scaled = _segmented_cumsum(pts * 0.5 ** (-rel), x_start, s_len, None)
            return np.asarray(scaled * 0.5**rel, dtype=np.float64)
        scale = _exact_scale(list(self.points)) if d.kind != "half" else None
        total = _segmented_cumsum(pts, x_start, s_len, scale)
        if d.kind == "none":
            return total
        old = self._older_sums(total, ts, x_start, s_len, seg_of_x, d.after_us)
        return (total - old) + d.factor * old

    @staticmethod
    def _older_sums(total: F64, ts: I64, x_start: I64, s_len: I64, seg_of_x: I64, after_us: int) -> F64:
        """For each row, the running sum at the last row of its segment strictly older than
        ``after_us`` before it (0 if none): what the step decay counts at ``factor``."""
        n = len(ts)
        if n == 0:
            return total.copy()
        seg_first_ts = ts[np.minimum(x_start, n - 1)][seg_of_x] if len(x_start) else ts
        rel = ts - seg_first_ts
        span = int(rel.max()) + after_us + 2
        per_chunk = max(1, _KEY_BITS // span)
        out = np.zeros(n, dtype=np.float64)
        n_seg = len(x_start)
        for chunk_first in range(0, n_seg, per_chunk):
            chunk_last = min(n_seg, chunk_first + per_chunk)
            lo = int(x_start[chunk_first])
            hi = int(x_start[chunk_last - 1] + s_len[chunk_last - 1])
            if hi <= lo:
                continue
            local_seg = seg_of_x[lo:hi] - chunk_first
            key = local_seg * span + rel[lo:hi]
            query = local_seg * span + rel[lo:hi] - after_us
            j = np.searchsorted(key, query, side="left")  # first row not strictly older
            seg_lo = x_start[seg_of_x[lo:hi]] - lo
            has_older = j > seg_lo
            out[lo:hi] = np.where(has_older, total[lo + np.maximum(j - 1, 0)], 0.0)
        return out

    def _seen(self, core: Core, lead_of: I64, starts: I64) -> dict[tuple[str, ...], B]:
        """For each ``event_in`` list: has a listed event occurred in the lead by each row."""
        out: dict[tuple[str, ...], B] = {}
        watched = self.a.watched
        n = len(core.lk)
        for names in self.a.seen_columns():
            codes = [watched.index(name) for name in names]
            hit = np.isin(core.watched, codes).astype(np.int64)
            running = np.cumsum(hit)
            base = np.where(starts > 0, running[np.maximum(starts - 1, 0)], 0)[lead_of] if n else running
            out[names] = (running - base) > 0
        return out


def core_from_arrow(table: Any, n_masks: int) -> Core:
    """The scan's input from the narrow Arrow table the engines export."""

    def col(name: str, dtype: Any) -> Any:
        return table.column(name).to_numpy(zero_copy_only=False).astype(dtype, copy=False)

    return Core(
        lk=col("lk", np.int64),
        ts=col("ts", np.int64),
        seq=col("seq", np.int64),
        type=col("type_code", np.int8),
        action=col("action_code", np.int8),
        is_user=col("is_user", np.bool_),
        opaque=col("opaque", np.bool_),
        watched=col("watched_code", np.int16),
        masks=[col(f"mask_{i}", np.uint64) for i in range(n_masks)],
        match_unsure=col("match_unsure", np.bool_),
    )
