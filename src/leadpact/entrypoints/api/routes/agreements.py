"""Agreement versions: list, upload (validated), activate (marketing and admin), render."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from leadpact.adapters.agreement_yaml import load_agreement_text
from leadpact.adapters.store.agreements_repo import ActivationRecord, AgreementRecord
from leadpact.domain.timeutil import iso
from leadpact.entrypoints.api.body import YAML_UPLOAD_BODY, read_yaml_upload
from leadpact.entrypoints.api.deps import AgreementServiceDep, CallerDep, NowDep, ServicesDep, UserDep
from leadpact.entrypoints.api.routes.params import LangParam
from leadpact.entrypoints.api.schemas import (
    ActivationOut,
    AgreementDetail,
    AgreementList,
    AgreementProblems,
    Problem,
    UploadResponse,
)
from leadpact.service.agreement_render import render_agreement
from leadpact.service.agreements import ShippedDefault
from leadpact.service.auth import require_agreement_admin, require_reader

router = APIRouter(prefix="/v1/agreements", tags=["agreements"])

MAX_AGREEMENT_BYTES = 1024 * 1024
Version = Annotated[str, Path(min_length=1, max_length=64)]
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": Problem}, 403: {"model": Problem}, 404: {"model": Problem}}


def activation_json(activation: ActivationRecord, zone: Any) -> dict[str, Any]:
    return {
        "id": activation.id,
        "version": activation.version,
        "activated_by": activation.activated_by,
        "activated_at": iso(activation.activated_at, zone),
        "leads_total": activation.leads_total,
        "leads_done": activation.leads_done,
        "finished_at": iso(activation.finished_at, zone) if activation.finished_at is not None else None,
    }


def _record_json(record: AgreementRecord, active_version: str | None, zone: Any) -> dict[str, Any]:
    return {
        "version": record.version,
        "name": record.name,
        "uploaded_by": record.uploaded_by,
        "uploaded_at": iso(record.uploaded_at, zone),
        "active": record.version == active_version,
    }


@router.get("", response_model=AgreementList, responses=_ERRORS)
def list_agreements(who: CallerDep, agreements: AgreementServiceDep) -> Any:
    """Every stored version, which one is active, and every activation."""
    require_reader(who)
    active = agreements.active()
    zone = active.agreement.zone
    version = active.record.version if active.record else None
    return {
        "active_version": active.agreement.version,
        "default_in_use": active.record is None,
        "items": [_record_json(r, version, zone) for r in agreements.versions()],
        "activations": [activation_json(a, zone) for a in agreements.activations()],
    }


@router.post(
    "",
    response_model=UploadResponse,
    status_code=201,
    responses={**_ERRORS, 400: {"model": AgreementProblems}, 409: {"model": Problem}, 413: {"model": Problem}},
    openapi_extra=YAML_UPLOAD_BODY,
)
async def upload(request: Request, who: UserDep, services: ServicesDep, now: NowDep) -> Any:
    """Upload a version (YAML body, or JSON `{"yaml": ...}`); validated, errors name the path."""
    require_agreement_admin(who)
    text = await read_yaml_upload(request, MAX_AGREEMENT_BYTES, "the agreement's")
    uploaded = await run_in_threadpool(services.agreements.upload, text, "agreement.yaml", who.name, now)
    return {"version": uploaded.record.version, "name": uploaded.record.name, "created": uploaded.created}


@router.get("/{version}", response_model=AgreementDetail, responses=_ERRORS)
def get_agreement(version: Version, who: CallerDep, agreements: AgreementServiceDep) -> Any:
    """The version's YAML and record; also the shipped default's while no stored version has
    its version (as `render` does)."""
    require_reader(who)
    found = agreements.lookup(version)
    active = agreements.active()
    if isinstance(found, ShippedDefault):
        return {
            "version": found.version,
            "name": found.name,
            "uploaded_by": None,
            "uploaded_at": None,
            "active": active.record is None,
            "shipped_default": True,
            "yaml": found.yaml_text,
        }
    record = _record_json(found, active.record.version if active.record else None, active.agreement.zone)
    return {**record, "shipped_default": False, "yaml": found.yaml_text}


@router.post("/{version}/activate", response_model=ActivationOut, status_code=202, responses=_ERRORS)
def activate(version: Version, who: UserDep, services: ServicesDep, now: NowDep) -> Any:
    """Make the version active (marketing and admin only). Every lead is then re-evaluated
    in the background; follow `leads_done` / `finished_at` in `GET /v1/agreements`."""
    require_agreement_admin(who)
    activation = services.agreements.activate(version, who.name, now)
    services.engine.notify()
    return activation_json(activation, services.agreements.active().agreement.zone)


@router.get(
    "/{version}/render",
    response_class=PlainTextResponse,
    responses=_ERRORS,
)
def render(
    version: Version,
    who: CallerDep,
    agreements: AgreementServiceDep,
    lang: LangParam = "ja",
    format: Annotated[str, Query(pattern="^(md|html)$", description="md or html.")] = "md",
) -> Response:
    """The human-readable MQL/SQL definition agreement both departments sign."""
    require_reader(who)
    agreement = load_agreement_text(agreements.text_of(version), f"agreement {version}")
    text = render_agreement(agreement, lang, "html" if format == "html" else "md")
    if format == "html":
        return HTMLResponse(text)
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")
