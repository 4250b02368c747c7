"""Candidate rules and feature matrices, derived from the traits and event types present.

Every feature the point table can use is a *candidate rule* that the agreement can express
(SPEC §4.1), so the fitted points carry over to the engine exactly:

* a categorical trait becomes one fit rule per value (rare values pooled as "other", plus
  "missing"); the values partition the leads, so each trait's points can be shifted to start at 0;
* a numeric trait becomes one fit rule per range (quantile bins with rounded edges);
* an event type (a track event name, a page's first path segment) becomes engagement rules
  ``points × min(count, k)`` for a few knots k, i.e. rules with ``max_count: k``;
* with ``--agreement``, each current rule is a candidate too (re-weighted, keeping its id).

The predictive model sees one column per group instead: the category, the number, the count.
Bins, levels and knots are chosen from the data without looking at outcomes.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from leadpact.domain.messages import Message
from leadpact.service.calibration.dataset import LeadRecord

FloatArray = npt.NDArray[np.float64]

IDENTITY_TRAITS: Final = frozenset(
    {
        "email",
        "name",
        "first_name",
        "last_name",
        "firstname",
        "lastname",
        "phone",
        "mobile",
        "address",
        "street",
        "postal_code",
        "zip",
        "user_id",
        "id",
    }
)
"""Traits that identify a person rather than describe them: never features."""

MISSING: Final = "(missing)"
OTHER: Final = "(other)"
_NUMERIC_BINS: Final = 6


@dataclass(frozen=True, slots=True)
class LeadTable:
    """The leads being calibrated, with their traits and event counts computed once."""

    lead_ids: tuple[str, ...]
    traits: tuple[dict[str, Any], ...]
    counts: tuple[Counter[str], ...]
    events: tuple[tuple[Message, ...], ...]
    company: tuple[dict[str, Any], ...]
    created_at: npt.NDArray[np.int64]

    @classmethod
    def of(cls, records: Sequence[LeadRecord]) -> LeadTable:
        counts: list[Counter[str]] = []
        for record in records:
            counter: Counter[str] = Counter()
            for msg in record.events:
                key = event_key(msg)
                if key is not None:
                    counter[key] += 1
            counts.append(counter)
        return cls(
            tuple(r.lead_id for r in records),
            tuple(r.effective_traits() for r in records),
            tuple(counts),
            tuple(tuple(r.events) for r in records),
            tuple(dict(r.company) for r in records),
            np.array([r.created_at for r in records], dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.lead_ids)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One rule the point table may give points to, in the agreement's own terms."""

    key: str
    label: str
    kind: str  # "fit" or "engagement"
    condition: dict[str, Any]
    rule_id: str
    max_count: int | None = None
    values: tuple[Any, ...] = ()  # a categorical rule: the trait values it covers
    low: float | None = None  # a numeric range rule: low <= value < high
    high: float | None = None


@dataclass(slots=True)
class FeatureGroup:
    """Candidates that describe one trait, one event type or one current rule."""

    name: str  # "trait:industry", "event:Webinar Attended", "page:/pricing", "rule:webinar"
    kind: str  # "categorical", "numeric", "count" or "rule"
    candidates: list[Candidate]
    partition: bool  # exactly one candidate holds per lead (points may be shifted)
    points_columns: Callable[[LeadTable], FloatArray]
    model_column: Callable[[LeadTable], FloatArray]
    trait: str | None = None
    levels: tuple[Any, ...] = ()  # categorical: the model's category codes, in order

    @property
    def title(self) -> str:
        return self.name.split(":", 1)[1]


# --- traits ----------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _as_float(value: Any) -> float:
    """A trait's number, or NaN when it is missing or not a number."""
    return float(value) if _is_number(value) else math.nan


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()


def _nice(value: float) -> float:
    """Two significant digits: edges people can read (120, 600, 1500), not 587.3."""
    if value == 0:
        return 0.0
    digits = -math.floor(math.log10(abs(value))) + 1
    rounded = round(value, digits)
    return float(int(rounded)) if float(rounded).is_integer() else float(rounded)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def min_support(n: int) -> int:
    """The fewest leads a value, range or event needs to earn its own rule."""
    return max(5, round(0.005 * n))


