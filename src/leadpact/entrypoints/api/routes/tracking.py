"""The nurture tracking links: open pixel, click redirect, one-click unsubscribe (issue #8).

Each endpoint verifies the token against every configured secret (``Settings.tracking_keys``),
turns the verified link into its event with ``links.tracking_event`` and stores it through the
same ingestion service as ``/v1/batch``. The event's ``messageId`` derives from the link, so a
pixel fetched again (image proxies, reloads) or a link clicked twice counts once.

Anything that does not verify — tampered, signed with an unknown secret, a token of another
kind, or no secret configured at all — answers 404 and stores nothing: the endpoints reveal
nothing to someone guessing. The click redirect goes only to the URL inside the signature, so
it is not an open redirect. The unsubscribe link follows RFC 8058: ``GET`` only shows a
confirmation page (link scanners fetch URLs), ``POST`` unsubscribes — mail clients send
``List-Unsubscribe=One-Click`` there, a person presses the page's button. Unsubscribing also
suppresses the lead's address in the store and cancels its queued mail, in the transaction
that records the event (``NurtureScheduler.unsubscribe``), so nothing is sent after it.
"""

from __future__ import annotations

import asyncio
import base64
from html import escape
from typing import Final
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from leadpact.entrypoints.api.schemas import Problem
from leadpact.service.container import Services
from leadpact.service.ingest import validate
from leadpact.service.nurture.links import CLICK, OPEN, UNSUBSCRIBE, TrackingLink, tracking_event, verify

router = APIRouter(tags=["nurture tracking"], include_in_schema=False)
"""Left out of the OpenAPI document: these are links in mail for people, not an API for programs."""

PIXEL: Final = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
"""A 1×1 transparent GIF (43 bytes)."""

_PRIVATE: Final = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL: never pass it on
    "X-Robots-Tag": "noindex",
}
_NOT_FOUND: Final[dict[int | str, dict[str, object]]] = {
    404: {"model": Problem, "description": "Not a valid link (tampered, unknown secret, or no secret configured)."}
}


def _verified(request: Request, token: str, kind: str) -> TrackingLink:
    services: Services = request.app.state.services
    keys = services.settings.tracking_keys()
    if not keys:
        raise HTTPException(404, "not found")
    try:
        link = verify(token, keys, kind)
    except (ValueError, TypeError):  # InvalidLinkError is a ValueError; TypeError: belt and braces
        raise HTTPException(404, "not found") from None
    if kind == CLICK and not _is_web_url(link.url):
        raise HTTPException(404, "not found")  # signed, but only http(s) targets are ever followed
    return link


def _is_web_url(url: str | None) -> bool:
    if url is None:
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


async def _record(request: Request, link: TrackingLink) -> None:
    """Store the link's event now, through the ingestion writer (a repeat is a duplicate)."""
    services: Services = request.app.state.services
    now: int = request.app.state.clock.now_us()
    message = validate(tracking_event(link, now), default_timestamp=None, allow_actions=False)
    await asyncio.wrap_future(services.ingest.submit([message], now))


@router.get(
    "/t/o/{token}",
    response_class=Response,
    responses={200: {"content": {"image/gif": {}}, "description": "A 1×1 transparent GIF."}, **_NOT_FOUND},
    summary="Open pixel: records Email Opened",
)
async def open_pixel(request: Request, token: str) -> Response:
    """Record `Email Opened` for the mail the token belongs to (once per mail) and answer a
    transparent 1×1 GIF that no cache keeps."""
    link = _verified(request, token, OPEN)
    await _record(request, link)
    return Response(PIXEL, media_type="image/gif", headers=_PRIVATE)


@router.get(
    "/t/c/{token}",
    response_class=RedirectResponse,
    status_code=302,
    responses={302: {"description": "To the signed target URL."}, **_NOT_FOUND},
    summary="Click redirect: records Email Link Clicked",
)
async def click(request: Request, token: str) -> RedirectResponse:
    """Record `Email Link Clicked` (once per mail and URL) and redirect to the URL signed into
    the token — never to anything else."""
    link = _verified(request, token, CLICK)
    await _record(request, link)
    assert link.url is not None  # _verified checked it
    return RedirectResponse(link.url, status_code=302, headers=_PRIVATE)


_PAGE: Final = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.6}}
button{{font-size:1rem;padding:.5rem 1.25rem}}p.en{{color:#555}}</style>
</head><body>
{body}
</body></html>
"""

_CONFIRM: Final = """<h1>配信停止 / Unsubscribe</h1>
<p>今後、このメールアドレスへのご案内メールの配信を停止します。よろしければボタンを押してください。</p>
<p class="en">You will no longer receive these e-mails. Press the button to confirm.</p>
<form method="post" action="{action}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">配信を停止する / Unsubscribe</button>
</form>"""

_DONE: Final = """<h1>配信を停止しました / Unsubscribed</h1>
<p>今後、ご案内メールはお送りしません。</p>
<p class="en">You have been unsubscribed and will receive no more of these e-mails.</p>"""


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=title, body=body), headers=_PRIVATE)


async def unsubscribe_page(request: Request, token: str) -> HTMLResponse:
    """A confirmation page (Japanese and English) whose button posts to the same link.
    Nothing is recorded: link scanners and previews fetch with GET."""
    _verified(request, token, UNSUBSCRIBE)
    return _page("配信停止 / Unsubscribe", _CONFIRM.format(action=escape(request.url.path, quote=True)))


async def unsubscribe(request: Request, token: str) -> HTMLResponse:
    """Record `Unsubscribed` (RFC 8058 one-click: the body, `List-Unsubscribe=One-Click`, is
    not needed), suppress the address, cancel queued mail, and confirm. Posting again is harmless."""
    link = _verified(request, token, UNSUBSCRIBE)
    services: Services = request.app.state.services
    now: int = request.app.state.clock.now_us()
    # the event, the address suppression and the cancelled mail in one transaction
    await run_in_threadpool(services.nurture.unsubscribe, link, now)
    return _page("配信を停止しました / Unsubscribed", _DONE)


# ``LinkBuilder`` writes ``/t/u/{token}`` into mail; ``/u/{token}`` is the short form.
for _path in ("/t/u/{token}", "/u/{token}"):
    router.get(
        _path,
        response_class=HTMLResponse,
        responses=_NOT_FOUND,
        summary="Unsubscribe confirmation page",
    )(unsubscribe_page)
    router.post(
        _path,
        response_class=HTMLResponse,
        responses=_NOT_FOUND,
        summary="One-click unsubscribe (RFC 8058): records Unsubscribed",
    )(unsubscribe)
