"""Reports and the agreement back-test over the store (SPEC §6; docs/reports.md, docs/backtest.md).

``GET /v1/reports/{kind}`` returns exactly what ``leadpact report KIND --format json`` prints
for the same leads, period and moment; ``POST /v1/backtest`` what ``leadpact backtest --format
json`` prints for the store's history and a proposed agreement; ``GET /v1/reports/flows`` what
``leadpact flows report --format json`` prints for the store (docs/nurture.md). Any user key
may read them.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from leadpact.domain.messages import MessageError
from leadpact.entrypoints.api.body import BodyError, read_yaml_upload
from leadpact.entrypoints.api.deps import CallerDep, ClockDep, NowDep, ServicesDep
from leadpact.entrypoints.api.schemas import AgreementProblems, Problem
from leadpact.service.auth import require_reader
from leadpact.service.dashboard import DashboardService, ReportRequest, SegmentFilter
from leadpact.service.dashboard.jobs import Job
from leadpact.service.labels import Lang
from leadpact.service.nurture.store_report import FlowReportService
from leadpact.service.periods import parse_moment, parse_period
from leadpact.service.reports import REPORT_KINDS, SEGMENT_KINDS, ReportKind
from leadpact.service.reports.segments import NONE, SIZE_BANDS

router = APIRouter(tags=["reports"])

MAX_AGREEMENT_BYTES: Final = 1024 * 1024
TARGETS: Final = ("mql", "sal", "sql", "opportunity", "customer")
SIZES: Final = (*(band for _, band in reversed(SIZE_BANDS)), NONE)
"""The values ``size`` can take: the reports' fixed bands, smallest first, and ``(none)``. Unlike
the free-text filters, any other value could only ever match no lead."""
_ERRORS: dict[int | str, dict[str, Any]] = {400: {"model": Problem}, 401: {"model": Problem}, 403: {"model": Problem}}
_lock = threading.Lock()


def get_dashboard(request: Request, services: ServicesDep, clock: ClockDep) -> DashboardService:
    """The app's one dashboard service (its caches are shared by the pages and these routes)."""
    state = request.app.state
    with _lock:
        dashboard: DashboardService | None = getattr(state, "dashboard", None)
        if dashboard is None:
            dashboard = DashboardService(services, clock, warm=getattr(state, "dashboard_warm", True))
            state.dashboard = dashboard
    return dashboard


DashboardDep = Annotated[DashboardService, Depends(get_dashboard)]
FromParam = Annotated[
    str | None,
    Query(alias="from", max_length=64, description="Period start, inclusive: a date (local midnight) or ISO 8601."),
]
ToParam = Annotated[
    str | None,
    Query(alias="to", max_length=64, description="Period end, exclusive: a date (local midnight) or ISO 8601."),
]
ReportAsOf = Annotated[
    str | None,
    Query(
        max_length=64,
        description="Report as of this moment (ISO 8601 with offset); default: now. A moment before the "
        "newest stored event replays the log (slower).",
    ),
]


def get_flow_reports(request: Request, services: ServicesDep) -> FlowReportService:
    """The app's one nurture report service (its per-lead figures are shared by the page)."""
    state = request.app.state
    with _lock:
        reports: FlowReportService | None = getattr(state, "flow_reports", None)
        if reports is None:
            background = getattr(state, "dashboard_warm", True)
            flows = services.flows.reported_flows  # stopped flows too, up to their stop
            reports = FlowReportService(services.store, services.agreements, flows, background=background)
            state.flow_reports = reports
    return reports


FlowReportsDep = Annotated[FlowReportService, Depends(get_flow_reports)]


@router.get("/v1/reports/flows", responses=_ERRORS, summary="Nurture flows per flow and step over the store")
def flows_report(
    who: CallerDep,
    reports: FlowReportsDep,
    now: NowDep,
    as_of: ReportAsOf = None,
    flow: Annotated[str | None, Query(max_length=255, description="Only this flow id's versions.")] = None,
    lang: Annotated[Lang, Query(description="Language of the labels: ja or en.")] = "ja",
) -> Any:
    """Per activated flow version and step: entered, sent, opened, clicked, reached the goal,
    reached MQL afterwards, and their rates (docs/nurture.md#reports); what `leadpact flows
    report --format json` prints for the store."""
    require_reader(who)
    moment = parse_moment(as_of, "as_of")
    report = reports.current(now, flow) if moment is None else reports.at(moment, flow)
    return report.to_json(lang)


