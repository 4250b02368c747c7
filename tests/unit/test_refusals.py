"""Refusal reasons read in Japanese on Japanese pages and reports (the engine's English stays
the data); every reason the lifecycle and the access rules give has a Japanese form."""

from __future__ import annotations

import re

import pytest
from factories import T0, default

from leadpact.domain.lead_replay import LeadMachine
from leadpact.domain.lifecycle import ACTION_RULES, STAGE_ORDER, permission_problem
from leadpact.domain.messages import parse_message
from leadpact.domain.replay import compiled
from leadpact.service.refusals import refusal_text

ROLES = ("marketing", "inside_sales", "field_sales", "viewer", "system", "admin")
ENGLISH_WORD = re.compile(r"[a-z]{3,}")
"""Acronyms (BANT, SGL, MQL) and ids may stay; English prose may not."""


def _lifecycle_reasons() -> set[str]:
    reasons = set()
    for role in ROLES:
        for action in ACTION_RULES:
            for stage in (None, *STAGE_ORDER, "disqualified"):
                problem = permission_problem(role, action, stage)
                if problem is not None:
                    reasons.add(problem)
    return reasons


def _field_reasons() -> set[str]:
    machine = LeadMachine("u1", compiled(default()))
    reasons = set()
    for action, properties in [
        ("reject", {}),
        ("assign", {}),
        ("confirm_bant", {}),
        ("confirm_bant", {"items": ["budget", "mood"]}),
    ]:
        msg = parse_message(
            {
                "type": "action",
                "messageId": "m",
                "timestamp": T0,
                "userId": "u1",
                "action": action,
                "actor": {"id": "a", "role": "admin"},
                "properties": properties,
            }
        )
        problem = machine._field_problem(msg)
        assert problem is not None, action
        reasons.add(problem)
    return reasons


@pytest.mark.parametrize("reason", sorted(_lifecycle_reasons() | _field_reasons()))
def test_every_refusal_reason_reads_in_japanese(reason: str) -> None:
    japanese = refusal_text(reason, "ja")
    assert japanese != reason
    assert not ENGLISH_WORD.search(japanese.replace("mood", "")), japanese  # the unknown item is the input's


def test_the_reason_names_role_action_and_stages_with_their_labels() -> None:
    reason = permission_problem("inside_sales", "open_opportunity", "sql")
    assert reason is not None
    assert refusal_text(reason, "ja") == (
        "インサイドセールスは「商談化」を実行できません（実行できるロール: 管理者、フィールドセールス）"
    )
    stage = permission_problem("inside_sales", "accept", "sal")
    assert stage is not None
    assert refusal_text(stage, "ja") == "「受け入れ」はステージSALでは実行できません（実行できるステージ: MQL）"


def test_the_access_rules_read_in_japanese_too() -> None:
    assert refusal_text("role viewer may not change agreements (allowed: admin, marketing)", "ja") == (
        "閲覧者は合意を変更できません（変更できるロール: 管理者、マーケティング）"
    )
    assert refusal_text("role viewer may not add_note", "ja") == "閲覧者は「add_note」を実行できません"


def test_english_and_unknown_shapes_are_shown_as_written() -> None:
    assert refusal_text("accept is not allowed in stage sal (allowed from: mql)", "en").startswith("accept is")
    assert refusal_text("something new", "ja") == "something new"
