"""How every dashboard route answers input it cannot use: the dashboard's own error page (a
JSON body on the ``.json`` endpoints), never the API's JSON errors.

Each page module builds its router with :func:`web_router`, whose routes (:class:`WebRoute`)

* refuse a path or query parameter the store cannot hold (a NUL character, an unpaired
  surrogate: :func:`leadpact.service.ingest.text_problem`) with 400 naming it, before anything is
  read: SQLite would match nothing and PostgreSQL would fail (500) on such text, and the API
  refuses it alike (``leadpact.entrypoints.api.storable``);
* answer a form FastAPI cannot validate (a forged or hand-edited one) with 400 naming the field,
  where FastAPI would answer its JSON;
* answer a form refused by its guard (:mod:`.forms`) with the page the guard chose.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute

from leadpact.domain.messages import MessageError
from leadpact.entrypoints.api.errors import problem
from leadpact.entrypoints.web.pages import bad_input_page
from leadpact.entrypoints.web.viewer import SignInRequiredError, Viewer, get_viewer, safe_next
from leadpact.service.ingest import text_problem

LOCATIONS = ("body", "query", "path", "header", "cookie")
"""Parts of a validation error's location that say where the field was, not which it was."""


class FormRefusedError(Exception):
    """A form refused before its values were read (expired, foreign, or not for this role)."""

    def __init__(self, response: Response) -> None:
        super().__init__("form refused")
        self.response = response


def reject_unstorable(values: Iterable[tuple[str, object]]) -> None:
    """MessageError naming the first ``(name, value)`` whose text the store cannot hold."""
    for name, value in values:
        unstorable = text_problem(value, name)  # files and other non-text values pass
        if unstorable is not None:
            raise unstorable


def first_problem(exc: RequestValidationError) -> MessageError:
    """The first field FastAPI refused, as a MessageError (``reason``, ``items.0``)."""
    errors = exc.errors()
    if not errors:
        return MessageError("body", "invalid request")
    field = ".".join(str(part) for part in errors[0].get("loc", ()) if part not in LOCATIONS)
    return MessageError(field or "body", str(errors[0].get("msg", "invalid")))


class WebRoute(APIRoute):
    """A dashboard route: bad input is answered with the dashboard's pages (see the module)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        answers_json = self.path.endswith(".json")

        async def handle(request: Request) -> Response:
            try:
                reject_unstorable((*request.path_params.items(), *request.query_params.multi_items()))
                return await handler(request)
            except FormRefusedError as exc:
                return exc.response
            except RequestValidationError as exc:
                return await _bad_input(request, first_problem(exc), answers_json)
            except MessageError as exc:
                return await _bad_input(request, exc, answers_json)

        return handle


def web_router() -> APIRouter:
    """A router for dashboard pages: hidden from the API's OpenAPI, answering bad input as above."""
    return APIRouter(include_in_schema=False, route_class=WebRoute)


async def _bad_input(request: Request, error: MessageError, answers_json: bool) -> Response:
    if answers_json:  # the shape of the API's errors, which these endpoints mirror
        return problem(400, str(error), error.field)
    return await run_in_threadpool(_bad_input_page, request, error)


def _bad_input_page(request: Request, error: MessageError) -> Response:
    """Parameters are checked before anything else, so the viewer may not be known yet; someone
    signed out gets the same page, without the navigation."""
    return bad_input_page(request, _viewer_or_none(request), error, back=_back(request))


def _viewer_or_none(request: Request) -> Viewer | None:
    try:
        return get_viewer(request)
    except SignInRequiredError:
        return None


def _back(request: Request) -> str:
    """The page the reader came from on this site (the form or the filters), else the start page."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.headers.get("host"):
        return "/"
    local = referer.path + (f"?{referer.query}" if referer.query else "")
    return safe_next(local) or "/"
