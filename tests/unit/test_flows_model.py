"""Nurture flows as data: what the YAML means, and how bad YAML is reported (file:line: path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadpact.adapters.flow_yaml import example_flow_path, load_flow, load_flow_text, load_flows
from leadpact.domain.agreement import Problem, Within
from leadpact.domain.conditions import EventCond
from leadpact.domain.flow_parser import FlowLabel
from leadpact.domain.flows import (
    BranchStep,
    EmitStep,
    EventTest,
    EventTrigger,
    ExitStep,
    FlowError,
    OpenedTest,
    RecycleTrigger,
    Reentry,
    SendStep,
    SendWindow,
    StageTest,
    StageTrigger,
    WaitStep,
)

HEAD = 'id: f\nversion: "1"\ntrigger: {event: Whitepaper Downloaded}\n'


def problems(text: str, **kwargs: object) -> list[str]:
    with pytest.raises(FlowError) as caught:
        load_flow_text(text, "flow.yaml", **kwargs)  # type: ignore[arg-type]
    return str(caught.value).splitlines()


def test_the_shipped_example_reads_as_whitepaper_wait_invite_branch_goal() -> None:
    flow = load_flow(example_flow_path())
    assert flow.id == "whitepaper_webinar"
    assert flow.trigger == EventTrigger(EventCond(event="Whitepaper Downloaded"))
    wait, invite, attended, goal = flow.steps
    assert wait == WaitStep("step1", Within("days", 7))
    assert invite == SendStep("invite", "webinar_invite")
    assert isinstance(attended, BranchStep)
    assert attended.test == EventTest(EventCond(event="Webinar Attended"))
    assert attended.within == Within("days", 14)
    assert (attended.then, attended.otherwise) == ("next", "exit")
    assert goal == EmitStep("step4", "Nurture Goal Reached", (), goal=True)
    assert flow.reentry == Reentry(None)
    assert flow.send_window == SendWindow(9 * 60, 18 * 60, business_days=True)
    assert flow.language == "ja"


def test_every_key_in_its_long_form() -> None:
    flow = load_flow_text(
        """
id: recycled_checkin
version: "2026.2"
name: 差し戻しリードのフォロー
description: Check in with leads sales sent back for timing reasons.
language: en
trigger: {action: [reject, lose], reason: [timing, no_budget]}
reentry: {after_days: 90}
exit_when: [{stage: mql}]
send_window: {from: "08:30", to: "19:00", business_days: false}
steps:
  - {id: pause, wait: {business_days: 3}}
  - {id: checkin, send_email: {template: recycle_checkin, data: {offer: free audit}}}
  - {id: opened, branch: {if: {opened: checkin}, within: {hours: 48}, since: checkin, then: thanks, else: next}}
  - {id: nudge, send_email: case_study}
  - exit
  - {id: thanks, emit: {event: Check-in Opened, properties: {source: nurture}, goal: false}}
""",
        "flow.yaml",
    )
    assert flow.trigger == RecycleTrigger(("reject", "lose"), ("timing", "no_budget"))
    assert flow.reentry == Reentry(90)
    assert flow.exit_when == (StageTest("mql"),)
    assert flow.send_window == SendWindow(8 * 60 + 30, 19 * 60, business_days=False)
    assert flow.language == "en"
    pause, checkin, opened, nudge, stop, thanks = flow.steps
    assert pause == WaitStep("pause", Within("business_days", 3))
    assert checkin == SendStep("checkin", "recycle_checkin", (("offer", "free audit"),))
    assert opened == BranchStep("opened", OpenedTest("checkin"), Within("hours", 48), "checkin", "thanks", "next")
    assert nudge == SendStep("nudge", "case_study")
    assert stop == ExitStep("step5")
    assert thanks == EmitStep("thanks", "Check-in Opened", (("source", "nurture"),), goal=False)


def test_a_stage_trigger() -> None:
    flow = load_flow_text('id: f\nversion: "1"\ntrigger: {stage: mal}\nsteps: [{send_email: welcome}]\n')
    assert flow.trigger == StageTrigger("mal")


def test_an_unknown_key_names_file_line_path_and_the_keys_expected() -> None:
    found = problems(HEAD + "steps: [exit]\ncolour: blue\n")
    assert len(found) == 1
    assert found[0].startswith("flow.yaml:5: colour: unknown key 'colour'; expected one of id, version,")


def test_a_duplicate_key_is_reported_with_both_lines() -> None:
    found = problems(HEAD + 'steps: [exit]\nversion: "2"\n')
    assert found == ["flow.yaml:5: version: duplicate key 'version' (the first is on line 2)"]


def test_missing_required_keys_are_each_reported() -> None:
    found = problems("name: only a name\n")
    assert {line.split(": ")[1] for line in found} == {"id", "version", "trigger", "steps"}


def test_every_problem_is_reported_at_once_in_file_order() -> None:
    text = """id: "bad id"
version: 3
trigger: {type: email}
steps:
  - {wait: {weeks: 2}}
  - {send_email: {template: x}, emit: y}
  - {branch: {if: {opened: nowhere}, then: step1}}
