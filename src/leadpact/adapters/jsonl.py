"""Read the event log from JSONL (one message per line; ``-`` is standard input).

A bad line never stops the read: it is reported with its line number and the reason, and
skipped. Callers decide whether any bad line is fatal (``--strict``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from leadpact.domain.memory import collector_paused
from leadpact.domain.messages import Message, MessageError, parse_message


@dataclass(frozen=True, slots=True)
class BadLine:
    source: str
    line: int
    reason: str

    def render(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


def iter_lines(stream: IO[str], source: str) -> Iterator[tuple[int, Message | BadLine]]:
    """(line number, message or bad line) for every non-blank line; ``seq`` = line number."""
    for number, raw in enumerate(stream, start=1):
        text = raw.strip()
        if not text:
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, BadLine(source, number, f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        try:
            yield number, parse_message(obj, seq=number)
        except MessageError as exc:
            yield number, BadLine(source, number, str(exc))


def read_messages(path: str | Path | IO[str]) -> tuple[list[Message], list[BadLine]]:
    """All valid messages and all bad lines of a JSONL file, path, ``-`` or open stream."""
    if isinstance(path, str | Path):
        if str(path) == "-":
            return _collect(sys.stdin, "<stdin>")
        with Path(path).open(encoding="utf-8") as stream:
            return _collect(stream, str(path))
    return _collect(path, getattr(path, "name", "<stream>"))


def _collect(stream: IO[str], source: str) -> tuple[list[Message], list[BadLine]]:
    messages: list[Message] = []
    bad: list[BadLine] = []
    with collector_paused():
        try:
            for _, item in iter_lines(stream, source):
                if isinstance(item, BadLine):
                    bad.append(item)
                else:
                    messages.append(item)
        except UnicodeDecodeError as exc:
            bad.append(BadLine(source, len(messages) + len(bad) + 1, f"not UTF-8 text: {exc.reason}"))
    return messages, bad