def trait_groups(table: LeadTable, skip: frozenset[str]) -> tuple[list[FeatureGroup], list[str]]:
    """Groups for every usable trait, and notes on traits left out (and why)."""
    values: dict[str, list[Any]] = {}
    for name in sorted({k for traits in table.traits for k in traits}):
        values[name] = [traits.get(name) for traits in table.traits]
    groups: list[FeatureGroup] = []
    notes: list[str] = []
    support = min_support(len(table))
    for name, column in values.items():
        if name in skip or name.lower() in IDENTITY_TRAITS:
            continue
        present = [v for v in column if v is not None]
        if not present:
            continue
        if any(isinstance(v, list | dict) for v in present):
            notes.append(f"{name}: lists and objects are not scored")
            continue
        if all(_is_number(v) for v in present):
            group = _numeric_group(name, column, support)
        else:
            distinct = len(set(map(_hashable, present)))
            if distinct > 200 or (distinct > 20 and distinct > 0.5 * len(present)):
                notes.append(f"{name}: {distinct} distinct values look like an identifier, not a segment")
                continue
            group = _categorical_group(name, column, support)
        if group is None:
            notes.append(f"{name}: the same for (almost) every lead")
            continue
        groups.append(group)
    return groups, notes


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) else repr(value)


def _categorical_group(name: str, column: list[Any], support: int) -> FeatureGroup | None:
    counts = Counter(_hashable(v) for v in column if v is not None)
    named = sorted((v for v, c in counts.items() if c >= support), key=lambda v: (-counts[v], str(v)))
    has_other = any(c < support for c in counts.values())
    has_missing = any(v is None for v in column)
    levels: list[Any] = [*named, *([OTHER] if has_other else []), *([MISSING] if has_missing else [])]
    if len(levels) < 2 or len(column) - max(counts.values()) < support:
        return None  # (almost) everyone shares one value: nothing to tell leads apart
    index = {v: i for i, v in enumerate(named)}
    missing_code = len(named) + (1 if has_other else 0) if has_missing else 0
    # A value never seen when the levels were chosen (scoring new leads) counts as "other",
    # or, without an "other" level, as missing or the most common value.
    other_code = len(named) if has_other else missing_code

    def code(value: Any) -> int:
        if value is None:
            return missing_code
        return index.get(_hashable(value), other_code)

    candidates = [_level_candidate(name, level, named) for level in levels]

    def points_columns(table: LeadTable) -> FloatArray:
        codes = [code(traits.get(name)) for traits in table.traits]
        matrix = np.zeros((len(table), len(levels)))
        matrix[np.arange(len(table)), codes] = 1.0
        return matrix

    def model_column(table: LeadTable) -> FloatArray:
        return np.array([code(traits.get(name)) for traits in table.traits], dtype=np.float64)

    return FeatureGroup(
        f"trait:{name}",
        "categorical",
        candidates,
        True,
        points_columns,
        model_column,
        trait=name,
        levels=tuple(levels),
    )


def _level_candidate(name: str, level: Any, named: list[Any]) -> Candidate:
    if level == MISSING:
        return missing_candidate(name)
    if level == OTHER:
        condition = {"all": [{"trait": name, "exists": True}, {"trait": name, "not_in": list(named)}]}
        return Candidate(f"{name}={OTHER}", f"{name}: any other value", "fit", condition, f"{_slug(name)}_any_other")
    return values_candidate(name, [level], named.index(level) + 1)


def _shown_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def values_candidate(name: str, values: list[Any], number: int) -> Candidate:
    """A fit rule for one or more values of a categorical trait (``eq`` or ``in``)."""
    shown = [_shown_value(v) for v in values]
    first = _slug(shown[0])
    if len(values) == 1:
        label = f"{name} = {shown[0]}"
        condition: dict[str, Any] = {"trait": name, "eq": values[0]}
        rule_id = f"{_slug(name)}_{first}" if first else f"{_slug(name)}_{number}"
    else:
        label = f"{name} in {{{', '.join(shown)}}}"
        condition = {"trait": name, "in": list(values)}
        rule_id = f"{_slug(name)}_{first}_and_{len(values) - 1}_more" if first else f"{_slug(name)}_{number}"
    return Candidate(f"{name}=" + "|".join(shown), label, "fit", condition, rule_id, values=tuple(values))


def missing_candidate(name: str) -> Candidate:
    return Candidate(
        f"{name}={MISSING}", f"{name}: missing", "fit", {"trait": name, "exists": False}, f"{_slug(name)}_missing"
    )


def _numeric_edges(present: npt.NDArray[np.float64]) -> list[float]:
    quantiles = np.quantile(present, np.linspace(0, 1, _NUMERIC_BINS + 1)[1:-1])
    low, high = float(present.min()), float(present.max())
    edges = {_nice(float(q)) for q in quantiles}
    if np.mean(present == low) >= 0.05:
        above = present[present > low]
        if above.size:
            edges.add(float(above.min()))  # the floor value (often 0) gets a range of its own
    return sorted(e for e in edges if low < e <= high)


