"""Conditions (SPEC §4.1) as data, and their compilation to predicates.

A condition is a small tree of frozen dataclasses. The same tree is compiled to Python closures
here (the reference replay) and to SQL by the batch engines, so there is one definition of what
a condition means. No ``eval`` anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

TRAIT_OPS: Final = ("eq", "ne", "in", "not_in", "gte", "gt", "lte", "lt", "exists", "contains")
SCORE_KINDS: Final = ("score", "fit", "engagement")


@dataclass(frozen=True, slots=True)
class TraitCond:
    """``{trait: NAME, <op>: VALUE}``. ``company.X`` reads the company's trait only."""

    trait: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class PropertyTest:
    name: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class EventCond:
    """Conjunction of event tests; absent fields do not constrain."""

    type: str | None = None
    event: str | None = None
    path: str | None = None
    path_prefix: str | None = None
    properties: tuple[PropertyTest, ...] = ()


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Condition


@dataclass(frozen=True, slots=True)
class ScoreGte:
    """``score_gte`` / ``fit_gte`` / ``engagement_gte`` (stage criteria only)."""

    kind: str
    value: float


@dataclass(frozen=True, slots=True)
class BantGte:
    """Distinct BANT(C) items confirmed since the last recycle (stage criteria only)."""

    value: int


@dataclass(frozen=True, slots=True)
class EventIn:
    """A track event with one of these names occurred since the last reset."""

    events: tuple[str, ...]


Condition = TraitCond | EventCond | AllOf | AnyOf | Not | ScoreGte | BantGte | EventIn


# --- trait lookup -------------------------------------------------------------------------

_MISSING: Final = object()


def lookup_trait(name: str, traits: Mapping[str, Any], company: Mapping[str, Any]) -> Any:
    """The lead's own trait, else the company's (SPEC §3); ``company.X`` is the company's only."""
    if name.startswith("company."):
        return company.get(name[8:], _MISSING)
    value = traits.get(name, _MISSING)
    if value is _MISSING:
        return company.get(name, _MISSING)
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", ""))
        except ValueError:
            return None
    return None


def _compare(op: str, found: Any, expected: Any) -> bool:
    """Apply one operator; ``found`` is never missing here."""
    if op == "eq":
        return bool(found == expected)
    if op == "ne":
        return bool(found != expected)
    if op == "in":
        return found in expected
    if op == "not_in":
        return found not in expected
    if op == "exists":
        return bool(expected)
    if op == "contains":
        if isinstance(found, str):
            return isinstance(expected, str) and expected in found
        if isinstance(found, list):
            return expected in found
        return False
    left = _number(found)
    if left is None:
        return False
    right = float(expected)
    if op == "gte":
        return left >= right
    if op == "gt":
        return left > right
    if op == "lte":
        return left <= right
    return left < right


def apply_op(op: str, found: Any, expected: Any) -> bool:
    """One operator on a possibly missing value (``_MISSING`` or ``None`` = missing)."""
    if found is _MISSING or found is None:
        if op in ("ne", "not_in"):
            return True
        if op == "exists":
            return not expected
        return False
    return _compare(op, found, expected)


def compile_op(op: str, expected: Any) -> Callable[[Any], bool]:
    """``apply_op`` specialised for one operator and value: the same answers (a property test
    holds them together), without dispatching on the operator at every call."""
    if op in ("in", "not_in"):
        values = tuple(expected)
        try:
            members: frozenset[Any] | tuple[Any, ...] = frozenset(values)
        except TypeError:
            members = values
        inside = op == "in"

        def member(found: Any) -> bool:
            if found is _MISSING or found is None:
                return not inside
            try:
                return (found in members) is inside
            except TypeError:  # an unhashable trait value (a list) against a set
                return (found in values) is inside

        return member
    if op in ("gte", "gt", "lte", "lt"):
        right = float(expected)
        compare: Callable[[float], bool] = {
            "gte": right.__le__,
            "gt": right.__lt__,
            "lte": right.__ge__,
            "lt": right.__gt__,
        }[op]

        def numeric(found: Any) -> bool:
            kind = type(found)
            if kind is int or kind is float:
                return compare(float(found))
            if found is _MISSING or found is None:
                return False
            left = _number(found)
            return left is not None and compare(left)

        return numeric
    if op == "eq":
        return lambda found: found is not _MISSING and found is not None and bool(found == expected)
    if op == "ne":
        return lambda found: found is _MISSING or found is None or bool(found != expected)
    return lambda found: apply_op(op, found, expected)  # exists, contains: rare, keep the reference


def _trait_test(name: str, test: Callable[[Any], bool]) -> TraitPredicate:
    """``test`` on :func:`lookup_trait` (one closure: fit rules run at every trait change)."""
    if name.startswith("company."):
        key = name[8:]
        return lambda _traits, company: test(company.get(key, _MISSING))
    return lambda traits, company: test(traits[name] if name in traits else company.get(name, _MISSING))


# --- evaluation contexts ---------------------------------------------------------------------


class EventLike(Protocol):
    type: str
    event: str | None
    path: str | None
    properties: Mapping[str, Any]