send_window: {from: 18:00, to: "09:00"}
"""
    found = problems(text)
    assert (
        found[0]
        == "flow.yaml:1: id: expected letters, digits, '_' or '-' (it appears in links and keys), found 'bad id'"
    )
    assert found[1] == "flow.yaml:2: version: expected a non-empty string, found number 3 (quote it)"
    assert found[2] == "flow.yaml:3: trigger.type: expected one of page, track, found string 'email'"
    assert found[3].startswith("flow.yaml:5: steps[0].wait.weeks: unknown key 'weeks'")
    assert found[4] == (
        "flow.yaml:6: steps[1]: expected exactly one of wait, send_email, branch, emit, exit, found send_email, emit"
    )
    assert any('flow.yaml:8: send_window.from: expected a time "HH:MM", found number 1080' in f for f in found)
    assert "quote it" in found[-1]


def test_branches_jump_forward_only_to_existing_steps() -> None:
    found = problems(
        HEAD
        + """steps:
  - {id: first, send_email: a}
  - {id: check, branch: {if: {opened: first}, then: first, else: nowhere}}
"""
    )
    assert found == [
        "flow.yaml:6: steps[1].branch.then: 'first' is not after this branch;"
        " branches jump forward only (flows never loop)",
        "flow.yaml:6: steps[1].branch.else: no step with id 'nowhere'; expected next, exit or a later step id",
    ]


def test_opened_must_name_an_earlier_send_step() -> None:
    found = problems(HEAD + "steps:\n  - {id: w, wait: {days: 1}}\n  - branch: {if: {opened: w}}\n")
    assert found == ["flow.yaml:6: steps[1].branch.if: expected the id of an earlier send_email step, found 'w'"]


def test_duplicate_and_reserved_step_ids_are_errors() -> None:
    found = problems(HEAD + "steps:\n  - {id: a, send_email: x}\n  - {id: a, send_email: y}\n  - {id: next, emit: z}\n")
    assert found == [
        "flow.yaml:6: steps[1].id: duplicate step id 'a' (already used at steps[0])",
        "flow.yaml:7: steps[2].id: 'next' is reserved for branch targets; choose another id",
    ]


def test_a_trigger_that_is_not_an_event_stage_or_recycle_is_explained() -> None:
    found = problems('id: f\nversion: "1"\ntrigger: {trait: industry, eq: software}\nsteps: [exit]\n')
    assert [line.split(";")[0] for line in found] == [
        "flow.yaml:3: trigger.eq: unknown key 'eq'",
        "flow.yaml:3: trigger.trait: unknown key 'trait'",
    ]
    assert "a trigger is an event condition, {stage: ...} or {action: ..., reason: ...}" in found[0]


def test_stage_triggers_are_limited_to_marketing_stages() -> None:
    found = problems('id: f\nversion: "1"\ntrigger: {stage: sql}\nsteps: [exit]\n')
    assert found == ["flow.yaml:3: trigger.stage: expected one of lead, mal, mql, found string 'sql'"]


def test_recycle_triggers_name_recycling_actions() -> None:
    found = problems('id: f\nversion: "1"\ntrigger: {action: accept}\nsteps: [exit]\n')
    assert found == ["flow.yaml:3: trigger.action: expected one of reject, recycle, lose, found string 'accept'"]


def test_a_missing_template_is_reported_where_it_is_named() -> None:
    def check(step: SendStep, _flow: FlowLabel) -> list[Problem]:
        return [] if step.template == "known" else [Problem("template", f"no template {step.template!r}")]

    found = problems(HEAD + "steps:\n  - send_email: known\n  - send_email: unknown\n", template_check=check)
    assert found == ["flow.yaml:6: steps[1].send_email.template: no template 'unknown'"]


def test_invalid_yaml_and_empty_files_are_flow_errors() -> None:
    assert problems("id: [unclosed\n")[0].startswith("flow.yaml:2: invalid YAML")
    assert problems("") == ["flow.yaml: the file is empty; expected a flow mapping"]


def test_a_directory_of_flows_loads_every_file_and_refuses_duplicate_ids(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(HEAD.replace("id: f", "id: one") + "steps: [exit]\n", encoding="utf-8")
    (tmp_path / "b.yml").write_text(HEAD.replace("id: f", "id: two") + "steps: [exit]\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a flow", encoding="utf-8")
    assert [flow.id for flow in load_flows(tmp_path)] == ["one", "two"]
    (tmp_path / "c.yaml").write_text(HEAD.replace("id: f", "id: one") + "steps: [exit]\n", encoding="utf-8")
    with pytest.raises(FlowError, match=r"c\.yaml: id: flow 'one' is already defined in .*a\.yaml"):
        load_flows(tmp_path)


def test_yes_as_a_step_id_is_explained_as_the_yaml_boolean_it_became() -> None:
    found = problems(HEAD + "steps:\n  - {id: yes, send_email: a}\n")
    assert found == [
        "flow.yaml:5: steps[0].id: expected a name, found boolean true"
        " (YAML reads yes, no, on and off as true/false: quote it)"
    ]
