"""Conditions (SPEC §4.1) compiled to DuckDB SQL: the relational twin of ``domain.conditions``.

Every compiled predicate uses SQL's three-valued logic on purpose: ``TRUE``/``FALSE`` where SQL is
*certain* to agree with :func:`leadpact.domain.conditions.apply_op` and the score comparisons of
the replay, and ``NULL`` where it is not (a list trait under ``contains``, a numeric string only
Python's ``float`` would read, a score within rounding distance of a threshold, ...). Kleene
logic carries ``NULL`` through ``all``/``any``/``not`` exactly as far as it can change the answer,
and the engines send every lead with an uncertain verdict to the Python replay, which decides.
So this module may be incomplete, but never wrong.

Trait and property values are DuckDB ``JSON`` expressions; SQL ``NULL`` and JSON ``null`` both
mean "missing", as in the replay.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any, Final

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
from leadpact.domain.results import SCORE_DECIMALS

TraitSql = Callable[[str], str]
"""Trait name (``industry`` or ``company.industry``) → a JSON expression, NULL when missing."""

_NUMERIC_JSON: Final = "('UBIGINT', 'BIGINT', 'DOUBLE', 'HUGEINT', 'INTEGER')"
_EXACT_INT: Final = 2**53
"""Beyond this, int/float equality in Python is exact but SQL's DOUBLE is not: uncertain."""
_ASCII_SPACE: Final = r"[ \t\n\r\f\v]"
_DECIMAL_NUMBER: Final = rf"^{_ASCII_SPACE}*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?{_ASCII_SPACE}*$"
"""Strings that Python's ``float`` and DuckDB's cast read alike (after commas are removed)."""
SCORE_BAND: Final = 1e-9
"""Relative float error tolerated between the SQL sums and the replay's incremental sums."""


# --- literals -----------------------------------------------------------------------------------


def text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def number(value: float) -> str:
    """A DOUBLE literal (``inf`` included)."""
    if math.isinf(value):
        return "'inf'::DOUBLE" if value > 0 else "'-inf'::DOUBLE"
    return f"{float(value)!r}::DOUBLE"


def json_pointer(key: str) -> str:
    """The RFC 6901 pointer for a top-level key, as a SQL literal (any key spelling works)."""
    return text("/" + key.replace("~", "~0").replace("/", "~1"))


# --- one operator on a JSON value ---------------------------------------------------------------


def _missing(v: str) -> str:
    return f"({v} IS NULL OR json_type({v}) = 'NULL')"


def _equals(v: str, expected: Any) -> str:
    """Python ``found == expected`` for a present JSON value ``v`` (NULL when unsure)."""
    kind = f"json_type({v})"
    if isinstance(expected, str):
        return f"({kind} = 'VARCHAR' AND ({v} ->> '$') = {text(expected)})"
    if isinstance(expected, bool | int | float) and not (isinstance(expected, float) and math.isnan(expected)):
        return _equals_number(v, kind, expected)
    if isinstance(expected, list | tuple | dict):
        # Equal only to a list/mapping: Python's deep equality is left to the replay.
        return f"(CASE WHEN {kind} IN ('ARRAY', 'OBJECT') THEN NULL ELSE FALSE END)"
    return "FALSE"  # None and NaN equal nothing present


def _equals_number(v: str, kind: str, expected: bool | int | float) -> str:
    """Numbers, and booleans as 0/1, compare by value in Python (``True == 1 == 1.0``)."""
    as_double = number(float(expected))
    big = f"abs(TRY_CAST({v} AS DOUBLE)) >= {float(_EXACT_INT)!r}"
    if isinstance(expected, int) and not isinstance(expected, bool):
        on_integer = f"TRY_CAST({v} AS HUGEINT) = {expected}" if abs(expected) < 2**63 else "NULL"
    else:
        on_integer = f"(CASE WHEN {big} THEN NULL ELSE TRY_CAST({v} AS DOUBLE) = {as_double} END)"
    expected_exact = isinstance(expected, bool) or abs(expected) < _EXACT_INT
    on_double = (
        f"(CASE WHEN {big} THEN NULL ELSE TRY_CAST({v} AS DOUBLE) = {as_double} END)" if expected_exact else "NULL"
    )
    return (
        f"(CASE WHEN {kind} = 'BOOLEAN' THEN (CASE WHEN ({v} ->> '$') = 'true' THEN 1.0 ELSE 0.0 END) = {as_double}"
        f" WHEN {kind} IN ('UBIGINT', 'BIGINT', 'HUGEINT', 'INTEGER') THEN {on_integer}"
        f" WHEN {kind} = 'DOUBLE' THEN {on_double}"
        " ELSE FALSE END)"
    )


