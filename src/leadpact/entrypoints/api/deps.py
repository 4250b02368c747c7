"""Dependencies: the services, the clock, and the caller behind the presented key.

They are ``async def`` although none awaits: FastAPI runs a plain ``def`` dependency in its
thread pool, and the hop there and back cost about 0.2 ms of CPU per dependency per request
(a list request paid over 1 ms in hops alone). None of them blocks, except the key lookup on
a cache miss (one indexed read, at most once per key every ten seconds), which ingestion
already does on the event loop."""

from __future__ import annotations

import base64
import threading
import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.http import HTTPBase
from starlette.requests import HTTPConnection

from leadpact.service.actions import ActionService
from leadpact.service.agreements import AgreementService
from leadpact.service.auth import AccessDeniedError, Principal
from leadpact.service.clock import Clock
from leadpact.service.container import Services
from leadpact.service.leads import LeadService


class _DeclaredScheme(HTTPBase):
    """A scheme for the OpenAPI document only: it reads nothing. FastAPI's HTTP Basic parser
    would answer a malformed header (or a user name without ``:``, which ingestion accepts)
    with a bare 401 outside the API's ``{detail, field}`` errors; :func:`presented_key` reads
    the header as ingestion does instead."""

    async def __call__(self, _request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        return None


basic_scheme = _DeclaredScheme(
    scheme="basic",
    auto_error=False,
    scheme_name="writeKey",
    description="A write key (or API key) as the HTTP Basic user name, password empty — as Segment does.",
)
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key: `Authorization: Bearer lpk_…`.",
)


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


ServicesDep = Annotated[Services, Depends(get_services)]
ClockDep = Annotated[Clock, Depends(get_clock)]


async def get_now(clock: ClockDep) -> int:
    """The request's receive time (µs): the only place the API reads the clock."""
    return clock.now_us()


NowDep = Annotated[int, Depends(get_now)]


def key_from_headers(authorization: str | None) -> str | None:
    """The key in an ``Authorization`` header: Bearer token, or the HTTP Basic user name."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    scheme = scheme.lower()
    credentials = credentials.strip()
    if scheme == "bearer":
        return credentials or None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise AccessDeniedError(401, "malformed HTTP Basic credentials") from None
        return decoded.partition(":")[0] or None
    return None


async def presented_key(
    request: Request,
    _basic: Annotated[HTTPAuthorizationCredentials | None, Depends(basic_scheme)],
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> str | None:
    """The key in ``Authorization``, read exactly as ingestion reads it (a malformed one is a
    401 naming the problem); the two schemes are there for the OpenAPI document."""
    return key_from_headers(request.headers.get("authorization"))


KeyDep = Annotated[str | None, Depends(presented_key)]


class KeyCache:
    """Recently verified keys, so a busy client does not cost a database read per request.

    Entries live ``ttl`` seconds (monotonic time, read here at the edge): a revoked key stops
    working within that time. Unknown keys are never cached.
    """

    def __init__(self, ttl: float = 10.0) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    def authenticate(self, services: Services, key: str | None) -> Principal:
        if key:
            with self._lock:
                hit = self._entries.get(key)
            if hit is not None and hit[1] > time.monotonic():
                return hit[0]
        who = services.access.authenticate(key)
        assert key is not None
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key] = (who, time.monotonic() + self.ttl)
        return who


def authenticate(request: Request, key: str | None) -> Principal:
    cache: KeyCache = request.app.state.key_cache
    return cache.authenticate(request.app.state.services, key)


async def get_caller(request: Request, key: KeyDep) -> Principal:
    return authenticate(request, key)


CallerDep = Annotated[Principal, Depends(get_caller)]


async def get_user(who: CallerDep) -> Principal:
    """The caller of a request that changes something, who must act as a user: a write key
    is refused in words that fit a write (``require_reader``'s are about reading)."""
    if who.is_write_key:
        raise AccessDeniedError(403, "write keys can only send events; use an API key for this request")
    return who


UserDep = Annotated[Principal, Depends(get_user)]


async def get_lead_service(services: ServicesDep) -> LeadService:
    return services.leads


async def get_action_service(services: ServicesDep) -> ActionService:
    return services.actions


async def get_agreement_service(services: ServicesDep) -> AgreementService:
    return services.agreements


LeadServiceDep = Annotated[LeadService, Depends(get_lead_service)]
ActionServiceDep = Annotated[ActionService, Depends(get_action_service)]
AgreementServiceDep = Annotated[AgreementService, Depends(get_agreement_service)]
