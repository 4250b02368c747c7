"""Content and source attribution: what the leads that converted had touched, compared with
the leads of the same cohort that did not convert.

One row per piece of content (``event:<name>``, ``page:<path>`` from ``LeadResult.touches``)
and one per source (trait ``source``); for a source, "touched" means "came from". Each row
gives how many converted and non-converted leads touched it, the share of each group that did,
the lift (ratio of the shares: above 1, converters touched it more often) and the conversion
rate of the leads that touched it. Touches are counted over the lead's whole history, after
conversion too: this is association, not cause.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from leadpact.domain.results import LeadResult
from leadpact.service.reports.history import reached
from leadpact.service.reports.scope import ReportScope
from leadpact.service.reports.segments import segment_values
from leadpact.service.reports.stats import RATE_DECIMALS, rate
from leadpact.service.reports.waterfall import cohort

TARGETS: Final = ("mql", "sal", "sql", "opportunity", "customer")

_KeysOf = Callable[[LeadResult], Iterable[str]]


@dataclass(frozen=True, slots=True)
class AttributionRow:
    value: str
    kind: str
    """``event`` or ``page`` for content, ``source`` for sources."""
    converted: int
    """Converted leads that touched it."""
    other: int
    """Non-converted leads that touched it."""
    share_converted: float | None
    share_other: float | None
    lift: float | None
    """share_converted / share_other; None when no non-converted lead touched it."""

    @property
    def conversion(self) -> float | None:
        return rate(self.converted, self.converted + self.other)


@dataclass(frozen=True, slots=True)
class AttributionReport:
    scope: ReportScope
    target: str
    leads: int
    converted: int
    content: tuple[AttributionRow, ...]
    sources: tuple[AttributionRow, ...]

    @property
    def other(self) -> int:
        return self.leads - self.converted


def attribution(leads: Iterable[LeadResult], scope: ReportScope, target: str = "customer") -> AttributionReport:
    """Rows sorted by share of converters (most common among winners first), then by leads
    that touched them, then by name."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; expected one of {', '.join(TARGETS)}")
    members = cohort(leads, scope)
    is_converted = {lead.lead_id: reached(lead, target) for lead in members}
    totals = (sum(is_converted.values()), len(members) - sum(is_converted.values()))

    def content_keys(lead: LeadResult) -> Iterable[str]:
        return lead.touches

    def source_keys(lead: LeadResult) -> Iterable[str]:
        return segment_values(lead, "source", scope.zone)

    content = _rows(members, is_converted, totals, content_keys, None)
    sources = _rows(members, is_converted, totals, source_keys, "source")
    return AttributionReport(scope, target, len(members), totals[0], content, sources)


def _rows(
    members: list[LeadResult],
    is_converted: dict[str, bool],
    totals: tuple[int, int],
    keys_of: _KeysOf,
    kind: str | None,
) -> tuple[AttributionRow, ...]:
    converted: Counter[str] = Counter()
    other: Counter[str] = Counter()
    for lead in members:
        counter = converted if is_converted[lead.lead_id] else other
        counter.update(set(keys_of(lead)))
    rows = [
        _row(key, kind or key.split(":", 1)[0], converted[key], other[key], totals)
        for key in converted.keys() | other.keys()
    ]
    # Within one share of converters the converted count is the same, so the tie goes to the
    # content more leads touched (converted or not): the firmer evidence, then the name.
    rows.sort(key=lambda row: (-(row.share_converted or 0.0), -(row.converted + row.other), row.value))
    return tuple(rows)


def _row(key: str, kind: str, conv: int, other: int, totals: tuple[int, int]) -> AttributionRow:
    conv_total, other_total = totals
    lift = None
    if conv_total and other_total and other:
        lift = round((conv / conv_total) / (other / other_total), RATE_DECIMALS)
    return AttributionRow(key, kind, conv, other, rate(conv, conv_total), rate(other, other_total), lift)
