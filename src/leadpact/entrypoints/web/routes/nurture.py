"""The nurture page: per activated flow version, a table by step — reached, sent, opened,
clicked, reached the goal, reached MQL afterwards, with their rates — over the store.

The numbers are the JSON of ``GET /v1/reports/flows`` (the same service and the same per-lead
figures), so the page, the API and ``leadpact flows report`` agree.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from leadpact.domain.messages import MessageError
from leadpact.entrypoints.api.routes.reports import get_flow_reports
from leadpact.entrypoints.web.pages import bad_input_page, render
from leadpact.entrypoints.web.routing import web_router
from leadpact.entrypoints.web.viewer import ViewerDep, services_of
from leadpact.service.nurture.store_report import FlowReportService

router = web_router()

UPDATING_REFRESH_SECONDS: Final = 2


def flow_reports(request: Request) -> FlowReportService:
    return get_flow_reports(request, services_of(request))


def _now(request: Request) -> int:
    now: int = request.app.state.clock.now_us()
    return now


def _chosen(request: Request) -> str | None:
    return request.query_params.get("flow", "").strip() or None


@router.get("/nurture")
def nurture_page(request: Request, viewer: ViewerDep) -> Response:
    chosen = _chosen(request)
    view = flow_reports(request).view(_now(request))
    common: dict[str, Any] = {"viewer": viewer, "title_key": "nurture.title", "nav": "nurture", "chosen": chosen}
    if view.report is None:
        return render(request, "nurture.html", **common, refresh=UPDATING_REFRESH_SECONDS, pending=True)
    try:
        report = view.report.select(chosen)
    except MessageError as exc:
        return bad_input_page(request, viewer, exc, back="/nurture")
    data = report.to_json(viewer.lang)
    return render(
        request,
        "nurture.html",
        **common,
        refresh=None if view.fresh else UPDATING_REFRESH_SECONDS,
        pending=False,
        updating=not view.fresh,
        data=data,
        flow_ids=list(dict.fromkeys(s.flow_id for s in view.report.stats)),
        json_url="/nurture.json" + (f"?{urlencode({'flow': chosen})}" if chosen else ""),
    )


@router.get("/nurture.json")
def nurture_json(request: Request, viewer: ViewerDep) -> Response:
    """The page's numbers as ``GET /v1/reports/flows`` answers them, for the signed-in reader; an
    unknown flow's MessageError is answered like the API's (400 ``{detail, field}``) by the route."""
    report = flow_reports(request).current(_now(request), _chosen(request))
    return JSONResponse(report.to_json(viewer.lang))
