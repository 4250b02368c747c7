"""The neglected-leads list on its own (``leadpact report neglected``): the SLA report's
breached-and-still-running clocks, for a work queue or a CSV export."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from leadpact.domain.results import LeadResult
from leadpact.service.reports.scope import ReportScope
from leadpact.service.reports.sla import NeglectedLead, sla_report


@dataclass(frozen=True, slots=True)
class NeglectedReport:
    scope: ReportScope
    neglected: tuple[NeglectedLead, ...]


def neglected_report(leads: Iterable[LeadResult], scope: ReportScope) -> NeglectedReport:
    return NeglectedReport(scope, sla_report(leads, scope).neglected)
