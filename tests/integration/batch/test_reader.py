"""The batch reader accepts, rejects and reads every row exactly as ``parse_message`` does.

Random and adversarial lines (odd timestamps, URLs, duplicate keys, NaN, blank and CRLF lines,
wrong types in every field) go through the DuckDB reader and through the reference JSONL
reader; accepted messages must be field-for-field equal and bad lines must carry the same line
number and reason. Parquet files (leadpact's layout and struct columns) must read like the
messages they were written from.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.adapters.batch.events_table import row_message
from leadpact.adapters.batch.matching import RuleMatching
from leadpact.adapters.batch.reader import load_events
from leadpact.adapters.batch.replay_engine import read_any
from leadpact.adapters.jsonl import read_messages
from leadpact.domain.messages import Message

FIELDS = (
    "type",
    "message_id",
    "ts",
    "user_id",
    "anonymous_id",
    "traits",
    "event",
    "path",
    "action",
    "actor_id",
    "actor_role",
    "seq",
)

TIMESTAMPS = [
    "2026-01-09T15:00:00+09:00",
    "2026-01-09T15:00:00Z",
    "2026-01-09 15:00:00+09:00",
    "2026-01-09T15:00:00.5+09:00",
    "2026-01-09T15:00:00.123456-05:30",
    "2026-01-09T15:00:00.1234567+09:00",
    "2026-01-09T15:00:00",
    "2026-01-09",
    "2026-02-30T10:00:00Z",
    "2026-01-09T24:00:00Z",
    "2026-01-09T23:59:60Z",
    "2026-01-09T15:00+09:00",
    "0000-01-01T00:00:00Z",
    "20260109T150000Z",
    1736400000,
    None,
]
URLS = [
    "https://example.com/pricing?x=1#top",
    "https://example.com",
    "/products/erp?utm=a",
    "/",
    "//cdn.example/x",
    "mailto:someone@example.com",
    "http://[::1]/admin",
    "https://ex ample.com/a b",
    "pricing",
    42,
]
STRINGS = ["u1", "", " ", "\u3000", "リード", 7, None, True, ["x"], {"a": 1}]
TRAITS = [
    {"job_level": "staff", "employees": 300},
    {},
    None,
    "staff",
    {"email": "A@Rival.Example "},
    {"nested": {"k": [1, 2.5, None]}},
    {"employees": None},
]


def _random_message(rng: random.Random, n: int) -> Any:
    kind = rng.choice(["identify", "track", "page", "group", "action", "action", "track", "bogus", None])
    msg: dict[str, Any] = {"type": kind, "messageId": rng.choice([f"m{n}", f"m{n}", f"m{n}", "", 12, f"m{n // 3}"])}
    if rng.random() < 0.95:
        msg["timestamp"] = rng.choice(TIMESTAMPS) if rng.random() < 0.5 else TIMESTAMPS[0]
    for key in ("userId", "anonymousId"):
        if rng.random() < 0.6:
            msg[key] = rng.choice(STRINGS) if rng.random() < 0.3 else f"{key[0]}{rng.randint(1, 5)}"
    if rng.random() < 0.5:
        msg["traits"] = rng.choice(TRAITS)
    if rng.random() < 0.2:
        msg["context"] = rng.choice([{"traits": rng.choice(TRAITS)}, {"ip": "1.2.3.4"}, "ctx", None])
    if kind == "track" or rng.random() < 0.1:
        msg["event"] = rng.choice(["Webinar Attended", "Demo Requested", " ", "\t", "\u2003", "資料請求", 5, None])
    if kind == "page" or rng.random() < 0.1:
        props = rng.choice(
            [
                {"path": "/pricing"},
                {"url": rng.choice(URLS)},
                {"path": 5},
                {},
                None,
                {"path": None, "url": rng.choice(URLS)},
            ]
        )
        if props is not None:
            msg["properties"] = props
        if rng.random() < 0.3:
            msg["name"] = rng.choice(STRINGS)
    if kind == "group":
        msg["groupId"] = rng.choice(["g1", 17, "", True, None])
    if kind == "action" or rng.random() < 0.05:
        msg["action"] = rng.choice(["accept", "reject", "confirm_bant", "create_sgl", "assign", "dance", None])
        msg["actor"] = rng.choice(
            [
                {"id": "a1", "role": "inside_sales"},
                {"role": "admin"},
                {"id": None, "role": "admin"},
                {"id": "a1", "role": "king"},
                "boss",
                None,
                {"id": "", "role": "marketing"},
            ]
        )
        msg["properties"] = rng.choice(
            [
                {"reason": "timing"},
                {"reason": 3},
                {"owner": "rep"},
                {"owner": None},
                {"items": ["budget", "need"]},
                {"items": ["budget", 1]},
                {"items": "budget"},
                {},
                "props",
            ]
        )
    return msg


EDGE_MOMENTS = (
    "0001-01-01T00:00:00+14:00",  # outside the supported range: refused, naming the range
    "1899-12-31T23:59:59.999999Z",
    "1900-01-01T00:00:00Z",  # the first accepted moment
    "8999-12-31T23:59:59.999999Z",  # the last
    "9000-01-01T00:00:00Z",
    "9999-12-31T23:59:59-12:00",
)


def _special_lines() -> list[str]:
    edge = '{"type":"track","messageId":"e%d","timestamp":"%s","userId":"u1","event":"E"}'
    base = '{"type":"track","messageId":"s%d","timestamp":"2026-01-09T15:00:00+09:00","userId":"u1","event":"E"%s}'
    return [
        "",
        "   ",
        "\u3000",
        "not json",
        "[1, 2]",
        "null",
        '"text"',
        base % (1, ',"properties":{"a":1,}'),  # trailing comma: Python rejects
        base % (2, ',"properties":{"n":NaN}'),  # NaN: Python accepts
        base % (3, ',"properties":{"n":12345678901234567890123}'),
        base % (4, ',"event":"F"'),  # duplicate key: the last one wins
        base % (5, ',"properties":{"path":"/a","path":"/b"}'),
        base % (6, ',"properties":{"x":1e400}'),
        "\ufeff" + base % (7, ""),
        base % (8, ',"traits":{"a":1}') + "   ",
        *(edge % (n, moment) for n, moment in enumerate(EDGE_MOMENTS)),
    ]


def _write_lines(path: Path, rng: random.Random, count: int) -> None:
    lines = [json.dumps(_random_message(rng, n), ensure_ascii=rng.random() < 0.5) for n in range(count)]
    lines += _special_lines()
    rng.shuffle(lines)
    endings = ["\n"] * 8 + ["\r\n", "\r"]
    path.write_bytes("".join(line + rng.choice(endings) for line in lines).encode("utf-8"))


def _fields(msg: Message) -> tuple[Any, ...]:
    return (
        *(getattr(msg, f) for f in FIELDS),
        json.dumps(dict(msg.properties), sort_keys=True) if msg.type == "action" else None,
    )


def _read_batch(path: Path) -> tuple[list[Message], Any]:
    con = duckdb.connect()
    report = load_events(con, path, RuleMatching(default_agreement()), keep_event_properties=False)
    table = con.sql("SELECT * FROM events ORDER BY seq").to_arrow_table()
    return [row_message(row) for row in table.to_pylist()], report


@pytest.mark.parametrize("seed", range(4))
def test_jsonl_rows_read_like_parse_message(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "events.jsonl"
    _write_lines(path, random.Random(seed), 1500)
    expected, expected_bad = read_messages(path)
    got, report = _read_batch(path)
    assert [_fields(m) for m in got] == [_fields(m) for m in expected]
    assert [(b.line, b.reason) for b in report.bad] == [(b.line, b.reason) for b in expected_bad]
    assert len(expected) > 100 and len(expected_bad) > 300  # both paths are exercised
    assert report.python_rows < report.rows  # ... and so is the SQL fast path


def test_a_file_that_is_not_utf8_is_read_like_the_reference_reader(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    good = '{"type":"page","messageId":"m1","timestamp":"2026-01-09T15:00:00+09:00","userId":"u1"}\n'
    path.write_bytes(good.encode() + b'{"type":"page","name":"caf\xe9"}\n' + good.replace("m1", "m2").encode())
    expected, expected_bad = read_messages(path)
    got, report = _read_batch(path)
    assert [_fields(m) for m in got] == [_fields(m) for m in expected]
    assert [(b.line, b.reason) for b in report.bad] == [(b.line, b.reason) for b in expected_bad]


def _parquet(path: Path, messages: list[dict[str, Any]], *, structs: bool) -> None:
    rows = []
    for msg in messages:
        row: dict[str, Any] = {
            k: msg.get(k)
            for k in ("type", "messageId", "timestamp", "userId", "anonymousId", "event", "name", "groupId", "action")
        }
        actor = msg.get("actor") or {}
        row["actor_id"], row["actor_role"] = actor.get("id"), actor.get("role")
        for key in ("traits", "properties", "context"):
            value = msg.get(key)
            row[key] = value if structs else (None if value is None else json.dumps(value, ensure_ascii=False))
        rows.append(row)
    table = pa.Table.from_pylist(rows)
    pq.write_table(table, path)


@pytest.mark.parametrize("structs", [False, True])
def test_parquet_rows_read_like_the_messages_they_hold(tmp_path: Path, structs: bool) -> None:
    rng = random.Random(7)
    messages = []
    for n in range(400):
        msg = {
            "type": rng.choice(["page", "track", "identify"]),
            "messageId": f"m{n}",
            "timestamp": rng.choice(TIMESTAMPS[:6]),
            "userId": f"u{rng.randint(1, 9)}",
        }
        if msg["type"] == "page":
            msg["properties"] = {"path": rng.choice(["/", "/pricing"]), "title": "T"}
        elif msg["type"] == "track":
            msg["event"] = rng.choice(["Webinar Attended", " "])
            msg["properties"] = {"plan": "pro"}
        else:
            msg["traits"] = {"job_level": "staff", "employees": rng.choice([10, 300])}
        messages.append(msg)
    messages.append(
        {
            "type": "action",
            "messageId": "a1",
            "timestamp": TIMESTAMPS[0],
            "userId": "u1",
            "action": "accept",
            "actor": {"id": "is", "role": "inside_sales"},
        }
    )
    path = tmp_path / "events.parquet"
    _parquet(path, messages, structs=structs)
    expected, expected_bad, _ = read_any(str(path))
    got, report = _read_batch(path)
    assert [_fields(m) for m in got] == [_fields(m) for m in expected]
    assert [(b.line, b.reason) for b in report.bad] == [(b.line, b.reason) for b in expected_bad]
    assert expected_bad  # blank track events are rejected with their row number
    assert report.bad[0].render().startswith(f"{path}: row ")


# --- Parquet shapes other tools write (struct fields of JSON type, maps, nanosecond timestamps,
# --- cells that are not JSON, columns that are NULL throughout) ------------------------------


def _same_as_reference(path: Path) -> tuple[list[Message], list[tuple[int, str]]]:
    """The DuckDB reader and the reference reader agree on the file; returns what they read."""
    expected, expected_bad, _ = read_any(str(path))
    got, report = _read_batch(path)
    assert [_fields(m) for m in got] == [_fields(m) for m in expected]
    bad = [(b.line, b.reason) for b in report.bad]
    assert bad == [(b.line, b.reason) for b in expected_bad]
    return expected, bad


def _base(n: int, **fields: Any) -> dict[str, Any]:
    return {"type": "track", "messageId": f"m{n}", "timestamp": TIMESTAMPS[0], "userId": "u1", **fields}


def test_struct_fields_of_json_type_and_maps_read_as_the_json_they_hold(tmp_path: Path) -> None:
    employees = pa.array(['"350"', "5000", None], type=pa.json_())
    traits = pa.StructArray.from_arrays([pa.array(["director", "staff", None]), employees], ["job_level", "employees"])
    properties = pa.array([None, [("path", "/pricing")], [("plan", "pro")]], type=pa.map_(pa.string(), pa.string()))
    table = pa.table(
        {
            "type": ["identify", "page", "track"],
            "messageId": ["m1", "m2", "m3"],
            "timestamp": [TIMESTAMPS[0]] * 3,
            "userId": ["u1"] * 3,
            "event": [None, None, "Webinar Attended"],
            "traits": traits,
            "properties": properties,
        }
    )
    path = tmp_path / "typed.parquet"
    pq.write_table(table, path)
    messages, bad = _same_as_reference(path)
    assert bad == []
    assert messages[0].traits == {"job_level": "director", "employees": "350"}  # the JSON string, decoded
    assert messages[1].path == "/pricing"  # a map is an object


def test_cells_that_are_not_json_are_bad_rows_for_every_message_type(tmp_path: Path) -> None:
    rows = [
        _base(1, event="Webinar Attended", traits="{not json"),
        _base(2, type="page", properties='{"path": "/"}', context="{nope"),
        _base(3, event="Webinar Attended", actor="{broken"),
        _base(4, type="action", action="accept", actor="{broken"),
        _base(5, type="identify", traits='{"job_level": "staff"}', context="[1,"),
        _base(6, event="Webinar Attended"),
    ]
    columns = ("type", "messageId", "timestamp", "userId", "event", "action", "traits", "properties", "context")
    table = pa.table(
        {
            **{key: pa.array([row.get(key) for row in rows], type=pa.string()) for key in columns},
            "actor": pa.array([row.get("actor") for row in rows], type=pa.string()),
        }
    )
    path = tmp_path / "cells.parquet"
    pq.write_table(table, path)
    messages, bad = _same_as_reference(path)
    assert [line for line, _ in bad] == [1, 2, 3, 4, 5]
    assert [m.message_id for m in messages] == ["m6"]


def test_a_string_column_that_is_null_in_every_row_is_read(tmp_path: Path) -> None:
    """groupId NULL throughout (a file of anonymous visits): DuckDB 2.0 once failed to bind."""
    table = pa.table(
        {
            "type": ["page", "page"],
            "messageId": ["m1", "m2"],
            "timestamp": [TIMESTAMPS[0]] * 2,
            "anonymousId": ["a1", "a2"],
            "groupId": pa.array([None, None], type=pa.string()),
            "properties": ['{"path": "/"}', '{"path": "/pricing"}'],
        }
    )
    path = tmp_path / "anonymous.parquet"
    pq.write_table(table, path)
    messages, bad = _same_as_reference(path)
    assert (len(messages), bad) == (2, [])


def test_nanosecond_timestamps_are_cut_to_the_microsecond_on_both_paths(tmp_path: Path) -> None:
    ns = [1767225600123456789, 1767225660999999999, -100, 1767225720000000000]
    table = pa.table(
        {
            "type": ["track"] * 4,
            "messageId": ["m1", "m2", "m3", "m4"],
            "timestamp": pa.array(ns, type=pa.timestamp("ns", tz="UTC")),
            "userId": ["u1"] * 4,
            "event": ["Webinar Attended", "Webinar Attended", "Webinar Attended", " "],  # m4: the slow path
        }
    )
    path = tmp_path / "ns.parquet"
    pq.write_table(table, path)
    messages, bad = _same_as_reference(path)
    assert [m.ts for m in messages] == [1767225600123456, 1767225660999999, -1]
    assert [line for line, _ in bad] == [4]
