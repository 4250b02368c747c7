"""The dashboard's read side: reports and the work queue over the store, kept fast.

See docs/dashboard.md. The web pages (:mod:`leadpact.entrypoints.web`) and the report
endpoints (:mod:`leadpact.entrypoints.api.routes.reports`) both read through
:class:`DashboardService`, so a page and ``GET /v1/reports/...`` show the same numbers.
"""

from leadpact.service.dashboard.queue import QueueFilter, WorkQueue
from leadpact.service.dashboard.segments import SegmentFilter
from leadpact.service.dashboard.service import DashboardService, ReportRequest

__all__ = ["DashboardService", "QueueFilter", "ReportRequest", "SegmentFilter", "WorkQueue"]
