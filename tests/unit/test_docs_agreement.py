"""docs/agreement.md is the reference of the agreement file: it must name every key the parser
accepts, and every YAML example in it must do what the page says it does."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from leadpact.adapters.agreement_yaml import default_agreement, load_agreement_text, parse_yaml
from leadpact.domain import agreement as agreement_module
from leadpact.domain.agreement import AgreementError
from leadpact.domain.conditions import TRAIT_OPS

DOC = Path(__file__).resolve().parents[2] / "docs" / "agreement.md"
MINIMAL = {"name": "Doc fragment", "version": "1", "stages": {"mql": {"when": {"score_gte": 50}}}}
CHECK_PROMPT = "$ leadpact agreement check "


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _blocks() -> list[tuple[str, str]]:
    """(info string, body) of every fenced code block, in order."""
    return re.findall(r"^```(\w*)[^\n]*\n(.*?)^```", _doc(), flags=re.MULTILINE | re.DOTALL)


def _mapping_allowed_keys() -> set[str]:
    """Every key passed as ``allowed`` to ``_Reader.mapping`` in agreement.py, found by reading
    its source, so a key added to the parser later is caught here without editing this test."""
    tree = ast.parse(inspect.getsource(agreement_module))
    keys: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "mapping" or len(node.args) < 3:
            continue
        allowed = node.args[2]
        if isinstance(allowed, ast.Tuple):
            keys.update(e.value for e in allowed.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
        elif isinstance(allowed, ast.Name):
            keys.update(getattr(agreement_module, allowed.id))
    return keys


def _accepted_keys() -> set[str]:
    keys = _mapping_allowed_keys()
    keys.update(agreement_module._TOP_KEYS)
    keys.update(agreement_module._EVENT_KEYS)
    keys.update(agreement_module._CRITERIA_KEYS)
    keys.update(agreement_module.WITHIN_UNITS)
    keys.update(agreement_module.EVENT_TYPES)
    keys.update(agreement_module.DEPARTMENTS)
    keys.update(agreement_module._SLA_EVENTS)
    keys.update(TRAIT_OPS)
    keys.update(("trait", "all", "any", "not"))
    return keys


def test_the_parser_accepts_the_keys_this_test_expects_to_find() -> None:
    # Guards the source reading above: if it found nothing, the next test would pass vacuously.
    keys = _mapping_allowed_keys()
    assert {"id", "if", "points", "max_count", "after_days", "half_life_days", "when", "team", "owner"} <= keys
    assert {"reset_engagement", "mql", "sql", "hot", "business_days"} <= keys


def test_every_accepted_key_is_documented_in_backticks() -> None:
    doc = _doc()
    missing = sorted(key for key in _accepted_keys() if f"`{key}`" not in doc)
    assert missing == [], f"docs/agreement.md does not document: {', '.join(missing)}"


def test_complete_example_is_the_shipped_default_agreement() -> None:
    first_yaml = next(body for info, body in _blocks() if info == "yaml")
    assert load_agreement_text(first_yaml, "docs/agreement.md") == default_agreement()


def _yaml_examples() -> list[tuple[int, str, str | None]]:
    """(index, yaml body, expected check output or None) for every yaml block."""
    blocks = _blocks()
    examples = []
    for index, (info, body) in enumerate(blocks):
        if info != "yaml":
            continue
        expected = None
        if index + 1 < len(blocks) and blocks[index + 1][1].startswith(CHECK_PROMPT):
            expected = blocks[index + 1][1]
        examples.append((index, body, expected))
    return examples


def _is_complete(data: Any) -> bool:
    return isinstance(data, dict) and {"name", "version", "stages"} <= set(data)


def test_the_doc_has_complete_examples_fragments_and_an_error_example() -> None:
    examples = _yaml_examples()
    complete = [body for _, body, expected in examples if expected is None and _is_complete(parse_yaml(body, "x")[0])]
    assert len(complete) >= 3
    assert any(expected is not None for _, _, expected in examples)


@pytest.mark.parametrize(("index", "body", "expected"), _yaml_examples(), ids=lambda v: str(v)[:12])
def test_yaml_example_does_what_the_doc_says(index: int, body: str, expected: str | None) -> None:
    if expected is not None:
        command, *lines = expected.strip().splitlines()
        source = command.removeprefix(CHECK_PROMPT).strip()
        with pytest.raises(AgreementError) as info:
            load_agreement_text(body, source)
        assert str(info.value).splitlines() == lines
        return
    data, _ = parse_yaml(body, f"docs/agreement.md block {index}")
    if _is_complete(data):
        load_agreement_text(body, f"docs/agreement.md block {index}")
        return
    # A fragment of top-level sections: it must validate inside a minimal agreement.
    assert isinstance(data, dict), f"block {index} is neither an agreement nor agreement sections"
    assert set(data) <= set(agreement_module._TOP_KEYS), f"block {index} has keys outside the agreement"
    merged = {**MINIMAL, **data}
    agreement_module.parse_agreement(merged, f"docs/agreement.md block {index}")