class CriteriaContext(Protocol):
    """What stage criteria can see at an evaluation instant."""

    def trait_values(self) -> Mapping[str, Any]: ...
    def company_values(self) -> Mapping[str, Any]: ...
    def score_value(self, kind: str) -> float: ...
    def bant_count(self) -> int: ...
    def seen_any(self, names: frozenset[str]) -> bool: ...


TraitPredicate = Callable[[Mapping[str, Any], Mapping[str, Any]], bool]
EventPredicate = Callable[[EventLike], bool]
CriteriaPredicate = Callable[[CriteriaContext], bool]


def compile_traits(cond: Condition) -> TraitPredicate:
    """A predicate over (traits, company traits). Only trait conditions and combinators."""
    if isinstance(cond, TraitCond):
        return _trait_test(cond.trait, compile_op(cond.op, cond.value))
    if isinstance(cond, AllOf):
        parts = [compile_traits(c) for c in cond.items]
        return lambda t, c: all(p(t, c) for p in parts)
    if isinstance(cond, AnyOf):
        parts = [compile_traits(c) for c in cond.items]
        return lambda t, c: any(p(t, c) for p in parts)
    if isinstance(cond, Not):
        inner = compile_traits(cond.item)
        return lambda t, c: not inner(t, c)
    raise TypeError(f"{type(cond).__name__} is not a trait condition")


def compile_event(cond: Condition) -> EventPredicate:
    """A predicate over one event (page or track message)."""
    if isinstance(cond, EventCond):
        return _compile_event_cond(cond)
    if isinstance(cond, AllOf):
        return _conjunction([compile_event(c) for c in cond.items])
    if isinstance(cond, AnyOf):
        return _disjunction([compile_event(c) for c in cond.items])
    if isinstance(cond, Not):
        inner = compile_event(cond.item)
        return lambda e: not inner(e)
    raise TypeError(f"{type(cond).__name__} is not an event condition")


def _compile_event_cond(cond: EventCond) -> EventPredicate:
    checks: list[EventPredicate] = []
    if cond.type is not None:
        wanted_type = cond.type
        checks.append(lambda e: e.type == wanted_type)
    if cond.event is not None:
        wanted_event = cond.event
        checks.append(lambda e: e.event == wanted_event)
    if cond.path is not None:
        wanted_path = cond.path
        checks.append(lambda e: e.path == wanted_path)
    if cond.path_prefix is not None:
        prefix = cond.path_prefix
        checks.append(lambda e: e.path is not None and e.path.startswith(prefix))
    for prop in cond.properties:
        checks.append(_property_check(prop))
    return _conjunction(checks)


def _conjunction(checks: list[Callable[[Any], bool]]) -> Callable[[Any], bool]:
    """``all`` without a generator per call: the replay calls these millions of times."""
    if not checks:
        return lambda _: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda x: first(x) and second(x)
    return lambda x: all(check(x) for check in checks)


def _disjunction(checks: list[Callable[[Any], bool]]) -> Callable[[Any], bool]:
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda x: first(x) or second(x)
    return lambda x: any(check(x) for check in checks)


def depends_only_on_name(cond: Condition) -> bool:
    """True when an event condition reads nothing but type, event name and path, so its
    verdict can be memoised per (type, name-or-path)."""
    return all(not (isinstance(node, EventCond) and node.properties) for node in walk(cond))


def _property_check(prop: PropertyTest) -> EventPredicate:
    name = prop.name
    test = compile_op(prop.op, prop.value)
    return lambda e: test(e.properties.get(name, _MISSING))


def compile_criteria(cond: Condition) -> CriteriaPredicate:
    """A predicate for stage criteria: trait conditions, combinators and the score tests."""
    if isinstance(cond, ScoreGte):
        kind, threshold = cond.kind, cond.value
        return lambda ctx: ctx.score_value(kind) >= threshold
    if isinstance(cond, BantGte):
        needed = cond.value
        return lambda ctx: ctx.bant_count() >= needed
    if isinstance(cond, EventIn):
        names = frozenset(cond.events)
        return lambda ctx: ctx.seen_any(names)
    if isinstance(cond, TraitCond):
        pred = compile_traits(cond)
        return lambda ctx: pred(ctx.trait_values(), ctx.company_values())
    if isinstance(cond, AllOf):
        return _conjunction([compile_criteria(c) for c in cond.items])
    if isinstance(cond, AnyOf):
        return _disjunction([compile_criteria(c) for c in cond.items])
    if isinstance(cond, Not):
        inner = compile_criteria(cond.item)
        return lambda ctx: not inner(ctx)
    raise TypeError(f"{type(cond).__name__} cannot be used in stage criteria")


def walk(cond: Condition) -> list[Condition]:
    """Every node of a condition tree, depth first (used to collect event names, etc.)."""
    nodes: list[Condition] = [cond]
    if isinstance(cond, AllOf | AnyOf):
        for item in cond.items:
            nodes.extend(walk(item))
    elif isinstance(cond, Not):
        nodes.extend(walk(cond.item))
    return nodes
