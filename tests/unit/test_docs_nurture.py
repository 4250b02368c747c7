"""docs/nurture.md is the reference of flow files: its examples must do what it says, and it must
name every key the parser accepts."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
import yaml
from factories import default_data

from leadpact.adapters.flow_yaml import example_flow_path, load_flow_text
from leadpact.domain import flow_parser, flows
from leadpact.domain.agreement import parse_agreement
from leadpact.domain.flows import FlowError

DOC = Path(__file__).resolve().parents[2] / "docs" / "nurture.md"


def _blocks() -> list[tuple[str, str]]:
    text = DOC.read_text(encoding="utf-8")
    return re.findall(r"^```(\w*)[^\n]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def _flow_blocks() -> list[str]:
    return [body for info, body in _blocks() if info == "yaml" and body.startswith("id:")]


def test_the_documented_example_is_the_shipped_flow() -> None:
    assert _flow_blocks()[0] == example_flow_path().read_text(encoding="utf-8")


def test_every_documented_flow_is_valid_except_the_one_shown_with_its_errors() -> None:
    blocks = _blocks()
    for body in _flow_blocks():
        if "colour:" in body:
            errors = next(b for info, b in blocks[blocks.index(("yaml", body)) :] if info == "text")
            with pytest.raises(FlowError) as caught:
                load_flow_text(body, "flows/webinar.yaml")
            assert str(caught.value) == errors.strip()
        else:
            load_flow_text(body, "doc.yaml")


def test_the_documented_goal_rule_fits_into_the_agreement() -> None:
    (snippet,) = [body for info, body in _blocks() if info == "yaml" and body.startswith("engagement:")]
    data = default_data()
    data["engagement"] += yaml.safe_load(snippet)["engagement"]
    assert parse_agreement(data).engagement[-1].id == "nurture_goal"


def _parser_keys() -> set[str]:
    """Every key passed as ``allowed`` to ``Reader.mapping`` in flow_parser.py, plus its
    tuples of keys, read from the source so that a key added later must be documented."""
    tree = ast.parse(inspect.getsource(flow_parser))
    keys: set[str] = set(flow_parser._TOP_KEYS) | set(flows.STEP_KINDS) | {"opened", "clicked", "stage", "action"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "mapping":
            allowed = node.args[2] if len(node.args) > 2 else None
            if isinstance(allowed, ast.Tuple):
                keys.update(e.value for e in allowed.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return keys


def test_every_key_the_parser_accepts_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = sorted(key for key in _parser_keys() if f"`{key}" not in text and f"{key}:" not in text)
    assert missing == []


@pytest.mark.parametrize(
    "name",
    [
        flows.EMAIL_SENT,
        flows.EMAIL_OPENED,
        flows.EMAIL_CLICKED,
        flows.EMAIL_BOUNCED,
        flows.EMAIL_FAILED,
        flows.UNSUBSCRIBED,
    ],
)
def test_every_event_flows_record_is_documented(name: str) -> None:
    assert f"`{name}`" in DOC.read_text(encoding="utf-8")
