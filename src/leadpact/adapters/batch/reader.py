"""Read an event file (JSONL or Parquet) into the canonical ``events`` table of a DuckDB database.

Rows in a shape SQL reads exactly like ``parse_message`` are validated and extracted in DuckDB
(:mod:`leadpact.adapters.batch.canonical`); every other row goes through ``parse_message``
itself, which accepts it or names what is wrong. Bad rows are reported with their line (JSONL)
or row (Parquet) number and never half-applied.

JSONL is split into lines in Python (``bytes.splitlines`` numbers lines exactly as reading the
file as text does) and handed to DuckDB in Arrow chunks, so memory stays bounded. A line that
is not UTF-8 is one bad line, reported as the reference JSONL reader reports it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from leadpact.adapters.batch.canonical import (
    EMPTY_OBJECT,
    RISKY_JSON,
    Raw,
    RawRow,
    canonical_query,
    json_kind,
    python_whitespace,
)
from leadpact.adapters.batch.events_table import EVENT_NAMES, events_ddl, message_row
from leadpact.adapters.batch.matching import RuleMatching
from leadpact.adapters.batch.sql_compile import EventColumns, text
from leadpact.adapters.jsonl import not_utf8
from leadpact.domain.messages import Message, MessageError, describe, parse_message
from leadpact.domain.timeutil import RANGE_TEXT, in_range, iso

CHUNK_BYTES: Final = 64 << 20
_JSON_FIELDS: Final = (
    "type",
    "messageId",
    "timestamp",
    "userId",
    "anonymousId",
    "event",
    "name",
    "groupId",
    "action",
    "actor",
    "actor.id",
    "actor.role",
    "traits",
    "context",
    "properties",
)
_OBJECT_FIELDS: Final = frozenset({"actor", "traits", "context", "properties"})


@dataclass(frozen=True, slots=True)
class BadRow:
    """A rejected input row: ``line`` is the JSONL line or the 1-based Parquet row."""

    source: str
    line: int
    reason: str
    unit: str = "line"

    def render(self) -> str:
        if self.unit == "line":
            return f"{self.source}:{self.line}: {self.reason}"
        return f"{self.source}: row {self.line}: {self.reason}"


@dataclass(slots=True)
class ReadReport:
    rows: int = 0
    bad: list[BadRow] = field(default_factory=list)
    python_rows: int = 0
    """Rows that only ``parse_message`` could read (slow path), accepted or not."""


def is_parquet(path: str | Path) -> bool:
    return str(path).lower().endswith((".parquet", ".pq"))


def load_events(
    con: Any, path: str | Path, matching: RuleMatching, *, keep_event_properties: bool, table: str = "events"
) -> ReadReport:
    """Create ``table`` in ``con`` with the file's valid messages; report the bad ones."""
    con.execute(events_ddl(table, [*matching.columns, ("ok", "BOOLEAN")]))
    loader = _Loader(con, table, matching, keep_event_properties)
    if is_parquet(path):
        return loader.parquet(str(path))
    return loader.jsonl(str(path))


# --- JSONL --------------------------------------------------------------------------------------


def _json_raw(f: str, index: int) -> Raw:
    value = f"{f}[{index}]"
    name = _JSON_FIELDS[index - 1]
    as_text = f"CAST({value} AS VARCHAR)" if name in _OBJECT_FIELDS else f"({value} ->> '$')"
    return Raw(kind=f"json_type({value})", text=as_text)


def jsonl_raw_row() -> RawRow:
    """Raw fields of a JSONL line (relation with ``seq``, ``line``, ``_good`` and the list ``_f``)."""
    r = {name: _json_raw("_f", i) for i, name in enumerate(_JSON_FIELDS, start=1)}
    # CASE, not AND: the JSON functions must never see a line that is not valid JSON.
    root_ok = (
        "(CASE WHEN _good THEN json_type(line) = 'OBJECT'"
        " AND len(json_keys(line)) = len(list_distinct(json_keys(line))) ELSE FALSE END)"
    )
    return RawRow(
        seq="seq",
        root_ok=root_ok,
        type=r["type"],
        message_id=r["messageId"],
        timestamp=r["timestamp"],
        ts_us="NULL::BIGINT",
        user_id=r["userId"],
        anonymous_id=r["anonymousId"],
        event=r["event"],
        name=r["name"],
        group_id=r["groupId"],
        action=r["action"],
        actor=r["actor"],
        actor_id=r["actor.id"],
        actor_role=r["actor.role"],
        traits=r["traits"],
        context=r["context"],
        properties=r["properties"],
    )


