"""Conditions (SPEC §4.1) as natural sentences in Japanese and English.

``{trait: employees, gte: 300}`` reads "従業員数が300以上" / "employees is at least 300". The
sentences must say exactly what the engine does, because people sign them: a negated numeric
test is rendered as a negation ("is not at least 300"), never flipped to "is less than 300",
since a lead whose trait is missing passes the former and fails the latter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from leadpact.domain.conditions import (
    AllOf,
    AnyOf,
    BantGte,
    Condition,
    EventCond,
    EventIn,
    Not,
    PropertyTest,
    ScoreGte,
    TraitCond,
)
from leadpact.service.labels import TRAITS, Lang, event_label

# --- values -------------------------------------------------------------------------------


def format_number(value: float) -> str:
    """``300`` → ``300``, ``1000`` → ``1,000``, ``2.5`` → ``2.5``, ``50.0`` → ``50``."""
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return f"{value:,}"


def quote(text: str, lang: Lang) -> str:
    return f"「{text}」" if lang == "ja" else f"“{text}”"


def format_value(value: Any, lang: Lang) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    if value is None:
        return "null"
    return quote(str(value), lang)


def join_or(items: Sequence[str], lang: Lang) -> str:
    """``a, b or c`` / ``a、b、c`` (the Japanese caller adds のいずれか)."""
    if lang == "ja":
        return "、".join(items)
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} or {items[-1]}"


def join_and(items: Sequence[str], lang: Lang) -> str:
    if lang == "ja":
        return "、".join(items)
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"


def trait_name(name: str, lang: Lang) -> str:
    """``employees`` → 従業員数; ``company.industry`` → 企業の業種 / the company's industry."""
    if name.startswith("company."):
        inner = name[len("company.") :]
        translated = TRAITS[lang].get(inner, inner)
        return f"企業の{translated}" if lang == "ja" else f"the company's {translated}"
    return TRAITS[lang].get(name, name)


# --- operator tests -----------------------------------------------------------------------


def _test(subject: str, op: str, value: Any, lang: Lang, *, negated: bool = False) -> str:
    """``subject`` compared with ``op``; ``negated`` renders ``not {subject op value}``."""
    if negated:
        flipped = _FLIPS.get(op)
        if flipped is not None:
            return _test(subject, flipped, value, lang)
        if op == "exists":
            return _test(subject, "exists", not value, lang)
    return _test_ja(subject, op, value, negated) if lang == "ja" else _test_en(subject, op, value, negated)


# Only flips that keep the meaning for a missing trait: not(eq) and ne are both true then.
_FLIPS = {"eq": "ne", "ne": "eq", "in": "not_in", "not_in": "in"}

_EN_COMPARISONS = {
    "gte": "at least",
    "gt": "greater than",
    "lte": "at most",
    "lt": "less than",
}
_JA_COMPARISONS = {"gte": "以上", "gt": "を超える", "lte": "以下", "lt": "未満"}


def _test_en(subject: str, op: str, value: Any, negated: bool) -> str:
    if op in _EN_COMPARISONS:
        verb = "is not" if negated else "is"
        return f"{subject} {verb} {_EN_COMPARISONS[op]} {format_value(value, 'en')}"
    if op == "contains":
        verb = "does not contain" if negated else "contains"
        return f"{subject} {verb} {format_value(value, 'en')}"
    if op == "exists":
        return f"{subject} is set" if value else f"{subject} is not set"
    if op == "eq":
        return f"{subject} is {format_value(value, 'en')}"
    if op == "ne":
        return f"{subject} is not {format_value(value, 'en')}"
    values = [format_value(v, "en") for v in value]
    if op == "in":
        return f"{subject} is {join_or(values, 'en')}"
    if len(values) == 1:
        return f"{subject} is not {values[0]}"
    return f"{subject} is none of {', '.join(values)}"


