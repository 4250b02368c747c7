"""Signing in with an API key, signing out, and the home page (each role's starting page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from leadpact.entrypoints.web.i18n import Words
from leadpact.entrypoints.web.pages import error_page, render
from leadpact.entrypoints.web.routing import web_router
from leadpact.entrypoints.web.state import dashboard
from leadpact.entrypoints.web.viewer import (
    FormExpiredError,
    check_form,
    ensure_session,
    get_viewer,
    page_lang,
    safe_next,
    services_of,
    session_store,
    web_state,
)
from leadpact.service.auth import AccessDeniedError, hash_key

router = web_router()

SALES_ROLES = frozenset({"inside_sales", "field_sales"})
MAX_KEY_LENGTH = 512


def home_for(role: str | None) -> str:
    """Sales start from their work queue; everyone else from the waterfall."""
    return "/queue" if role in SALES_ROLES else "/waterfall"


@router.get("/")
def home(request: Request) -> Response:
    session = web_state(request).session
    if session is None or not session.signed_in:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(home_for(session.role), status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    session = ensure_session(request)
    if session.signed_in:
        return RedirectResponse(safe_next(next) or home_for(session.role), status_code=303)
    page_lang(request, session)
    dashboard(request).prepare()
    return render(request, "login.html", viewer=None, title_key="login.title", next=safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    key: Annotated[str, Form(max_length=MAX_KEY_LENGTH)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
    next: Annotated[str | None, Form()] = None,
) -> Response:
    session = ensure_session(request)
    words = Words(page_lang(request, session))
    try:
        check_form(request, session, csrf_token)
    except FormExpiredError:
        return _login_error(request, words("error.form_expired"), next, 403)
    client = request.client.host if request.client else "unknown"
    store = session_store(request)
    if not store.may_try(client):
        return _login_error(request, words("login.throttled"), next, 429)
    try:
        who = services_of(request).access.authenticate(key.strip() or None)
    except AccessDeniedError:
        store.failed(client)
        return _login_error(request, words("login.unknown_key"), next, 401)
    if who.role is None:
        return _login_error(request, words("login.write_key"), next, 403)
    fresh = store.renew(session)
    fresh.user, fresh.role, fresh.key_hash = who.name, who.role, hash_key(key.strip())
    state = web_state(request)
    state.session, state.set_cookie = fresh, True
    return RedirectResponse(safe_next(next) or home_for(who.role), status_code=303)


def _login_error(request: Request, message: str, next_url: str | None, status: int) -> HTMLResponse:
    return render(
        request,
        "login.html",
        viewer=None,
        title_key="login.title",
        status=status,
        next=safe_next(next_url),
        error=message,
    )


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str | None, Form()] = None) -> Response:
    state = web_state(request)
    session = state.session
    if session is not None:
        try:
            check_form(request, session, csrf_token)
        except FormExpiredError:
            viewer = get_viewer(request)
            return error_page(request, viewer, 403, Words(viewer.lang)("error.form_expired"), back="/")
        session_store(request).drop(session)
        state.session = None
        state.clear_cookie = True
    return RedirectResponse("/login", status_code=303)
