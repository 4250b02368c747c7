"""The nurture tracking links over HTTP: open pixel, click redirect, one-click unsubscribe.

An in-process app on its own SQLite store with a fixed clock and two tracking secrets (the
second one stands for a retired secret that still verifies). The lead ``n1`` is a director at
a 500-person software company; the default agreement scores ``Email Opened`` +1 and
``Unsubscribed`` -20.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from leadpact.adapters.store.event_log import EventLog
from leadpact.config import Settings
from leadpact.domain.messages import Message
from leadpact.domain.timeutil import parse_iso, to_us
from leadpact.entrypoints.api.app import create_app
from leadpact.service.clock import FixedClock
from leadpact.service.container import Services, build_services
from leadpact.service.ingest import validate
from leadpact.service.nurture.links import CLICK, OPEN, UNSUBSCRIBE, TrackingLink, sign

NOW = "2026-02-10T10:00:00+09:00"
SECRET = b"current-secret"
OLD_SECRET = b"retired-secret"
LEAD = "n1"
TARGET = "https://acme.example/webinar?id=42&lang=ja"


class Client:
    """Requests over ASGI (no sockets); redirects are not followed."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(go())

    def get(self, url: str) -> httpx.Response:
        return self.request("GET", url)

    def post(self, url: str, data: dict[str, str] | None = None) -> httpx.Response:
        return self.request("POST", url, data=data)


@dataclass
class Site:
    client: Client
    services: Services
    as_of: int

    def events(self, name: str) -> list[Message]:
        with self.services.store.read() as conn:
            messages = EventLog(conn).lead_messages([LEAD]).get(LEAD, [])
        return [m for m in messages if m.event == name]

    def score(self) -> float:
        self.services.engine.run_pending()
        return float(self.services.leads.get(LEAD, self.as_of)["score"])


def _build(tmp_path: Path, secrets: str) -> tuple[Client, Services, int]:
    settings = Settings.model_validate(
        {"database_url": f"sqlite:///{tmp_path / 'leadpact.db'}", "tracking_secrets": secrets}
    )
    services = build_services(settings, poster=lambda url, payload: None)
    clock = FixedClock(to_us(parse_iso(NOW)))
    app = create_app(services, clock=clock, web=False, warm_dashboard=False)
    return Client(app), services, clock.now_us()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    client, services, now = _build(tmp_path, f"{SECRET.decode()}, {OLD_SECRET.decode()}")
    identify = {
        "type": "identify",
        "messageId": "n1-identify",
        "userId": LEAD,
        "timestamp": "2026-02-02T09:00:00+09:00",
        "traits": {"job_level": "director", "industry": "software", "employees": 500, "email": "n1@soft.example"},
    }
    services.ingest.ingest([validate(identify, default_timestamp=None, allow_actions=False)], now)
    try:
        yield Site(client, services, now)
    finally:
        services.close()


def _token(kind: str, url: str | None = None, secret: bytes = SECRET) -> str:
    return sign(TrackingLink(kind, LEAD, "whitepaper_webinar", "1", 1, "invite", url), secret)


def test_the_open_pixel_records_one_email_opened_and_raises_the_score(site: Site) -> None:
    before = site.score()
    first = site.client.get(f"/t/o/{_token(OPEN)}")
    again = site.client.get(f"/t/o/{_token(OPEN)}")  # a reload, or an image proxy
    assert first.status_code == again.status_code == 200
    assert first.headers["content-type"] == "image/gif" and first.content.startswith(b"GIF89a")
    assert first.headers["cache-control"] == "no-store"
    opened = site.events("Email Opened")
    assert len(opened) == 1
    assert opened[0].message_id == "nurture:whitepaper_webinar:1:n1:1:invite:opened"
    assert opened[0].properties["flow"] == "whitepaper_webinar"
    assert site.score() == before + 1  # default agreement: email_open, 1 point


def test_a_link_signed_with_a_retired_secret_still_verifies(site: Site) -> None:
    assert site.client.get(f"/t/o/{_token(OPEN, secret=OLD_SECRET)}").status_code == 200
    assert len(site.events("Email Opened")) == 1


def test_a_click_redirects_to_the_signed_url_and_records_email_link_clicked(site: Site) -> None:
    response = site.client.get(f"/t/c/{_token(CLICK, TARGET)}")
    assert response.status_code == 302
    assert response.headers["location"] == TARGET
    assert response.headers["referrer-policy"] == "no-referrer"
    clicked = site.events("Email Link Clicked")
    assert len(clicked) == 1 and clicked[0].properties["url"] == TARGET


def _tampered(token: str) -> list[str]:
    payload, _, mac = token.partition(".")
    other_lead = sign(TrackingLink(OPEN, "someone-else", "whitepaper_webinar", "1", 1, "invite"), b"guess")
    flipped = ("A" if mac[0] != "A" else "B") + mac[1:]  # the first character: all six bits count
    return [f"{payload}.{flipped}", other_lead, payload, "not-a-token", f"{payload}.{mac}x"]


def test_tampered_or_foreign_tokens_are_404_and_store_nothing(site: Site) -> None:
    for bad in _tampered(_token(OPEN)):
        assert site.client.get(f"/t/o/{bad}").status_code == 404, bad
    for bad in _tampered(_token(CLICK, TARGET)):
        response = site.client.get(f"/t/c/{bad}")
        assert response.status_code == 404 and "location" not in response.headers, bad
    for bad in _tampered(_token(UNSUBSCRIBE)):
        assert site.client.post(f"/t/u/{bad}").status_code == 404, bad
    # a genuine token used at another kind's endpoint: a pixel is not an unsubscribe
    assert site.client.post(f"/t/u/{_token(OPEN)}").status_code == 404
    assert site.client.get(f"/t/c/{_token(OPEN)}").status_code == 404
    for name in ("Email Opened", "Email Link Clicked", "Unsubscribed"):
        assert site.events(name) == [], name


def test_unsubscribe_get_only_confirms_and_post_records_unsubscribed(site: Site) -> None:
    before = site.score()
    token = _token(UNSUBSCRIBE)
    page = site.client.get(f"/t/u/{token}")
    assert page.status_code == 200 and "配信停止" in page.text and "Unsubscribe" in page.text
    assert f'action="/t/u/{token}"' in page.text and 'method="post"' in page.text
    assert site.events("Unsubscribed") == []  # link scanners fetch with GET
    one_click = site.client.post(f"/t/u/{token}", data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and "Unsubscribed" in one_click.text
    assert site.client.post(f"/u/{token}").status_code == 200  # the short form; a repeat is harmless
    unsubscribed = site.events("Unsubscribed")
    assert len(unsubscribed) == 1 and unsubscribed[0].properties["source"] == "email_link"
    assert site.score() == before - 20  # default agreement: unsubscribe, -20


def test_without_a_configured_secret_every_tracking_endpoint_is_404(tmp_path: Path) -> None:
    client, services, _ = _build(tmp_path, "")
    try:
        assert client.get(f"/t/o/{_token(OPEN)}").status_code == 404
        assert client.get(f"/t/c/{_token(CLICK, TARGET)}").status_code == 404
        assert client.get(f"/u/{_token(UNSUBSCRIBE)}").status_code == 404
        assert client.post(f"/u/{_token(UNSUBSCRIBE)}").status_code == 404
    finally:
        services.close()
