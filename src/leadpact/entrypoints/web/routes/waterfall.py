"""The waterfall page: funnel, conversions, lead times, the responsibility view with SLA
compliance beside it; filtered by period and segment, optionally split by one."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from leadpact.domain.lifecycle import STAGE_ORDER
from leadpact.domain.messages import MessageError
from leadpact.entrypoints.api.routes.reports import report_request
from leadpact.entrypoints.web.charts import chart_url
from leadpact.entrypoints.web.formatting import Formatter
from leadpact.entrypoints.web.i18n import Words
from leadpact.entrypoints.web.pages import bad_input_page, period_text, render
from leadpact.entrypoints.web.routing import web_router
from leadpact.entrypoints.web.state import charts, dashboard
from leadpact.entrypoints.web.viewer import ViewerDep
from leadpact.service.dashboard import ReportRequest
from leadpact.service.dashboard.segments import FILTER_KINDS
from leadpact.service.reports import SEGMENT_KINDS

router = web_router()

FORM_KEYS = ("from", "to", *FILTER_KINDS, "by")
UPDATING_REFRESH_SECONDS = 2


def _form(request: Request) -> dict[str, str]:
    return {key: value for key in FORM_KEYS if (value := request.query_params.get(key, "").strip())}


def _request(request: Request, form: dict[str, str]) -> ReportRequest:
    return report_request(
        "waterfall",
        form.get("from"),
        form.get("to"),
        form.get("by"),
        None,
        dashboard(request),
        **{kind: form.get(kind) for kind in FILTER_KINDS},
    )


def stage_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Each stage with the step out of it (None on the last), and its share of the cohort."""
    overall = data["overall"]
    leads = overall["leads"]
    rows = []
    for index, stage in enumerate(overall["stages"]):
        step = overall["transitions"][index] if index < len(overall["transitions"]) else None
        share = stage["reached"] / leads if leads else None
        rows.append({**stage, "next": step, "share": share})
    return rows


@router.get("/waterfall")
def waterfall_page(request: Request, viewer: ViewerDep) -> Response:
    form = _form(request)
    words = Words(viewer.lang)
    service = dashboard(request)
    try:
        view = service.report_view(_request(request, form))
    except MessageError as exc:
        return bad_input_page(request, viewer, exc, back="/waterfall")
    if view.pending:
        return render(
            request,
            "waterfall.html",
            viewer=viewer,
            title_key="waterfall.title",
            nav="waterfall",
            refresh=UPDATING_REFRESH_SECONDS,
            pending=True,
            form=form,
            facets={kind: [] for kind in FILTER_KINDS},
            filter_kinds=FILTER_KINDS,
            segment_kinds=SEGMENT_KINDS,
        )
    data = view.data
    zone = service.active().agreement.zone
    fmt = Formatter(viewer.lang, zone)
    period = period_text(words, fmt, data["from"], data["to"])
    rows = stage_rows(data)
    label = words("waterfall.chart_label") + " " + ", ".join(f"{words.stage(r['stage'])} {r['reached']}" for r in rows)
    return render(
        request,
        "waterfall.html",
        viewer=viewer,
        title_key="waterfall.title",
        nav="waterfall",
        refresh=None if view.fresh else UPDATING_REFRESH_SECONDS,
        updating=not view.fresh,
        pending=False,
        data=data,
        form=form,
        facets=service.facets(),
        filter_kinds=FILTER_KINDS,
        segment_kinds=SEGMENT_KINDS,
        stages=STAGE_ORDER,
        stage_rows=rows,
        period_text=period,
        chart_src=chart_url(charts(request).report_chart(data, viewer.lang)),
        chart_label=label,
        json_url="/waterfall.json" + (f"?{urlencode(form)}" if form else ""),
    )


@router.get("/waterfall.json")
def waterfall_json(request: Request, _viewer: ViewerDep) -> Response:
    """The page's numbers as the report JSON (docs/reports.md), for the signed-in reader; a bad
    filter's MessageError is answered like the API's (400 ``{detail, field}``) by the route."""
    return JSONResponse(dashboard(request).report(_request(request, _form(request))))