def jsonl_source(lines: str) -> str:
    """The raw relation over a ``(seq, line)`` relation: blank lines dropped, JSON parsed once."""
    paths = "[" + ", ".join(text("$." + name) for name in _JSON_FIELDS) + "]"
    blank = text("^" + python_whitespace() + "*$")
    return f"""(
        SELECT seq, line, _good, CASE WHEN _good THEN json_extract(line, {paths}) END AS _f
        FROM (
            SELECT seq, line, json_valid(line) AND NOT regexp_matches(line, {text(RISKY_JSON)}) AS _good
            FROM {lines} WHERE NOT regexp_matches(line, {blank})
        )
    )"""


def _line_chunks(path: str) -> Iterator[tuple[int, list[bytes]]]:
    """(number of the first line, lines) in chunks of about :data:`CHUNK_BYTES`."""
    first = 1
    rest = b""
    with Path(path).open("rb") as stream:
        while True:
            block = stream.read(CHUNK_BYTES)
            if not block:
                break
            data = rest + block
            cut = max(data.rfind(b"\n"), data.rfind(b"\r"))
            if cut < 0 or (cut == len(data) - 1 and data.endswith(b"\r")):
                # A lone "\r" at the end may be the first half of "\r\n": wait for more.
                rest = data
                continue
            rest = data[cut + 1 :]
            lines = data[: cut + 1].splitlines()
            yield first, lines
            first += len(lines)
    if rest:
        yield first, rest.splitlines()


class _Loader:
    def __init__(self, con: Any, table: str, matching: RuleMatching, keep_event_properties: bool) -> None:
        self.con = con
        self.table = table
        self.matching = matching
        self.keep = keep_event_properties
        self.columns = ", ".join([*EVENT_NAMES, *(name for name, _ in matching.columns), "ok"])

    def jsonl(self, path: str) -> ReadReport:
        return _load_jsonl(self, path)

    def parquet(self, path: str) -> ReadReport:
        return _load_parquet(self, path)

    def insert_python_rows(self, messages: Iterator[Any]) -> None:
        """Rows only ``parse_message`` could read, with their rule matches computed in SQL."""
        rows = [message_row(msg, self.keep) for msg in messages]
        if not rows:
            return
        con = self.con
        base = ", ".join(EVENT_NAMES)
        placeholders = ", ".join("?" for _ in EVENT_NAMES)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _python_base AS SELECT {base} FROM {self.table} LIMIT 0")
        con.executemany(f"INSERT INTO _python_base VALUES ({placeholders})", rows)
        cols = EventColumns(properties="CASE WHEN opaque THEN NULL ELSE properties END")
        match = ", ".join(self.matching.select(cols))
        con.execute(f"INSERT INTO {self.table} SELECT {base}, {match}, TRUE FROM _python_base")
        con.execute("DROP TABLE _python_base")


def _load_jsonl(loader: _Loader, path: str) -> ReadReport:
    import pyarrow as pa

    con, table, keep_event_properties = loader.con, loader.table, loader.keep
    report = ReadReport()
    canonical = canonical_query(
        jsonl_source("_lines"), jsonl_raw_row(), loader.matching, keep_event_properties=keep_event_properties
    )
    columns = loader.columns
    for first, lines in _line_chunks(path):
        try:
            texts = pa.array(lines, type=pa.binary()).cast(pa.string())
        except pa.ArrowInvalid:
            texts = pa.array(_utf8_lines(lines, first, path, report), type=pa.string())
        chunk = pa.table({"seq": pa.array(range(first, first + len(lines)), type=pa.int64()), "line": texts})
        con.register("_lines", chunk)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _canon AS {canonical}")
        con.execute(f"INSERT INTO {table} SELECT {columns} FROM _canon WHERE ok")
        slow = con.execute("SELECT c.seq, l.line FROM _canon c JOIN _lines l USING (seq) WHERE NOT c.ok").fetchall()
        report.rows += con.execute("SELECT count(*) FROM _canon").fetchall()[0][0]
        con.unregister("_lines")
        loader.insert_python_rows(_parse_lines(slow, path, report))
    con.execute("DROP TABLE IF EXISTS _canon")
    report.bad.sort(key=lambda bad: bad.line)  # lines that are not UTF-8 were noted first in their chunk
    return report


