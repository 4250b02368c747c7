"""The current agreement's own rules as candidates, so calibration can re-weight them.

Each fit rule is a yes/no feature and each engagement rule a count of matching events (capped
by its ``max_count``), evaluated with the domain's own condition compiler, on what the lead
showed before sales contact. The rule keeps its id and its condition as written in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from leadpact.domain.agreement import Agreement
from leadpact.domain.conditions import (
    AllOf,
    AnyOf,
    Condition,
    EventCond,
    Not,
    TraitCond,
    compile_event,
    compile_traits,
)
from leadpact.service.calibration.features import Candidate, FeatureGroup, FloatArray, LeadTable, page_key


def _rule_data(base: Mapping[str, Any], section: str, index: int) -> dict[str, Any]:
    rules = base.get(section) or []
    rule = rules[index] if index < len(rules) and isinstance(rules[index], dict) else {}
    condition = rule.get("if", {})
    return condition if isinstance(condition, dict) else {}


def agreement_groups(agreement: Agreement, base: Mapping[str, Any]) -> list[FeatureGroup]:
    """One group per fit and engagement rule; ``base`` is the agreement file as plain data."""
    groups: list[FeatureGroup] = []
    for index, fit_rule in enumerate(agreement.fit):
        predicate = compile_traits(fit_rule.condition)
        candidate = Candidate(
            f"rule:{fit_rule.id}", f"{fit_rule.id} (current rule)", "fit", _rule_data(base, "fit", index), fit_rule.id
        )

        def fit_column(table: LeadTable, predicate: Any = predicate) -> FloatArray:
            return np.array([1.0 if predicate(t, c) else 0.0 for t, c in zip(table.traits, table.company, strict=True)])

        groups.append(
            FeatureGroup(f"rule:{fit_rule.id}", "rule", [candidate], False, _as_matrix(fit_column), fit_column)
        )
    for index, rule in enumerate(agreement.engagement):
        matches = compile_event(rule.condition)
        cap = rule.max_count
        candidate = Candidate(
            f"rule:{rule.id}",
            f"{rule.id} (current rule)",
            "engagement",
            _rule_data(base, "engagement", index),
            rule.id,
            cap,
        )

        def count_column(table: LeadTable, matches: Any = matches, cap: int | None = cap) -> FloatArray:
            counts = np.array([sum(1 for e in events if matches(e)) for events in table.events], dtype=np.float64)
            return np.minimum(counts, cap) if cap is not None else counts

        groups.append(
            FeatureGroup(f"rule:{rule.id}", "rule", [candidate], False, _as_matrix(count_column), count_column)
        )
    return groups


def _as_matrix(column: Any) -> Any:
    def matrix(table: LeadTable) -> FloatArray:
        return np.asarray(column(table), dtype=np.float64).reshape(-1, 1)

    return matrix


def referenced_traits(agreement: Agreement) -> frozenset[str]:
    """Trait names the current fit rules read (derived candidates for them would duplicate)."""
    names: set[str] = set()
    for rule in agreement.fit:
        _walk(rule.condition, names, set())
    return frozenset(names)


def referenced_events(agreement: Agreement) -> frozenset[str]:
    """Event keys (``event:<name>``, ``page:/x``) the current engagement rules already score."""
    keys: set[str] = set()
    for rule in agreement.engagement:
        _walk(rule.condition, set(), keys)
    return frozenset(keys)


def _walk(cond: Condition, traits: set[str], events: set[str]) -> None:
    if isinstance(cond, TraitCond):
        traits.add(cond.trait.removeprefix("company."))
    elif isinstance(cond, EventCond):
        if cond.event is not None:
            events.add(f"event:{cond.event}")
        path = cond.path_prefix or cond.path
        if path is not None:
            events.add(page_key(path))
    elif isinstance(cond, AllOf | AnyOf):
        for item in cond.items:
            _walk(item, traits, events)
    elif isinstance(cond, Not):
        _walk(cond.item, traits, events)
