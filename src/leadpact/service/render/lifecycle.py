"""The actions table of SPEC §5 (``domain.lifecycle.ACTION_RULES``) as localized rows.

The table is fixed by the product, not by the agreement file, but both departments sign up to
it, so the rendered agreement reproduces it with who may do what. The rows are read from the
same table the replay and the API enforce, so the document cannot drift from the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from leadpact.domain.lifecycle import ACTION_RULES, REASON_REQUIRED, STAGE_ORDER, ActionRule
from leadpact.service.labels import Lang, action_label, role_label, stage_label

_STAGES_IN_ORDER: Final = (*STAGE_ORDER, "disqualified")
_ANY_BUT_CUSTOMER: Final = frozenset(_STAGES_IN_ORDER) - {"customer"}
_ROLE_ORDER: Final = ("marketing", "inside_sales", "field_sales", "system", "admin", "viewer")

_ANY_BUT_CUSTOMER_TEXT = {"ja": "受注以外のすべて", "en": "any stage but Customer"}
_NEW_LEAD_TEXT = {"ja": "(新規リード)", "en": "(new lead)"}
_NO_CHANGE = {"ja": "(変更なし)", "en": "(no change)"}
_REASON = {"ja": "理由の入力が必須", "en": "reason required"}

# What an action does besides moving the lead (or instead of it), in words.
_EFFECTS = {
    "ja": {
        "assign": "担当者を設定(SLAを停止)",
        "contact": "ステージは変わらない(SLAを停止)",
        "confirm_bant": "確認したBANT項目を記録(SQL基準を満たすことがある)",
        "reject": "リサイクル(ナーチャリングへ戻る)",
        "recycle": "リサイクル(ナーチャリングへ戻る)",
        "lose": "履歴に「失注」を記録し、同時刻にMALへ戻す",
        "create_sgl": "営業起点リード(SGL)としてSQLから開始",
    },
    "en": {
        "assign": "sets the owner (stops an SLA)",
        "contact": "stage unchanged (stops an SLA)",
        "confirm_bant": "records the confirmed BANT items (may meet the SQL criteria)",
        "reject": "recycled: back to nurturing",
        "recycle": "recycled: back to nurturing",
        "lose": "history records Lost, then MAL at the same time",
        "create_sgl": "a sales-generated lead (SGL), starts at SQL",
    },
}


@dataclass(frozen=True, slots=True)
class ActionRow:
    """One localized row: action, allowed from, goes to, who may, and notes."""

    action: str
    action_id: str
    allowed_from: str
    goes_to: str
    roles: str
    notes: str


def action_rows(lang: Lang) -> list[ActionRow]:
    return [_row(rule, lang) for rule in ACTION_RULES.values()]


def _row(rule: ActionRule, lang: Lang) -> ActionRow:
    separator = "、" if lang == "ja" else ", "
    notes = [_EFFECTS[lang].get(rule.name, "")]
    if rule.name in REASON_REQUIRED:
        notes.append(_REASON[lang])
    roles = sorted(rule.roles, key=lambda r: _ROLE_ORDER.index(r) if r in _ROLE_ORDER else len(_ROLE_ORDER))
    return ActionRow(
        action=action_label(rule.name, lang),
        action_id=rule.name,
        allowed_from=_allowed_from(rule, lang),
        goes_to=stage_label(rule.goes_to, lang) if rule.goes_to else _NO_CHANGE[lang],
        roles=separator.join(role_label(role, lang) for role in roles),
        notes=("。" if lang == "ja" else "; ").join(note for note in notes if note),
    )


def _allowed_from(rule: ActionRule, lang: Lang) -> str:
    if not rule.allowed_from:
        return _NEW_LEAD_TEXT[lang]
    if rule.allowed_from == _ANY_BUT_CUSTOMER:
        return _ANY_BUT_CUSTOMER_TEXT[lang]
    separator = "、" if lang == "ja" else ", "
    return separator.join(stage_label(s, lang) for s in _STAGES_IN_ORDER if s in rule.allowed_from)
