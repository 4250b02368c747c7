"""Small statistics the reports share: rates and percentiles with one exact definition.

Percentiles use linear interpolation between closest ranks (Hyndman & Fan type 7), the
definition of Excel's ``PERCENTILE.INC``, pandas' ``quantile`` and DuckDB's ``quantile_cont``,
so a user who checks a number in a spreadsheet gets the same value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from leadpact.domain.timeutil import US_PER_HOUR

RATE_DECIMALS = 6
HOURS_DECIMALS = 3


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0 ≤ q ≤ 1) of ``values`` by linear interpolation; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = math.ceil(position)
    fraction = position - low
    return float(ordered[low]) + (float(ordered[high]) - float(ordered[low])) * fraction


def rate(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator`` rounded for output; None (not 0) when nothing to divide by."""
    if denominator == 0:
        return None
    return round(numerator / denominator, RATE_DECIMALS)


def hours(duration_us: float | None) -> float | None:
    """A duration in microseconds as hours, rounded for output."""
    if duration_us is None:
        return None
    return round(duration_us / US_PER_HOUR, HOURS_DECIMALS)


@dataclass(frozen=True, slots=True)
class DurationSummary:
    """Median and 90th percentile of a set of durations (microseconds)."""

    n: int
    median_us: float | None
    p90_us: float | None

    @classmethod
    def of(cls, durations: Sequence[int]) -> DurationSummary:
        return cls(len(durations), percentile(durations, 0.5), percentile(durations, 0.9))
