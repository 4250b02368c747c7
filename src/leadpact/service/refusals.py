"""Why an action was refused, in the reader's language.

The engine states a refusal in English (``errors[].reason`` in every output, stable for
scripts and identical in every engine). People reading a Japanese page or report should not
meet English in the middle of it, so the reasons the lifecycle and the access rules give are
recognised here by their fixed shape and said again in Japanese, with the stage, role and
action names of :mod:`leadpact.service.labels`. A reason of any other shape is shown as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from leadpact.service.labels import BANT_ITEMS, Lang, action_label, label, role_label, stage_label

_Render = Callable[[re.Match[str]], str]


def _names(text: str, name: Callable[[str], str]) -> str:
    return "、".join(name(item.strip()) for item in text.split(","))


def _roles(text: str) -> str:
    return _names(text, lambda role: role_label(role, "ja"))


def _stages(text: str) -> str:
    return _names(text, lambda stage: stage_label(stage, "ja"))


def _items(text: str) -> str:
    return _names(text, lambda item: label(BANT_ITEMS, item, "ja"))


def _action(name: str) -> str:
    return action_label(name, "ja")


_JAPANESE: Final[tuple[tuple[re.Pattern[str], _Render], ...]] = (
    (
        re.compile(r"role (\S+) may not (\S+) \(allowed: (.+)\)"),
        lambda m: f"{role_label(m[1], 'ja')}は「{_action(m[2])}」を実行できません（実行できるロール: {_roles(m[3])}）",
    ),
    (
        re.compile(r"(\S+) is not allowed in stage (\S+) \(allowed from: (.+)\)"),
        lambda m: (
            f"「{_action(m[1])}」はステージ{stage_label(m[2], 'ja')}では実行できません"
            f"（実行できるステージ: {_stages(m[3])}）"
        ),
    ),
    (
        re.compile(r"(\S+) needs a reason(?: \(properties\.reason\))?"),
        lambda m: f"「{_action(m[1])}」には理由が必要です",
    ),
    (re.compile(r"assign needs the new owner.*"), lambda _: f"「{_action('assign')}」には新しい担当者が必要です"),
    (
        re.compile(r"confirm_bant needs items, a non-empty subset of (.+)"),
        lambda m: f"「{_action('confirm_bant')}」には項目が 1 つ以上必要です（{_items(m[1])}）",
    ),
    (
        re.compile(r"unknown BANT item\(s\) (.+); expected a subset of (.+)"),
        lambda m: f"不明な BANT 項目です: {m[1]}（使える項目: {_items(m[2])}）",
    ),
    (
        re.compile(r"lead already exists; create_sgl creates a new lead"),
        lambda _: f"リードは既に存在します。「{_action('create_sgl')}」は新しいリードを作ります",
    ),
    (
        re.compile(r"unknown lead: .*"),
        lambda _: (
            f"リードが存在しません。アクションには既存のリードが必要です（新しいリードを作れるのは「{_action('create_sgl')}」だけです）"
        ),
    ),
    (
        re.compile(r"messageId '(.+)' already records a different message"),
        lambda m: f"messageId '{m[1]}' は既に別のメッセージに使われています",
    ),
    (
        re.compile(r"role (\S+) may not change agreements \(allowed: (.+)\)"),
        lambda m: f"{role_label(m[1], 'ja')}は合意を変更できません（変更できるロール: {_roles(m[2])}）",
    ),
    (
        re.compile(r"role (\S+) may not (\S+)"),
        lambda m: f"{role_label(m[1], 'ja')}は「{_action(m[2])}」を実行できません",
    ),
)


def refusal_text(reason: str, lang: Lang) -> str:
    """``reason`` as the engine gave it, said in ``lang`` (as written when its shape is unknown)."""
    if lang == "en":
        return reason
    for pattern, render in _JAPANESE:
        found = pattern.fullmatch(reason)
        if found is not None:
            return render(found)
    return reason
