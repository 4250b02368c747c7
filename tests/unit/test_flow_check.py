"""``flows check``: template problems are reported at the flow file's line and field path of the
step that sends them, beside every structural and reference problem, and a template is also
rendered for a lead that has nothing but its address."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadpact.adapters.flow_yaml import load_flow_text
from leadpact.domain.flow_parser import FlowLabel
from leadpact.domain.flows import FlowError, SendStep
from leadpact.service.nurture.check import RenderCheck
from leadpact.service.nurture.templates import SHIPPED, TemplateLibrary

HEAD = 'id: f\nversion: "1"\ntrigger: {event: Whitepaper Downloaded}\n'
GOOD = "Subject: Hello\n\n{{ lead.name or 'there' }}\n{{ unsubscribe_url }}\n"


def library(tmp_path: Path, **templates: str) -> TemplateLibrary:
    """Templates by file name without the ``.txt.j2`` suffix: ``broken_ja="..."``."""
    for name, text in templates.items():
        stem, language = name.rsplit("_", 1)
        (tmp_path / f"{stem}.{language}.txt.j2").write_text(text, encoding="utf-8")
    return TemplateLibrary([tmp_path])


def problems(text: str, templates: TemplateLibrary) -> list[str]:
    with pytest.raises(FlowError) as caught:
        load_flow_text(text, "flow.yaml", RenderCheck(templates))
    return str(caught.value).splitlines()


def test_a_template_problem_names_the_flow_line_the_step_the_template_line_and_the_language(tmp_path: Path) -> None:
    templates = library(tmp_path, broken_ja="Subject: x\n\nbody {% if %}\n", broken_en="Subject: x\n\nno link\n")
    found = problems(HEAD + "steps:\n  - wait: {days: 1}\n  - send_email:\n      template: broken\n", templates)
    assert found == [
        "flow.yaml:6: steps[1].send_email: broken.ja.txt.j2:3: Expected an expression, got 'end of statement block'"
        " (ja)",
        "flow.yaml:6: steps[1].send_email: broken.en.txt.j2: the text must contain {{ unsubscribe_url }} (en)",
    ]


def test_a_refused_link_names_the_template_line_once_per_language() -> None:
    flow = HEAD + 'steps:\n  - send_email: {template: webinar_invite, data: {webinar_url: "javascript:x()"}}\n'
    found = problems(flow, TemplateLibrary())
    assert found == [
        f"flow.yaml:5: steps[0].send_email: webinar_invite.{lang}.txt.j2:10: only http(s) links can be tracked, "
        f"found 'javascript:x()' ({lang})"
        for lang in ("ja", "en")
    ]


def test_a_value_a_lead_may_lack_is_named_with_a_default_to_write(tmp_path: Path) -> None:
    templates = library(tmp_path, first_ja="Subject: 件名\n\n{{ lead.name.split()[0] }} 様\n{{ unsubscribe_url }}\n")
    found = problems(HEAD + "steps:\n  - {id: hello, send_email: first}\n", templates)
    assert found == [
        "flow.yaml:5: steps[0].send_email: first.ja.txt.j2:3: lead.name is missing; give it a default, "
        'e.g. {{ lead.name or "…" }} (ja, for a lead with only an address)'
    ]


def test_a_problem_every_sample_lead_has_is_reported_once(tmp_path: Path) -> None:
    templates = library(tmp_path, bare_en="Subject: x\n\n{{ lead.name }}\n")
    found = problems(HEAD + "steps:\n  - send_email: bare\n", templates)
    assert found == [
        "flow.yaml:5: steps[0].send_email: bare.en.txt.j2: the text must contain {{ unsubscribe_url }} (en)"
    ]


def test_a_broken_step_hides_neither_references_nor_templates_of_the_others(tmp_path: Path) -> None:
    templates = library(tmp_path, broken_ja="Subject: x\n\n{{ unsubscribe_url }}{% if %}\n", ok_ja=GOOD)
    flow = HEAD + (
        "steps:\n"
        "  - {id: a, send_email: ok}\n"  # 5
        "  - {id: a, wait: {weeks: 1}}\n"  # 6
        "  - teleport: somewhere\n"  # 7
        "  - {id: b, branch: {if: {opened: nosuch}, within: {days: 3}}}\n"  # 8
        "  - {id: c, branch: {if: {clicked: b}, within: {fortnights: 1}, else: nowhere}}\n"  # 9
        "  - send_email: broken\n"  # 10
        "exit_when: [{opened: b}]\n"  # 11
    )
    assert problems(flow, templates) == [
        "flow.yaml:6: steps[1].wait.weeks: unknown key 'weeks'; expected one of minutes, hours, days, business_days",
        "flow.yaml:6: steps[1].id: duplicate step id 'a' (already used at steps[0])",
        "flow.yaml:7: steps[2].teleport: unknown key 'teleport'; "
        "expected one of id, wait, send_email, branch, emit, exit",
        "flow.yaml:7: steps[2]: expected exactly one of wait, send_email, branch, emit, exit, found none",
        "flow.yaml:8: steps[3].branch.if: expected the id of an earlier send_email step, found 'nosuch'",
        "flow.yaml:9: steps[4].branch.within.fortnights: unknown key 'fortnights'; "
        "expected one of minutes, hours, days, business_days",
        "flow.yaml:9: steps[4].branch.else: no step with id 'nowhere'; expected next, exit or a later step id",
        "flow.yaml:9: steps[4].branch.if: expected the id of an earlier send_email step, found 'b'",
        "flow.yaml:10: steps[5].send_email: broken.ja.txt.j2:3: Expected an expression, got 'end of statement block'"
        " (ja)",
        "flow.yaml:11: exit_when[0]: expected the id of an earlier send_email step, found 'b'",
    ]


def test_a_reference_to_a_step_with_its_own_problem_is_not_reported_twice(tmp_path: Path) -> None:
    flow = HEAD + "steps:\n  - {id: invite, send_email: {template: ok, data: []}}\n  - branch: {if: {opened: invite}}\n"
    assert problems(flow, library(tmp_path, ok_ja=GOOD)) == [
        "flow.yaml:5: steps[0].send_email.data: expected a mapping of names to values, found a list"
    ]


@pytest.mark.parametrize("name", sorted({path.name.split(".")[0] for path in SHIPPED.glob("*.txt.j2")}))
def test_the_shipped_templates_render_for_any_lead(name: str) -> None:
    check = RenderCheck(TemplateLibrary())
    assert check(SendStep("s", name), FlowLabel("f", "1", "f")) == []
    assert check.languages[name] == ["ja", "en"] and check.warnings == []


def test_a_missing_language_is_a_warning_and_the_languages_are_listed(tmp_path: Path) -> None:
    check = RenderCheck(library(tmp_path, only_en=GOOD))
    load_flow_text(HEAD + "steps:\n  - send_email: only\n  - send_email: only\n", "flow.yaml", check)
    assert check.languages == {"only": ["en"]}
    assert check.warnings == ["only: no ja variant; those leads get en"]


def test_a_template_problem_is_named_at_the_step_that_sends_it(tmp_path: Path) -> None:
    templates = library(tmp_path, first_ja="Subject: 件名\n\n{{ lead.name.split()[0] }}\n{{ unsubscribe_url }}\n")
    with pytest.raises(FlowError) as raised:
        load_flow_text(HEAD + "steps:\n  - {id: hello, send_email: first}\n", "flow.yaml", RenderCheck(templates))
    (problem,) = raised.value.problems
    assert problem.path == "steps[0].send_email"
    assert problem.message.startswith("first.ja.txt.j2:3: lead.name is missing")
