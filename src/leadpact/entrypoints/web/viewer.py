"""Who is looking at a page: the signed-in user (re-checked against the store on every
request), their role, and the language they read.

Roles are enforced by the same service functions the API uses (``require_action``,
``require_writer``, ``require_agreement_admin``); this module only establishes who is asking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from leadpact.adapters.store.access_repo import AccessRepo
from leadpact.entrypoints.web.middleware import WebState
from leadpact.entrypoints.web.sessions import Session, SessionStore, csrf_matches
from leadpact.service.auth import Principal
from leadpact.service.container import Services
from leadpact.service.labels import LANGS, Lang

DEFAULT_LANG: Lang = "ja"


class SignInRequiredError(Exception):
    """No live session: the page answers with a redirect to the sign-in form."""

    def __init__(self, next_url: str) -> None:
        super().__init__("sign-in required")
        self.next_url = next_url


class FormExpiredError(Exception):
    """A POST without the session's CSRF token (or from another site)."""


@dataclass(frozen=True, slots=True)
class Viewer:
    session: Session
    who: Principal
    lang: Lang

    @property
    def role(self) -> str:
        assert self.who.role is not None
        return self.who.role


def web_state(request: Request) -> WebState:
    state: WebState = request.state.web
    return state


def session_store(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.web_sessions
    return store


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def ensure_session(request: Request) -> Session:
    """The request's session, creating an anonymous one (sign-in forms need a CSRF token)."""
    state = web_state(request)
    if state.session is None:
        state.session = session_store(request).new()
        state.set_cookie = True
    return state.session


def page_lang(request: Request, session: Session | None) -> Lang:
    """``?lang=`` (remembered in the session), else the session's, else the browser's."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        lang: Lang = "ja" if asked == "ja" else "en"
        if session is not None:
            session.lang = lang
        return lang
    if session is not None and session.lang is not None:
        return session.lang
    accept = request.headers.get("accept-language", "").lower()
    for part in accept.split(","):
        tag = part.split(";")[0].strip()
        if tag.startswith("ja"):
            return "ja"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANG


def current_url(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path + query


def get_viewer(request: Request) -> Viewer:
    """The signed-in user, or SignInRequiredError. The key's hash is looked up again, so a
    revoked key or a changed role takes effect on the next click."""
    state = web_state(request)
    session = state.session
    if session is None or session.key_hash is None:
        raise SignInRequiredError(current_url(request))
    with services_of(request).store.read() as conn:
        user = AccessRepo(conn).user_by_key(session.key_hash)
    if user is None or user.name != session.user:
        session_store(request).drop(session)
        state.session = None
        state.clear_cookie = True
        raise SignInRequiredError(current_url(request))
    session.role = user.role
    return Viewer(session, Principal(user.name, user.role), page_lang(request, session))


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


def check_form(request: Request, session: Session, token: str | None) -> None:
    """Every POST carries the session's CSRF token; a browser's Origin, when sent, must be ours."""
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        host = request.headers.get("host", "")
        if origin.split("://", 1)[-1] != host:
            raise FormExpiredError
    if not csrf_matches(session, token):
        raise FormExpiredError


def safe_next(value: str | None) -> str | None:
    """A local path to return to after sign-in (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value


def lead_url(lead_id: str) -> str:
    return "/leads/" + quote(lead_id, safe="@")
