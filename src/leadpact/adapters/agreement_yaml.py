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


def _construct(node: yaml.Node, path: str, lines: dict[str, int], problems: list[Problem]) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _LOADER.construct_object(key_node)
            child = f"{path}.{key}" if path else str(key)
            if key in result:
                problems.append(
                    Problem(
                        child,
                        f"duplicate key {key!r} (the first is on line {lines[child]})",
                        key_node.start_mark.line + 1,
                    )
                )
                continue
            lines[child] = key_node.start_mark.line + 1
            result[key] = _construct(value_node, child, lines, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, f"{path}[{i}]", lines, problems) for i, item in enumerate(node.value)]
    return _LOADER.construct_object(node)


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
