"""Leads: read one (with its hand-off packet), list and filter, act, add notes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from leadpact.adapters.store.lead_queries import LeadFilter
from leadpact.domain.agreement import STAGES
from leadpact.domain.messages import MessageError
from leadpact.entrypoints.api.deps import ActionServiceDep, CallerDep, LeadServiceDep, NowDep, UserDep
from leadpact.entrypoints.api.routes.params import AsOfParam, LangParam, as_of_us
from leadpact.entrypoints.api.schemas import (
    ActionRequest,
    ActionResponse,
    LeadDetail,
    LeadPage,
    NoteOut,
    NoteRequest,
    Problem,
)
from leadpact.service.auth import require_action, require_reader, require_writer
from leadpact.service.ingest import MAX_ID_LENGTH
from leadpact.service.leads import decode_cursor

router = APIRouter(prefix="/v1/leads", tags=["leads"])

LeadId = Annotated[str, Path(min_length=1, max_length=MAX_ID_LENGTH, description="The lead's userId.")]
"""Limited as ``userId`` is at ingestion (``create_sgl`` creates the lead under this id); NUL
characters and unpaired surrogates are refused with every other parameter (see ``storable``)."""
_READ_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem},
    401: {"model": Problem},
    403: {"model": Problem},
}


@router.get("/{lead_id}", response_model=LeadDetail, responses={**_READ_ERRORS, 404: {"model": Problem}})
def get_lead(
    lead_id: LeadId,
    who: CallerDep,
    leads: LeadServiceDep,
    now: NowDep,
    as_of: AsOfParam = None,
    lang: LangParam = "en",
) -> Any:
    """The lead as of now (or `as_of`): score with breakdown, stage, history, SLA clocks, owner
    and the hand-off packet sales needs."""
    require_reader(who)
    return leads.get(lead_id, as_of_us(as_of, now), lang)


@router.get("", response_model=LeadPage, responses=_READ_ERRORS)
def list_leads(
    who: CallerDep,
    leads: LeadServiceDep,
    now: NowDep,
    stage: Annotated[list[str] | None, Query(description=f"One or more of {', '.join(STAGES)}.")] = None,
    owner: Annotated[str | None, Query(max_length=255)] = None,
    hot: bool | None = None,
    overdue: Annotated[bool | None, Query(description="Has an SLA clock running past its deadline.")] = None,
    trait: Annotated[
        list[str] | None, Query(description="`name:value` (own trait, else the company's); `company.name:value`.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    as_of: AsOfParam = None,
) -> Any:
    """Leads in lead-id order, filtered; keyset pagination with `cursor`."""
    require_reader(who)
    for value in stage or ():
        if value not in STAGES:
            raise MessageError("stage", f"expected one of {', '.join(STAGES)}, found {value!r}")
    traits: list[tuple[str, str]] = []
    for item in trait or ():
        name, sep, value = item.partition(":")
        if not sep or not name:
            raise MessageError("trait", f"expected name:value, found {item!r}")
        traits.append((name, value))
    after = decode_cursor(cursor) if cursor is not None else None
    if after is not None and not isinstance(after, str):
        raise MessageError("cursor", "not a cursor this API returned")
    flt = LeadFilter(
        stages=tuple(stage or ()), owner=owner, hot=hot, overdue=overdue, traits=traits, after=after, limit=limit
    )
    page = leads.list(flt, as_of_us(as_of, now))
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post(
    "/{lead_id}/actions",
    response_model=ActionResponse,
    responses={
        **_READ_ERRORS,
        404: {"model": Problem},
        409: {"model": Problem, "description": "Refused by the lifecycle (SPEC §5)."},
    },
)
def act(
    lead_id: LeadId,
    request: ActionRequest,
    who: UserDep,
    actions: ActionServiceDep,
    leads: LeadServiceDep,
    now: NowDep,
) -> Any:
    """Record a SPEC §5 action by the caller's own user (the key's user is the actor)."""
    role = require_action(who, request.action)
    outcome = actions.act(
        lead_id,
        request.action,
        actor_id=who.name,
        actor_role=role,
        properties=request.properties,
        traits=request.traits,
        now=now,
        message_id=request.message_id,
    )
    return {"message_id": outcome.message_id, "stored": outcome.stored, "lead": leads.get(lead_id, now)}


@router.post(
    "/{lead_id}/notes", response_model=NoteOut, status_code=201, responses={**_READ_ERRORS, 404: {"model": Problem}}
)
def add_note(lead_id: LeadId, request: NoteRequest, who: UserDep, leads: LeadServiceDep, now: NowDep) -> Any:
    """Add a note to the lead (shown in its hand-off packet)."""
    role = require_writer(who)
    return leads.add_note(lead_id, who.name, role, request.body, now)
