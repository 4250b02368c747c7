"""Who may call the API: users with a role and their API keys, and ingestion write keys.

Keys are random 256-bit tokens shown once; only their SHA-256 is stored. A slow password
hash would add nothing for keys of that entropy and would cost every request.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from leadpact.adapters.store.base import Base
from leadpact.adapters.store.log_models import ID_LENGTH
from leadpact.adapters.store.types import ID


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[int] = mapped_column(BigInteger)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[int] = mapped_column(BigInteger)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger)


class WriteKeyRow(Base):
    __tablename__ = "write_keys"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    label: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[int] = mapped_column(BigInteger)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger)