@router.get("/v1/reports/{kind}", responses=_ERRORS, summary="A SPEC §6 report over the store")
def report(
    kind: Annotated[str, Path(description=f"One of {', '.join(REPORT_KINDS)}.")],
    who: CallerDep,
    dashboard: DashboardDep,
    start: FromParam = None,
    end: ToParam = None,
    as_of: ReportAsOf = None,
    by: Annotated[str | None, Query(description=f"Waterfall only: {', '.join(SEGMENT_KINDS)}.")] = None,
    target: Annotated[str | None, Query(description=f"Attribution only: {', '.join(TARGETS)}.")] = None,
    source: Annotated[str | None, Query(max_length=255, description="Only leads of this source.")] = None,
    industry: Annotated[str | None, Query(max_length=255, description="Only leads of this industry.")] = None,
    size: Annotated[str | None, Query(max_length=32, description=f"Only this size band: {', '.join(SIZES)}.")] = None,
    campaign: Annotated[str | None, Query(max_length=255, description="Only leads of this campaign.")] = None,
) -> Any:
    """The report's JSON as documented in docs/reports.md (`waterfall`, `sla`, `neglected`,
    `attribution`, `trend`), for leads that entered in [`from`, `to`)."""
    require_reader(who)
    request = report_request(kind, start, end, by, target, dashboard, source, industry, size, campaign)
    moment = parse_moment(as_of, "as_of")
    return dashboard.report(request, moment)


def report_request(
    kind: str,
    start: str | None,
    end: str | None,
    by: str | None,
    target: str | None,
    dashboard: DashboardService,
    source: str | None = None,
    industry: str | None = None,
    size: str | None = None,
    campaign: str | None = None,
) -> ReportRequest:
    """Parse a report's parameters (MessageError names the culprit)."""
    if kind not in REPORT_KINDS:
        raise MessageError("kind", f"expected one of {', '.join(REPORT_KINDS)}, found {kind!r}")
    report_kind: ReportKind = kind
    if by is not None and kind != "waterfall":
        raise MessageError("by", "only the waterfall report splits by segment")
    if by is not None and by not in SEGMENT_KINDS:
        raise MessageError("by", f"expected one of {', '.join(SEGMENT_KINDS)}, found {by!r}")
    if target is not None and kind != "attribution":
        raise MessageError("target", "only the attribution report has a target stage")
    if target is not None and target not in TARGETS:
        raise MessageError("target", f"expected one of {', '.join(TARGETS)}, found {target!r}")
    zone = dashboard.active().agreement.zone
    start_us, end_us = parse_period(start, end, zone)
    segments = SegmentFilter.of({"source": source, "industry": industry, "size": size, "campaign": campaign})
    if segments.size is not None and segments.size not in SIZES:
        raise MessageError("size", f"expected one of {', '.join(SIZES)}, found {segments.size!r}")
    return ReportRequest(report_kind, start_us, end_us, by, target or "customer", segments)


@router.post(
    "/v1/backtest",
    responses={**_ERRORS, 400: {"model": AgreementProblems}, 413: {"model": Problem}},
    summary="Back-test a proposed agreement against the active one, on the store's history",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/yaml": {"schema": {"type": "string"}},
                "application/json": {
                    "schema": {"type": "object", "properties": {"yaml": {"type": "string"}}, "required": ["yaml"]}
                },
            },
        }
    },
)
async def post_backtest(
    request: Request,
    who: CallerDep,
    dashboard: DashboardDep,
    start: FromParam = None,
    end: ToParam = None,
    as_of: ReportAsOf = None,
) -> Any:
    """Replay the whole stored history under the active agreement and under the proposed one
    (YAML body, or JSON `{"yaml": ...}`) and compare them (docs/backtest.md). Nothing is
    stored. Takes seconds on large histories; the same question asked again is answered from
    memory until the log changes."""
    require_reader(who)
    text = await _agreement_text(request)
    job = await run_in_threadpool(_start_backtest, dashboard, text, start, end, as_of)
    return await run_in_threadpool(dashboard.jobs.wait, job)


def _start_backtest(
    dashboard: DashboardService, text: str, start: str | None, end: str | None, as_of: str | None
) -> Job:
    start_us, end_us = parse_period(start, end, dashboard.active().agreement.zone)
    return dashboard.backtest(text, start_us, end_us, parse_moment(as_of, "as_of"))


async def _agreement_text(request: Request) -> str:
    text = await read_yaml_upload(request, MAX_AGREEMENT_BYTES, "the agreement's")
    if not text.strip():
        raise BodyError(400, "body", "expected the proposed agreement's YAML, found an empty body")
    return text
