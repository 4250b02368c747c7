"""The work queue / SLA board: neglected and soon-due leads per person and team, how late,
hot leads first; one click to the lead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from leadpact.domain.results import LeadResult
from leadpact.entrypoints.web.i18n import Words
from leadpact.entrypoints.web.pages import render
from leadpact.entrypoints.web.state import dashboard
from leadpact.entrypoints.web.viewer import ViewerDep
from leadpact.service.dashboard import QueueFilter
from leadpact.service.dashboard.queue import NO_OWNER, QueueItem
from leadpact.service.reports import ReportScope
from leadpact.service.reports.sla import business_days_between

router = APIRouter(include_in_schema=False)

PAGE: Final = 50
MAX_ROWS: Final = 2000
FORM_KEYS: Final = ("owner", "team", "sla", "department", "hot")


@dataclass(frozen=True, slots=True)
class Row:
    item: QueueItem
    name: str
    company: str
    business_days: int


def display_name(lead: LeadResult) -> str:
    name = lead.traits.get("name")
    return str(name) if name else lead.lead_id


def company_name(lead: LeadResult) -> str:
    return str(lead.traits.get("company") or lead.company.get("name") or "")


def _filter(form: dict[str, str]) -> QueueFilter:
    def person(value: str | None) -> str | None:
        return NO_OWNER if value == "-" else value

    return QueueFilter(
        owner=person(form.get("owner")),
        team=person(form.get("team")),
        sla=form.get("sla"),
        department=form.get("department"),
        hot_only=bool(form.get("hot")),
    )


def _limit(request: Request, name: str) -> int:
    raw = request.query_params.get(f"{name}_rows", "")
    return min(MAX_ROWS, max(PAGE, int(raw))) if raw.isdigit() else PAGE


@router.get("/queue")
def queue_page(request: Request, viewer: ViewerDep) -> Response:
    form = {key: value for key in FORM_KEYS if (value := request.query_params.get(key, "").strip())}
    service = dashboard(request)
    queue = service.queue(_filter(form))
    scope = ReportScope.for_agreement(service.active().agreement, queue.as_of)
    words = Words(viewer.lang)

    def rows(items: tuple[QueueItem, ...], limit: int, late: bool) -> list[Row]:
        return [
            Row(
                item,
                display_name(item.lead),
                company_name(item.lead),
                business_days_between(item.clock.deadline, queue.as_of, scope) if late else 0,
            )
            for item in items[:limit]
        ]

    sections: list[dict[str, Any]] = []
    for section_id, items, late in (("neglected", queue.neglected, True), ("upcoming", queue.upcoming, False)):
        limit = _limit(request, section_id)
        more = None
        if len(items) > limit:
            params = {**form, **{k: v for k, v in request.query_params.items() if k.endswith("_rows")}}
            params[f"{section_id}_rows"] = str(min(MAX_ROWS, limit * 4))
            more = f"/queue?{urlencode(params)}#{section_id}"
        sections.append(
            {
                "id": section_id,
                "title": words(f"queue.{section_id}_title"),
                "hint": words(f"queue.{section_id}_hint"),
                "rows": rows(items, limit, late),
                "total": len(items),
                "more_url": more,
            }
        )
    mine = viewer.who.name in queue.owners and form.get("owner") != viewer.who.name
    return render(
        request,
        "queue.html",
        viewer=viewer,
        title_key="queue.title",
        nav="queue",
        queue=queue,
        form=form,
        sections=sections,
        due_soon=sum(item.due_soon for item in queue.upcoming),
        mine_url=f"/queue?{urlencode({'owner': viewer.who.name})}" if mine else None,
    )
