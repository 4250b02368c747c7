"""Segment keys for splitting a report: source, industry, size band, campaign, content, month.

A lead belongs to exactly one segment of each kind except ``content``, where it belongs to
every piece of content it touched (so content segments overlap and do not add up to the
total). Missing values are grouped under :data:`NONE` rather than dropped, so that every lead
of the cohort is counted somewhere.
"""

from __future__ import annotations

from typing import Any, Final
from zoneinfo import ZoneInfo

from leadpact.domain.results import LeadResult
from leadpact.domain.timeutil import from_us
from leadpact.service.reports.history import entered_funnel_at

SEGMENT_KINDS: Final = ("source", "industry", "size", "campaign", "content", "month")
NONE: Final = "(none)"

SIZE_BANDS: Final = ((1000, "1000+"), (300, "300-999"), (50, "50-299"), (1, "1-49"))
"""Company-size bands by ``employees``, largest first. The 300 and 1000 edges are the ones the
default agreement scores on, so a band lines up with a fit rule."""


def segment_values(lead: LeadResult, kind: str, zone: ZoneInfo) -> tuple[str, ...]:
    """The segment(s) ``lead`` belongs to for ``kind`` (one of :data:`SEGMENT_KINDS`)."""
    if kind == "source":
        return (_text(lead.traits.get("source")),)
    if kind == "campaign":
        return (_text(lead.traits.get("campaign")),)
    if kind == "industry":
        return (_text(_own_else_company(lead, "industry")),)
    if kind == "size":
        return (size_band(_own_else_company(lead, "employees")),)
    if kind == "content":
        return tuple(sorted(lead.touches)) or (NONE,)
    if kind == "month":
        return (from_us(entered_funnel_at(lead), zone).strftime("%Y-%m"),)
    raise ValueError(f"unknown segment kind {kind!r}; expected one of {', '.join(SEGMENT_KINDS)}")


def size_band(employees: Any) -> str:
    """``1-49``, ``50-299``, ``300-999``, ``1000+``; :data:`NONE` when missing or not a number."""
    count = _number(employees)
    if count is None or count < 1:
        return NONE
    return next(band for floor, band in SIZE_BANDS if count >= floor)


def _own_else_company(lead: LeadResult, trait: str) -> Any:
    """SPEC §3: a plain trait name means the lead's own trait, else the company's."""
    own = lead.traits.get(trait)
    return own if own not in (None, "") else lead.company.get(trait)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return NONE
    return str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", "").strip())
        except ValueError:
            return None
    return None
