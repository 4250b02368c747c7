"""Read an agreement from YAML text, keeping line numbers for error messages.

PyYAML's node graph is walked by hand so that every field path (``engagement[3].points``) maps
to the line it was written on, and so that duplicate keys, which PyYAML would silently let the
last one win, are reported.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from leadpact.domain.agreement import Agreement, AgreementError, Problem, parse_agreement

_MERGE_TAG = "tag:yaml.org,2002:merge"


def _scalar(node: yaml.Node, path: str, problems: list[Problem]) -> Any:
    """A scalar's value; one YAML cannot build (an impossible date such as 2026-02-30, an
    unknown tag) becomes a problem, or its text where the validator can say more about it."""
    try:
        return _LOADER.construct_object(node)
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # the validator then reports "expected a date ..., found '2026-02-30'"
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(path, f"invalid value {node.value!r}: {reason}", node.start_mark.line + 1))
        return None


def _construct(
    node: yaml.Node, path: str, lines: dict[str, int], problems: list[Problem], active: set[int] | None = None
) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    active = set() if active is None else active
    if id(node) in active:
        problems.append(Problem(path, "recursive alias: a value may not contain itself", node.start_mark.line + 1))
        return None
    if isinstance(node, yaml.MappingNode):
        active.add(id(node))
        result: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                problems.append(Problem(path, "merge keys (<<) are not supported; write the keys out", line))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem(path, "a key must be a plain name, found a list or mapping", line))
                continue
            key = _scalar(key_node, path, problems)
            child = f"{path}.{key}" if path else str(key)
            if key in first_line:
                problems.append(Problem(child, f"duplicate key {key!r} (the first is on line {first_line[key]})", line))
                continue
            first_line[key] = line
            lines[child] = line
            result[key] = _construct(value_node, child, lines, problems, active)
        active.discard(id(node))
        return result
    if isinstance(node, yaml.SequenceNode):
        active.add(id(node))
        items = [_construct(item, f"{path}[{i}]", lines, problems, active) for i, item in enumerate(node.value)]
        active.discard(id(node))
        return items
    return _scalar(node, path, problems)


_LOADER = yaml.SafeLoader("")


def parse_yaml(text: str, source: str) -> tuple[Any, dict[str, int]]:
    """Plain data plus a path → line map. Raises AgreementError on YAML syntax errors."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise AgreementError(source, [Problem("", f"invalid YAML: {reason}", line)]) from None
    if root is None:
        raise AgreementError(source, [Problem("", "the file is empty; expected an agreement mapping")])
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    data = _construct(root, "", lines, problems)
    if problems:
        raise AgreementError(source, problems)
    return data, lines


@cache
def supported_calendars() -> frozenset[str]:
    import holidays

    return frozenset(holidays.list_supported_countries())


def load_agreement_text(text: str, source: str = "agreement.yaml") -> Agreement:
    data, lines = parse_yaml(text, source)
    return parse_agreement(data, source, lines, supported_calendars())


def load_agreement(path: str | Path) -> Agreement:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AgreementError(str(path), [Problem("", f"cannot read the file: {exc}")]) from None
    return load_agreement_text(text, str(path))


def default_agreement_text() -> str:
    return (Path(__file__).parent.parent / "data" / "default_agreement.yaml").read_text(encoding="utf-8")


def default_agreement() -> Agreement:
    return load_agreement_text(default_agreement_text(), "default_agreement.yaml")