def _test_ja(subject: str, op: str, value: Any, negated: bool) -> str:
    if op in _JA_COMPARISONS:
        sentence = f"{subject}が{format_value(value, 'ja')}{_JA_COMPARISONS[op]}"
        return f"{sentence}ではない" if negated else sentence
    if op == "contains":
        return f"{subject}に{format_value(value, 'ja')}を{'含まない' if negated else '含む'}"
    if op == "exists":
        return f"{subject}が登録されている" if value else f"{subject}が未登録"
    if op == "eq":
        return f"{subject}が{format_value(value, 'ja')}"
    if op == "ne":
        return f"{subject}が{format_value(value, 'ja')}以外"
    values = [format_value(v, "ja") for v in value]
    if len(values) == 1:
        return f"{subject}が{values[0]}" + ("" if op == "in" else "以外")
    ending = "のいずれか" if op == "in" else "のいずれでもない"
    return f"{subject}が{join_or(values, 'ja')}{ending}"


# --- condition trees ----------------------------------------------------------------------


def describe_condition(cond: Condition, lang: Lang) -> str:
    """One sentence for a whole condition tree; nested combinators are bracketed."""
    return _describe(cond, lang, nested=False)


@dataclass(frozen=True, slots=True)
class Outline:
    """A condition laid out for a document: a lead-in and one bullet per alternative, or a
    single sentence (``items`` empty) when the condition is not a top-level all/any."""

    lead: str
    items: tuple[str, ...] = ()


def outline_condition(cond: Condition, lang: Lang) -> Outline:
    if isinstance(cond, AllOf | AnyOf) and len(cond.items) > 1:
        key = "all" if isinstance(cond, AllOf) else "any"
        lead = _OUTLINE_LEADS[lang][key]
        return Outline(lead, tuple(_describe(item, lang, nested=False) for item in cond.items))
    return Outline(describe_condition(cond, lang))


_OUTLINE_LEADS = {
    "ja": {"all": "次のすべてを満たす:", "any": "次のいずれかを満たす:"},
    "en": {"all": "All of the following:", "any": "Any of the following:"},
}


def _describe(cond: Condition, lang: Lang, *, nested: bool) -> str:
    if isinstance(cond, TraitCond):
        return _test(trait_name(cond.trait, lang), cond.op, cond.value, lang)
    if isinstance(cond, EventCond):
        return _event(cond, lang)
    if isinstance(cond, ScoreGte):
        return _score(cond, lang)
    if isinstance(cond, BantGte):
        if lang == "ja":
            return f"BANT項目のうち{cond.value}項目以上を確認"
        items = "item has" if cond.value == 1 else "items have"
        return f"at least {cond.value} BANT {items} been confirmed"
    if isinstance(cond, EventIn):
        return _event_in(cond, lang)
    if isinstance(cond, Not):
        return _negation(cond.item, lang)
    parts = [_describe(item, lang, nested=True) for item in cond.items]
    if len(parts) == 1:
        return parts[0]
    sentence = _combine(parts, isinstance(cond, AllOf), lang)
    if not nested:
        return sentence
    return f"（{sentence}）" if lang == "ja" else f"({sentence})"


def _combine(parts: list[str], all_of: bool, lang: Lang) -> str:
    if lang == "ja":
        word = "かつ" if all_of else "または"
        return "、".join(parts[:-1]) + f"、{word}{parts[-1]}"
    return join_and(parts, "en") if all_of else join_or(parts, "en")


def _negation(inner: Condition, lang: Lang) -> str:
    """``not`` said directly where an exact phrasing exists, else wrapped as a whole."""
    if isinstance(inner, TraitCond):
        return _test(trait_name(inner.trait, lang), inner.op, inner.value, lang, negated=True)
    if isinstance(inner, ScoreGte):
        return _score(inner, lang, negated=True)
    if isinstance(inner, BantGte):
        if lang == "ja":
            return f"確認済みのBANT項目が{inner.value}項目未満"
        return f"fewer than {inner.value} BANT items have been confirmed"
    if isinstance(inner, EventIn):
        return _event_in(inner, lang, negated=True)
    if isinstance(inner, EventCond):
        base = _event(inner, lang)
        if inner.type is not None and inner == EventCond(type=inner.type):
            base = _EVENT_KIND_NOUNS[lang][inner.type]
        return f"{base}以外の行動" if lang == "ja" else f"any event other than {base}"
    sentence = _describe(inner, lang, nested=False)
    if lang == "ja":
        return f"（{sentence}）に該当しない"
    if isinstance(inner, AllOf | AnyOf):
        return f"it is not the case that ({sentence})"
    return f"it is not the case that {sentence}"