def _number_of(v: str) -> str:
    """``_number(found)`` as DOUBLE: NULL = not a number, or the sentinel NaN = unsure."""
    kind = f"json_type({v})"
    raw = f"replace({v} ->> '$', ',', '')"
    return (
        f"(CASE WHEN {kind} IN {_NUMERIC_JSON} THEN TRY_CAST({v} AS DOUBLE)"
        f" WHEN {kind} <> 'VARCHAR' THEN NULL"
        f" WHEN regexp_matches({raw}, {text(_DECIMAL_NUMBER)}) THEN CAST(trim({raw}, ' \t\n\r\f\v') AS DOUBLE)"
        f" WHEN regexp_matches({raw}, '[0-9]|[^\\x00-\\x7f]|(?i:inf|nan)') THEN 'nan'::DOUBLE"
        " ELSE NULL END)"
    )


def _compare(v: str, op: str, expected: float) -> str:
    if math.isnan(expected):
        return "FALSE"  # every comparison with NaN is false in Python
    symbol = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}[op]
    found = _number_of(v)
    return (
        f"(CASE WHEN {found} IS NULL THEN FALSE WHEN isnan({found}) THEN NULL"
        f" ELSE {found} {symbol} {number(expected)} END)"
    )


def _contains(v: str, expected: Any) -> str:
    kind = f"json_type({v})"
    on_text = f"contains({v} ->> '$', {text(expected)})" if isinstance(expected, str) else "FALSE"
    return f"(CASE WHEN {kind} = 'VARCHAR' THEN {on_text} WHEN {kind} = 'ARRAY' THEN NULL ELSE FALSE END)"


def apply_op(op: str, v: str, expected: Any) -> str:
    """SQL for ``domain.conditions.apply_op(op, v, expected)``; NULL where SQL is unsure."""
    if op == "exists":
        return f"(CASE WHEN {_missing(v)} THEN {not expected} ELSE {bool(expected)} END)"
    if op in ("ne", "not_in"):
        present = _equals(v, expected) if op == "ne" else _any_equals(v, expected)
        return f"(CASE WHEN {_missing(v)} THEN TRUE ELSE NOT {present} END)"
    if op == "eq":
        test = _equals(v, expected)
    elif op == "in":
        test = _any_equals(v, expected)
    elif op == "contains":
        test = _contains(v, expected)
    else:
        test = _compare(v, op, float(expected))
    return f"(CASE WHEN {_missing(v)} THEN FALSE ELSE {test} END)"


def _any_equals(v: str, expected: Iterable[Any]) -> str:
    parts = [_equals(v, item) for item in expected]
    return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


# --- conditions ---------------------------------------------------------------------------------


def _combine(cond: Condition, compile_item: Callable[[Condition], str]) -> str | None:
    if isinstance(cond, AllOf):
        return "(" + " AND ".join(compile_item(c) for c in cond.items) + ")"
    if isinstance(cond, AnyOf):
        return "(" + " OR ".join(compile_item(c) for c in cond.items) + ")"
    if isinstance(cond, Not):
        return f"(NOT {compile_item(cond.item)})"
    return None


def trait_condition(cond: Condition, trait: TraitSql) -> str:
    """A trait condition (fit rules, exclusions, assignment) over the given trait lookups."""
    return over_leaves(cond, lambda leaf: trait_leaf(leaf, trait))


def trait_leaf(cond: TraitCond, trait: TraitSql) -> str:
    """One trait test (a leaf of a trait condition)."""
    return apply_op(cond.op, trait(cond.trait), cond.value)


