"""Scores (SPEC §4.2): fit on traits, engagement on events with decay, and their explanation.

Stage criteria need the engagement at every event's timestamp, so the running value is kept
incrementally instead of re-summing history at each event:

* step decay — contributions younger than the window sit in a queue; when time passes they
  move to the "old" sum, which counts ``factor`` of its points (amortised O(1));
* half-life — one running sum rescaled by ``0.5 ** (Δt / H)`` at each contribution (O(1)).

The explanation at the evaluation time is computed directly from each contribution's
timestamp, so reported figures never carry incremental rounding.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Mapping
from typing import Any

from leadpact.domain.compiled import CompiledAgreement, CompiledDecay
from leadpact.domain.results import Reason


def decay_weight(decay: CompiledDecay, age_us: int) -> float:
    """The share of its points an event ``age_us`` old still counts."""
    if decay.kind == "none":
        return 1.0
    if decay.kind == "step":
        return decay.factor if age_us > decay.after_us else 1.0
    return float(0.5 ** (age_us / decay.half_life_us))


def _total_weight(decay: CompiledDecay, stamps: list[int], as_of: int) -> float:
    """Σ decay_weight over ``stamps`` (ascending, all ≤ ``as_of``), without a call per stamp."""
    if decay.kind == "none":
        return float(len(stamps))
    if decay.kind == "step":
        # Stamps strictly older than the window are those before as_of - after_us.
        old = bisect_left(stamps, as_of - decay.after_us)
        return (len(stamps) - old) + decay.factor * old
    scale = decay.half_life_us
    return float(sum(0.5 ** ((as_of - ts) / scale) for ts in stamps))


def fit_value(compiled: CompiledAgreement, traits: Mapping[str, Any], company: Mapping[str, Any]) -> float:
    """The fit score alone (the same sum as :func:`fit_score`, in the same order)."""
    total = 0.0
    for _, points, pred in compiled.fit:
        if pred(traits, company):
            total += points
    return total


def fit_score(
    compiled: CompiledAgreement, traits: Mapping[str, Any], company: Mapping[str, Any]
) -> tuple[float, list[Reason]]:
    total = 0.0
    reasons: list[Reason] = []
    for rule_id, points, pred in compiled.fit:
        if pred(traits, company):
            total += points
            reasons.append(Reason(rule_id, "fit", 1, points, points))
    return total, reasons


class Engagement:
    """One lead's engagement since its last reset."""

    __slots__ = (
        "_compiled",
        "_decay",
        "_fresh",
        "_fresh_sum",
        "_half_ref",
        "_half_sum",
        "_limits",
        "_old_sum",
        "_plain_sum",
        "_points",
        "counts",
        "stamps",
    )

    def __init__(self, compiled: CompiledAgreement) -> None:
        self._compiled = compiled
        self._decay = compiled.decay
        self._points = compiled.engagement_points
        self._limits = compiled.engagement_limits
        self.reset()

    def reset(self) -> None:
        self._fresh: deque[tuple[int, float]] = deque()
        self._fresh_sum = 0.0
        self._old_sum = 0.0
        self._half_sum = 0.0
        self._half_ref = 0
        self._plain_sum = 0.0
        self.counts: dict[int, int] = {}
        self.stamps: dict[int, list[int]] = {}

    def add(self, rule_index: int, ts: int) -> bool:
        """Record a matching event; False when the rule's ``max_count`` is already used up."""
        count = self.counts.get(rule_index, 0)
        limit = self._limits[rule_index]
        if limit is not None and count >= limit:
            return False
        self.counts[rule_index] = count + 1
        stamps = self.stamps.get(rule_index)
        if stamps is None:
            self.stamps[rule_index] = [ts]
        else:
            stamps.append(ts)
        points = self._points[rule_index]
        kind = self._decay.kind
        if kind == "step":
            self._fresh.append((ts, points))
            self._fresh_sum += points
        elif kind == "half":
            self._half_sum = self._half_sum * 0.5 ** ((ts - self._half_ref) / self._decay.half_life_us) + points
            self._half_ref = ts
        else:
            self._plain_sum += points
        return True

    def value_at(self, now: int) -> float:
        """Engagement at ``now`` (≥ every recorded timestamp), incrementally."""
        kind = self._decay.kind
        if kind == "step":
            fresh = self._fresh
            horizon = now - self._decay.after_us
            while fresh and fresh[0][0] < horizon:  # strictly older than the window
                _, points = fresh.popleft()
                self._fresh_sum -= points
                self._old_sum += points
            if not fresh:
                self._fresh_sum = 0.0  # drop float residue once the window is empty
            return self._fresh_sum + self._decay.factor * self._old_sum
        if kind == "half":
            if self._half_sum == 0.0:
                return 0.0
            return float(self._half_sum * 0.5 ** ((now - self._half_ref) / self._decay.half_life_us))
        return self._plain_sum

    def total_at(self, as_of: int) -> float:
        """The engagement :meth:`explain` returns, to the last bit (the same per-rule sum in the
        same order), without building its explanation."""
        total = 0.0
        decay = self._decay
        points = self._points
        stamps = self.stamps
        for index in sorted(self.counts):
            total += points[index] * _total_weight(decay, stamps[index], as_of)
        return total

    def explain(self, as_of: int) -> tuple[float, list[Reason]]:
        """Engagement at ``as_of`` summed directly per rule, with its explanation."""
        total = 0.0
        reasons: list[Reason] = []
        decay = self._decay
        for index in sorted(self.counts):
            rule = self._compiled.engagement[index]
            stamps = self.stamps[index]
            decayed = rule.points * _total_weight(decay, stamps, as_of)
            total += decayed
            reasons.append(Reason(rule.id, "engagement", len(stamps), rule.points * len(stamps), decayed))
        return total, reasons
