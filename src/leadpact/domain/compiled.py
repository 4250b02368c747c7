"""An agreement compiled once into the fast lookups the replay needs.

Compilation turns condition trees into closures and indexes engagement rules by what can match
them (track rules by event name), so the per-event cost does not grow with the number of
rules. The compiled form is derived data only: the :class:`Agreement` stays the definition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from leadpact.domain.agreement import Agreement, AssignmentRule, EngagementRule, SlaRule
from leadpact.domain.calendar import BusinessCalendar
from leadpact.domain.conditions import (
    AllOf,
    Condition,
    CriteriaPredicate,
    EventCond,
    EventIn,
    EventPredicate,
    TraitPredicate,
    compile_criteria,
    compile_event,
    compile_traits,
    walk,
)
from leadpact.domain.timeutil import US_PER_DAY

_NO_RULES: Final[tuple[tuple[int, EventPredicate], ...]] = ()


@dataclass(frozen=True, slots=True)
class CompiledDecay:
    """``kind``: ``none``, ``step`` (``after_us`` strictly older counts ``factor``) or ``half``."""

    kind: str
    after_us: int = 0
    factor: float = 1.0
    half_life_us: float = 0.0


@dataclass(slots=True)
class CompiledAgreement:
    agreement: Agreement
    calendar: BusinessCalendar
    fit: list[tuple[str, float, TraitPredicate]]
    engagement: list[EngagementRule]
    track_by_event: dict[str, tuple[tuple[int, EventPredicate], ...]]
    track_any: tuple[tuple[int, EventPredicate], ...]
    page_rules: tuple[tuple[int, EventPredicate], ...]
    decay: CompiledDecay
    exclusions: list[tuple[str, TraitPredicate]]
    mql: CriteriaPredicate
    sql: CriteriaPredicate | None
    hot: CriteriaPredicate | None
    watched_events: frozenset[str]
    assignment: list[tuple[AssignmentRule, TraitPredicate | None]]
    sla_starts: dict[str, list[SlaRule]] = field(default_factory=dict)
    sla_stops: dict[str, list[SlaRule]] = field(default_factory=dict)


def _required_event(cond: Condition) -> tuple[str | None, str | None]:
    """(type, event name) that every match of ``cond`` must have, when that is knowable."""
    if isinstance(cond, EventCond):
        kind = cond.type or ("track" if cond.event is not None else None)
        if cond.path is not None or cond.path_prefix is not None:
            kind = "page"
        return kind, cond.event
    if isinstance(cond, AllOf):
        kind: str | None = None
        event: str | None = None
        for item in cond.items:
            item_kind, item_event = _required_event(item)
            kind = kind or item_kind
            event = event or item_event
        return kind, event
    return None, None


def _decay(agreement: Agreement) -> CompiledDecay:
    decay = agreement.decay
    if decay is None:
        return CompiledDecay("none")
    if decay.after_days is not None and decay.factor is not None:
        return CompiledDecay("step", after_us=round(decay.after_days * US_PER_DAY), factor=decay.factor)
    assert decay.half_life_days is not None
    return CompiledDecay("half", half_life_us=decay.half_life_days * US_PER_DAY)


def compile_agreement(agreement: Agreement) -> CompiledAgreement:
    track_by_event: dict[str, list[tuple[int, EventPredicate]]] = {}
    track_any: list[tuple[int, EventPredicate]] = []
    page_rules: list[tuple[int, EventPredicate]] = []
    for index, rule in enumerate(agreement.engagement):
        pred = compile_event(rule.condition)
        kind, event = _required_event(rule.condition)
        if kind == "page":
            page_rules.append((index, pred))
        elif event is not None:
            track_by_event.setdefault(event, []).append((index, pred))
        elif kind == "track":
            track_any.append((index, pred))
        else:  # could match either type (e.g. any: [...] or a bare property test)
            track_any.append((index, pred))
            page_rules.append((index, pred))
    # Rules must be applied in agreement order for the same event, whatever the index path.
    merged_track = {
        name: tuple(sorted([*rules, *track_any], key=lambda r: r[0]))
        for name, rules in track_by_event.items()
    }
    watched: set[str] = set()
    for criteria in (agreement.stages.mql, agreement.stages.sql, agreement.stages.hot):
        if criteria is not None:
            for node in walk(criteria):
                if isinstance(node, EventIn):
                    watched.update(node.events)
    sla_starts: dict[str, list[SlaRule]] = {}
    sla_stops: dict[str, list[SlaRule]] = {}
    for sla in agreement.sla:
        sla_starts.setdefault(sla.starts, []).append(sla)
        for stop in sla.stops:
            sla_stops.setdefault(stop, []).append(sla)
    optional: Callable[[Condition | None], CriteriaPredicate | None] = (
        lambda c: compile_criteria(c) if c is not None else None
    )
    return CompiledAgreement(
        agreement=agreement,
        calendar=BusinessCalendar(agreement.business_calendar, agreement.company_holidays),
        fit=[(r.id, r.points, compile_traits(r.condition)) for r in agreement.fit],
        engagement=list(agreement.engagement),
        track_by_event=merged_track,
        track_any=tuple(track_any) or _NO_RULES,
        page_rules=tuple(page_rules) or _NO_RULES,
        decay=_decay(agreement),
        exclusions=[(e.id, compile_traits(e.condition)) for e in agreement.exclusions],
        mql=compile_criteria(agreement.stages.mql),
        sql=optional(agreement.stages.sql),
        hot=optional(agreement.stages.hot),
        watched_events=frozenset(watched),
        assignment=[
            (rule, compile_traits(rule.condition) if rule.condition is not None else None)
            for rule in agreement.assignment
        ],
        sla_starts=sla_starts,
        sla_stops=sla_stops,
    )