def _numeric_group(name: str, column: list[Any], support: int) -> FeatureGroup | None:
    raw = np.array([_as_float(v) for v in column])
    present = raw[~np.isnan(raw)]
    _, counts = np.unique(present, return_counts=True)
    if counts.size < 2 or len(column) - int(counts.max()) < support:
        return None
    edges = _numeric_edges(present)
    has_missing = bool(np.isnan(raw).any())
    bounds: list[float | None] = [None, *edges, None]
    candidates = [range_candidate(name, bounds[i], bounds[i + 1]) for i in range(len(edges) + 1)]
    if has_missing:
        candidates.append(missing_candidate(name))

    def values_of(table: LeadTable) -> FloatArray:
        found = [traits.get(name) for traits in table.traits]
        return np.array([_as_float(v) for v in found])

    def points_columns(table: LeadTable) -> FloatArray:
        vals = values_of(table)
        missing = np.isnan(vals)
        positions = np.searchsorted(np.array(edges), np.where(missing, 0.0, vals), side="right")
        matrix = np.zeros((len(table), len(candidates)))
        rows = np.arange(len(table))  # bin i holds edges[i-1] <= v < edges[i]
        matrix[rows[~missing], positions[~missing]] = 1.0
        if has_missing:
            matrix[rows[missing], len(candidates) - 1] = 1.0
        return matrix

    return FeatureGroup(f"trait:{name}", "numeric", candidates, True, points_columns, values_of, trait=name)


def range_candidate(name: str, low: float | None, high: float | None) -> Candidate:
    """A fit rule for ``low <= value < high`` (either side open)."""
    parts: list[dict[str, Any]] = []
    if low is not None:
        parts.append({"trait": name, "gte": low})
    if high is not None:
        parts.append({"trait": name, "lt": high})
    if low is None and high is not None:
        label, rule_id = f"{name} < {_number_text(high)}", f"{name}_under_{_number_text(high)}"
    elif high is None and low is not None:
        label, rule_id = f"{name} ≥ {_number_text(low)}", f"{name}_{_number_text(low)}_plus"
    elif low is not None and high is not None:
        label = f"{_number_text(low)} ≤ {name} < {_number_text(high)}"
        rule_id = f"{name}_{_number_text(low)}_to_{_number_text(high)}"
    else:
        label, rule_id = f"{name}: any value", f"{name}_any"
        parts.append({"trait": name, "exists": True})
    condition: dict[str, Any] = parts[0] if len(parts) == 1 else {"all": parts}
    return Candidate(f"{name}[{low},{high})", label, "fit", condition, _slug(rule_id), low=low, high=high)


# --- events ---------------------------------------------------------------------------------


def event_key(msg: Message) -> str | None:
    """``event:<name>`` for a track event, ``page:/<first segment>`` (or ``page:/``) for a page."""
    if msg.type == "track" and msg.event:
        return f"event:{msg.event}"
    if msg.type == "page":
        return page_key(msg.path or "/")
    return None


def page_key(path: str) -> str:
    segment = path.strip("/").split("/", 1)[0]
    return f"page:/{segment}" if segment else "page:/"


def _event_condition(key: str) -> dict[str, Any]:
    kind, _, value = key.partition(":")
    if kind == "event":
        return {"type": "track", "event": value}
    if value == "/":
        return {"type": "page", "path": "/"}
    return {"type": "page", "path_prefix": value}


def _knots(positive: npt.NDArray[np.float64]) -> list[int]:
    """Where the marginal value of one more event may change: 1, the median, the 90th pct."""
    knots = {1}
    for q in (0.5, 0.9):
        knots.add(max(1, round(float(np.quantile(positive, q)))))
    return sorted(knots)


def event_groups(table: LeadTable, skip: frozenset[str]) -> list[FeatureGroup]:
    counts = table.counts
    support = min_support(len(table))
    keys = sorted({k for c in counts for k in c})
    groups: list[FeatureGroup] = []
    for key in keys:
        if key in skip:
            continue
        column = np.array([c.get(key, 0) for c in counts], dtype=np.float64)
        touched = int((column > 0).sum())
        if touched < support or touched == len(table):
            continue
        groups.append(_count_group(key, _knots(column[column > 0])))
    return groups


def _count_group(key: str, knots: list[int]) -> FeatureGroup:
    name = key.split(":", 1)[1]
    condition = _event_condition(key)
    candidates = [
        Candidate(
            f"{key}#{k}",
            f"{name}: each, up to {k}" if k > 1 else f"{name}: the first",
            "engagement",
            condition,
            _slug(f"{name}_first_{k}") or f"{key.split(':')[0]}_first_{k}",
            max_count=k,
        )
        for k in knots
    ]

    def counts_of(table: LeadTable) -> FloatArray:
        return np.array([c.get(key, 0) for c in table.counts], dtype=np.float64)

    def points_columns(table: LeadTable) -> FloatArray:
        column = counts_of(table)
        return np.stack([np.minimum(column, k) for k in knots], axis=1)

    return FeatureGroup(key, "count", candidates, False, points_columns, counts_of)
