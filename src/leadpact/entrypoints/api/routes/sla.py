"""Neglected leads (放置検知): SLA clocks still running past their deadline."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from leadpact.adapters.store.lead_queries import OverdueFilter
from leadpact.domain.messages import MessageError
from leadpact.entrypoints.api.deps import CallerDep, LeadServiceDep, NowDep
from leadpact.entrypoints.api.routes.params import AsOfParam, as_of_us
from leadpact.entrypoints.api.schemas import OverduePage, Problem
from leadpact.service.auth import require_reader
from leadpact.service.leads import decode_cursor

router = APIRouter(prefix="/v1/sla", tags=["SLA"])


@router.get(
    "/overdue",
    response_model=OverduePage,
    responses={400: {"model": Problem}, 401: {"model": Problem}, 403: {"model": Problem}},
)
def overdue(
    who: CallerDep,
    leads: LeadServiceDep,
    now: NowDep,
    sla: Annotated[str | None, Query(max_length=255, description="Only this SLA id.")] = None,
    owner: Annotated[str | None, Query(max_length=255, description="Only leads of this owner.")] = None,
    department: Annotated[str | None, Query(max_length=32, description="Only SLAs owned by this department.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    as_of: AsOfParam = None,
) -> Any:
    """Clocks running past their deadline as of now (or `as_of`), most overdue first."""
    require_reader(who)
    after = decode_cursor(cursor) if cursor is not None else None
    if after is not None and not (
        isinstance(after, list)
        and len(after) == 3
        and isinstance(after[0], int)
        and abs(after[0]) < 2**63
        and isinstance(after[1], str)
        and isinstance(after[2], int)
        and 0 <= after[2] < 2**31
    ):
        raise MessageError("cursor", "not a cursor this API returned")
    flt = OverdueFilter(
        sla_id=sla, owner=owner, department=department, after=tuple(after) if after else None, limit=limit
    )
    page = leads.overdue(as_of_us(as_of, now), flt)
    return {"items": page.items, "next_cursor": page.next_cursor}