def over_leaves(cond: Condition, leaf: Callable[[TraitCond], str]) -> str:
    """A trait condition whose leaves are given SQL (e.g. columns computed once per row:
    the same three-valued logic as compiling the leaves inline)."""
    if isinstance(cond, TraitCond):
        return leaf(cond)
    combined = _combine(cond, lambda c: over_leaves(c, leaf))
    if combined is None:
        raise TypeError(f"{type(cond).__name__} is not a trait condition")
    return combined


@dataclass(frozen=True, slots=True)
class EventColumns:
    """Where an event's fields are in the query: VARCHAR columns and a JSON properties column."""

    type: str = "type"
    event: str = "event"
    path: str = "path"
    properties: str = "properties"


def event_condition(cond: Condition, cols: EventColumns) -> str:
    """An engagement rule's condition over one page/track row."""
    if isinstance(cond, EventCond):
        checks: list[str] = []
        if cond.type is not None:
            checks.append(f"coalesce({cols.type} = {text(cond.type)}, FALSE)")
        if cond.event is not None:
            checks.append(f"coalesce({cols.event} = {text(cond.event)}, FALSE)")
        if cond.path is not None:
            checks.append(f"coalesce({cols.path} = {text(cond.path)}, FALSE)")
        if cond.path_prefix is not None:
            checks.append(f"coalesce(starts_with({cols.path}, {text(cond.path_prefix)}), FALSE)")
        checks.extend(_property_test(prop, cols) for prop in cond.properties)
        return "(" + " AND ".join(checks) + ")" if checks else "TRUE"
    combined = _combine(cond, lambda c: event_condition(c, cols))
    if combined is None:
        raise TypeError(f"{type(cond).__name__} is not an event condition")
    return combined


def _property_test(prop: PropertyTest, cols: EventColumns) -> str:
    value = f"json_extract({cols.properties}, {json_pointer(prop.name)})"
    return apply_op(prop.op, value, prop.value)


# --- stage criteria -----------------------------------------------------------------------------


def threshold_boundary(threshold: float) -> float:
    """The least value whose ``round_score`` reaches ``threshold``, as the tie point.

    ``round(x, 6) >= t`` holds exactly when x is past ``d - 0.5e-6``, where ``d`` is the
    smallest 6-decimal number whose float is at least ``t``.
    """
    if math.isinf(threshold):
        return threshold
    step = Decimal(1).scaleb(-SCORE_DECIMALS)
    d = Decimal(threshold).quantize(step, rounding=ROUND_CEILING)
    while float(d) < threshold:
        d += step
    while float(d - step) >= threshold:
        d -= step
    return float(d - step / 2)


def score_at_least(value: str, threshold: float) -> str:
    """``round_score(value) >= threshold``, or NULL within float-noise distance of the tie point.

    The engines' sums may differ from the replay's running sums in the last bits; a value that
    close to the tie point is left to the replay.
    """
    boundary = threshold_boundary(threshold)
    if math.isinf(boundary):
        return "TRUE" if boundary < 0 else "FALSE"
    b = number(boundary)
    band = f"{SCORE_BAND!r} * greatest(1.0, abs({value}))"
    return f"(CASE WHEN {value} >= {b} + {band} THEN TRUE WHEN {value} < {b} - {band} THEN FALSE ELSE NULL END)"


@dataclass(frozen=True, slots=True)
class CriteriaSql:
    """How a stage criterion sees one evaluation instant in a query."""

    trait: TraitSql
    score: Callable[[str], str]
    """``score``/``fit``/``engagement`` → an unrounded DOUBLE expression."""
    bant: str
    seen: Callable[[tuple[str, ...]], str]
    """Event names of an ``event_in`` → a BOOLEAN expression."""


def criteria_condition(cond: Condition, ctx: CriteriaSql) -> str:
    if isinstance(cond, ScoreGte):
        return score_at_least(ctx.score(cond.kind), cond.value)
    if isinstance(cond, BantGte):
        return f"({ctx.bant} >= {int(cond.value)})"
    if isinstance(cond, EventIn):
        return ctx.seen(cond.events)
    if isinstance(cond, TraitCond):
        return trait_condition(cond, ctx.trait)
    combined = _combine(cond, lambda c: criteria_condition(c, ctx))
    if combined is None:
        raise TypeError(f"{type(cond).__name__} cannot be used in stage criteria")
    return combined
