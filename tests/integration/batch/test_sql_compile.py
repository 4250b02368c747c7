"""Conditions compiled to SQL answer like ``domain.conditions`` — or say they are unsure.

Every operator over a wide range of trait values (numbers, numeric strings, booleans, lists,
objects, Unicode, missing): where SQL answers TRUE or FALSE it must be the replay's answer,
and for plain values it must answer (NULL, "unsure", sends the lead to the replay).
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import duckdb
import pytest

from leadpact.adapters.batch import sql_compile as sc
from leadpact.domain.conditions import apply_op
from leadpact.domain.results import round_score

VALUES: list[Any] = [
    "staff",
    "Staff",
    "",
    " 300 ",
    "1,200",
    "300",
    "3e2",
    "1_000",
    "١٢",
    "inf",
    "nan",
    "x",
    "部長",
    0,
    1,
    2,
    299,
    300,
    300.0,
    300.5,
    -1,
    2**53 + 1,
    10**20,
    True,
    False,
    ["erp", "crm"],
    [],
    [1, 2],
    {"a": 1},
    None,
]
EXPECTED: list[Any] = ["staff", "300", 300, 300.0, 1, True, 0, False, "erp", None, 2**53 + 1, ["erp"], 1.5]
MISSING = object()


def _python(op: str, found: Any, expected: Any) -> bool:
    from leadpact.domain.conditions import _MISSING  # the replay's own "missing" marker

    value = _MISSING if found is MISSING else found
    if op in ("in", "not_in"):
        expected = tuple(expected)
    return apply_op(op, value, expected)


def _cases() -> list[tuple[str, Any, Any]]:
    cases = []
    for op in ("eq", "ne", "in", "not_in", "gte", "gt", "lte", "lt", "contains", "exists"):
        for found in [*VALUES, MISSING]:
            if op == "exists":
                expectations: list[Any] = [True, False]
            elif op in ("in", "not_in"):
                expectations = [["staff", 300], [1, "x"], [["erp", "crm"]], [None, True]]
            elif op in ("gte", "gt", "lte", "lt"):
                expectations = [300, 299.5, -1, 0]
            else:
                expectations = EXPECTED
            cases.extend((op, found, e) for e in expectations)
    return cases


def test_sql_trait_operators_agree_with_the_replay_where_they_answer() -> None:
    con = duckdb.connect()
    cases = _cases()
    wrong, unsure = [], 0
    for op, found, expected in cases:
        literal = "NULL::JSON" if found is MISSING else f"{sc.text(json.dumps(found))}::JSON"
        answer = con.execute(f"SELECT {sc.apply_op(op, literal, expected)}").fetchall()[0][0]
        if answer is None:
            unsure += 1
        elif answer != _python(op, found, expected):
            wrong.append((op, found, expected, answer))
    assert wrong == []
    assert unsure < len(cases) * 0.1  # SQL decides the overwhelming majority itself


@pytest.mark.parametrize("threshold", [50, 50.5, 33.3333333, 0.0000004, -12.25, 1e6])
def test_score_comparison_is_the_replays_rounded_comparison_or_unsure(threshold: float) -> None:
    con = duckdb.connect()
    boundary = sc.threshold_boundary(threshold)
    probes = [threshold, boundary, threshold - 1e-7, threshold + 1e-7, threshold - 5e-7, threshold - 4.9e-7]
    probes += [math.nextafter(boundary, math.inf), math.nextafter(boundary, -math.inf), threshold * 2, threshold - 1]
    for value in probes:
        answer = con.execute(f"SELECT {sc.score_at_least(sc.number(value), threshold)}").fetchall()[0][0]
        if answer is not None:
            assert answer == (round_score(value) >= threshold), value
    assert con.execute(f"SELECT {sc.score_at_least(sc.number(threshold + 1), threshold)}").fetchall()[0][0] is True


def test_every_combination_of_and_or_not_keeps_unsure_only_where_it_matters() -> None:
    con = duckdb.connect()
    for a, b in itertools.product(["TRUE", "FALSE", "NULL"], repeat=2):
        assert con.execute(f"SELECT ({a} AND {b}) IS NULL").fetchall()[0][0] == (
            "FALSE" not in (a, b) and "NULL" in (a, b)
        )
