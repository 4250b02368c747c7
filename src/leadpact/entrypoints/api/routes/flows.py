"""Nurture flow versions: list, upload (validated), activate and deactivate (marketing and admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from leadpact.adapters.store.flows_repo import FlowActivationRecord, FlowVersionRecord
from leadpact.domain.flows import FlowError
from leadpact.domain.timeutil import iso
from leadpact.entrypoints.api.body import YAML_UPLOAD_BODY, BodyError, parse_json, read_body, read_yaml_upload
from leadpact.entrypoints.api.deps import CallerDep, NowDep, ServicesDep, UserDep
from leadpact.entrypoints.api.errors import problem
from leadpact.entrypoints.api.schemas import Problem
from leadpact.service.auth import AGREEMENT_ROLES, AccessDeniedError, Principal, require_reader
from leadpact.service.flows import Activated, FlowStatus
from leadpact.service.ingest import text_problem

router = APIRouter(prefix="/v1/flows", tags=["nurture flows"])

MAX_FLOW_BYTES = 256 * 1024
FlowId = Annotated[str, Path(min_length=1, max_length=64, description="The flow's `id`.")]
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": Problem}, 403: {"model": Problem}, 404: {"model": Problem}}


class FlowProblem(BaseModel):
    path: str
    line: int | None
    message: str


class FlowProblems(BaseModel):
    detail: str
    field: str | None
    problems: list[FlowProblem]


class FlowVersionOut(BaseModel):
    version: str
    name: str | None
    uploaded_by: str
    uploaded_at: str
    active: bool


class FlowActivationOut(BaseModel):
    id: int
    flow_id: str
    version: str
    activated_by: str
    activated_at: str
    deactivated_by: str | None
    deactivated_at: str | None


class FlowOut(BaseModel):
    flow_id: str
    active: bool
    active_version: str | None
    active_since: str | None
    versions: list[FlowVersionOut]
    activations: list[FlowActivationOut]


class SchedulerOut(BaseModel):
    sending: bool
    reason: str | None
    interval_seconds: float


class FlowList(BaseModel):
    flows: list[FlowOut]
    scheduler: SchedulerOut


class FlowUploaded(BaseModel):
    flow_id: str
    version: str
    name: str | None
    created: bool


class FlowActivated(FlowActivationOut):
    changed: bool
    cancelled: int


def _activation_json(activation: FlowActivationRecord, zone: Any) -> dict[str, Any]:
    return {
        "id": activation.id,
        "flow_id": activation.flow_id,
        "version": activation.version,
        "activated_by": activation.activated_by,
        "activated_at": iso(activation.activated_at, zone),
        "deactivated_by": activation.deactivated_by,
        "deactivated_at": iso(activation.deactivated_at, zone) if activation.deactivated_at is not None else None,
    }


def _version_json(record: FlowVersionRecord, current: FlowActivationRecord | None, zone: Any) -> dict[str, Any]:
    return {
        "version": record.version,
        "name": record.name,
        "uploaded_by": record.uploaded_by,
        "uploaded_at": iso(record.uploaded_at, zone),
        "active": current is not None and current.flow_version_id == record.id,
    }


def _flow_json(status: FlowStatus, zone: Any) -> dict[str, Any]:
    current = status.current
    return {
        "flow_id": status.flow_id,
        "active": current is not None,
        "active_version": current.version if current is not None else None,
        "active_since": iso(current.activated_at, zone) if current is not None else None,
        "versions": [_version_json(v, current, zone) for v in status.versions],
        "activations": [_activation_json(a, zone) for a in status.activations],
    }


def _activated_json(done: Activated, zone: Any) -> dict[str, Any]:
    return {**_activation_json(done.activation, zone), "changed": done.changed, "cancelled": done.cancelled}


def _require_flow_admin(who: Principal) -> None:
    """Flows are marketing's, like the agreement: marketing and admin change them (403 for
    other roles; write keys cannot even read)."""
    role = require_reader(who)
    if role not in AGREEMENT_ROLES:
        raise AccessDeniedError(403, f"role {role} may not change nurture flows (allowed: admin, marketing)")


def flow_problems(exc: FlowError) -> JSONResponse:
    """400 naming every problem: its field path, line and message (as ``flows check``)."""
    issues = [{"path": p.path, "line": p.line, "message": p.message} for p in exc.problems]
    field = exc.problems[0].path if exc.problems else None
    return problem(400, str(exc), field, problems=issues)


@router.get("", response_model=FlowList, responses=_ERRORS)
def list_flows(who: CallerDep, services: ServicesDep, now: NowDep) -> Any:
    """Every flow in the store: its versions, which one accepts entries, every activation and
    deactivation; and whether the scheduler is sending (and if not, why)."""
    require_reader(who)
    zone = services.agreements.active().agreement.zone
    reason = services.nurture.idle_reason(now)
    return {
        "flows": [_flow_json(status, zone) for status in services.flows.status(now)],
        "scheduler": {
            "sending": reason is None,
            "reason": reason,
            "interval_seconds": services.settings.nurture_interval_seconds,
        },
    }


@router.post(
    "",
    response_model=FlowUploaded,
    status_code=201,
    responses={**_ERRORS, 400: {"model": FlowProblems}, 409: {"model": Problem}, 413: {"model": Problem}},
    openapi_extra=YAML_UPLOAD_BODY,
)
async def upload(request: Request, who: UserDep, services: ServicesDep, now: NowDep) -> Any:
    """Upload a flow version (YAML body, or JSON `{"yaml": ...}`), validated like
    `leadpact flows check` — every template rendered for a sample lead. Not active until
    activated. Errors name the line and field of every problem."""
    _require_flow_admin(who)
    text = await read_yaml_upload(request, MAX_FLOW_BYTES, "the flow's")
    try:
        uploaded = await run_in_threadpool(services.flows.upload, text, "flow.yaml", who.name, now)
    except FlowError as exc:
        return flow_problems(exc)
    record = uploaded.record
    return {"flow_id": record.flow_id, "version": record.version, "name": record.name, "created": uploaded.created}


async def _version_named(request: Request, query: str | None) -> str:
    body = await read_body(request, 4096)
    named: str | None = None
    if body.strip():
        payload = parse_json(body)
        if not isinstance(payload, dict) or not isinstance(payload.get("version"), str):
            raise BodyError(400, "version", 'expected a JSON object {"version": "..."} naming the version')
        named = payload["version"]
        unstorable = text_problem(named, "version")  # the query's is checked with every parameter
        if unstorable is not None:
            raise unstorable
    if query is not None and named is not None and query != named:
        raise BodyError(400, "version", f"the query names {query!r} and the body {named!r}")
    version = query if query is not None else named
    if not version:
        raise BodyError(400, "version", 'required: name the version to activate (?version=... or {"version": ...})')
    return version


@router.post(
    "/{flow_id}/activate",
    response_model=FlowActivated,
    responses={**_ERRORS, 400: {"model": Problem}},
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {
                    "schema": {"type": "object", "properties": {"version": {"type": "string"}}, "required": ["version"]}
                }
            },
        }
    },
)
async def activate(
    request: Request,
    flow_id: FlowId,
    who: UserDep,
    services: ServicesDep,
    now: NowDep,
    version: Annotated[str | None, Query(min_length=1, max_length=64, description="The version to activate.")] = None,
) -> Any:
    """Make a stored version the one leads enter from now on (the previous version's runs
    finish under it). Name the version in the query or in a JSON body `{"version": ...}`."""
    _require_flow_admin(who)
    chosen = await _version_named(request, version)
    done = await run_in_threadpool(services.flows.activate, flow_id, chosen, who.name, now)
    return _activated_json(done, services.agreements.active().agreement.zone)


@router.post("/{flow_id}/deactivate", response_model=FlowActivated, responses=_ERRORS)
def deactivate(flow_id: FlowId, who: UserDep, services: ServicesDep, now: NowDep) -> Any:
    """Stop the flow now: no lead enters it, its runs send no more mail and record no more
    goals, and mail already queued for it is cancelled (`cancelled`)."""
    _require_flow_admin(who)
    done = services.flows.deactivate(flow_id, who.name, now)
    return _activated_json(done, services.agreements.active().agreement.zone)
