"""The work queue / SLA board: neglected and soon-due leads per person and team, how late,
hot leads first; one click to the lead."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from leadpact.domain.agreement import DEPARTMENTS, Agreement
from leadpact.domain.messages import MessageError
from leadpact.domain.results import LeadResult
from leadpact.entrypoints.web.i18n import Words
from leadpact.entrypoints.web.pages import bad_input_page, render
from leadpact.entrypoints.web.routing import web_router
from leadpact.entrypoints.web.state import dashboard
from leadpact.entrypoints.web.viewer import ViewerDep
from leadpact.service.dashboard import QueueFilter
from leadpact.service.dashboard.queue import NO_OWNER, QueueItem
from leadpact.service.reports import ReportScope
from leadpact.service.reports.sla import business_days_between

router = web_router()

PAGE: Final = 50
MAX_ROWS: Final = 2000
FORM_KEYS: Final = ("owner", "team", "sla", "department", "hot")
HOT_VALUES: Final = {"1": True, "0": False}
"""``hot=1``: hot leads only (the checkbox); ``hot=0`` or none: every lead."""


@dataclass(frozen=True, slots=True)
class Choices:
    """The values the SLA and department filters accept: the active agreement's SLAs and the
    departments owning them (a clock's department is its SLA's owner)."""

    slas: tuple[str, ...]
    departments: tuple[str, ...]

    @classmethod
    def of(cls, agreement: Agreement) -> Choices:
        owners = {rule.owner for rule in agreement.sla}
        return cls(tuple(rule.id for rule in agreement.sla), tuple(d for d in DEPARTMENTS if d in owners))


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


def _one_of(form: dict[str, str], name: str, allowed: Iterable[str]) -> None:
    """An unknown value would only empty the queue: MessageError naming the filter instead."""
    value, known = form.get(name), tuple(allowed)
    if value is not None and value not in known:
        expected = f"one of {', '.join(known)}" if known else "none (the agreement in force has no SLA)"
        raise MessageError(name, f"expected {expected}, found {value!r}")


def _filter(form: dict[str, str], choices: Choices) -> QueueFilter:
    """The queue's filter from the form (MessageError for a value no clock can have)."""
    _one_of(form, "sla", choices.slas)
    _one_of(form, "department", choices.departments)
    _one_of(form, "hot", HOT_VALUES)

    def person(value: str | None) -> str | None:
        return NO_OWNER if value == "-" else value

    return QueueFilter(
        owner=person(form.get("owner")),
        team=person(form.get("team")),
        sla=form.get("sla"),
        department=form.get("department"),
        hot_only=HOT_VALUES[form.get("hot", "0")],
    )


def _limit(request: Request, name: str) -> int:
    raw = request.query_params.get(f"{name}_rows", "")
    return min(MAX_ROWS, max(PAGE, int(raw))) if raw.isdigit() else PAGE


@router.get("/queue")
def queue_page(request: Request, viewer: ViewerDep) -> Response:
    form = {key: value for key in FORM_KEYS if (value := request.query_params.get(key, "").strip())}
    service = dashboard(request)
    choices = Choices.of(service.active().agreement)
    try:
        flt = _filter(form, choices)
    except MessageError as exc:
        return bad_input_page(request, viewer, exc, back="/queue")
    if not flt.hot_only:
        form.pop("hot", None)  # hot=0 is no filter: neither ticked nor carried into the links
    queue = service.queue(flt)
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
        choices=choices,
        sections=sections,
        due_soon=sum(item.due_soon for item in queue.upcoming),
        mine_url=f"/queue?{urlencode({'owner': viewer.who.name})}" if mine else None,
    )
