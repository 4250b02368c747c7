"""Health and status."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from leadpact.adapters.store.lead_queries import LeadQueries
from leadpact.entrypoints.api.deps import CallerDep, ServicesDep
from leadpact.entrypoints.api.routes.agreements import activation_json
from leadpact.entrypoints.api.schemas import Problem, StatusOut
from leadpact.service.auth import require_reader

router = APIRouter(tags=["system"])


@router.get("/healthz", include_in_schema=False)
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/v1/status", response_model=StatusOut, responses={401: {"model": Problem}, 403: {"model": Problem}})
def status(who: CallerDep, services: ServicesDep) -> Any:
    """How far the online engine is: leads waiting for evaluation, the active agreement and
    the progress of its re-evaluation."""
    require_reader(who)
    active = services.agreements.active()
    with services.store.read() as conn:
        leads = LeadQueries(conn).count()
    return {
        "pending_evaluation": services.engine.pending(),
        "leads": leads,
        "active_agreement": active.agreement.version,
        "activation": activation_json(active.activation, active.agreement.zone) if active.activation else None,
    }