_EVENT_KIND_NOUNS = {
    "ja": {"page": "ページ閲覧", "track": "トラッキングイベント"},
    "en": {"page": "a page view", "track": "a tracked event"},
}

_SCORE_NAMES = {
    "ja": {"score": "スコア(属性+行動)", "fit": "属性スコア", "engagement": "行動スコア"},
    "en": {
        "score": "the score (fit + engagement)",
        "fit": "the fit score",
        "engagement": "the engagement score",
    },
}


def _score(cond: ScoreGte, lang: Lang, *, negated: bool = False) -> str:
    # Scores always exist (0 at worst), so "not at least N" is exactly "less than N".
    name = _SCORE_NAMES[lang].get(cond.kind, cond.kind)
    points = format_number(cond.value)
    if lang == "ja":
        return f"{name}が{points}点{'未満' if negated else '以上'}"
    return f"{name} is {'less than' if negated else 'at least'} {points} points"


def _event_in(cond: EventIn, lang: Lang, *, negated: bool = False) -> str:
    names = [quote(event_label(name, lang), lang) for name in cond.events]
    if lang == "ja":
        if len(names) == 1:
            return f"{names[0]}の行動{'がない' if negated else 'があった'}"
        return (
            f"{join_or(names, 'ja')}のいずれの行動もない"
            if negated
            else (f"{join_or(names, 'ja')}のいずれかの行動があった")
        )
    if negated:
        return f"no {join_or(names, 'en')} event has occurred"
    article = "an" if names[0][1:2].lower() in tuple("aeiou") else "a"
    return f"{article} {join_or(names, 'en')} event has occurred"


def _event(cond: EventCond, lang: Lang) -> str:
    kind = cond.type
    if kind is None and cond.event is not None:
        kind = "track"
    if kind is None and (cond.path is not None or cond.path_prefix is not None):
        kind = "page"
    base = _event_base_ja(cond, kind) if lang == "ja" else _event_base_en(cond, kind)
    if not cond.properties:
        return base
    tests = [_property(prop, lang) for prop in cond.properties]
    if lang == "ja":
        return f"{base}（ただし{'、かつ'.join(tests)}）"
    return f"{base} where {join_and(tests, 'en')}"


def _event_base_en(cond: EventCond, kind: str | None) -> str:
    if kind == "page":
        if cond.path is not None:
            return f"a page view of {quote(cond.path, 'en')}"
        if cond.path_prefix is not None:
            return f"a page view under {quote(cond.path_prefix, 'en')}"
        return "any page view"
    if kind == "track":
        if cond.event is not None:
            return f"the {quote(cond.event, 'en')} event"
        return "any tracked event"
    return "any page view or tracked event"


def _event_base_ja(cond: EventCond, kind: str | None) -> str:
    if kind == "page":
        if cond.path is not None:
            return f"ページ{quote(cond.path, 'ja')}の閲覧"
        if cond.path_prefix is not None:
            return f"{quote(cond.path_prefix, 'ja')}配下のページの閲覧"
        return "すべてのページ閲覧"
    if kind == "track":
        if cond.event is not None:
            return quote(event_label(cond.event, "ja"), "ja")
        return "すべてのトラッキングイベント"
    return "すべてのページ閲覧・トラッキングイベント"


def _property(prop: PropertyTest, lang: Lang) -> str:
    subject = f"プロパティ{quote(prop.name, 'ja')}" if lang == "ja" else f"property {prop.name}"
    return _test(subject, prop.op, prop.value, lang)
