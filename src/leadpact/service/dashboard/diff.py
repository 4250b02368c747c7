"""A readable line diff between two agreement versions (the YAML both departments sign).

Unified-diff hunks with line numbers on both sides, so a reviewer can say "line 42 of the
proposal" — the same numbers validation errors use.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Final, Literal

Kind = Literal["same", "added", "removed", "gap"]
CONTEXT: Final = 3


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: Kind
    old_line: int | None
    new_line: int | None
    text: str


@dataclass(frozen=True, slots=True)
class Diff:
    lines: tuple[DiffLine, ...]
    added: int
    removed: int

    @property
    def identical(self) -> bool:
        return not (self.added or self.removed)


def line_diff(old: str, new: str, context: int = CONTEXT) -> Diff:
    """Changed lines with ``context`` unchanged lines around them; a ``gap`` line marks
    the unchanged stretches left out."""
    a, b = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    lines: list[DiffLine] = []
    added = removed = 0
    old_end = new_end = 0
    for index, group in enumerate(matcher.get_grouped_opcodes(context)):
        if index or group[0][1] > 0 or group[0][3] > 0:
            lines.append(DiffLine("gap", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            old_end, new_end = i2, j2
            if tag == "equal":
                lines += [DiffLine("same", i + 1, j1 + (i - i1) + 1, a[i]) for i in range(i1, i2)]
                continue
            if tag in ("replace", "delete"):
                lines += [DiffLine("removed", i + 1, None, a[i]) for i in range(i1, i2)]
                removed += i2 - i1
            if tag in ("replace", "insert"):
                lines += [DiffLine("added", None, j + 1, b[j]) for j in range(j1, j2)]
                added += j2 - j1
    if lines and (old_end < len(a) or new_end < len(b)):
        lines.append(DiffLine("gap", None, None, ""))
    return Diff(tuple(lines), added, removed)
