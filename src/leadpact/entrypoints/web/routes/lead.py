"""The lead page: the hand-off packet, and the actions the signed-in role may take.

Actions go through the API's own service and permission checks (``require_action``,
``ActionService.act``), so the page cannot do anything the API would refuse; a refused
action is shown on the page with its reason and the status the API would answer (403 role,
409 lifecycle, 400 missing field), and nothing is stored.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from leadpact.adapters.store.event_log import EventLog
from leadpact.domain.messages import Message, MessageError
from leadpact.entrypoints.web.formatting import Formatter
from leadpact.entrypoints.web.forms import form_text, guarded_form, refused_form
from leadpact.entrypoints.web.i18n import Words
from leadpact.entrypoints.web.lead_view import (
    ACTION_ORDER,
    TIMELINE_MAX,
    TIMELINE_SHOWN,
    available_actions,
    decay_text,
    profile,
    sla_rows,
    timeline,
)
from leadpact.entrypoints.web.pages import error_page, render
from leadpact.entrypoints.web.routing import web_router
from leadpact.entrypoints.web.state import dashboard
from leadpact.entrypoints.web.viewer import Viewer, ViewerDep, lead_url, services_of
from leadpact.service.actions import ActionRefusedError
from leadpact.service.auth import AccessDeniedError, Principal, require_action, require_writer
from leadpact.service.leads import UnknownLeadError

router = web_router()

MAX_REASON: Final = 500
MAX_NOTE: Final = 10_000


def _messages(request: Request, lead_id: str) -> list[Message]:
    with services_of(request).store.read() as conn:
        return EventLog(conn).lead_messages([lead_id]).get(lead_id, [])


def _page(request: Request, viewer: Viewer, lead_id: str, *, status: int = 200, error: str | None = None) -> Response:
    words = Words(viewer.lang)
    service = dashboard(request)
    now = service.now()
    try:
        lead = services_of(request).leads.get(lead_id, now, viewer.lang)
    except UnknownLeadError:
        return error_page(request, viewer, 404, words("lead.unknown", lead=lead_id), back="/queue")
    agreement = service.active().agreement
    fmt = Formatter(viewer.lang, agreement.zone)
    handoff = lead["handoff"]
    everything = request.query_params.get("timeline") == "all"
    events = timeline(_messages(request, lead_id), lead["history"], words, agreement.zone)
    shown = events[: TIMELINE_MAX if everything else TIMELINE_SHOWN]
    if error is not None:
        viewer.session.flash("error", error)
    traits = lead["traits"]
    return render(
        request,
        "lead.html",
        viewer=viewer,
        title_key="lead.title",
        nav="queue",
        status=status,
        lead=lead,
        name=str(traits.get("name") or lead_id),
        company_name=str(traits.get("company") or lead["company"].get("name") or ""),
        sla_rows=sla_rows(lead["sla"], now, words, fmt),
        actions=available_actions(viewer.role, lead["stage"], lead["bant"]),
        may_note=viewer.role != "viewer",
        bant=handoff["bant"],
        profile=profile(traits, words),
        company=profile(lead["company"], words),
        notes=list(reversed(handoff["notes"])),
        qualification=handoff["qualification"],
        decay_text=decay_text(agreement, words, fmt),
        timeline=shown,
        timeline_total=len(events),
        timeline_more=(lead_url(lead_id) + "?timeline=all#timeline") if len(events) > len(shown) else None,
    )


@router.get("/leads/{lead_id:path}")
def lead_page(request: Request, lead_id: str, viewer: ViewerDep) -> Response:
    return _page(request, viewer, lead_id)


def may_post(who: Principal, intent: str, action: str) -> str:
    """The role, when it may do what the form asks: a note needs a writer, an action the role's
    permission; an action that does not exist needs a writer too (its name is refused after)."""
    if intent != "note" and action in ACTION_ORDER:
        return require_action(who, action)
    return require_writer(who)


def _check_lead_form(request: Request, viewer: Viewer, form: FormData) -> Response | None:
    """A refused form answers with the lead page, its reason shown where the actions are."""
    lead_id: str = request.path_params["lead_id"]
    intent, action = form_text(form, "intent") or "action", form_text(form, "action") or ""

    def answer(status: int, message: str) -> Response:
        return _page(request, viewer, lead_id, status=status, error=message)

    return refused_form(
        request,
        viewer,
        form_text(form, "csrf_token"),
        answer=answer,
        require=lambda who: may_post(who, intent, action),
    )


@router.post("/leads/{lead_id:path}")
def lead_post(
    request: Request,
    lead_id: str,
    viewer: Annotated[Viewer, guarded_form(_check_lead_form)],
    intent: Annotated[str, Form()] = "action",
    action: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=MAX_REASON)] = "",
    items: Annotated[list[str] | None, Form()] = None,
    owner: Annotated[str, Form(max_length=255)] = "",
    channel: Annotated[str, Form(max_length=32)] = "",
    body: Annotated[str, Form(max_length=MAX_NOTE)] = "",
) -> Response:
    words = Words(viewer.lang)
    services = services_of(request)
    service = dashboard(request)
    now = service.now()
    try:
        role = may_post(viewer.who, intent, action)  # checked by the guard already, on the same form
        if intent == "note":
            if not body.strip():
                raise MessageError("body", words("lead.note_empty"))
            services.leads.add_note(lead_id, viewer.who.name, role, body.strip(), now)
            done: tuple[str, dict[str, str]] = ("lead.note_saved", {})
        else:
            if action not in ACTION_ORDER:
                raise MessageError("action", f"expected one of {', '.join(ACTION_ORDER)}, found {action!r}")
            services.actions.act(
                lead_id,
                action,
                actor_id=viewer.who.name,
                actor_role=role,
                properties=_properties(action, reason, items or [], owner, channel),
                traits={},
                now=now,
            )
            done = ("lead.recorded", {"action": action})
    except AccessDeniedError as exc:
        return _page(
            request, viewer, lead_id, status=exc.status, error=words("lead.denied", reason=words.refusal(exc.message))
        )
    except ActionRefusedError as exc:
        return _page(
            request, viewer, lead_id, status=409, error=words("lead.refused_now", reason=words.refusal(exc.reason))
        )
    except MessageError as exc:
        return _page(request, viewer, lead_id, status=400, error=words("lead.invalid", reason=str(exc)))
    except UnknownLeadError:
        return error_page(request, viewer, 404, words("lead.unknown", lead=lead_id), back="/queue")
    service.poke()
    viewer.session.flash("ok", done[0], **done[1])
    return RedirectResponse(lead_url(lead_id), status_code=303)


def _properties(action: str, reason: str, items: list[str], owner: str, channel: str) -> dict[str, Any]:
    """The action message's properties, as the API's clients send them."""
    properties: dict[str, Any] = {}
    if reason.strip():
        properties["reason"] = reason.strip()
    if action == "confirm_bant":
        properties["items"] = items
    if action == "assign":
        properties["owner"] = owner.strip()
    if action == "contact" and channel:
        properties["channel"] = channel
    return properties
