"""The guard every dashboard form starts with: a fresh CSRF token, and the role it needs."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import HTMLResponse

from leadpact.entrypoints.web.i18n import Words
from leadpact.entrypoints.web.pages import error_page
from leadpact.entrypoints.web.viewer import FormExpiredError, Viewer, check_form
from leadpact.service.auth import AccessDeniedError, Principal


def refused_form(
    request: Request,
    viewer: Viewer,
    csrf_token: str | None,
    *,
    back: str,
    require: Callable[[Principal], object] | None = None,
) -> HTMLResponse | None:
    """None when the form may go on; otherwise the error page to answer with: 403 for an
    expired or foreign form, the refusal's status when ``require`` denies the viewer."""
    words = Words(viewer.lang)
    try:
        check_form(request, viewer.session, csrf_token)
        if require is not None:
            require(viewer.who)
    except FormExpiredError:
        return error_page(request, viewer, 403, words("error.form_expired"), back=back)
    except AccessDeniedError as exc:
        return error_page(request, viewer, exc.status, words("lead.denied", reason=exc.message), back=back)
    return None
