"""Read nurture flows from YAML, with line numbers and duplicate keys reported like agreements.

A flow argument may name one file or a directory (every ``*.yaml``/``*.yml`` in it, sorted by
name), so that a team keeps one file per flow and activates them together.
"""

from __future__ import annotations

from pathlib import Path

from leadpact.adapters.agreement_yaml import parse_yaml
from leadpact.domain.agreement import AgreementError, Problem
from leadpact.domain.flow_parser import TemplateCheck, parse_flow
from leadpact.domain.flows import Flow, FlowError


def load_flow_text(text: str, source: str = "flow.yaml", template_check: TemplateCheck | None = None) -> Flow:
    try:
        data, lines = parse_yaml(text, source)
    except AgreementError as exc:  # YAML syntax, empty file, duplicate keys
        problems = [
            Problem(p.path, p.message.replace("expected an agreement mapping", "expected a flow mapping"), p.line)
            for p in exc.problems
        ]
        raise FlowError(source, problems) from None
    return parse_flow(data, source, lines, template_check)


def load_flow(path: str | Path, template_check: TemplateCheck | None = None) -> Flow:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError(str(path), [Problem("", f"cannot read the file: {exc}")]) from None
    return load_flow_text(text, str(path), template_check)


def flow_files(path: str | Path) -> list[Path]:
    """The flow files ``path`` names: itself, or the YAML files of a directory."""
    target = Path(path)
    if target.is_dir():
        return sorted(p for p in target.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return [target]


def load_flows(path: str | Path, template_check: TemplateCheck | None = None) -> list[Flow]:
    """Every flow at ``path``; raises one :class:`FlowError` naming every problem of every file,
    or when two files declare the same flow id."""
    files = flow_files(path)
    if not files:
        raise FlowError(str(path), [Problem("", "no flow files (*.yaml, *.yml) in this directory")])
    flows: list[Flow] = []
    errors: list[str] = []
    seen: dict[str, Path] = {}
    for file in files:
        try:
            flow = load_flow(file, template_check)
        except FlowError as exc:
            errors.append(str(exc))
            continue
        if flow.id in seen:
            errors.append(f"{file}: id: flow {flow.id!r} is already defined in {seen[flow.id]}")
            continue
        seen[flow.id] = file
        flows.append(flow)
    if errors:
        error = FlowError(str(path), [])
        error.args = ("\n".join(errors),)
        raise error
    return flows


def example_flow_path() -> Path:
    """The shipped example: whitepaper → 7 days → webinar invitation → attended? → goal."""
    return Path(__file__).parent.parent / "data" / "flows" / "whitepaper_webinar.yaml"
