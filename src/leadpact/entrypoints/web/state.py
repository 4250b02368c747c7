"""The dashboard's per-app objects: the dashboard service (shared with the report endpoints)
and the chart cache."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import Request

from leadpact.entrypoints.api.routes.reports import get_dashboard
from leadpact.entrypoints.web.charts import ChartCache
from leadpact.entrypoints.web.viewer import services_of
from leadpact.service.dashboard import DashboardService, ReportRequest
from leadpact.service.dashboard.service import WarmHook

_lock = threading.RLock()


def dashboard(request: Request) -> DashboardService:
    service = get_dashboard(request, services_of(request), request.app.state.clock)
    state = request.app.state
    with _lock:
        if not getattr(state, "web_warm_hooked", False):
            service.warm_hooks.append(_chart_warmer(charts(request)))
            state.web_warm_hooked = True
    return service


def _chart_warmer(cache: ChartCache) -> WarmHook:
    """Redraw the waterfall chart when the warmer refreshed its numbers, in the languages
    people read, so the page's image is ready when they look."""

    def warm(request: ReportRequest, data: dict[str, Any]) -> None:
        if request.kind == "waterfall":
            for lang in cache.languages():
                cache.png(cache.report_chart(data, lang))

    return warm


def charts(request: Request) -> ChartCache:
    state = request.app.state
    with _lock:
        cache: ChartCache | None = getattr(state, "web_charts", None)
        if cache is None:
            cache = ChartCache()
            state.web_charts = cache
    return cache