def _utf8_lines(lines: list[bytes], first: int, source: str, report: ReadReport) -> list[str]:
    """A chunk's lines as text when some are not UTF-8: each of those is a bad line, reported as
    the reference reader reports it, and read as a blank line (dropped, numbering kept)."""
    texts: list[str] = []
    for offset, raw in enumerate(lines):
        try:
            texts.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            report.bad.append(BadRow(source, first + offset, not_utf8(raw, exc)))
            report.rows += 1
            texts.append("")
    return texts


def _parse_lines(rows: list[tuple[int, str]], source: str, report: ReadReport) -> Iterator[Any]:
    for seq, line in rows:
        report.python_rows += 1
        try:
            obj = json.loads(line.strip())
        except json.JSONDecodeError as exc:
            report.bad.append(BadRow(source, seq, f"invalid JSON: {exc.msg} at column {exc.colno}"))
            continue
        try:
            yield parse_message(obj, seq=seq)
        except MessageError as exc:
            report.bad.append(BadRow(source, seq, str(exc)))


# --- Parquet ------------------------------------------------------------------------------------

_PLAIN: Final = {
    "type": "type",
    "messageId": "message_id",
    "userId": "user_id",
    "anonymousId": "anonymous_id",
    "event": "event",
    "name": "name",
    "action": "action",
}
_NESTED: Final = ("traits", "context", "properties")
NESTED_COLUMNS: Final = (*_NESTED, "actor")
"""Columns holding JSON objects (text, struct or map)."""


def _parquet_columns(con: Any, path: str) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({text(path)})").fetchall()
    return {str(name): str(kind).upper() for name, kind, *_ in rows}


def _absent_raw() -> Raw:
    return Raw("NULL::VARCHAR", "NULL::VARCHAR")


def _plain_raw(column: str, kind: str) -> Raw:
    quoted = f'"{column}"'
    if kind == "VARCHAR":
        return Raw(f"(CASE WHEN {quoted} IS NULL THEN NULL ELSE 'VARCHAR' END)", quoted, typed=True)
    if kind in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "HUGEINT"):
        return Raw(f"(CASE WHEN {quoted} IS NULL THEN NULL ELSE 'BIGINT' END)", f"CAST({quoted} AS VARCHAR)")
    return Raw(f"(CASE WHEN {quoted} IS NULL THEN NULL ELSE '{kind}' END)", f"CAST({quoted} AS VARCHAR)")


def _nested_raw(column: str, kind: str) -> Raw:
    quoted = f'"{column}"'
    if kind == "VARCHAR" or kind == "JSON":
        return Raw(json_kind(quoted), quoted, json_text=True)
    # A struct or map column: NULL fields mean "not in this message" (merge_patch drops them).
    as_json = f"CAST(json_merge_patch('{{}}', to_json({quoted})) AS VARCHAR)"
    return Raw(f"(CASE WHEN {quoted} IS NULL THEN NULL ELSE json_type({as_json}) END)", as_json)


def timestamp_us_sql(kind: str, column: str = '"timestamp"') -> str | None:
    """µs since the epoch of a timestamp column typed with a time zone (None: not one).
    Nanoseconds are cut to the µs below, as ``parse_iso`` cuts a longer fraction."""
    if kind.startswith("TIMESTAMP WITH TIME ZONE"):
        return f"epoch_us({column})"
    if kind.startswith("TIMESTAMPTZ_NS") or kind.startswith("TIMESTAMP_NS WITH TIME ZONE"):
        ns = f"epoch_ns({column})"
        return f"(({ns} - (({ns} % 1000) + 1000) % 1000) // 1000)"  # floor: DuckDB's // truncates
    return None


