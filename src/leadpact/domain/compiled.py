"""An agreement compiled once into the fast lookups the replay needs.

Compilation turns condition trees into closures and indexes engagement rules by what can match
them (track rules by event name), so the per-event cost does not grow with the number of
rules. The compiled form is derived data only: the :class:`Agreement` stays the definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from leadpact.domain.agreement import Agreement, AssignmentRule, EngagementRule, SlaRule
from leadpact.domain.calendar import BusinessCalendar
from leadpact.domain.conditions import (
    Condition,
    CriteriaPredicate,
    EventIn,
    EventLike,
    EventPredicate,
    TraitPredicate,
    compile_criteria,
    compile_event,
    compile_traits,
    depends_only_on_name,
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


_MEMO_LIMIT: Final = 200_000


@dataclass(slots=True)
class CompiledAgreement:
    agreement: Agreement
    calendar: BusinessCalendar
    fit: list[tuple[str, float, TraitPredicate]]
    engagement: list[EngagementRule]
    static_rules: dict[str, tuple[tuple[int, EventPredicate], ...]]
    """Per message type: rules whose verdict depends only on (type, event name or path)."""
    dynamic_rules: dict[str, tuple[tuple[int, EventPredicate], ...]]
    """Per message type: rules that also read properties, tested on every message."""
    decay: CompiledDecay
    exclusions: list[tuple[str, TraitPredicate]]
    mql: CriteriaPredicate
    sql: CriteriaPredicate | None
    hot: CriteriaPredicate | None
    watched_events: frozenset[str]
    assignment: list[tuple[AssignmentRule, TraitPredicate | None]]
    engagement_points: tuple[float, ...] = ()
    engagement_limits: tuple[int | None, ...] = ()
    sla_starts: dict[str, list[SlaRule]] = field(default_factory=dict)
    sla_stops: dict[str, list[SlaRule]] = field(default_factory=dict)
    _memo: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def matching_rules(self, msg: EventLike, key: str | None = None) -> tuple[int, ...]:
        """Indexes of the engagement rules ``msg`` (a page or track message) matches. ``key``
        is its :func:`content_key`, when the caller has it already."""
        kind = msg.type
        if key is None:
            key = content_key(msg)
        hit = self._memo.get(key)
        if hit is None:
            hit = tuple(index for index, pred in self.static_rules.get(kind, _NO_RULES) if pred(msg))
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()  # bound memory on histories with unbounded distinct paths
            self._memo[key] = hit
        dynamic = self.dynamic_rules.get(kind)
        if dynamic:
            extra = tuple(index for index, pred in dynamic if pred(msg))
            if extra:
                return tuple(sorted(hit + extra))
        return hit


def content_key(msg: EventLike) -> str:
    """``event:<name>`` for a track event, ``page:<path>`` for a page: what a message touched,
    for attribution, and what its engagement rules can depend on when they read no property."""
    if msg.type == "track":
        return "event:" + (msg.event or "")
    return "page:" + (msg.path or "")


def _decay(agreement: Agreement) -> CompiledDecay:
    decay = agreement.decay
    if decay is None:
        return CompiledDecay("none")
    if decay.after_days is not None and decay.factor is not None:
        return CompiledDecay("step", after_us=round(decay.after_days * US_PER_DAY), factor=decay.factor)
    assert decay.half_life_days is not None
    return CompiledDecay("half", half_life_us=decay.half_life_days * US_PER_DAY)


def _optional_criteria(cond: Condition | None) -> CriteriaPredicate | None:
    return compile_criteria(cond) if cond is not None else None


def compile_agreement(agreement: Agreement) -> CompiledAgreement:
    static_rules: dict[str, list[tuple[int, EventPredicate]]] = {"page": [], "track": []}
    dynamic_rules: dict[str, list[tuple[int, EventPredicate]]] = {"page": [], "track": []}
    for index, rule in enumerate(agreement.engagement):
        pred = compile_event(rule.condition)
        target = static_rules if depends_only_on_name(rule.condition) else dynamic_rules
        for kind in ("page", "track"):
            target[kind].append((index, pred))
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
    return CompiledAgreement(
        agreement=agreement,
        calendar=BusinessCalendar(agreement.business_calendar, agreement.company_holidays),
        fit=[(r.id, r.points, compile_traits(r.condition)) for r in agreement.fit],
        engagement=list(agreement.engagement),
        static_rules={kind: tuple(rules) for kind, rules in static_rules.items()},
        dynamic_rules={kind: tuple(rules) for kind, rules in dynamic_rules.items() if rules},
        decay=_decay(agreement),
        exclusions=[(e.id, compile_traits(e.condition)) for e in agreement.exclusions],
        mql=compile_criteria(agreement.stages.mql),
        sql=_optional_criteria(agreement.stages.sql),
        hot=_optional_criteria(agreement.stages.hot),
        watched_events=frozenset(watched),
        assignment=[
            (rule, compile_traits(rule.condition) if rule.condition is not None else None)
            for rule in agreement.assignment
        ],
        engagement_points=tuple(rule.points for rule in agreement.engagement),
        engagement_limits=tuple(rule.max_count for rule in agreement.engagement),
        sla_starts=sla_starts,
        sla_stops=sla_stops,
    )
