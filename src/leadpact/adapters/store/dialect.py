"""The few statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, Text, cast, func, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB


def upsert(conn: Connection, table: Table) -> Any:
    """An INSERT that supports ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def json_text_field(conn: Connection, column: Any, key: str) -> ColumnElement[Any]:
    """``column`` holds a JSON object as text; the value at ``key`` as text (numbers too)."""
    if conn.dialect.name == "postgresql":
        return cast(column, JSONB).op("->>")(literal(key))
    return cast(func.json_extract(column, literal(_json_path(key))), Text())


def _json_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