def parquet_raw_row(columns: dict[str, str]) -> RawRow:
    plain = {key: _plain_raw(key, columns[key]) if key in columns else _absent_raw() for key in _PLAIN}
    nested = {key: _nested_raw(key, columns[key]) if key in columns else _absent_raw() for key in _NESTED}
    group_id = _plain_raw("groupId", columns["groupId"]) if "groupId" in columns else _absent_raw()
    ts_kind = columns.get("timestamp", "")
    timestamp = _plain_raw("timestamp", ts_kind) if ts_kind == "VARCHAR" else _absent_raw()
    ts_us = _ts_us_sql(columns) or "NULL::BIGINT"
    actor, actor_id, actor_role = _actor_raw(columns)
    return RawRow(
        seq="(file_row_number + 1)",
        root_ok="TRUE",
        type=plain["type"],
        message_id=plain["messageId"],
        timestamp=timestamp,
        ts_us=ts_us,
        user_id=plain["userId"],
        anonymous_id=plain["anonymousId"],
        event=plain["event"],
        name=plain["name"],
        group_id=group_id,
        action=plain["action"],
        actor=actor,
        actor_id=actor_id,
        actor_role=actor_role,
        traits=nested["traits"],
        context=nested["context"],
        properties=nested["properties"],
    )


def _actor_raw(columns: dict[str, str]) -> tuple[Raw, Raw, Raw]:
    """The actor as ``actor_id``/``actor_role`` columns (leadpact's layout) or one ``actor`` column."""
    if "actor" not in columns:
        ident = _plain_raw("actor_id", columns["actor_id"]) if "actor_id" in columns else _absent_raw()
        role = _plain_raw("actor_role", columns["actor_role"]) if "actor_role" in columns else _absent_raw()
        present = f"(CASE WHEN {ident.kind} IS NOT NULL OR {role.kind} IS NOT NULL THEN 'OBJECT' END)"
        return Raw(present, EMPTY_OBJECT), ident, role
    actor = _nested_raw("actor", columns["actor"])
    # CASE: the JSON functions must not see text that is not JSON (such a row is not ok and
    # goes to the reference reader, which names the cell).
    valid = f"json_valid({actor.text})"
    ident = Raw(
        f"(CASE WHEN {valid} THEN json_type({actor.text}, '/id') END)",
        f"(CASE WHEN {valid} THEN json_extract_string({actor.text}, '/id') END)",
    )
    role = Raw(
        f"(CASE WHEN {valid} THEN json_type({actor.text}, '/role') END)",
        f"(CASE WHEN {valid} THEN json_extract_string({actor.text}, '/role') END)",
    )
    return actor, ident, role


