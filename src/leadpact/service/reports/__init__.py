"""The reports of SPEC §6: pure functions of ``LeadResult`` objects and a :class:`ReportScope`.

The same code serves a replayed event file, the store and the batch engines; see
docs/reports.md for the exact semantics and the JSON/CSV contract.
"""

from leadpact.service.reports.attribution import AttributionReport, attribution
from leadpact.service.reports.catalog import FORMATS, REPORT_KINDS, Format, ReportKind, compute, render
from leadpact.service.reports.neglected import NeglectedReport, neglected_report
from leadpact.service.reports.render_json import Report, report_json
from leadpact.service.reports.scope import ReportScope
from leadpact.service.reports.segments import SEGMENT_KINDS
from leadpact.service.reports.sla import SlaReport, sla_report
from leadpact.service.reports.trend import TrendReport, trend
from leadpact.service.reports.waterfall import WaterfallReport, waterfall

__all__ = [
    "FORMATS",
    "REPORT_KINDS",
    "SEGMENT_KINDS",
    "AttributionReport",
    "Format",
    "NeglectedReport",
    "Report",
    "ReportKind",
    "ReportScope",
    "SlaReport",
    "TrendReport",
    "WaterfallReport",
    "attribution",
    "compute",
    "neglected_report",
    "render",
    "report_json",
    "sla_report",
    "trend",
    "waterfall",
]
