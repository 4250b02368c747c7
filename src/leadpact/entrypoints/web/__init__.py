"""The web dashboard (GitHub issue #6): server-rendered pages over the store and the reports,
in Japanese and English. See docs/dashboard.md.

``register_web(app)`` adds it to the API's FastAPI app: the session middleware (cookie and
security headers, on the dashboard's paths only), the static assets shipped in the package,
and the pages. No build step and no network: templates, CSS, the little JavaScript and the
server-drawn SVG charts are all in the package.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from leadpact.entrypoints.web.middleware import WebMiddleware
from leadpact.entrypoints.web.routes import agreement, auth, backtest, charts, lead, nurture, queue, waterfall
from leadpact.entrypoints.web.sessions import SessionStore
from leadpact.entrypoints.web.viewer import SignInRequiredError

STATIC = Path(__file__).resolve().parent / "static"
PAGES = (auth, waterfall, queue, lead, agreement, backtest, charts, nurture)
"""The page modules, each with a ``router`` of :class:`~.routing.WebRoute` routes."""


def register_web(app: FastAPI, *, sessions: SessionStore | None = None, warm: bool = True) -> None:
    """Serve the dashboard from ``app`` (built by ``create_app``) at ``/``. ``warm`` False
    keeps reports from being recomputed in the background (tests that count computations)."""
    app.state.web_sessions = sessions or SessionStore()
    app.state.dashboard_warm = warm
    app.add_middleware(WebMiddleware, sessions=app.state.web_sessions)
    app.mount("/static", StaticFiles(directory=STATIC), name="web-static")
    for module in PAGES:
        app.include_router(module.router)
    app.add_exception_handler(SignInRequiredError, _to_sign_in)


def _to_sign_in(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequiredError)
    target = "/login" if exc.next_url in ("/", "") else f"/login?next={_quote(exc.next_url)}"
    return RedirectResponse(target, status_code=303)


def _quote(url: str) -> str:
    return quote(url, safe="/")


__all__ = ["register_web"]
