"""What a calibration run returns, and its ``--json`` shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadpact.domain.agreement import Agreement
from leadpact.service.calibration.evaluation import CalibrationBin, Scorecard
from leadpact.service.calibration.leakage import NEAR_PERFECT_AUC, LeakageFinding
from leadpact.service.calibration.model import Factor
from leadpact.service.calibration.points import PointRule
from leadpact.service.calibration.thresholds import Suggestion, ThresholdRow

SMALL_SAMPLE = 100
"""Fewer leads than this in the rarer outcome: the report warns that figures are uncertain."""


@dataclass(frozen=True, slots=True)
class CalibrationOptions:
    target: str = "customer"
    folds: int = 5
    seed: int = 0
    precision: float | None = None
    capacity_per_week: float | None = None
    period_weeks: float | None = None
    leak_auc: float = NEAR_PERFECT_AUC
    allow: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()
    as_of: int | None = None
    explain: bool = False
    window_days: float | None = None  # None: derived from how fast sales made contact
    threads: int = 1


@dataclass(frozen=True, slots=True)
class LeadPrediction:
    lead_id: str
    model_score: float
    points_score: float
    current_score: float | None
    reached_target: bool | None  # None: outcome unknown
    positive: tuple[Factor, ...]
    negative: tuple[Factor, ...]


@dataclass(frozen=True, slots=True)
class CurrentFigures:
    name: str
    version: str
    auc: float
    top20_capture: float
    mql_threshold: float | None
    at_threshold: ThresholdRow | None
    table: list[ThresholdRow]


@dataclass(frozen=True, slots=True)
class TimeSplitFigures:
    train_leads: int
    test_leads: int
    model_auc: float
    points_auc: float


@dataclass(slots=True)
class CalibrationReport:
    target: str
    leads: int
    positives: int
    unlabelled: int
    sales_generated: int
    dropped_after_contact: int
    folds: int
    seed: int
    weeks: float | None
    model: Scorecard
    points: Scorecard
    leakage: list[LeakageFinding]
    notes: list[str]
    features: list[str]
    threshold_table: list[ThresholdRow]
    suggestion: Suggestion
    hot_threshold: float | None
    point_rules: list[PointRule]
    lifts: dict[str, list[tuple[float, float]]]
    calibration: dict[str, list[CalibrationBin]]
    proposed_yaml: str
    proposed: Agreement
    engine_agrees: tuple[int, int]
    window_days: float | None = None
    outcomes_from_traits: bool = False
    outcomes: dict[str, int] = field(default_factory=dict)
    """Lead id → 1 if it reached the target, 0 if not (the labelled leads)."""
    current: CurrentFigures | None = None
    time_split: TimeSplitFigures | None = None
    predictions: list[LeadPrediction] = field(default_factory=list)

    @property
    def minority(self) -> int:
        """Leads in the rarer outcome: what limits how precise every figure can be."""
        return min(self.positives, self.leads - self.positives)

    @property
    def small_sample(self) -> bool:
        return self.minority < SMALL_SAMPLE

    @property
    def base_rate(self) -> float:
        return self.positives / self.leads if self.leads else 0.0

    def summary(self) -> dict[str, Any]:
        """The ``--json`` object: the headline figures first (all cross-validated)."""
        row = self.suggestion.row
        return {
            "auc": round(self.model.auc, 4),
            "points_auc": round(self.points.auc, 4),
            "top20_capture": round(self.model.top20_capture, 4),
            "points_top20_capture": round(self.points.top20_capture, 4),
            "brier": round(self.model.brier, 4),
            "points_brier": round(self.points.brier, 4),
            "suggested_threshold": _plain(row.threshold),
            "suggested_by": self.suggestion.rule,
            "suggestion_met": self.suggestion.met,
            "at_suggested_threshold": _row_json(row),
            "target": self.target,
            "leads": self.leads,
            "converted": self.positives,
            "base_rate": round(self.base_rate, 4),
            "unlabelled_leads": self.unlabelled,
            "small_sample": self.small_sample,
            "window_days": self.window_days,
            "outcomes_from_traits": self.outcomes_from_traits,
            "folds": self.folds,
            "seed": self.seed,
            "time_split": None
            if self.time_split is None
            else {
                "train_leads": self.time_split.train_leads,
                "test_leads": self.time_split.test_leads,
                "auc": round(self.time_split.model_auc, 4),
                "points_auc": round(self.time_split.points_auc, 4),
            },
            "current_agreement": None
            if self.current is None
            else {
                "name": self.current.name,
                "version": self.current.version,
                "auc": round(self.current.auc, 4),
                "top20_capture": round(self.current.top20_capture, 4),
                "mql_threshold": self.current.mql_threshold,
                "at_threshold": None if self.current.at_threshold is None else _row_json(self.current.at_threshold),
                "threshold_table": [_row_json(r) for r in self.current.table],
            },
            "leakage": [
                {"feature": f.feature, "reason": f.reason, "excluded": f.excluded, "auc": f.auc, "detail": f.detail}
                for f in self.leakage
            ],
            "threshold_table": [_row_json(r) for r in self.threshold_table],
            "point_table": [
                {
                    "id": r.candidate.rule_id,
                    "rule": r.candidate.label,
                    "kind": r.candidate.kind,
                    "points": r.points,
                    "max_count": r.candidate.max_count,
                    "condition": r.candidate.condition,
                }
                for r in self.point_rules
            ],
            "hot_threshold": None if self.hot_threshold is None else _plain(self.hot_threshold),
            "lift": {name: [[round(x, 3), round(y, 4)] for x, y in curve] for name, curve in self.lifts.items()},
            "engine_check": {"agree": self.engine_agrees[0], "leads": self.engine_agrees[1]},
            "features": self.features,
            "notes": self.notes,
        }


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(float(value), 4)


def _row_json(row: ThresholdRow) -> dict[str, Any]:
    return {
        "threshold": _plain(row.threshold),
        "mqls": row.mqls,
        "share": round(row.share, 4),
        "per_week": None if row.per_week is None else round(row.per_week, 2),
        "precision": round(row.precision, 4),
        "recall": round(row.recall, 4),
        "lift": round(row.lift, 3),
    }
