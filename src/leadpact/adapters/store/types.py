"""Column types shared by the models."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String

ID = BigInteger().with_variant(Integer(), "sqlite")
"""A 64-bit key; on SQLite ``INTEGER PRIMARY KEY`` so that it is the rowid (no extra index)."""

LEAD_ID = String(255).with_variant(String(255, collation="C"), "postgresql")
"""Lead ids compare by code point everywhere (SQLite's default; "C" on PostgreSQL), as Python
sorts them: the round robin breaks MQL-time ties by lead id, so the order must be identical."""
