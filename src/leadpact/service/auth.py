"""Keys and permissions: who is calling, and may they do this (SPEC §5 roles).

Users have one role; an API key acts as its user. Write keys only send events (as Segment's
write keys do): they can never read leads. Keys are shown once and stored as SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Final

from leadpact.adapters.store.access_repo import AccessRepo
from leadpact.adapters.store.engine import Store
from leadpact.domain.lifecycle import role_may
from leadpact.domain.messages import ROLES

USER_KEY_PREFIX: Final = "lpk_"
WRITE_KEY_PREFIX: Final = "lpw_"
INGEST_ROLES: Final = frozenset({"admin", "marketing", "system"})
"""User keys of these roles may also send events (imports); write keys always may."""
ACTION_MESSAGE_ROLES: Final = frozenset({"admin", "system"})
"""Who may send ``action`` messages through the event endpoints (history imports); people
act through ``POST /v1/leads/{id}/actions`` so the actor is their own key's user."""
AGREEMENT_ROLES: Final = frozenset({"admin", "marketing"})


class AccessDeniedError(Exception):
    """``status`` 401 (who are you?) or 403 (you may not)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class KeyCreationError(ValueError):
    """A key could not be created (bad role, role conflict)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a user (``role`` set) or a write key (``role`` None)."""

    name: str
    role: str | None

    @property
    def is_write_key(self) -> bool:
        return self.role is None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _new_key(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


class AccessService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create_user_key(self, user: str, role: str, now: int) -> str:
        """A new API key for ``user`` (created with ``role`` if new). Returns the key, once."""
        if role not in ROLES:
            raise KeyCreationError(f"--role: expected one of {', '.join(ROLES)}, found {role!r}")
        if not user.strip() or len(user) > 255:
            raise KeyCreationError("--user: expected a non-empty name of at most 255 characters")
        key = _new_key(USER_KEY_PREFIX)
        with self.store.write() as conn:
            repo = AccessRepo(conn)
            record = repo.user(user)
            if record is None:
                record = repo.add_user(user, role, now)
            elif record.role != role:
                raise KeyCreationError(f"user {user!r} already exists with role {record.role}, not {role}")
            repo.add_api_key(record.id, hash_key(key), key[:8], now)
        return key

    def create_write_key(self, label: str | None, now: int) -> str:
        key = _new_key(WRITE_KEY_PREFIX)
        with self.store.write() as conn:
            AccessRepo(conn).add_write_key(label, hash_key(key), key[:8], now)
        return key

    def authenticate(self, key: str | None) -> Principal:
        """The caller behind ``key``; raises AccessDeniedError(401) for none or an unknown key."""
        if not key:
            raise AccessDeniedError(
                401,
                "no key: send an API key as 'Authorization: Bearer <key>' (or a write key as the HTTP Basic user name)",
            )
        digest = hash_key(key)
        with self.store.read() as conn:
            repo = AccessRepo(conn)
            if key.startswith(WRITE_KEY_PREFIX):
                label = repo.write_key_label(digest)
                if label is not None:
                    return Principal(name=f"write-key:{label or key[:8]}", role=None)
            else:
                user = repo.user_by_key(digest)
                if user is not None:
                    return Principal(name=user.name, role=user.role)
        raise AccessDeniedError(401, "unknown or revoked key")


# --- permissions --------------------------------------------------------------------------
def require_ingest(who: Principal) -> None:
    if who.role is not None and who.role not in INGEST_ROLES:
        raise AccessDeniedError(
            403, f"role {who.role} may not send events (allowed: write keys, {', '.join(sorted(INGEST_ROLES))})"
        )


def may_send_actions(who: Principal) -> bool:
    return who.role in ACTION_MESSAGE_ROLES


def require_reader(who: Principal) -> str:
    """Any user may read; write keys may not. Returns the role."""
    if who.role is None:
        raise AccessDeniedError(403, "write keys can only send events; use an API key to read")
    return who.role


def require_action(who: Principal, action: str) -> str:
    role = require_reader(who)
    if not role_may(role, action):
        raise AccessDeniedError(403, f"role {role} may not {action}")
    return role


def require_writer(who: Principal) -> str:
    role = require_reader(who)
    if role == "viewer":
        raise AccessDeniedError(403, "role viewer may only read")
    return role


def require_agreement_admin(who: Principal) -> str:
    role = require_reader(who)
    if role not in AGREEMENT_ROLES:
        raise AccessDeniedError(403, f"role {role} may not change agreements (allowed: admin, marketing)")
    return role
