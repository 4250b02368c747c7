"""Engagement read from the relational plan, for the reference per-lead replay.

:class:`PlannedEngagement` stands in for :class:`leadpact.domain.scoring.Engagement` inside a
:class:`~leadpact.domain.lead_replay.LeadMachine` fed a *reduced* history (see ``scan``).
It answers with the plan's engagement at the row being applied, under the epoch the machine
is in: the machine itself decides which recycles are accepted and calls :meth:`reset`, so the
lifecycle stays the domain's, and only the sums come from SQL.

The plan travels as flat lists shared by every lead of a replay batch (no per-row objects):
row ``i`` has its engagement per epoch at ``epochs[offsets[i]:offsets[i + 1]]`` (same slice of
``values``), and the lead's as-of sums per epoch are the segments ``seg_lo..seg_hi``.
"""

from __future__ import annotations

from collections.abc import Sequence

from leadpact.domain.agreement import EngagementRule
from leadpact.domain.results import Reason


class PlanArrays:
    """The plan's arrays of one replay batch, as Python lists (read row by row)."""

    __slots__ = ("counts", "decayed", "epochs", "offsets", "ords", "rules", "seg_epoch", "seg_total", "values")

    def __init__(
        self,
        rules: Sequence[EngagementRule],
        ords: list[int],
        offsets: list[int],
        epochs: list[int],
        values: list[float],
        seg_epoch: list[int],
        seg_total: list[float],
        counts: list[list[int]],
        decayed: list[list[float]],
    ) -> None:
        self.rules = rules
        self.ords = ords
        """Per row: its position (1-based) in the lead's full history; an epoch is named by
        the position of the recycling action that opened it (0: from creation)."""
        self.offsets = offsets
        self.epochs = epochs
        self.values = values
        self.seg_epoch = seg_epoch
        self.seg_total = seg_total
        self.counts = counts
        self.decayed = decayed


class PlannedEngagement:
    __slots__ = ("_final", "_plan", "_seg_hi", "_seg_lo", "epoch", "row")

    def __init__(self, plan: PlanArrays, seg_lo: int, seg_hi: int) -> None:
        self._plan = plan
        self._seg_lo = seg_lo
        self._seg_hi = seg_hi
        self._final = False
        self.row = 0
        """Index (in the batch) of the row the machine is applying: set before each row."""
        self.epoch = 0
        """The row (``ord``) of the last accepted reset; 0 before any."""

    def at_end(self) -> None:
        """Every row applied: values are now the ones as of the evaluation time."""
        self._final = True

    def _segment(self) -> int:
        plan = self._plan
        epoch = self.epoch
        for s in range(self._seg_lo, self._seg_hi):
            if plan.seg_epoch[s] == epoch:
                return s
        raise KeyError(epoch)

    # --- the Engagement interface the machine uses ----------------------------------------
    def add(self, rule_index: int, ts: int) -> bool:
        del rule_index, ts  # the plan already counted every contribution
        return True

    def reset(self) -> None:
        self.epoch = self._plan.ords[self.row]

    def value_at(self, now: int) -> float:
        del now  # the plan's values are already for the row (or the evaluation time)
        plan = self._plan
        if self._final:
            return plan.seg_total[self._segment()]
        epoch = self.epoch
        row = self.row
        for k in range(plan.offsets[row], plan.offsets[row + 1]):
            if plan.epochs[k] == epoch:
                return plan.values[k]
        raise KeyError(epoch)

    def explain(self, as_of: int) -> tuple[float, list[Reason]]:
        del as_of
        plan = self._plan
        s = self._segment()
        counts = plan.counts[s]
        decayed = plan.decayed[s]
        reasons = [
            Reason(rule.id, "engagement", count, rule.points * count, decayed[i])
            for i, (rule, count) in enumerate(zip(plan.rules, counts, strict=True))
            if count > 0
        ]
        return plan.seg_total[s], reasons
