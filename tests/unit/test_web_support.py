"""Helpers for the dashboard's tests (no tests here): a small store with a hand-made history,
the app with the dashboard and report routes, keys per role, and an in-process HTTP client.

The history (default agreement, Tokyo time; the clock stands at Tue 20 Jan 2026 12:00):

* ``u1`` — director at a 500-person software company; webinar Mon 5 Jan 10:00 makes it an
  MQL (fit 35 + 20), assigned to is_sato; nobody calls: first contact is due at the end of
  Thu 8 Jan and is neglected.
* ``u2`` — same profile; demo request Tue 6 Jan 11:00: fast-tracked through MQL (assigned,
  first contact due end of Fri 9 Jan) to SQL (meeting due end of Tue 13 Jan): both neglected.
* ``u3`` — a student: disqualified at the gate.
* ``u4`` — director at a 2,000-person manufacturer; contact form Mon 19 Jan 10:00: MQL for the
  enterprise team (is_tanaka), first contact due at the end of Thu 22 Jan (still running).
* ``u5`` — staff at a small retailer, a few page views: MAL only.
* ``u6`` — sales-generated (SGL) by fs_kimura on Fri 9 Jan; its meeting is neglected too.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from leadpact.config import Settings
from leadpact.domain.timeutil import parse_iso, to_us
from leadpact.entrypoints.api.app import create_app
from leadpact.service.clock import FixedClock
from leadpact.service.container import Services, build_services
from leadpact.service.ingest import validate

NOW = "2026-01-20T12:00:00+09:00"
USERS = {
    "inside_sales": "is_sato",
    "field_sales": "fs_kimura",
    "marketing": "mkt_ono",
    "viewer": "coo_view",
    "admin": "ops_admin",
}
BIG = {"job_level": "director", "industry": "software", "employees": 500, "source": "webinar"}


def t(day: int, hour: int, minute: int = 0) -> str:
    return f"2026-01-{day:02d}T{hour:02d}:{minute:02d}:00+09:00"


def _msg(kind: str, user: str, at: str, n: int, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "messageId": f"{user}-{n}", "timestamp": at, "userId": user, **fields}


def history() -> list[dict[str, Any]]:
    fs = {"id": "fs_kimura", "role": "field_sales"}
    enterprise = {"job_level": "director", "industry": "manufacturing", "employees": 2000, "source": "web_organic"}
    return [
        _msg("identify", "u1", t(5, 9), 1, traits={**BIG, "name": "山田 太郎", "company": "東和ソフト"}),
        _msg("track", "u1", t(5, 10), 2, event="Webinar Attended"),
        _msg("identify", "u2", t(6, 9), 1, traits={**BIG, "name": "佐藤 花子", "company": "中央ラボ"}),
        _msg("track", "u2", t(6, 11), 2, event="Demo Requested"),
        _msg("identify", "u3", t(7, 9), 1, traits={"job_level": "student", "source": "web_organic"}),
        _msg("identify", "u4", t(19, 9), 1, traits={**enterprise, "name": "鈴木 一郎", "company": "東和精工"}),
        _msg("track", "u4", t(19, 10), 2, event="Contact Form Submitted"),
        _msg("identify", "u5", t(8, 9), 1, traits={"job_level": "staff", "employees": 20, "source": "web_ads"}),
        _msg("page", "u5", t(8, 9, 5), 2, properties={"path": "/blog/dx"}),
        _msg("page", "u5", t(8, 9, 7), 3, properties={"path": "/products/erp"}),
        {**_msg("action", "u6", t(9, 10), 1, action="create_sgl", actor=fs), "traits": {"name": "紹介 太郎"}},
    ]


@dataclass
class Site:
    app: FastAPI
    services: Services
    clock: FixedClock
    keys: dict[str, str] = field(default_factory=dict)

    def ingest(self, objs: list[dict[str, Any]]) -> None:
        messages = [validate(obj, default_timestamp=None, allow_actions=True) for obj in objs]
        self.services.ingest.ingest(messages, self.clock.now_us())
        self.services.engine.run_pending()

    def close(self) -> None:
        self.services.close()


def build_site(tmp_path: Path, *, messages: list[dict[str, Any]] | None = None, web: bool = True) -> Site:
    settings = Settings.model_validate({"database_url": f"sqlite:///{tmp_path / 'leadpact.db'}"})
    services = build_services(settings, poster=lambda url, payload: None)
    clock = FixedClock(to_us(parse_iso(NOW)))
    app = create_app(services, clock=clock, web=web, warm_dashboard=False)
    site = Site(app, services, clock)
    for role, user in USERS.items():
        site.keys[role] = services.access.create_user_key(user, role, clock.now_us())
    site.ingest(history() if messages is None else messages)
    return site


class WebClient:
    """A browser stand-in over ASGI (no sockets): keeps cookies, never follows redirects."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.cookies = httpx.Cookies()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver", cookies=self.cookies
            ) as client:
                response = await client.request(method, url, **kwargs)
                self.cookies = httpx.Cookies(client.cookies)
                return response

        return asyncio.run(go())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, data=data, **kwargs)

    def csrf(self, url: str = "/login") -> str:
        return csrf_of(self.get(url).text)

    def login(self, key: str) -> httpx.Response:
        return self.post("/login", {"key": key, "csrf_token": self.csrf()})


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "no CSRF field on the page"
    return found.group(1)


def signed_in(site: Site, role: str) -> WebClient:
    client = WebClient(site.app)
    response = client.login(site.keys[role])
    assert response.status_code == 303, response.text
    return client
