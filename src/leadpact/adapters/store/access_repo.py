"""Users, API keys and write keys (stored as SHA-256 hashes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Connection, Table, select

from leadpact.adapters.store.access_models import ApiKeyRow, UserRow, WriteKeyRow

_U = cast(Table, UserRow.__table__)
_K = cast(Table, ApiKeyRow.__table__)
_W = cast(Table, WriteKeyRow.__table__)


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    name: str
    role: str


class AccessRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def user(self, name: str) -> UserRecord | None:
        row = self.conn.execute(select(_U.c.id, _U.c.name, _U.c.role).where(_U.c.name == name)).first()
        return UserRecord(*row) if row else None

    def add_user(self, name: str, role: str, at: int) -> UserRecord:
        result = self.conn.execute(_U.insert().values(name=name, role=role, created_at=at))
        return UserRecord(int(result.inserted_primary_key[0]), name, role)  # type: ignore[index]

    def add_api_key(self, user_id: int, key_hash: str, prefix: str, at: int) -> None:
        self.conn.execute(_K.insert().values(user_id=user_id, key_hash=key_hash, key_prefix=prefix, created_at=at))

    def add_write_key(self, label: str | None, key_hash: str, prefix: str, at: int) -> None:
        self.conn.execute(_W.insert().values(label=label, key_hash=key_hash, key_prefix=prefix, created_at=at))

    def user_by_key(self, key_hash: str) -> UserRecord | None:
        row = self.conn.execute(
            select(_U.c.id, _U.c.name, _U.c.role)
            .join(_K, _K.c.user_id == _U.c.id)
            .where(_K.c.key_hash == key_hash, _K.c.revoked_at.is_(None))
        ).first()
        return UserRecord(*row) if row else None

    def write_key_label(self, key_hash: str) -> str | None:
        """The label ('' if none) of a live write key, None if no such key."""
        row = self.conn.execute(select(_W.c.label).where(_W.c.key_hash == key_hash, _W.c.revoked_at.is_(None))).first()
        if row is None:
            return None
        return row[0] or ""
