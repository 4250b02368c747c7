"""The agreement pages: the rendered MQL/SQL definition agreement (JA/EN), its versions and
their diffs, and upload → validate → back-test → activate (marketing and admin only).

Uploading and activating call the same services and permission check as the API
(``require_agreement_admin``); validation errors are shown at their line of the YAML.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import PurePosixPath
from typing import Annotated, Any, Final

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from leadpact.adapters.agreement_yaml import load_agreement_text
from leadpact.domain.agreement import AgreementError, Problem
from leadpact.entrypoints.web.forms import role_form
from leadpact.entrypoints.web.i18n import Words
from leadpact.entrypoints.web.pages import bad_input_page, error_page, render
from leadpact.entrypoints.web.routing import web_router
from leadpact.entrypoints.web.state import dashboard
from leadpact.entrypoints.web.viewer import Viewer, ViewerDep, services_of
from leadpact.service.agreement_render import render_agreement
from leadpact.service.agreements import UnknownVersionError, VersionConflictError
from leadpact.service.auth import AGREEMENT_ROLES, require_agreement_admin
from leadpact.service.dashboard.diff import line_diff
from leadpact.service.ingest import text_problem

router = web_router()

MAX_AGREEMENT_BYTES: Final = 1024 * 1024
MAX_SOURCE_NAME: Final = 255
AgreementForm = Annotated[Viewer, role_form(back="/agreement", require=require_agreement_admin)]
"""Uploading and activating change the agreement: marketing and admin only."""
DOCUMENT_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
"""The rendered agreement is a self-contained page with its own ``<style>`` and no script."""


def _versions(request: Request) -> tuple[Any, list[dict[str, Any]]]:
    agreements = services_of(request).agreements
    active = agreements.active()
    active_version = active.agreement.version
    rows = [
        {
            "version": r.version,
            "name": r.name,
            "uploaded_by": r.uploaded_by,
            "uploaded_at": r.uploaded_at,
            "active": r.version == active_version,
            "stored": True,
        }
        for r in reversed(agreements.versions())
    ]
    if active.record is None:
        default = {"version": active_version, "name": active.agreement.name, "uploaded_by": "leadpact"}
        rows.append({**default, "uploaded_at": None, "active": True, "stored": False})
    return active, rows


@router.get("/agreement")
def agreement_page(request: Request, viewer: ViewerDep, version: str | None = None) -> Response:
    active, rows = _versions(request)
    shown = version or active.agreement.version
    if not any(row["version"] == shown for row in rows):
        return error_page(
            request, viewer, 404, Words(viewer.lang)("agreement.unknown", version=shown), back="/agreement"
        )
    return render(
        request,
        "agreement.html",
        viewer=viewer,
        title_key="agreement.title",
        nav="agreement",
        active=active,
        versions=rows,
        shown=shown,
        shown_stored=any(row["version"] == shown and row["stored"] for row in rows),
        may_manage=viewer.role in AGREEMENT_ROLES,
        draft=None,
    )


@router.get("/agreement/document/{version}")
def agreement_document(request: Request, version: str, viewer: ViewerDep) -> Response:
    """The signable document itself (shown in a frame, and printable on its own)."""
    try:
        text = services_of(request).agreements.text_of(version)
    except UnknownVersionError:
        return error_page(request, viewer, 404, Words(viewer.lang)("agreement.unknown", version=version))
    html = render_agreement(load_agreement_text(text, f"agreement {version}"), viewer.lang, "html")
    return HTMLResponse(html, headers={"content-security-policy": DOCUMENT_CSP})


@router.get("/agreement/diff")
def agreement_diff(request: Request, viewer: ViewerDep, old: str = "", new: str = "") -> Response:
    agreements = services_of(request).agreements
    try:
        before, after = agreements.text_of(old), agreements.text_of(new)
    except UnknownVersionError as exc:
        return error_page(request, viewer, 404, str(exc), back="/agreement")
    return render(
        request,
        "agreement_diff.html",
        viewer=viewer,
        title_key="agreement.diff",
        nav="agreement",
        old=old,
        new=new,
        diff=line_diff(before, after),
    )


def check_page(
    request: Request,
    viewer: Viewer,
    text: str,
    problems: list[Problem],
    *,
    source: str,
    status: int,
    parsed: tuple[str, str] | None = None,
) -> Response:
    by_line: dict[int, list[Problem]] = defaultdict(list)
    for problem in problems:
        if problem.line:
            by_line[problem.line].append(problem)
    return render(
        request,
        "agreement_check.html",
        viewer=viewer,
        title_key="agreement.check_title",
        nav="agreement",
        status=status,
        text=text,
        lines=list(enumerate(text.splitlines(), start=1)),
        problems=problems,
        by_line=dict(by_line),
        source=source,
        parsed_name=parsed[0] if parsed else "",
        parsed_version=parsed[1] if parsed else "",
    )


def source_name(filename: str | None, words: Words) -> str:
    """What validation errors call the YAML (SPEC §4: every error names the file): the uploaded
    file's own name, without the folders some browsers send and without control characters;
    pasted text is called so."""
    if not filename:
        return words("agreement.pasted")
    base = PurePosixPath(filename.replace("\\", "/")).name
    printable = "".join(char for char in base if char.isprintable())[:MAX_SOURCE_NAME]
    return printable or words("agreement.file")


@router.post("/agreement/upload")
def agreement_upload(
    request: Request,
    viewer: AgreementForm,
    intent: Annotated[str, Form()] = "check",
    yaml: Annotated[str, Form(max_length=MAX_AGREEMENT_BYTES)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    words = Words(viewer.lang)
    text = yaml
    upload = file if file is not None and file.filename else None
    source = source_name(upload.filename if upload is not None else None, words)
    if upload is not None:
        raw = upload.file.read(MAX_AGREEMENT_BYTES + 1)
        if len(raw) > MAX_AGREEMENT_BYTES:
            return error_page(request, viewer, 400, words("agreement.too_large"), back="/agreement")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return error_page(request, viewer, 400, words("agreement.not_utf8"), back="/agreement")
    text = text.replace("\r\n", "\n")
    if not text.strip():
        return error_page(request, viewer, 400, words("agreement.empty"), back="/agreement")
    unstorable = text_problem(text, source)  # pasted text was checked with the form; a file's is here
    if unstorable is not None:
        return bad_input_page(request, viewer, unstorable, back="/agreement")
    try:
        parsed = load_agreement_text(text, source)
    except AgreementError as exc:
        return check_page(request, viewer, text, exc.problems, source=source, status=400)
    if intent != "upload":
        return check_page(request, viewer, text, [], source=source, status=200, parsed=(parsed.name, parsed.version))
    services = services_of(request)
    service = dashboard(request)
    try:
        uploaded = services.agreements.upload(text, source, viewer.who.name, service.now())
    except VersionConflictError as exc:
        viewer.session.flash("error", str(exc))
        return check_page(request, viewer, text, [], source=source, status=409, parsed=(parsed.name, parsed.version))
    job = service.backtest(text, None, None)
    key = "agreement.uploaded" if uploaded.created else "agreement.already_stored"
    viewer.session.flash("ok", key, version=uploaded.record.version)
    return RedirectResponse(f"/backtest/{job.id}", status_code=303)


@router.post("/agreement/activate")
def agreement_activate(
    request: Request,
    viewer: AgreementForm,
    version: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    services = services_of(request)
    try:
        services.agreements.activate(version, viewer.who.name, dashboard(request).now())
    except UnknownVersionError as exc:
        return error_page(request, viewer, 404, str(exc), back="/agreement")
    services.engine.notify()
    dashboard(request).poke()
    viewer.session.flash("ok", "agreement.activated", version=version)
    return RedirectResponse("/agreement", status_code=303)
