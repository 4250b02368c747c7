"""Writing generated messages: JSONL (one SPEC §3 message per line) or Parquet.

Both writers take blocks of message dicts and keep nothing but a bounded buffer, so memory
stays constant whatever the size of the run. Parquet columns (docs/generator.md) hold every
message field; nested objects (``traits``, ``properties``, ``context``) are JSON text, so the
file round-trips to exactly the JSONL messages (:func:`iter_parquet_messages`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Final, Protocol

from leadpact.adapters.synthetic.messagelog import Entry

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

PARQUET_ROW_GROUP: Final = 100_000
PARQUET_COLUMNS: Final = (
    "type", "messageId", "timestamp", "ts_us", "userId", "anonymousId", "event", "name",
    "groupId", "action", "actor_id", "actor_role", "traits", "properties", "context",
)  # fmt: skip
_JSON_COLUMNS: Final = ("traits", "properties", "context")
_PLAIN_COLUMNS: Final = (
    "type",
    "messageId",
    "timestamp",
    "userId",
    "anonymousId",
    "event",
    "name",
    "groupId",
    "action",
)


class MessageWriter(Protocol):
    def write(self, block: list[Entry]) -> None: ...
    def close(self) -> None: ...


class JsonlWriter:
    """Messages as UTF-8 JSON lines (Japanese text kept readable, not ``\\u``-escaped)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, block: list[Entry]) -> None:
        if block:
            self._stream.write("\n".join([entry.json_line() for entry in block]))
            self._stream.write("\n")

    def close(self) -> None:
        self._stream.flush()


def _schema() -> Any:
    import pyarrow as pa

    text = pa.string()
    fields = [pa.field(name, pa.int64() if name == "ts_us" else text) for name in PARQUET_COLUMNS]
    return pa.schema(fields, metadata={b"leadpact.format": b"messages/1"})


class ParquetWriter:
    """Messages as Parquet row groups of :data:`PARQUET_ROW_GROUP` rows (zstd)."""

    def __init__(self, path: str | Path, row_group: int = PARQUET_ROW_GROUP) -> None:
        import pyarrow.parquet as pq

        self._schema = _schema()
        self._writer = pq.ParquetWriter(str(path), self._schema, compression="zstd")
        self._row_group = row_group
        self._columns: dict[str, list[Any]] = {name: [] for name in PARQUET_COLUMNS}
        self._rows = 0

    def write(self, block: list[Entry]) -> None:
        cols = self._columns
        for entry in block:
            msg = entry.obj
            for name in _PLAIN_COLUMNS:
                cols[name].append(msg.get(name))
            cols["ts_us"].append(entry.ts)
            actor = msg.get("actor")
            cols["actor_id"].append(actor["id"] if actor else None)
            cols["actor_role"].append(actor["role"] if actor else None)
            for name in _JSON_COLUMNS:
                value = msg.get(name)
                cols[name].append(None if value is None else _dumps(value))
        self._rows += len(block)
        if self._rows >= self._row_group:
            self._flush()

    @property
    def buffered_rows(self) -> int:
        return self._rows

    def _flush(self) -> None:
        import pyarrow as pa

        if self._rows:
            self._writer.write_table(pa.Table.from_pydict(self._columns, schema=self._schema))
            for values in self._columns.values():
                values.clear()
            self._rows = 0

    def close(self) -> None:
        self._flush()
        self._writer.close()


def iter_parquet_messages(path: str | Path, batch_size: int = 65_536) -> Iterator[dict[str, Any]]:
    """The messages of a file written by :class:`ParquetWriter`, as the JSONL dicts."""
    import pyarrow.parquet as pq

    reader = pq.ParquetFile(str(path))
    for batch in reader.iter_batches(batch_size=batch_size):
        columns = batch.to_pydict()
        for row in range(batch.num_rows):
            msg: dict[str, Any] = {}
            for name in _PLAIN_COLUMNS:
                value = columns[name][row]
                if value is not None:
                    msg[name] = value
            actor_id = columns["actor_id"][row]
            if actor_id is not None:
                msg["actor"] = {"id": actor_id, "role": columns["actor_role"][row]}
            for name in _JSON_COLUMNS:
                text = columns[name][row]
                if text is not None:
                    msg[name] = json.loads(text)
            yield msg


def write_all(blocks: Iterable[list[Entry]], writer: MessageWriter) -> None:
    try:
        for block in blocks:
            writer.write(block)
    finally:
        writer.close()
