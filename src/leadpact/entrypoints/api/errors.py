"""Service errors → HTTP answers: a status, ``detail`` for people and ``field`` for programs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from leadpact.domain.agreement import AgreementError
from leadpact.domain.messages import MessageError
from leadpact.entrypoints.api.body import BodyError
from leadpact.service.actions import ActionRefusedError
from leadpact.service.agreements import UnknownVersionError, VersionConflictError
from leadpact.service.auth import AccessDeniedError
from leadpact.service.leads import BadCursorError, UnknownLeadError


def problem(
    status: int, detail: str, field: str | None = None, *, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Basic realm="leadpact"'}
    return JSONResponse({"detail": detail, "field": field, **extra}, status_code=status, headers=headers)


def _http(_: Request, exc: Exception) -> JSONResponse:
    """Starlette's own answers (no such route, a method the route lacks) and the tracking
    links' 404s, in the same ``{detail, field}`` shape as every other error; ``Allow`` kept."""
    assert isinstance(exc, HTTPException)
    return problem(exc.status_code, str(exc.detail), headers=exc.headers)


def _reason(error: Mapping[str, Any]) -> str:
    """Pydantic's message, in the words ingestion uses for the same limits (its ``too_long``
    says "items" for a constrained string type)."""
    context = error.get("ctx") or {}
    kind = error.get("type")
    if kind in ("too_long", "string_too_long") and "max_length" in context:
        return f"expected at most {context['max_length']} characters"
    if kind in ("too_short", "string_too_short") and "min_length" in context:
        return f"expected at least {context['min_length']} character(s)"
    return str(error.get("msg", "invalid"))


def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header")]
        errors.append({"field": ".".join(loc) or "body", "reason": _reason(error)})
    first = errors[0] if errors else {"field": "body", "reason": "invalid request"}
    return problem(400, f"{first['field']}: {first['reason']}", first["field"], errors=errors)


def install(app: FastAPI) -> None:
    def handler(status: int) -> Any:
        def handle(_: Request, exc: Exception) -> JSONResponse:
            return problem(status, str(exc))

        return handle

    def access(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AccessDeniedError)
        return problem(exc.status, exc.message)

    def body(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, BodyError)
        return problem(exc.status, f"{exc.field}: {exc.message}", exc.field)

    def message(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, MessageError)
        return problem(400, str(exc), exc.field)

    def refused(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ActionRefusedError)
        return problem(409, exc.reason)

    def cursor(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, BadCursorError)
        return problem(400, str(exc), "cursor")

    def agreement(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AgreementError)
        issues = [{"path": p.path, "line": p.line, "message": p.message} for p in exc.problems]
        field = exc.problems[0].path if exc.problems else None
        return problem(400, str(exc), field, problems=issues)

    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(AccessDeniedError, access)
    app.add_exception_handler(BodyError, body)
    app.add_exception_handler(MessageError, message)
    app.add_exception_handler(ActionRefusedError, refused)
    app.add_exception_handler(AgreementError, agreement)
    app.add_exception_handler(UnknownLeadError, handler(404))
    app.add_exception_handler(UnknownVersionError, handler(404))
    app.add_exception_handler(VersionConflictError, handler(409))
    app.add_exception_handler(BadCursorError, cursor)
