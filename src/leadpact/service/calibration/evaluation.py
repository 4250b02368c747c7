"""Evaluation discipline: every figure reported is measured on leads the model did not see.

Stratified k-fold cross-validation with a fixed seed gives out-of-fold scores for every lead;
when leads carry distinct creation times, a time-ordered split (train on the oldest 80 %, test
on the newest 20 %) checks that the scores also hold going forward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Split = tuple[IntArray, IntArray]
FitPredict = Callable[[IntArray, IntArray], FloatArray]
"""(train indices, test indices) → scores for the test leads; higher = more likely."""

TIME_TEST_SHARE: Final = 0.2


class EvaluationError(ValueError):
    """The data cannot support an honest evaluation (e.g. too few converters for k folds)."""


def stratified_folds(labels: IntArray, folds: int, seed: int) -> list[Split]:
    positives = int(labels.sum())
    smallest = min(positives, len(labels) - positives)
    if smallest < folds:
        raise EvaluationError(
            f"{folds}-fold cross-validation needs at least {folds} leads of each outcome; "
            f"found {positives} that reached the target and {len(labels) - positives} that did not"
        )
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [
        (train.astype(np.int64), test.astype(np.int64)) for train, test in splitter.split(np.zeros(len(labels)), labels)
    ]


def time_split(created_at: IntArray, labels: IntArray) -> Split | None:
    """Oldest 80 % → newest 20 % (ties kept together), or None when times do not tell."""
    if np.unique(created_at).size < 10:
        return None
    order = np.argsort(created_at, kind="stable")
    cut_time = created_at[order[int(len(order) * (1 - TIME_TEST_SHARE))]]
    train = np.flatnonzero(created_at < cut_time).astype(np.int64)
    test = np.flatnonzero(created_at >= cut_time).astype(np.int64)
    for part in (train, test):
        if part.size == 0 or labels[part].min() == labels[part].max():
            return None
    return train, test


def out_of_fold(splits: list[Split], n: int, fit_predict: FitPredict) -> FloatArray:
    scores = np.full(n, np.nan)
    for train, test in splits:
        scores[test] = fit_predict(train, test)
    return scores


# --- metrics --------------------------------------------------------------------------------


def roc_auc(labels: IntArray, scores: FloatArray) -> float:
    return float(roc_auc_score(labels, scores))


def capture_at(labels: IntArray, scores: FloatArray, share: float) -> float:
    """Share of all converters found in the top ``share`` of leads by score.

    Ties at the cut are counted pro rata (the expected value under random tie-breaking), so
    coarse integer scores are not flattered or penalised by an arbitrary order.
    """
    positives = labels.sum()
    if positives == 0:
        return 0.0
    quota = share * len(labels)
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    sorted_labels = labels[order]
    taken = 0.0
    found = 0.0
    start = 0
    while start < len(order) and taken < quota:
        end = start
        while end < len(order) and sorted_scores[end] == sorted_scores[start]:
            end += 1
        size = end - start
        use = min(size, quota - taken)
        found += sorted_labels[start:end].sum() * (use / size)
        taken += use
        start = end
    return float(found / positives)


def brier(labels: IntArray, probabilities: FloatArray) -> float:
    return float(np.mean((probabilities - labels) ** 2))


def lift_curve(labels: IntArray, scores: FloatArray, steps: int = 20) -> list[tuple[float, float]]:
    """(share of leads taken from the top, share of converters captured) at ``steps`` points."""
    return [(k / steps, capture_at(labels, scores, k / steps)) for k in range(1, steps + 1)]


@dataclass(frozen=True, slots=True)
class CalibrationBin:
    predicted: float
    observed: float
    leads: int


def calibration_bins(labels: IntArray, probabilities: FloatArray, bins: int = 10) -> list[CalibrationBin]:
    """Mean predicted vs observed conversion per decile of predicted probability."""
    order = np.argsort(probabilities, kind="stable")
    result: list[CalibrationBin] = []
    for chunk in np.array_split(order, bins):
        if chunk.size:
            result.append(
                CalibrationBin(float(probabilities[chunk].mean()), float(labels[chunk].mean()), int(chunk.size))
            )
    return result


@dataclass(frozen=True, slots=True)
class Scorecard:
    """The honest figures for one scorer (all out-of-fold)."""

    auc: float
    top20_capture: float
    brier: float


def scorecard(labels: IntArray, scores: FloatArray, probabilities: FloatArray) -> Scorecard:
    return Scorecard(roc_auc(labels, scores), capture_at(labels, scores, 0.2), brier(labels, probabilities))
