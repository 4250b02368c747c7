"""The rendered agreement's content: every sentence and table row, localized, format-agnostic.

Templates (Markdown, HTML) only lay this out, so both formats always say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from leadpact import __version__
from leadpact.domain.agreement import STAGES as _STAGES
from leadpact.domain.agreement import Agreement, Decay, SlaRule, Within
from leadpact.service.labels import (
    COUNTRIES,
    Lang,
    action_label,
    department_label,
    label,
    stage_label,
)
from leadpact.service.render.conditions import (
    Outline,
    describe_condition,
    format_number,
    join_and,
    outline_condition,
)
from leadpact.service.render.lifecycle import ActionRow, action_rows
from leadpact.service.render.phrases import PHRASES


@dataclass(frozen=True, slots=True)
class RuleRow:
    id: str
    condition: str
    points: str = ""
    limit: str = ""


@dataclass(frozen=True, slots=True)
class AssignmentRow:
    order: int
    condition: str
    team: str
    members: str


@dataclass(frozen=True, slots=True)
class SlaRow:
    id: str
    starts: str
    stops: str
    within: str
    owner: str


@dataclass(frozen=True, slots=True)
class AgreementView:
    lang: Lang
    title: str
    name: str
    version: str
    intro: str
    overview: tuple[tuple[str, str], ...]
    approvers: tuple[str, ...]
    approvers_defaulted: bool
    fit: tuple[RuleRow, ...]
    engagement: tuple[RuleRow, ...]
    engagement_notes: tuple[str, ...]
    decay: tuple[str, ...]
    exclusions: tuple[RuleRow, ...]
    mql: Outline
    sql: Outline | None
    hot: Outline | None
    stage_rules: tuple[str, ...]
    assignment: tuple[AssignmentRow, ...]
    assignment_notes: tuple[str, ...]
    sla: tuple[SlaRow, ...]
    sla_notes: tuple[str, ...]
    recycle: tuple[str, ...]
    actions: tuple[ActionRow, ...]
    footer: str


_DEFAULT_APPROVERS = ("marketing", "sales")


def build_view(agreement: Agreement, lang: Lang) -> AgreementView:
    t = PHRASES[lang]
    approvers = agreement.approved_by or _DEFAULT_APPROVERS
    return AgreementView(
        lang=lang,
        title=t["title"],
        name=agreement.name,
        version=agreement.version,
        intro=t["intro"].format(version=agreement.version),
        overview=_overview(agreement, t, lang),
        approvers=tuple(department_label(a, lang) for a in approvers),
        approvers_defaulted=not agreement.approved_by,
        fit=tuple(RuleRow(r.id, describe_condition(r.condition, lang), _points(r.points)) for r in agreement.fit),
        engagement=tuple(
            RuleRow(
                r.id,
                describe_condition(r.condition, lang),
                _points(r.points),
                t["max_count_value"].format(count=r.max_count) if r.max_count else t["no_limit"],
            )
            for r in agreement.engagement
        ),
        engagement_notes=_engagement_notes(agreement, t),
        decay=(_decay(agreement.decay, t), t["decay_scope"]),
        exclusions=tuple(RuleRow(r.id, describe_condition(r.condition, lang)) for r in agreement.exclusions),
        mql=outline_condition(agreement.stages.mql, lang),
        sql=outline_condition(agreement.stages.sql, lang) if agreement.stages.sql else None,
        hot=outline_condition(agreement.stages.hot, lang) if agreement.stages.hot else None,
        stage_rules=(
            t["stage_rule_no_back"],
            t["stage_rule_fast_track"],
            t["stage_rule_sgl"],
            t["stage_rule_bant"],
            t["stage_rule_events"],
        ),
        assignment=_assignment_rows(agreement, t, lang),
        assignment_notes=_assignment_notes(agreement, t),
        sla=tuple(_sla_row(rule, agreement, t, lang) for rule in agreement.sla),
        sla_notes=_sla_notes(agreement, t, lang),
        recycle=(
            t["recycle_note"],
            t["recycle_reset"] if agreement.recycle.reset_engagement else t["recycle_keep"],
            t["recycle_signals"],
        ),
        actions=tuple(action_rows(lang)),
        footer=t["footer"].format(tool_version=__version__, name=agreement.name, version=agreement.version),
    )


def _points(points: float) -> str:
    return format_number(points)


def _percent(fraction: float) -> str:
    return format_number(round(fraction * 100, 2))


def _country(code: str, lang: Lang) -> str:
    return label(COUNTRIES, code, lang)


def _overview(agreement: Agreement, t: Mapping[str, str], lang: Lang) -> tuple[tuple[str, str], ...]:
    if agreement.business_calendar:
        calendar = t["calendar_country"].format(country=_country(agreement.business_calendar, lang))
    else:
        calendar = t["calendar_none"]
    holidays = ", ".join(day.isoformat() for day in agreement.company_holidays) or t["none"]
    rows = [
        (t["name"], agreement.name),
        (t["version_label"], agreement.version),
        (t["timezone"], agreement.timezone),
        (t["business_calendar"], calendar),
        (t["company_holidays"], holidays),
    ]
    if agreement.description:
        rows.append((t["description"], agreement.description))
    return tuple(rows)


def _engagement_notes(agreement: Agreement, t: Mapping[str, str]) -> tuple[str, ...]:
    notes = [t["engagement_note"]]
    if any(r.max_count for r in agreement.engagement):
        notes.append(t["max_count_note"])
    negative = [
        t["negative_item"].format(rule=r.id, points=_points(r.points)) for r in agreement.engagement if r.points < 0
    ]
    if negative:
        notes.append(t["negative_note"].format(rules=t["list_separator"].join(negative)))
    return tuple(notes)


def _decay(decay: Decay | None, t: Mapping[str, str]) -> str:
    if decay is None:
        return t["decay_none"]
    if decay.half_life_days is not None:
        days = decay.half_life_days
        return t["decay_half_life"].format(days=format_number(days), double=format_number(days * 2))
    days_text = format_number(decay.after_days or 0.0)
    if not decay.factor:
        return t["decay_step_zero"].format(days=days_text)
    return t["decay_step"].format(days=days_text, percent=_percent(decay.factor))


def _assignment_rows(agreement: Agreement, t: Mapping[str, str], lang: Lang) -> tuple[AssignmentRow, ...]:
    separator = "、" if lang == "ja" else ", "
    rows = []
    for order, rule in enumerate(agreement.assignment, start=1):
        if rule.condition is not None:
            condition = describe_condition(rule.condition, lang)
        else:
            condition = t["every_mql"] if order == 1 else t["every_other_mql"]
        rows.append(AssignmentRow(order, condition, rule.team, separator.join(rule.members)))
    return tuple(rows)


def _assignment_notes(agreement: Agreement, t: Mapping[str, str]) -> tuple[str, ...]:
    if not agreement.assignment:
        return (t["assignment_none"],)
    notes = [t["assignment_note"]]
    if all(rule.condition is not None for rule in agreement.assignment):
        notes.append(t["assignment_no_fallback"])
    return tuple(notes)


def _moment(name: str, lang: Lang, t: Mapping[str, str], *, start: bool) -> str:
    """An SLA start or stop: entering a stage, or an action being recorded."""
    if name in _STAGES:
        return t["starts_stage" if start else "stops_stage"].format(stage=stage_label(name, lang))
    action = action_label(name, lang)
    if lang == "ja":
        action = f"「{action}」"
    return t["starts_action"].format(action=action) if start else action


def _sla_row(rule: SlaRule, agreement: Agreement, t: Mapping[str, str], lang: Lang) -> SlaRow:
    stops = [_moment(stop, lang, t, start=False) for stop in rule.stops]
    joined = "、".join(stops) if lang == "ja" else ", ".join(stops)
    if lang == "ja" and len(stops) > 1:
        joined += "のいずれか"
    elif lang == "en" and len(stops) > 1:
        joined = f"{', '.join(stops[:-1])} or {stops[-1]}"
    return SlaRow(
        id=rule.id,
        starts=_moment(rule.starts, lang, t, start=True),
        stops=joined,
        within=_within(rule.within, agreement, t, lang),
        owner=department_label(rule.owner, lang),
    )


def _within(within: Within, agreement: Agreement, t: Mapping[str, str], lang: Lang) -> str:
    count = within.amount
    if within.unit != "business_days":
        text = t[f"within_{within.unit}"].format(count=count)
        if lang == "en" and count == 1:
            text = text.replace(f"{within.unit}", within.unit[:-1], 1)
        return text
    if agreement.business_calendar:
        calendar = t["calendar_short"].format(country=_country(agreement.business_calendar, lang))
    else:
        calendar = t["calendar_short_none"]
    text = t["within_business_days"].format(count=count, calendar=calendar)
    if lang == "en" and count == 1:
        text = text.replace("business days", "business day", 1)
    return text


def _sla_notes(agreement: Agreement, t: Mapping[str, str], lang: Lang) -> tuple[str, ...]:
    if not agreement.sla:
        return (t["sla_empty"],)
    notes = [t["sla_note"]]
    if any(rule.within.unit == "business_days" for rule in agreement.sla):
        excluded = [t["sla_holidays_weekends"]]
        if agreement.business_calendar:
            country = _country(agreement.business_calendar, lang)
            excluded.append(t["sla_holidays_public"].format(country=country))
        if agreement.company_holidays:
            excluded.append(t["sla_holidays_company"])
        holidays = "・".join(excluded) if lang == "ja" else join_and(excluded, "en")
        notes.append(t["sla_business_days_note"].format(timezone=agreement.timezone, holidays=holidays))
    return tuple(notes)
