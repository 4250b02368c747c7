"""``leadpact ingest FILE``: stream a JSONL event file into the store, in batches, resumably.

Each batch is stored in one transaction together with the file offset it reached, so an
interrupted run resumes after the last committed batch (repeated messages would be ignored
anyway, by ``messageId``). The checkpoint is kept per file path with a fingerprint of what
was read: a file that only grew since the last run resumes; one that was replaced or changed
before the saved offset is read from the beginning. Bad lines are reported and skipped; a
last line without its newline is left for the next run (its writer may not have finished it).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

from leadpact.adapters import fastjson
from leadpact.adapters.store.checkpoints_repo import CheckpointsRepo
from leadpact.adapters.store.engine import Store
from leadpact.domain.messages import Message, MessageError
from leadpact.service.ingest import append, suspicious, validate

HEAD_BYTES = 64 * 1024
TAIL_BYTES = 4 * 1024
_DIGEST_BYTES = 16  # two 32-hex digests fill the checkpoint's 64-character fingerprint column


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
    # A checkpoint existed but the file no longer holds what it recorded: read from the start.
    restarted: bool = False
    # The number of a last line without its newline, left unread for the next run.
    incomplete_line: int | None = None
    bad: list[BadLine] = field(default_factory=list)


def _fingerprint(head: bytes, tail: bytes) -> str:
    """What a checkpoint remembers of the bytes read: a digest of the file's first 64 KB and
    one of the 4 KB just before the saved offset (a file can be replaced by one with the same
    beginning, so the head alone does not tell)."""
    return "".join(hashlib.blake2b(part, digest_size=_DIGEST_BYTES).hexdigest() for part in (head, tail))


class _ReadTrail:
    """The bytes read so far that the fingerprint covers, kept from the lines as they are read
    (so the checkpoint describes what was stored, even if the file changes during the run)."""

    def __init__(self, head: bytes = b"", tail: bytes = b"") -> None:
        self._head = bytearray(head)
        self._tail: deque[bytes] = deque([tail])
        self._tail_length = len(tail)

    def add(self, raw: bytes) -> None:
        if len(self._head) < HEAD_BYTES:
            self._head += raw[: HEAD_BYTES - len(self._head)]
        self._tail.append(raw)
        self._tail_length += len(raw)
        while self._tail_length - len(self._tail[0]) >= TAIL_BYTES:
            self._tail_length -= len(self._tail.popleft())

    def fingerprint(self) -> str:
        return _fingerprint(bytes(self._head), b"".join(self._tail)[-TAIL_BYTES:])


def _resume_trail(stream: IO[bytes], saved_fingerprint: str, offset: int) -> _ReadTrail | None:
    """The trail up to ``offset`` if the file still holds, unchanged, what was read up to
    there (it may have grown after it); None if it was replaced, cut or changed. A
    fingerprint of an older format never matches, so such a file is read again."""
    if stream.seek(0, io.SEEK_END) < offset:
        return None
    stream.seek(0)
    head = stream.read(min(offset, HEAD_BYTES))
    tail_start = max(0, offset - TAIL_BYTES)
    stream.seek(tail_start)
    tail = stream.read(offset - tail_start)
    if _fingerprint(head, tail) != saved_fingerprint:
        return None
    return _ReadTrail(head, tail)


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


def _lines(stream: IO[bytes], first_line: int, offset: int) -> Iterator[tuple[int, int, bytes]]:
    """(line number, offset after the line, bytes) of every line, counted from ``offset``
    (passed in: a pipe cannot tell its position)."""
    number = first_line
    for raw in stream:
        number += 1
        offset += len(raw)
        yield number, offset, raw


def _is_unfinished(raw: bytes) -> bool:
    """Only the last line can lack its newline: it may still be being written."""
    return not raw.endswith(b"\n")


def validate_file(stream: IO[bytes]) -> list[BadLine]:
    """Bad lines of a file, as ``FileIngest`` would report them (an unfinished last line is
    not one: it is not read yet)."""
    bad: list[BadLine] = []
    for number, _, raw in _lines(stream, 0, 0):
        if _is_unfinished(raw):
            break
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
        a stream read once, e.g. stdin, so no checkpoint, and its last line is complete even
        without a newline); ``resume`` False reads from the start (still saving the position)."""
        report = FileIngestReport()
        trail, position = self._start(stream, source, resume, report)
        batch: list[Message] = []
        for number, offset, raw in _lines(stream, position[1], position[0]):
            if source is not None and _is_unfinished(raw):
                report.incomplete_line = number if raw.strip() else None
                break
            report.lines = number
            if raw.strip():
                try:
                    batch.append(parse_line(raw))
                except MessageError as exc:
                    report.bad.append(BadLine(number, str(exc)))
            trail.add(raw)
            position = (offset, number)
            if len(batch) >= self.batch_size:
                self._commit(batch, report, now, source, trail, position, on_batch)
                batch = []
        self._commit(batch, report, now, source, trail, position, on_batch)
        return report

    def _start(
        self, stream: IO[bytes], source: str | None, resume: bool, report: FileIngestReport
    ) -> tuple[_ReadTrail, tuple[int, int]]:
        """Where reading starts, as (trail, (offset, line)): after the checkpoint if the file
        still matches it, else at the beginning."""
        if source is None or not resume:
            return _ReadTrail(), (0, 0)
        with self.store.read() as conn:
            checkpoint = CheckpointsRepo(conn).get(source)
        if checkpoint is None:
            return _ReadTrail(), (0, 0)
        saved_fingerprint, offset, line = checkpoint
        trail = _resume_trail(stream, saved_fingerprint, offset)
        if trail is None:
            stream.seek(0)
            report.restarted = True
            return _ReadTrail(), (0, 0)
        stream.seek(offset)
        report.resumed_from_line = line
        return trail, (offset, line)

    def _commit(
        self,
        batch: list[Message],
        report: FileIngestReport,
        now: int,
        source: str | None,
        trail: _ReadTrail,
        position: tuple[int, int],
        on_batch: Callable[[int], None] | None,
    ) -> None:
        with self.store.write() as conn:
            result = append(conn, batch, now)
            if source is not None:
                CheckpointsRepo(conn).set(source, trail.fingerprint(), position[0], position[1], now)
        report.stored += result.stored
        report.duplicates += result.duplicates
        if on_batch is not None:
            on_batch(position[0])
