"""The dashboard's ASGI middleware: the session cookie and the security headers.

It only touches the dashboard's own paths (:func:`is_web_path`); the JSON API keeps its own
behaviour. Each request gets a :class:`WebState` in ``request.state.web``: routes read the
session from it and ask for the cookie to be set or cleared; the middleware writes the
``Set-Cookie`` header when the response starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadpact.entrypoints.web.sessions import COOKIE, Session, SessionStore

WEB_PREFIXES: Final = (
    "/login",
    "/logout",
    "/waterfall",
    "/queue",
    "/leads/",
    "/agreement",
    "/backtest",
    "/nurture",
    "/charts/",
    "/static/",
)
CSP: Final = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'"
)
"""No inline script or style anywhere in the dashboard (charts are inline SVG, which needs
neither); the rendered agreement document, which carries its own ``<style>``, relaxes
``style-src`` on its one route."""


def is_web_path(path: str) -> bool:
    return path == "/" or path.startswith(WEB_PREFIXES)


@dataclass(slots=True)
class WebState:
    session: Session | None
    set_cookie: bool = False
    clear_cookie: bool = False


class WebMiddleware:
    def __init__(self, app: ASGIApp, sessions: SessionStore) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_web_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        state = WebState(self.sessions.load(_cookie(scope)))
        scope.setdefault("state", {})["web"] = state
        secure = scope.get("scheme") == "https"
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                _security_headers(headers, static)
                if state.set_cookie and state.session is not None:
                    headers.append("set-cookie", _cookie_header(self.sessions.cookie_value(state.session), secure))
                elif state.clear_cookie:
                    headers.append("set-cookie", _cookie_header("", secure, max_age=0))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header is no session, not an error
                return None
            morsel = jar.get(COOKIE)
            if morsel is not None:
                return morsel.value
    return None


def _cookie_header(value: str, secure: bool, max_age: int | None = None) -> str:
    parts = [f"{COOKIE}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def _security_headers(headers: MutableHeaders, static: bool) -> None:
    defaults = {
        "content-security-policy": CSP,
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "x-frame-options": "SAMEORIGIN",
        "cache-control": "public, max-age=3600" if static else "no-store",
    }
    for name, value in defaults.items():
        if name not in headers:
            headers[name] = value
