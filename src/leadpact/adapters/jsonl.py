"""Read the event log from JSONL (one message per line; ``-`` is standard input).

A bad line never stops the read: it is reported with its line number and the reason, and
skipped. Callers decide whether any bad line is fatal (``--strict``).

Files and standard input are read as bytes, in chunks, and split into lines exactly as
text-mode reading does (``\\n``, ``\\r\\n``, ``\\r``; the batch reader numbers lines the same
way). Each line is decoded on its own, so a line that is not UTF-8 is one bad line with its own
number, and the lines around it are still read.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from leadpact.domain.memory import collector_paused
from leadpact.domain.messages import Message, MessageError, parse_message

CHUNK_BYTES = 1 << 20
"""How much of a file is read at a time (a line longer than this is still read whole)."""


@dataclass(frozen=True, slots=True)
class BadLine:
    source: str
    line: int
    reason: str

    def render(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


def iter_lines(stream: IO[str], source: str) -> Iterator[tuple[int, Message | BadLine]]:
    """(line number, message or bad line) for every non-blank line; ``seq`` = line number."""
    return _text_items(stream, source)


def iter_byte_lines(stream: IO[bytes], source: str) -> Iterator[tuple[int, Message | BadLine]]:
    """:func:`iter_lines` for a byte stream: a line that is not UTF-8 is a bad line."""
    for number, raw in enumerate(_split_lines(stream), start=1):
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, BadLine(source, number, not_utf8(raw, exc))
            continue
        item = _parse(decoded, number, source)
        if item is not None:
            yield number, item


def not_utf8(raw: bytes, exc: UnicodeDecodeError) -> str:
    # The column counts bytes: a line that does not decode has no characters to count.
    return f"not UTF-8 text (invalid byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"


def read_messages(path: str | Path | IO[str]) -> tuple[list[Message], list[BadLine]]:
    """All valid messages and all bad lines of a JSONL file, path, ``-`` or open stream."""
    if isinstance(path, str | Path):
        if str(path) == "-":
            return _collect_stdin()
        with Path(path).open("rb") as stream:
            return _collect(iter_byte_lines(stream, str(path)))
    return _collect_text(path, getattr(path, "name", "<stream>"))


def _text_items(lines: Iterable[str], source: str) -> Iterator[tuple[int, Message | BadLine]]:
    for number, raw in enumerate(lines, start=1):
        item = _parse(raw, number, source)
        if item is not None:
            yield number, item


def _parse(raw: str, number: int, source: str) -> Message | BadLine | None:
    """The message on one line, or why it is bad; None for a blank line."""
    text = raw.strip()
    if not text:
        return None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return BadLine(source, number, f"invalid JSON: {exc.msg} at column {exc.colno}")
    try:
        return parse_message(obj, seq=number)
    except MessageError as exc:
        return BadLine(source, number, str(exc))


def _split_lines(stream: IO[bytes]) -> Iterator[bytes]:
    """The stream's lines without their line ends, read :data:`CHUNK_BYTES` at a time."""
    pending: list[bytes] = []  # the start of a line not ended yet
    while block := stream.read(CHUNK_BYTES):
        cut = _last_line_end(block)
        if cut < 0:
            pending.append(block)
            continue
        yield from b"".join([*pending, block[: cut + 1]]).splitlines()
        pending = [block[cut + 1 :]]
    rest = b"".join(pending)
    if rest:
        yield from rest.splitlines()


def _last_line_end(block: bytes) -> int:
    """Index of the block's last line end, -1 if none. A ``\\r`` that ends the block is left for
    later: the next block may start with the ``\\n`` that makes it one ``\\r\\n``."""
    end = len(block) - 1 if block.endswith(b"\r") else len(block)
    return max(block.rfind(b"\n", 0, end), block.rfind(b"\r", 0, end))


def _collect_stdin() -> tuple[list[Message], list[BadLine]]:
    binary: IO[bytes] | None = getattr(sys.stdin, "buffer", None)
    if binary is None:  # stdin replaced by a text-only stream
        return _collect_text(sys.stdin, "<stdin>")
    return _collect(iter_byte_lines(binary, "<stdin>"))


def _collect_text(stream: IO[str], source: str) -> tuple[list[Message], list[BadLine]]:
    """An open text stream: it decodes by itself, so an undecodable part ends the read."""
    lines = _CountedLines(stream)
    messages, bad = _collect(_text_items(lines, source))
    if lines.error is not None:
        reason = f"not UTF-8 text at or after this line ({lines.error.reason}); the rest was not read"
        bad.append(BadLine(source, lines.count + 1, reason))
    return messages, bad


def _collect(items: Iterator[tuple[int, Message | BadLine]]) -> tuple[list[Message], list[BadLine]]:
    messages: list[Message] = []
    bad: list[BadLine] = []
    with collector_paused():
        for _, item in items:
            if isinstance(item, BadLine):
                bad.append(item)
            else:
                messages.append(item)
    return messages, bad


class _CountedLines:
    """A text stream's lines, counted; a decoding error ends them and is kept."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.count = 0
        self.error: UnicodeDecodeError | None = None

    def __iter__(self) -> Iterator[str]:
        try:
            for line in self.stream:
                self.count += 1
                yield line
        except UnicodeDecodeError as exc:
            self.error = exc
