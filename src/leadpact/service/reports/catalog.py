"""One entry point for every report, for the CLI, the API and the dashboard alike.

``compute(kind, leads, scope, ...)`` returns the typed report; ``render(report, format, lang)``
turns it into text, CSV or a JSON-ready dict. Callers choose where the leads come from (a
replayed event file, the store, a batch engine): the reports only see ``LeadResult`` objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final, Literal

from leadpact.domain.results import LeadResult
from leadpact.service.labels import Lang
from leadpact.service.reports.attribution import attribution
from leadpact.service.reports.neglected import neglected_report
from leadpact.service.reports.render_csv import report_csv
from leadpact.service.reports.render_json import Report, report_json
from leadpact.service.reports.render_text import report_text
from leadpact.service.reports.scope import ReportScope
from leadpact.service.reports.segments import SEGMENT_KINDS
from leadpact.service.reports.sla import sla_report
from leadpact.service.reports.trend import trend
from leadpact.service.reports.waterfall import waterfall

ReportKind = Literal["waterfall", "sla", "neglected", "attribution", "trend"]
REPORT_KINDS: Final[tuple[ReportKind, ...]] = ("waterfall", "sla", "neglected", "attribution", "trend")
Format = Literal["table", "csv", "json"]
FORMATS: Final[tuple[Format, ...]] = ("table", "csv", "json")


def compute(
    kind: ReportKind,
    leads: Iterable[LeadResult],
    scope: ReportScope,
    *,
    by: str | None = None,
    target: str = "customer",
) -> Report:
    """``by`` (a segment kind) applies to the waterfall; ``target`` to attribution."""
    if by is not None and by not in SEGMENT_KINDS:
        raise ValueError(f"unknown segment {by!r}; expected one of {', '.join(SEGMENT_KINDS)}")
    if kind == "waterfall":
        return waterfall(leads, scope, by)
    if kind == "sla":
        return sla_report(leads, scope)
    if kind == "neglected":
        return neglected_report(leads, scope)
    if kind == "attribution":
        return attribution(leads, scope, target)
    if kind == "trend":
        return trend(leads, scope)
    raise ValueError(f"unknown report {kind!r}; expected one of {', '.join(REPORT_KINDS)}")


def render(report: Report, fmt: Format, lang: Lang = "en") -> str | dict[str, Any]:
    """Text for ``table`` and ``csv``; a JSON-ready dict for ``json``."""
    if fmt == "json":
        return report_json(report)
    if fmt == "csv":
        return report_csv(report)
    return report_text(report, lang)
