"""Monthly trend: MQL hand-overs per calendar month (agreement timezone), the share of them
that reached SQL, and the median MQL→SQL lead time.

Each entry into ``mql`` is one hand-over (a lead recycled and re-qualified is handed over
again) and converts if the lead enters ``sql`` before its next MQL entry. Recent months look
worse than they are: their MQLs have had less time to convert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from leadpact.domain.results import LeadResult
from leadpact.domain.timeutil import from_us
from leadpact.service.reports.history import MqlEpisode, mql_episodes
from leadpact.service.reports.scope import ReportScope
from leadpact.service.reports.stats import DurationSummary, rate


@dataclass(frozen=True, slots=True)
class TrendMonth:
    month: str
    """``YYYY-MM`` in the agreement's timezone."""
    mql: int
    converted_to_sql: int
    lead_time: DurationSummary
    """MQL→SQL lead time of the converted hand-overs."""

    @property
    def conversion(self) -> float | None:
        return rate(self.converted_to_sql, self.mql)


@dataclass(frozen=True, slots=True)
class TrendReport:
    scope: ReportScope
    months: tuple[TrendMonth, ...]


def trend(leads: Iterable[LeadResult], scope: ReportScope) -> TrendReport:
    buckets: dict[str, list[MqlEpisode]] = defaultdict(list)
    for lead in leads:
        for episode in mql_episodes(lead):
            if scope.contains(episode.at) and episode.at <= scope.as_of:
                buckets[_month(episode.at, scope)].append(episode)
    months = _month_range(scope, buckets.keys())
    return TrendReport(scope, tuple(_summarise(month, buckets.get(month, [])) for month in months))


def _summarise(month: str, episodes: list[MqlEpisode]) -> TrendMonth:
    durations = [e.sql_at - e.at for e in episodes if e.sql_at is not None]
    return TrendMonth(month, len(episodes), len(durations), DurationSummary.of(durations))


def _month(at: int, scope: ReportScope) -> str:
    return from_us(at, scope.zone).strftime("%Y-%m")


def _month_range(scope: ReportScope, seen: Iterable[str]) -> list[str]:
    """Every month from the first to the last, empty months included, so a chart's time axis
    has no silent gaps. The period's bounds widen the range when given."""
    bounds = set(seen)
    if scope.start is not None:
        bounds.add(_month(scope.start, scope))
    if scope.end is not None:
        bounds.add(_month(scope.end - 1, scope))
    if not bounds:
        return []
    first, last = min(bounds), max(bounds)
    year, month = int(first[:4]), int(first[5:])
    months = []
    while (label := f"{year:04d}-{month:02d}") <= last:
        months.append(label)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
