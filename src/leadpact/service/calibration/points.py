"""The suggested point table: a regularised logistic regression on the candidate rules, scaled
to whole points people can read and sign.

Scale: ``POINTS_PER_DOUBLING`` points double the odds of reaching the target (the scorecard
convention), so a 10-point rule means "twice as likely, other things equal". For a trait whose
rules partition the leads (one value or range each), the points are shifted so that the least
promising value gets 0: every lead gets exactly one of them, so ranking is unchanged and the
table has no negative points for traits. Engagement rules keep their sign (an event type that
predicts *less* conversion, such as an unsubscribe, is worth negative points).
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import numpy.typing as npt
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from leadpact.service.calibration.features import Candidate, FeatureGroup, range_candidate, values_candidate

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

POINTS_PER_DOUBLING: Final = 10
REGULARISATION_C: Final = 0.3
"""Inverse L2 strength; moderate shrinkage keeps rare values from earning large points."""


@dataclass(frozen=True, slots=True)
class PointRule:
    group: str
    candidate: Candidate
    points: int
    weight: float  # fitted log-odds (after the per-trait shift), before rounding


@dataclass(frozen=True, slots=True)
class Columns:
    """The points matrix's columns: which group and candidate each one is."""

    groups: tuple[FeatureGroup, ...]
    owner: tuple[int, ...]  # column → index into groups
    candidates: tuple[Candidate, ...]


def columns_of(groups: list[FeatureGroup]) -> Columns:
    owner: list[int] = []
    candidates: list[Candidate] = []
    for index, group in enumerate(groups):
        owner.extend([index] * len(group.candidates))
        candidates.extend(group.candidates)
    return Columns(tuple(groups), tuple(owner), tuple(candidates))


@dataclass(frozen=True, slots=True)
class PointTable:
    points: IntArray  # one per column of the points matrix, as the agreement states them
    columns: Columns
    weights: FloatArray
    shift: int
    """What the per-trait shifts add to every lead's score. ``score - shift`` is the centred
    score, whose scale does not depend on which rare value happens to be the minimum, so
    scores of tables fitted on different folds are comparable (thresholds carry over)."""

    def score(self, matrix: FloatArray) -> FloatArray:
        return matrix @ self.points.astype(np.float64)

    def centred_score(self, matrix: FloatArray) -> FloatArray:
        return self.score(matrix) - self.shift

    def rules(self) -> list[PointRule]:
        """The rules that earn points, as the agreement will state them: values of a trait that
        earn the same points are one rule (``in: [...]``), as are adjacent ranges of a number."""
        found: list[PointRule] = []
        owner = np.array(self.columns.owner)
        used: set[str] = set()
        for index, group in enumerate(self.columns.groups):
            positions = [int(i) for i in np.flatnonzero(owner == index)]
            merged = _merge(
                group, [(self.columns.candidates[i], int(self.points[i]), float(self.weights[i])) for i in positions]
            )
            for candidate, points, weight in merged:
                if points != 0:
                    unique = replace(candidate, rule_id=_unique_id(candidate.rule_id, used))
                    found.append(PointRule(group.name, unique, points, weight))
        return found


def _unique_id(rule_id: str, used: set[str]) -> str:
    """Rule ids must be unique across the agreement (they explain every score)."""
    base = re.sub(r"[^0-9a-zA-Z_]+", "_", rule_id).strip("_") or "rule"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}_{n}", n + 1
    used.add(candidate)
    return candidate


_Entry = tuple[Candidate, int, float]


def _merge(group: FeatureGroup, entries: list[_Entry]) -> list[_Entry]:
    if group.kind == "categorical" and group.trait is not None:
        return _merge_values(group.trait, entries)
    if group.kind == "numeric" and group.trait is not None:
        return _merge_ranges(group.trait, entries)
    return entries


def _merge_values(trait: str, entries: list[_Entry]) -> list[_Entry]:
    by_points: dict[int, list[_Entry]] = {}
    rest: list[_Entry] = []
    for entry in entries:
        (by_points.setdefault(entry[1], []) if entry[0].values else rest).append(entry)
    merged: list[_Entry] = []
    for number, (points, same) in enumerate(by_points.items(), start=1):
        values = [v for candidate, _, _ in same for v in candidate.values]
        weight = sum(w for _, _, w in same) / len(same)
        merged.append((values_candidate(trait, values, number), points, weight))
    return merged + rest


def _merge_ranges(trait: str, entries: list[_Entry]) -> list[_Entry]:
    ranges = [e for e in entries if e[0].low is not None or e[0].high is not None]
    rest = [e for e in entries if e[0].low is None and e[0].high is None]
    merged: list[_Entry] = []
    for entry in ranges:
        if merged and merged[-1][1] == entry[1]:
            first = merged[-1]
            merged[-1] = (range_candidate(trait, first[0].low, entry[0].high), entry[1], (first[2] + entry[2]) / 2)
        else:
            merged.append(entry)
    return merged + rest


def fit_point_table(matrix: FloatArray, labels: IntArray, columns: Columns, seed: int) -> PointTable:
    """Fit, shift and round; call inside ``threadpool_limits`` (see service.py)."""
    model = LogisticRegression(C=REGULARISATION_C, max_iter=5000, random_state=seed)
    with warnings.catch_warnings():
        # lbfgs may stop a hair short of its tolerance on separable toy data; the table is
        # judged by cross-validated AUC, not by optimiser precision.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(matrix, labels)
    weights = model.coef_[0].astype(np.float64).copy()
    scale = POINTS_PER_DOUBLING / math.log(2)
    owner = np.array(columns.owner)
    share = matrix.mean(axis=0)
    for index, group in enumerate(columns.groups):
        if group.partition:
            # Centre each trait on its average lead: a stable anchor across folds.
            mask = owner == index
            weights[mask] -= float(weights[mask] @ share[mask]) / max(float(share[mask].sum()), 1e-12)
    points = np.rint(weights * scale).astype(np.int64)
    shift = 0
    for index, group in enumerate(columns.groups):
        if group.partition:
            # Then give the least promising value 0 points, so traits never subtract.
            mask = owner == index
            lowest = int(points[mask].min())
            points[mask] -= lowest
            weights[mask] -= lowest / scale
            shift -= lowest
    return PointTable(points, columns, weights, shift)


def platt(train_scores: FloatArray, train_labels: IntArray) -> LogisticRegression:
    """Points → probability, fitted on training scores only (for Brier and calibration)."""
    model = LogisticRegression(C=1e6, max_iter=1000)
    model.fit(train_scores.reshape(-1, 1), train_labels)
    return model
