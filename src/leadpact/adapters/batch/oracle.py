"""Engagement read from the relational plan, for the reference per-lead replay.

:class:`PlannedEngagement` stands in for :class:`leadpact.domain.scoring.Engagement` inside a
:class:`~leadpact.domain.lead_replay.LeadMachine` fed a *reduced* history (see ``scan``).
It answers with the plan's engagement at the row being applied, under the epoch the machine
is in: the machine itself decides which recycles are accepted and calls :meth:`reset`, so the
lifecycle stays the domain's, and only the sums come from SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadpact.domain.agreement import EngagementRule
from leadpact.domain.results import Reason


class PlannedEngagement:
    __slots__ = ("_final", "_finals", "_row", "_rules", "_values", "epoch")

    def __init__(self, finals: list[dict[str, Any]], rules: Sequence[EngagementRule]) -> None:
        self._finals = {f["e"]: f for f in finals}
        """Per epoch: ``total``, and per rule ``counts`` and ``decayed`` points as of ``as_of``."""
        self._rules = rules
        self._row = 0
        self._values: dict[int, float] = {}
        self._final = False
        self.epoch = 0
        """The row (``ord``) of the last accepted reset; 0 before any."""

    def at_row(self, row: int, epochs: Sequence[int], values: Sequence[float]) -> None:
        """The machine is about to apply row ``row``; these are its engagement per epoch."""
        self._row = row
        self._values = dict(zip(epochs, values, strict=True))

    def at_end(self) -> None:
        """Every row applied: values are now the ones as of the evaluation time."""
        self._final = True

    # --- the Engagement interface the machine uses ----------------------------------------
    def add(self, rule_index: int, ts: int) -> bool:
        del rule_index, ts  # the plan already counted every contribution
        return True

    def reset(self) -> None:
        self.epoch = self._row

    def value_at(self, now: int) -> float:
        del now  # the plan's values are already for the row (or the evaluation time)
        if self._final:
            return float(self._finals[self.epoch]["total"])
        return self._values[self.epoch]

    def explain(self, as_of: int) -> tuple[float, list[Reason]]:
        del as_of
        final = self._finals[self.epoch]
        reasons = [
            Reason(rule.id, "engagement", count, rule.points * count, decayed)
            for rule, count, decayed in zip(self._rules, final["counts"], final["decayed"], strict=True)
            if count > 0
        ]
        return float(final["total"]), reasons
