"""Back-test comparison pages and, when a calibration has been run, its lift chart and
suggested threshold.

Back-tests replay the whole stored history twice, calibration learns from its outcomes: both
take seconds on a real history, so they run beside the server (:mod:`leadpact.service.dashboard.jobs`)
and their page refreshes itself until the answer is there. Anyone signed in may run a
back-test (it changes nothing); calibrating and turning its proposal into a stored version are
for marketing and admin, like every agreement change.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from leadpact.domain.agreement import AgreementError
from leadpact.domain.messages import MessageError
from leadpact.entrypoints.web.charts import chart_url, font_for
from leadpact.entrypoints.web.formatting import Formatter
from leadpact.entrypoints.web.forms import role_form
from leadpact.entrypoints.web.i18n import Words
from leadpact.entrypoints.web.pages import bad_input_page, error_page, period_text, render
from leadpact.entrypoints.web.routing import web_router
from leadpact.entrypoints.web.state import charts, dashboard
from leadpact.entrypoints.web.viewer import Viewer, ViewerDep, services_of
from leadpact.service.agreements import UnknownVersionError, VersionConflictError
from leadpact.service.auth import AGREEMENT_ROLES, require_agreement_admin
from leadpact.service.calibration.charts import lift_chart
from leadpact.service.calibration.words import words_for
from leadpact.service.dashboard.jobs import Job
from leadpact.service.periods import parse_period

router = web_router()

REFRESH_SECONDS = 2
AgreementForm = Annotated[Viewer, role_form(back="/backtest", require=require_agreement_admin)]
"""Calibrating and storing its proposal change agreements: marketing and admin only."""


def _lift_src(request: Request, job: Job, viewer: Viewer) -> str:
    report = job.result
    lang, font = font_for(viewer.lang)

    def draw() -> Any:
        chart = lift_chart(report.lifts, report.base_rate, words_for(lang))
        return chart.configure(font=font) if font else chart

    return chart_url(charts(request).chart(("lift", job.id, lang, font), draw))


@router.get("/backtest")
def backtest_page(request: Request, viewer: ViewerDep) -> Response:
    service = dashboard(request)
    active = service.active()
    candidates = [
        r for r in reversed(services_of(request).agreements.versions()) if r.version != active.agreement.version
    ]
    calibration = service.jobs.latest("calibration")
    running = calibration is not None and calibration.state in ("queued", "running")
    done = calibration is not None and calibration.state == "done"
    return render(
        request,
        "backtest.html",
        viewer=viewer,
        title_key="backtest.title",
        nav="backtest",
        refresh=REFRESH_SECONDS * 2 if running else None,
        active=active,
        candidates=candidates,
        recent=service.jobs.recent("backtest")[:10],
        calibration=calibration,
        lift_src=_lift_src(request, calibration, viewer) if done and calibration is not None else "",
        may_manage=viewer.role in AGREEMENT_ROLES,
    )


@router.post("/backtest")
def backtest_start(
    request: Request,
    viewer: Annotated[Viewer, role_form(back="/backtest")],
    version: Annotated[str, Form(max_length=64)] = "",
    start: Annotated[str, Form(alias="from", max_length=64)] = "",
    end: Annotated[str, Form(alias="to", max_length=64)] = "",
) -> Response:
    service = dashboard(request)
    try:
        text = services_of(request).agreements.get(version).yaml_text
        first, last = parse_period(start, end, service.active().agreement.zone)
        job = service.backtest(text, first, last)
    except UnknownVersionError as exc:
        return error_page(request, viewer, 404, str(exc), back="/backtest")
    except MessageError as exc:
        return bad_input_page(request, viewer, exc, back="/backtest")
    except AgreementError as exc:
        return error_page(request, viewer, 400, str(exc), back="/backtest")
    return RedirectResponse(f"/backtest/{job.id}", status_code=303)


@router.get("/backtest/{job_id}")
def backtest_result(request: Request, job_id: str, viewer: ViewerDep) -> Response:
    service = dashboard(request)
    job = service.jobs.by_id(job_id)
    words = Words(viewer.lang)
    if job is None or job.key[0] != "backtest":
        return error_page(request, viewer, 404, words("backtest.unknown"), back="/backtest")
    active = service.active()
    fmt = Formatter(viewer.lang, active.agreement.zone)
    start, end = job.meta.get("start"), job.meta.get("end")
    period = period_text(words, fmt, start, end)
    finished = job.state == "done"
    version = job.meta.get("version")
    stored = version is not None and any(r.version == version for r in services_of(request).agreements.versions())
    return render(
        request,
        "backtest_job.html",
        viewer=viewer,
        title_key="backtest.title",
        nav="backtest",
        refresh=None if job.state in ("done", "failed") else REFRESH_SECONDS,
        job=job,
        current_version=job.meta.get("current", active.agreement.version),
        period_text=period,
        chart_src=chart_url(charts(request).report_chart(job.result, viewer.lang)) if finished else "",
        delta=_delta,
        may_activate=finished and stored and viewer.role in AGREEMENT_ROLES and version != active.agreement.version,
    )


def _delta(current: Any, proposed: Any, kind: str) -> str:
    if current is None or proposed is None:
        return "—"
    if kind == "rate":
        points = (proposed - current) * 100
        return f"{points:+.1f} pt"
    return f"{proposed - current:+,}"


@router.post("/backtest/calibration")
def calibration_start(
    request: Request,
    _viewer: AgreementForm,
    target: Annotated[Literal["customer", "sql"], Form()] = "customer",
) -> Response:
    dashboard(request).calibrate(target)
    return RedirectResponse("/backtest#calibration", status_code=303)


@router.post("/backtest/calibration/propose")
def calibration_propose(
    request: Request,
    viewer: AgreementForm,
    job: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Store the calibration's proposed agreement as a version and back-test it."""
    words = Words(viewer.lang)
    service = dashboard(request)
    found = service.jobs.by_id(job)
    if found is None or found.key[0] != "calibration" or found.state != "done":
        return error_page(request, viewer, 404, words("calibration.unknown"), back="/backtest")
    text: str = found.result.proposed_yaml
    try:
        uploaded = services_of(request).agreements.upload(text, "calibration", viewer.who.name, service.now())
    except (VersionConflictError, AgreementError) as exc:
        return error_page(request, viewer, 409, str(exc), back="/backtest")
    viewer.session.flash("ok", "agreement.uploaded", version=uploaded.record.version)
    started = service.backtest(text, None, None)
    return RedirectResponse(f"/backtest/{started.id}", status_code=303)
