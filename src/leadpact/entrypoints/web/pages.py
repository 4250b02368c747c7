"""Rendering a page: the Jinja2 environment (autoescaped) and what every template receives.

Every page gets the reader's language (``t`` for words, ``f`` for numbers and dates in the
agreement's timezone), the signed-in viewer, the session's CSRF token for its forms, the
one-time flash messages, and links to itself in the other language.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from leadpact import __version__
from leadpact.domain.messages import MessageError
from leadpact.entrypoints.web.formatting import Formatter
from leadpact.entrypoints.web.i18n import Words
from leadpact.entrypoints.web.viewer import Viewer, current_url, ensure_session, lead_url, page_lang, services_of
from leadpact.service.labels import Lang


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("leadpact.entrypoints.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def lang_url(request: Request, lang: Lang) -> str:
    """This page in ``lang`` (the choice is remembered in the session from then on)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", lang))
    return f"{request.url.path}?{urlencode(params)}"


def render(
    request: Request,
    template: str,
    *,
    viewer: Viewer | None,
    title_key: str,
    nav: str = "",
    status: int = 200,
    refresh: int | None = None,
    **context: Any,
) -> HTMLResponse:
    session = viewer.session if viewer is not None else ensure_session(request)
    lang = viewer.lang if viewer is not None else page_lang(request, session)
    agreement = services_of(request).agreements.active().agreement
    words = Words(lang)
    html = (
        environment()
        .get_template(template)
        .render(
            t=words,
            f=Formatter(lang, agreement.zone),
            lang=lang,
            viewer=viewer,
            csrf=session.csrf,
            nav=nav,
            title=words(title_key),
            flashes=[(flash.kind, words.flash(flash.key, flash.values)) for flash in session.take_flashes()],
            lang_url=lambda target: lang_url(request, target),
            lead_url=lead_url,
            agreement=agreement,
            version=__version__,
            refresh=refresh,
            self_url=current_url(request),
            **context,
        )
    )
    return HTMLResponse(html, status_code=status)


def period_text(words: Words, fmt: Formatter, start: int | str | None, end: int | str | None) -> str:
    """A report's period in words: "Leads that entered from Jan 1, 2026 to …", or all time."""
    if start is None and end is None:
        return words("waterfall.all_time")
    return words("waterfall.period", start=fmt.date(start) if start else "…", end=fmt.date(end) if end else "…")


def reader_lang(request: Request, viewer: Viewer | None) -> Lang:
    """The language the page is written in, for the signed-in viewer or anyone else."""
    return viewer.lang if viewer is not None else page_lang(request, ensure_session(request))


def error_page(
    request: Request, viewer: Viewer | None, status: int, message: str, *, back: str | None = None
) -> HTMLResponse:
    heading = {400: "error.bad_request", 403: "error.forbidden", 404: "error.not_found", 409: "error.conflict"}
    key = heading.get(status, "error.generic")
    return render(
        request,
        "error.html",
        viewer=viewer,
        title_key=key,
        status=status,
        heading=Words(reader_lang(request, viewer))(key),
        message=message,
        back=back,
    )


def bad_input_page(request: Request, viewer: Viewer | None, error: MessageError, *, back: str | None) -> HTMLResponse:
    """400 naming the parameter or form field as the page calls it: "Company size: expected …"."""
    field = Words(reader_lang(request, viewer)).field(error.field)
    return error_page(request, viewer, 400, f"{field}: {error.problem}", back=back)
