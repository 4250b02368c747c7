"""``leadpact ingest FILE``: stream a JSONL event file into the store, in batches, resumably.

Each batch is stored in one transaction together with the file offset it reached, so an
interrupted run resumes after the last committed batch (repeated messages would be ignored
anyway, by ``messageId``). The checkpoint is kept per file path with a hash of the file's
start: a file that only grew since the last run resumes; one that was replaced is read from
the beginning. Bad lines are reported and skipped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

from leadpact.adapters import fastjson
from leadpact.adapters.store.checkpoints_repo import CheckpointsRepo
from leadpact.adapters.store.engine import Store
from leadpact.domain.messages import Message, MessageError
from leadpact.service.ingest import append, suspicious, validate

FINGERPRINT_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    reason: str


@dataclass(slots=True)
class FileIngestReport:
    lines: int = 0
    stored: int = 0
    duplicates: int = 0
    resumed_from_line: int = 0
    bad: list[BadLine] = field(default_factory=list)


def _head_hash(stream: IO[bytes], length: int) -> str:
    """The hash of the first ``length`` bytes (at most 64 KB) of a seekable stream."""
    position = stream.tell()
    stream.seek(0)
    head = stream.read(min(length, FINGERPRINT_BYTES))
    stream.seek(position)
    return hashlib.sha256(head).hexdigest()


def parse_line(raw: bytes) -> Message:
    """One JSONL line as a storable message (files must carry timestamps)."""
    try:
        obj = fastjson.loads(raw)
    except UnicodeDecodeError as exc:
        raise MessageError("line", f"not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise MessageError("line", f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:
        raise MessageError("line", f"invalid JSON: {exc}") from None
    return validate(obj, default_timestamp=None, allow_actions=True, deep=suspicious(raw))


def _lines(stream: IO[bytes], first_line: int) -> Iterator[tuple[int, int, bytes]]:
    """(line number, offset after the line, bytes) of every line."""
    number = first_line
    offset = stream.tell()
    for raw in stream:
        number += 1
        offset += len(raw)
        yield number, offset, raw


def validate_file(stream: IO[bytes]) -> list[BadLine]:
    bad: list[BadLine] = []
    for number, _, raw in _lines(stream, 0):
        if raw.strip():
            try:
                parse_line(raw)
            except MessageError as exc:
                bad.append(BadLine(number, str(exc)))
    return bad


class FileIngest:
    def __init__(self, store: Store, batch_size: int = 1000) -> None:
        self.store = store
        self.batch_size = batch_size

    def run(
        self,
        stream: IO[bytes],
        now: int,
        *,
        source: str | None,
        resume: bool = True,
        on_batch: Callable[[int], None] | None = None,
    ) -> FileIngestReport:
        """Ingest ``stream`` from its checkpoint. ``source`` is the file's absolute path (None:
        not seekable, e.g. stdin, so no checkpoint); ``resume`` False reads from the start
        (still saving the position)."""
        report = FileIngestReport()
        first_line = 0
        if source is not None and resume:
            with self.store.read() as conn:
                checkpoint = CheckpointsRepo(conn).get(source)
            if checkpoint is not None and checkpoint[0] == _head_hash(stream, checkpoint[1]):
                stream.seek(checkpoint[1])
                first_line = report.resumed_from_line = checkpoint[2]
        batch: list[Message] = []
        position = (stream.tell() if source is not None else 0, first_line)
        for number, offset, raw in _lines(stream, first_line):
            report.lines = number
            if raw.strip():
                try:
                    batch.append(parse_line(raw))
                except MessageError as exc:
                    report.bad.append(BadLine(number, str(exc)))
            position = (offset, number)
            if len(batch) >= self.batch_size:
                self._commit(stream, batch, report, now, source, position, on_batch)
                batch = []
        self._commit(stream, batch, report, now, source, position, on_batch)
        return report

    def _commit(
        self,
        stream: IO[bytes],
        batch: list[Message],
        report: FileIngestReport,
        now: int,
        source: str | None,
        position: tuple[int, int],
        on_batch: Callable[[int], None] | None,
    ) -> None:
        head = _head_hash(stream, position[0]) if source is not None else ""
        with self.store.write() as conn:
            result = append(conn, batch, now)
            if source is not None:
                CheckpointsRepo(conn).set(source, head, position[0], position[1], now)
        report.stored += result.stored
        report.duplicates += result.duplicates
        if on_batch is not None:
            on_batch(position[0])
