"""SPEC §7 ``score``: a JSONL line that is not UTF-8 is one bad line, reported with its own line
number and skipped; every other line is still read, by the reference reader and by the DuckDB
engine alike, with lines numbered as text-mode reading numbers them (``\\n``, ``\\r\\n``, ``\\r``)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from leadpact.adapters import jsonl
from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.adapters.batch.reader import _line_chunks
from leadpact.adapters.jsonl import read_messages
from leadpact.service.batch import score_file


def _event(n: int) -> bytes:
    """A valid track message; the Japanese event name makes multi-byte characters common."""
    obj = {
        "type": "track",
        "messageId": f"m{n}",
        "userId": f"u{n % 7}",
        "timestamp": f"2026-01-05T{n % 24:02d}:{n % 60:02d}:00+09:00",
        "event": f"資料ダウンロード {n}",
    }
    return json.dumps(obj, ensure_ascii=False).encode()


def _not_utf8(n: int) -> bytes:
    """Line ``n``'s event with a Latin-1 byte in its event name: ``"event": "caf\\xe9 …"``."""
    return _event(n).replace("資料ダウンロード".encode(), b"caf\xe9")


def _read(path: Path) -> tuple[list[int], list[tuple[int, str]]]:
    messages, bad = read_messages(path)
    return [m.seq for m in messages], [(b.line, b.reason) for b in bad]


def _batch_numbers(path: Path) -> list[bytes]:
    """The file's lines as the batch reader numbers them (index + 1 = line number)."""
    lines: list[bytes] = []
    for first, chunk in _line_chunks(str(path)):
        assert first == len(lines) + 1
        lines.extend(chunk)
    return lines


def test_a_bad_byte_on_a_middle_line_skips_only_that_line(tmp_path: Path) -> None:
    # Bigger than any read buffer the reader might decode at once (the audit saw 64 KiB).
    lines = [_event(n) for n in range(1, 1201)]
    lines[700 - 1] = _not_utf8(700)
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert path.stat().st_size > 128 * 1024

    seqs, bad = _read(path)

    column = _not_utf8(700).index(b"\xe9") + 1
    assert bad == [(700, f"not UTF-8 text (invalid byte 0xe9 at column {column})")]
    assert seqs == [n for n in range(1, 1201) if n != 700]


def test_a_truncated_character_names_its_first_byte(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(_event(1) + b"\n" + "資料".encode()[:4] + b"\n" + _event(3) + b"\n")
    assert _read(path) == ([1, 3], [(2, "not UTF-8 text (invalid byte 0xe6 at column 4)")])


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1000])
def test_lines_are_numbered_exactly_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(jsonl, "CHUNK_BYTES", chunk)
    ends = [b"\n", b"\r\n", b"\r", b"\r\n\r\n", b"\n\n"]
    data = b""
    for n in range(1, 41):
        data += (_not_utf8(n) if n % 9 == 0 else _event(n)) + ends[n % len(ends)]
    data += _not_utf8(41)  # the last line, without its line end
    path = tmp_path / "events.jsonl"
    path.write_bytes(data)
    numbers = {line: i for i, line in enumerate(data.splitlines(), start=1) if line}

    seqs, bad = _read(path)

    expected_bad = [numbers[_not_utf8(n)] for n in (9, 18, 27, 36, 41)]
    assert [line for line, _ in bad] == expected_bad
    assert all(reason.startswith("not UTF-8 text (invalid byte 0xe9 at column ") for _, reason in bad)
    assert seqs == [numbers[_event(n)] for n in range(1, 41) if n % 9]


def test_blank_lines_crlf_and_cr_before_the_bad_line_keep_its_number(tmp_path: Path) -> None:
    data = b"".join(
        [
            _event(1) + b"\r\n",  # line 1
            b"\r\n",  # line 2, blank
            b"\n",  # line 3, blank
            b"   \r",  # line 4, blank (spaces)
            _event(5) + b"\r",  # line 5
            b"\r",  # line 6, blank
            b"\xff" + _event(7) + b"\r\n",  # line 7: not UTF-8
            _event(8) + b"\n",  # line 8
        ]
    )
    path = tmp_path / "events.jsonl"
    path.write_bytes(data)

    seqs, bad = _read(path)

    assert bad == [(7, "not UTF-8 text (invalid byte 0xff at column 1)")]
    assert seqs == [1, 5, 8]
    assert _batch_numbers(path)[7 - 1].startswith(b"\xff")  # the batch reader's line 7 too


def _mixed_file(tmp_path: Path) -> Path:
    """30 events, every third followed by a blank line, CRLF line ends; event 17 not UTF-8."""
    data = b"".join(_event(n) + (b"\r\n" if n % 3 else b"\n\n") for n in range(1, 31))
    data = data.replace(_event(17), _not_utf8(17))
    path = tmp_path / "events.jsonl"
    path.write_bytes(data)
    return path


def _line_of(path: Path, raw: bytes) -> int:
    return path.read_bytes().splitlines().index(raw) + 1


def test_the_duckdb_engine_reports_the_same_bad_line_and_keeps_the_rest(tmp_path: Path) -> None:
    path = _mixed_file(tmp_path)
    line = _line_of(path, _not_utf8(17))

    replayed = score_file(default_agreement(), path, engine="replay")
    batched = score_file(default_agreement(), path, engine="duckdb")

    assert batched.engine == "duckdb"
    reported = [(b.line, b.reason) for b in batched.bad_rows]
    assert reported == [(b.line, b.reason) for b in replayed.bad_rows]
    assert [n for n, _ in reported] == [line]
    assert batched.stats.rows == replayed.stats.rows == 30
    assert batched.results.column("lead_id").to_pylist() == replayed.results.column("lead_id").to_pylist()
    assert len(batched.results) == 7  # every user u0..u6 still has events


def test_stdin_is_read_line_by_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _mixed_file(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes()), encoding="utf-8"))

    messages, bad = read_messages("-")

    column = _not_utf8(17).index(b"\xe9") + 1
    assert [b.render() for b in bad] == [
        f"<stdin>:{_line_of(path, _not_utf8(17))}: not UTF-8 text (invalid byte 0xe9 at column {column})"
    ]
    assert [m.seq for m in messages] == [_line_of(path, _event(n)) for n in range(1, 31) if n != 17]