def _load_parquet(loader: _Loader, path: str) -> ReadReport:
    con, table = loader.con, loader.table
    columns = _parquet_columns(con, path)
    source = f"read_parquet({text(path)}, file_row_number = true)"
    canonical = canonical_query(source, parquet_raw_row(columns), loader.matching, keep_event_properties=loader.keep)
    # One pass: every row lands in the table with its verdict; the few that only Python can
    # judge are taken out again and replaced by what parse_message makes of them.
    con.execute(f"INSERT INTO {table} SELECT {loader.columns} FROM ({canonical})")
    report = ReadReport(rows=con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    slow_seqs = [seq for (seq,) in con.execute(f"SELECT seq FROM {table} WHERE NOT ok ORDER BY seq").fetchall()]
    if slow_seqs:
        con.execute(f"DELETE FROM {table} WHERE NOT ok")
    if slow_seqs:
        rows = _parquet_rows(con, path, columns, slow_seqs)
        loader.insert_python_rows(_parse_records(rows, path, report))
    return report


def _parquet_rows(
    con: Any, path: str, columns: dict[str, str], seqs: list[int]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The listed rows as the messages a JSON reader would have seen."""
    import pyarrow as pa

    con.register("_slow", pa.table({"seq": pa.array(seqs, type=pa.int64())}))
    read = _python_columns(columns)
    names = [name for _, name in read]
    selected = ", ".join(sql for sql, _ in read)
    query = (
        f"SELECT file_row_number + 1 AS seq, {selected} FROM read_parquet({text(path)}, file_row_number = true)"
        " WHERE file_row_number + 1 IN (SELECT seq FROM _slow) ORDER BY seq"
    )
    for row in con.execute(query).fetchall():
        yield row[0], dict(zip(names, row[1:], strict=True))
    con.unregister("_slow")


def _ts_us_sql(columns: dict[str, str]) -> str | None:
    """The timestamp in µs when the file has it typed: a ``ts_us`` column (leadpact's layout,
    authoritative when present, as in :func:`record_message`), else a zoned ``timestamp``."""
    typed = timestamp_us_sql(columns.get("timestamp", ""))
    own = "ts_us" if columns.get("ts_us") == "BIGINT" else None
    if own is not None and typed is not None:
        return f"coalesce(ts_us, {typed})"
    return own or typed


def _python_columns(columns: dict[str, str]) -> list[tuple[str, str]]:
    """(SQL, name) of each column as the slow path reads it into Python: nested columns as the
    same JSON text the SQL path reads (a JSON-typed field decoded, a map as an object, NULL
    fields dropped), and a zoned timestamp as µs in ``ts_us`` (Python cannot take DuckDB's
    zoned timestamps without pytz)."""
    out: list[tuple[str, str]] = []
    zoned = timestamp_us_sql(columns.get("timestamp", "")) is not None
    for name, kind in columns.items():
        quoted = f'"{name}"'
        if name in (*_NESTED, "actor") and kind not in ("VARCHAR", "JSON"):
            out.append((_nested_raw(name, kind).text, name))
        elif zoned and name in ("timestamp", "ts_us"):
            continue  # both become the one ts_us below
        else:
            out.append((quoted, name))
    if zoned:
        out.append((str(_ts_us_sql(columns)), "ts_us"))
    return out


class _BadCellError(ValueError):
    pass


def record_message(values: dict[str, Any]) -> dict[str, Any]:
    """One Parquet row as the Segment message it stands for (raises _BadCellError on bad JSON text)."""
    msg: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or key in ("actor_id", "actor_role", "ts_us", "file_row_number"):
            continue
        if key in (*_NESTED, "actor"):
            value = _nested_value(key, value)
        elif key == "timestamp" and not isinstance(value, str):
            value = value.isoformat() if hasattr(value, "isoformat") else value
        msg[key] = value
    ts_us = values.get("ts_us")
    if isinstance(ts_us, int):
        if not in_range(ts_us):
            raise _BadCellError(f"timestamp: ts_us {ts_us} is outside the supported range, {RANGE_TEXT}")
        msg["timestamp"] = iso(ts_us)  # leadpact's layout: ts_us is authoritative
    if "actor" not in values and (values.get("actor_id") is not None or values.get("actor_role") is not None):
        actor: dict[str, Any] = {"role": values.get("actor_role")}
        if values.get("actor_id") is not None:
            actor["id"] = values["actor_id"]
        msg["actor"] = actor
    return msg


def _nested_value(key: str, value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise _BadCellError(f"{key}: expected JSON text, found {describe(value)} ({exc.msg})") from None
    return _without_nulls(value)


def arrow_python(value: Any, arrow_type: Any) -> Any:
    """A value pyarrow gave for a nested column, as the SQL path reads the column through
    ``to_json``: fields of Arrow's JSON type are decoded, maps become objects."""
    import pyarrow as pa

    if value is None:
        return None
    if isinstance(arrow_type, pa.BaseExtensionType):  # e.g. pa.JsonType, a canonical extension
        if arrow_type.extension_name == "arrow.json" and isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                return value
        return arrow_python(value, arrow_type.storage_type)
    if pa.types.is_struct(arrow_type):
        return {f.name: arrow_python(value.get(f.name), f.type) for f in arrow_type}
    if pa.types.is_map(arrow_type):
        return {k: arrow_python(v, arrow_type.item_type) for k, v in value}
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return [arrow_python(item, arrow_type.value_type) for item in value]
    return value


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


def parse_records(rows: Iterator[tuple[int, dict[str, Any]]], source: str, bad: list[BadRow]) -> Iterator[Message]:
    """Parquet rows (row number, column values) as messages; bad ones land in ``bad``."""
    for seq, values in rows:
        try:
            yield parse_message(record_message(values), seq=seq)
        except (MessageError, _BadCellError) as exc:
            bad.append(BadRow(source, seq, str(exc), unit="row"))


def _parse_records(rows: Iterator[tuple[int, dict[str, Any]]], source: str, report: ReadReport) -> Iterator[Message]:
    def counted() -> Iterator[tuple[int, dict[str, Any]]]:
        for row in rows:
            report.python_rows += 1
            yield row

    return parse_records(counted(), source, report.bad)


# --- one Arrow batch (Spark tasks) --------------------------------------------------------------


def load_batch(
    con: Any,
    batch: Any,
    kind: str,
    parquet_columns: dict[str, str] | None,
    matching: RuleMatching,
    keep_event_properties: bool,
    source: str,
) -> Any:
    """One Arrow batch of raw rows → its canonical rows, matches and ``bad_reason`` (NULL for
    valid rows), by the same SQL and fallback as whole files. JSONL batches have ``seq`` and
    ``line``; Parquet batches the file's columns and ``file_row_number``."""
    import pyarrow as pa

    table = "_batch_events"
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(events_ddl(table, [*matching.columns, ("ok", "BOOLEAN")]))
    loader = _Loader(con, table, matching, keep_event_properties)
    report = ReadReport()
    if kind == "jsonl":
        con.register("_lines", batch)
        canonical = canonical_query(
            jsonl_source("_lines"), jsonl_raw_row(), matching, keep_event_properties=keep_event_properties
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE _canon AS {canonical}")
        con.execute(f"INSERT INTO {table} SELECT {loader.columns} FROM _canon WHERE ok")
        slow = con.execute("SELECT c.seq, l.line FROM _canon c JOIN _lines l USING (seq) WHERE NOT c.ok").fetchall()
        con.unregister("_lines")
        loader.insert_python_rows(_parse_lines(slow, source, report))
    else:
        assert parquet_columns is not None
        con.register("_batch", batch)
        canonical = canonical_query(
            "_batch", parquet_raw_row(parquet_columns), matching, keep_event_properties=keep_event_properties
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE _canon AS {canonical}")
        con.execute(f"INSERT INTO {table} SELECT {loader.columns} FROM _canon WHERE ok")
        read = _python_columns({k: v for k, v in parquet_columns.items() if k != "file_row_number"})
        names = [name for _, name in read]
        selected = ", ".join(sql for sql, _ in read)
        found = con.execute(
            f"SELECT file_row_number + 1, {selected} FROM _batch"
            " WHERE file_row_number + 1 IN (SELECT seq FROM _canon WHERE NOT ok) ORDER BY 1"
        ).fetchall()
        con.unregister("_batch")
        rows = ((row[0], dict(zip(names, row[1:], strict=True))) for row in found)
        loader.insert_python_rows(_parse_records(rows, source, report))
    con.execute("DROP TABLE IF EXISTS _canon")
    good = con.sql(f"SELECT * EXCLUDE (ok), NULL::VARCHAR AS bad_reason FROM {table}").to_arrow_table()
    con.execute(f"DROP TABLE {table}")
    if not report.bad:
        return good
    bad = pa.table(
        {
            **{
                f.name: pa.nulls(len(report.bad), type=f.type)
                for f in good.schema
                if f.name not in ("seq", "bad_reason")
            },
            "seq": pa.array([b.line for b in report.bad], type=pa.int64()),
            "bad_reason": pa.array([b.reason for b in report.bad], type=pa.string()),
        }
    ).select(good.schema.names)
    return pa.concat_tables([good, bad.cast(good.schema)])
