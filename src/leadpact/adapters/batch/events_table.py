"""The canonical events table every batch engine reads: one row per valid message.

Readers (JSONL, Parquet; DuckDB or Spark) produce exactly these columns, and the per-lead
replay turns rows back into :class:`~leadpact.domain.messages.Message` objects, so a message
means the same thing on every path. Nested objects travel as JSON text.

``opaque`` marks a row whose JSON text SQL cannot read the way Python does (NaN, lone
surrogates): its lead is replayed entirely in Python.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from leadpact.domain.messages import Message

EVENT_COLUMNS: Final = (
    ("seq", "BIGINT"),
    ("type", "VARCHAR"),
    ("message_id", "VARCHAR"),
    ("ts", "BIGINT"),
    ("user_id", "VARCHAR"),
    ("anonymous_id", "VARCHAR"),
    ("event", "VARCHAR"),
    ("path", "VARCHAR"),
    ("action", "VARCHAR"),
    ("actor_id", "VARCHAR"),
    ("actor_role", "VARCHAR"),
    ("traits", "VARCHAR"),
    ("properties", "VARCHAR"),
    ("opaque", "BOOLEAN"),
)
"""(name, DuckDB type). ``seq`` is the arrival order: the line (JSONL) or row (Parquet) number."""

EVENT_NAMES: Final = tuple(name for name, _ in EVENT_COLUMNS)


def events_ddl(table: str, extra: Sequence[tuple[str, str]] = ()) -> str:
    """The table of canonical rows, plus ``extra`` (name, type) columns (rule matches)."""
    columns = ", ".join(f"{name} {kind}" for name, kind in (*EVENT_COLUMNS, *extra))
    return f"CREATE TABLE {table} ({columns})"


def arrow_schema() -> Any:
    import pyarrow as pa

    types = {"BIGINT": pa.int64(), "VARCHAR": pa.string(), "BOOLEAN": pa.bool_()}
    return pa.schema([pa.field(name, types[kind]) for name, kind in EVENT_COLUMNS])


def _dump(value: Any) -> tuple[str, bool]:
    """JSON text of a mapping, and whether SQL can read it like Python (no NaN, valid UTF-8)."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
        return text, False
    except (ValueError, UnicodeEncodeError):
        return json.dumps(value), True


def message_row(msg: Message, keep_properties: bool) -> tuple[Any, ...]:
    """A parsed message as a canonical row (used for rows only Python could parse)."""
    opaque = False
    traits: str | None = None
    if msg.type in ("identify", "group") or msg.action == "create_sgl":
        traits, opaque = _dump(dict(msg.traits))
    properties: str | None = None
    if msg.type == "action" or keep_properties:
        properties, props_opaque = _dump(dict(msg.properties))
        opaque = opaque or props_opaque
    return (
        msg.seq,
        msg.type,
        msg.message_id,
        msg.ts,
        msg.user_id,
        msg.anonymous_id,
        msg.event,
        msg.path,
        msg.action,
        msg.actor_id,
        msg.actor_role,
        traits,
        properties,
        opaque,
    )


def row_message(row: dict[str, Any]) -> Message:
    """A canonical row back as the domain's message (what the per-lead replay consumes)."""
    traits = row["traits"]
    properties = row["properties"]
    return Message(
        type=row["type"],
        message_id=row["message_id"],
        ts=row["ts"],
        user_id=row["user_id"],
        anonymous_id=row["anonymous_id"],
        traits=json.loads(traits) if traits is not None else {},
        event=row["event"],
        path=row["path"],
        properties=json.loads(properties) if properties is not None else {},
        action=row["action"],
        actor_id=row["actor_id"],
        actor_role=row["actor_role"],
        seq=row["seq"],
    )
