"""The threshold table (for each candidate MQL threshold: MQL volume, precision, recall, lift)
and the suggested threshold for a target precision, a sales capacity, or the best F1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

TABLE_ROWS: Final = 20


@dataclass(frozen=True, slots=True)
class ThresholdRow:
    threshold: float
    mqls: int
    share: float  # of all leads
    per_week: float | None
    precision: float
    recall: float
    lift: float  # precision / base rate
    f1: float


def _row(threshold: float, labels: IntArray, scores: FloatArray, weeks: float | None) -> ThresholdRow:
    chosen = scores >= threshold
    mqls = int(chosen.sum())
    hits = int(labels[chosen].sum())
    positives = int(labels.sum())
    base = positives / len(labels) if len(labels) else 0.0
    precision = hits / mqls if mqls else 0.0
    recall = hits / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ThresholdRow(
        threshold=float(threshold),
        mqls=mqls,
        share=mqls / len(labels) if len(labels) else 0.0,
        per_week=mqls / weeks if weeks else None,
        precision=precision,
        recall=recall,
        lift=precision / base if base else 0.0,
        f1=f1,
    )


def row_at(labels: IntArray, scores: FloatArray, threshold: float, weeks: float | None) -> ThresholdRow:
    return _row(threshold, labels, scores, weeks)


def all_rows(labels: IntArray, scores: FloatArray, weeks: float | None) -> list[ThresholdRow]:
    """One row per distinct score (each is a threshold that changes the MQL set)."""
    return [_row(t, labels, scores, weeks) for t in np.unique(scores)[::-1]]


def threshold_table(
    labels: IntArray, scores: FloatArray, weeks: float | None, rows: int = TABLE_ROWS
) -> list[ThresholdRow]:
    """About ``rows`` thresholds spread evenly over the MQL share (5 %, 10 %, ... of leads)."""
    distinct = np.unique(scores)
    if distinct.size <= rows:
        return all_rows(labels, scores, weeks)
    picks = {float(np.quantile(scores, 1 - k / rows, method="higher")) for k in range(1, rows + 1)}
    return [_row(t, labels, scores, weeks) for t in sorted(picks, reverse=True)]


@dataclass(frozen=True, slots=True)
class Suggestion:
    row: ThresholdRow
    rule: str  # "precision", "capacity" or "f1"
    met: bool  # False when the target could not be reached (the closest row is given)
    note: str
    target: float | None = None  # the precision (0-1) or MQLs per week aimed for


def suggest(
    labels: IntArray,
    scores: FloatArray,
    *,
    weeks: float | None,
    precision: float | None = None,
    capacity: float | None = None,
) -> Suggestion:
    rows = all_rows(labels, scores, weeks)  # highest threshold first
    if precision is not None:
        reaching = [r for r in rows if r.precision >= precision and r.mqls > 0]
        if reaching:
            best = max(reaching, key=lambda r: (r.recall, -r.threshold))
            note = f"the lowest threshold whose MQLs reach the target at least {precision:.0%} of the time"
            return Suggestion(best, "precision", True, note, precision)
        best = max(rows, key=lambda r: (r.precision, r.mqls))
        note = f"no threshold reaches {precision:.0%} precision; this one comes closest"
        return Suggestion(best, "precision", False, note, precision)
    if capacity is not None:
        if weeks is None:
            raise ValueError("a capacity per week needs the period the leads cover")
        fitting = [r for r in rows if r.per_week is not None and r.per_week <= capacity and r.mqls > 0]
        if fitting:
            best = max(fitting, key=lambda r: r.mqls)
            return Suggestion(
                best, "capacity", True, f"the most MQLs sales can take at {capacity:g} per week", capacity
            )
        best = rows[0]
        note = f"even the highest threshold gives more than {capacity:g} MQLs per week"
        return Suggestion(best, "capacity", False, note, capacity)
    best = max(rows, key=lambda r: (r.f1, -r.threshold))
    return Suggestion(best, "f1", True, "the threshold with the best balance of precision and recall (F1)")
