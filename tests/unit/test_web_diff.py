"""The agreement diff: changed lines with both line numbers, unchanged stretches elided."""

from __future__ import annotations

from leadpact.service.dashboard.diff import line_diff


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def test_a_changed_line_is_removed_then_added_with_context_and_gaps() -> None:
    old = [f"line {i}" for i in range(1, 21)]
    new = [*old[:9], "line ten", *old[10:]]
    diff = line_diff(_text(old), _text(new))
    kinds = [line.kind for line in diff.lines]
    assert kinds == ["gap", "same", "same", "same", "removed", "added", "same", "same", "same", "gap"]
    removed = diff.lines[4]
    added = diff.lines[5]
    assert (removed.old_line, removed.new_line, removed.text) == (10, None, "line 10")
    assert (added.old_line, added.new_line, added.text) == (None, 10, "line ten")
    assert (diff.added, diff.removed) == (1, 1)


def test_line_numbers_follow_insertions() -> None:
    diff = line_diff(_text(["a", "b", "c"]), _text(["a", "new", "b", "c"]))
    assert [(line.kind, line.old_line, line.new_line) for line in diff.lines] == [
        ("same", 1, 1),
        ("added", None, 2),
        ("same", 2, 3),
        ("same", 3, 4),
    ]


def test_identical_texts_have_no_lines() -> None:
    diff = line_diff("a\nb\n", "a\nb\n")
    assert diff.identical
    assert diff.lines == ()
