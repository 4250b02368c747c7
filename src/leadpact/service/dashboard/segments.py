"""Narrowing the reports to one segment: source, industry, company size band, campaign.

A lead's segment values are the reports' own (:func:`leadpact.service.reports.segments.segment_values`),
so "industry = software" on the dashboard selects exactly the leads the waterfall's
``--by industry`` row for ``software`` counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Final
from zoneinfo import ZoneInfo

from leadpact.domain.results import LeadResult
from leadpact.service.reports.segments import segment_values

FILTER_KINDS: Final = ("source", "industry", "size", "campaign")


@dataclass(frozen=True, slots=True)
class SegmentFilter:
    """None: any value. Values are compared as the reports write them (``(none)`` for missing)."""

    source: str | None = None
    industry: str | None = None
    size: str | None = None
    campaign: str | None = None

    def active(self) -> dict[str, str]:
        return {f.name: value for f in fields(self) if (value := getattr(self, f.name)) is not None}

    def matches(self, lead: LeadResult, zone: ZoneInfo) -> bool:
        return all(segment_values(lead, kind, zone)[0] == value for kind, value in self.active().items())

    def apply(self, leads: Iterable[LeadResult], zone: ZoneInfo) -> list[LeadResult]:
        if not self.active():
            return list(leads)
        return [lead for lead in leads if self.matches(lead, zone)]

    @classmethod
    def of(cls, values: Mapping[str, str | None]) -> SegmentFilter:
        """From form or query values; blank means any."""
        cleaned = {kind: (values.get(kind) or "").strip() or None for kind in FILTER_KINDS}
        return cls(**cleaned)


def facets(leads: Iterable[LeadResult], zone: ZoneInfo) -> dict[str, list[tuple[str, int]]]:
    """Every value of each filter kind with its number of leads, most frequent first."""
    counters: dict[str, Counter[str]] = {kind: Counter() for kind in FILTER_KINDS}
    for lead in leads:
        for kind in FILTER_KINDS:
            counters[kind][segment_values(lead, kind, zone)[0]] += 1
    return {kind: sorted(counter.items(), key=lambda item: (-item[1], item[0])) for kind, counter in counters.items()}
