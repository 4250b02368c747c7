"""The guard every dashboard form starts with: a fresh CSRF token, and the role it needs.

The guard is a dependency (:func:`guarded_form`), so it runs before FastAPI validates the form's
other fields: a forged form from a role that may not use it gets 403 whatever its values (a bad
value would otherwise be a 400 first), as docs/dashboard.md promises. Once let through, the
form's text must be text the store can hold, like every parameter (:mod:`.routing`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import FormData

from leadpact.entrypoints.web.i18n import Words
from leadpact.entrypoints.web.pages import error_page
from leadpact.entrypoints.web.routing import FormRefusedError, reject_unstorable
from leadpact.entrypoints.web.viewer import FormExpiredError, Viewer, ViewerDep, check_form
from leadpact.service.auth import AccessDeniedError, Principal

Answer = Callable[[int, str], Response]
"""How a page answers a refused form: the status and the reason in the reader's words."""
FormCheck = Callable[[Request, Viewer, FormData], Response | None]
"""A form's guard: None to let the form through, else the page to answer with."""


def form_text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def refused_form(
    request: Request,
    viewer: Viewer,
    csrf_token: str | None,
    *,
    answer: Answer,
    require: Callable[[Principal], object] | None = None,
) -> Response | None:
    """None when the form may go on; otherwise ``answer``'s page: 403 for an expired or foreign
    form, the refusal's status when ``require`` denies the viewer."""
    words = Words(viewer.lang)
    try:
        check_form(request, viewer.session, csrf_token)
        if require is not None:
            require(viewer.who)
    except FormExpiredError:
        return answer(403, words("error.form_expired"))
    except AccessDeniedError as exc:
        return answer(exc.status, words("lead.denied", reason=words.refusal(exc.message)))
    return None


def guarded_form(check: FormCheck) -> Any:
    """A dependency giving the signed-in viewer once ``check`` let the form through (it raises
    FormRefusedError with ``check``'s page otherwise)."""

    async def guard(request: Request, viewer: ViewerDep) -> Viewer:
        form = await request.form()  # FastAPI has read it already, within its limits: this is that copy
        refused = await run_in_threadpool(check, request, viewer, form)
        if refused is not None:
            raise FormRefusedError(refused)
        reject_unstorable(form.multi_items())
        return viewer

    return Depends(guard)


def role_form(*, back: str, require: Callable[[Principal], object] | None = None) -> Any:
    """:func:`guarded_form` answering a refusal with the error page (and a link to ``back``)."""

    def check(request: Request, viewer: Viewer, form: FormData) -> Response | None:
        def answer(status: int, message: str) -> Response:
            return error_page(request, viewer, status, message, back=back)

        return refused_form(request, viewer, form_text(form, "csrf_token"), answer=answer, require=require)

    return guarded_form(check)
