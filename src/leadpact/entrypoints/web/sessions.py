"""Server-side sessions for the dashboard, with a CSRF token each.

People sign in with their API key once; the server keeps a session (in memory) and gives the
browser only a random session id, signed with a per-process secret, in an ``HttpOnly``,
``SameSite=Lax`` cookie (``Secure`` over HTTPS). The key itself is never stored: the session
keeps its SHA-256 (what the store keeps), so every request re-checks that the key still
exists and still has its role — a revoked key ends its sessions at once.

Sessions live in this process: a restart signs everyone out, and ``leadpact serve`` runs one
web process. Sessions end after :data:`IDLE_SECONDS` without a request, and after
:data:`MAX_AGE_SECONDS` in any case.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from leadpact.service.labels import Lang

COOKIE: Final = "leadpact_session"
IDLE_SECONDS: Final = 12 * 3600
MAX_AGE_SECONDS: Final = 7 * 24 * 3600
MAX_SESSIONS: Final = 10_000
SIGN_IN_ATTEMPTS: Final = 10
"""Failed sign-ins allowed per client address within :data:`SIGN_IN_WINDOW_SECONDS`."""
SIGN_IN_WINDOW_SECONDS: Final = 300


@dataclass(frozen=True, slots=True)
class Flash:
    kind: str
    key: str
    values: dict[str, str]


@dataclass(slots=True)
class Session:
    id: str
    csrf: str
    created: float
    seen: float
    lang: Lang | None = None
    user: str | None = None
    role: str | None = None
    key_hash: str | None = None
    flashes: list[Flash] = field(default_factory=list)
    """Shown once, on the next page, in the language of that page."""

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    def flash(self, kind: str, key: str, **values: str) -> None:
        """``kind`` is ``ok`` or ``error``; ``key`` a page word (or ready text) and its values."""
        self.flashes.append(Flash(kind, key, values))

    def take_flashes(self) -> list[Flash]:
        taken, self.flashes = self.flashes, []
        return taken


class SessionStore:
    def __init__(
        self,
        secret: bytes | None = None,
        *,
        idle_seconds: float = IDLE_SECONDS,
        max_age_seconds: float = MAX_AGE_SECONDS,
        max_sessions: int = MAX_SESSIONS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self.idle_seconds = idle_seconds
        self.max_age_seconds = max_age_seconds
        self.max_sessions = max_sessions
        self._now = monotonic
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    # --- sessions ---------------------------------------------------------------------------
    def new(self) -> Session:
        now = self._now()
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._sessions[session.id] = session
            self._prune(now)
        return session

    def load(self, cookie: str | None) -> Session | None:
        """The live session a cookie names (None: no cookie, forged, expired or unknown)."""
        session_id = self._verify(cookie)
        if session_id is None:
            return None
        now = self._now()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.seen > self.idle_seconds or now - session.created > self.max_age_seconds:
                del self._sessions[session_id]
                return None
            session.seen = now
            self._sessions.move_to_end(session_id)
            return session

    def renew(self, session: Session) -> Session:
        """The same session under a new id and CSRF token (on sign-in: an id someone planted
        before the sign-in is worthless after it)."""
        fresh = self.new()
        fresh.lang = session.lang
        fresh.flashes = list(session.flashes)
        self.drop(session)
        return fresh

    def drop(self, session: Session) -> None:
        with self._lock:
            self._sessions.pop(session.id, None)

    def cookie_value(self, session: Session) -> str:
        return f"{session.id}.{self._sign(session.id)}"

    def __len__(self) -> int:
        return len(self._sessions)

    # --- sign-in throttling ---------------------------------------------------------------------
    def may_try(self, client: str) -> bool:
        now = self._now()
        with self._lock:
            recent = self._failures.get(client)
            if recent is None:
                return True
            while recent and now - recent[0] > SIGN_IN_WINDOW_SECONDS:
                recent.popleft()
            return len(recent) < SIGN_IN_ATTEMPTS

    def failed(self, client: str) -> None:
        with self._lock:
            self._failures.setdefault(client, deque()).append(self._now())
            if len(self._failures) > self.max_sessions:
                self._failures.pop(next(iter(self._failures)))

    # --- helpers ----------------------------------------------------------------------------------
    def _sign(self, session_id: str) -> str:
        digest = hmac.new(self._secret, session_id.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def _verify(self, cookie: str | None) -> str | None:
        if not cookie or cookie.count(".") != 1 or len(cookie) > 200:
            return None
        session_id, signature = cookie.split(".")
        try:
            expected = self._sign(session_id)
        except UnicodeEncodeError:
            return None
        return session_id if hmac.compare_digest(signature, expected) else None

    def _prune(self, now: float) -> None:
        """Drop expired sessions, then the least recently used beyond the cap (called locked)."""
        while self._sessions:
            oldest = next(iter(self._sessions.values()))
            if now - oldest.seen <= self.idle_seconds and len(self._sessions) <= self.max_sessions:
                break
            self._sessions.popitem(last=False)


def csrf_matches(session: Session, token: str | None) -> bool:
    return token is not None and hmac.compare_digest(session.csrf.encode("ascii"), token.encode("utf-8", "replace"))
