"""``calibrate``: learn from a company's own won/lost history and propose a better agreement.

Steps (each announced through ``on_step`` for the progress bar):

1. one record per lead, cut off at its first sales action, and its label (prepare.py);
2. candidate rules from the traits and event types present, the current rules, the leakage
   guard (prepare.py, current_rules.py);
3. stratified k-fold cross-validation (fixed seed) of the predictive model and of the integer
   point table, plus a time-ordered check when creation times differ;
4. the current agreement's own scores, from the real engine;
5. the suggested threshold, the final point table and the proposed agreement YAML, checked by
   replaying it with the real engine;
6. per-lead predictions with their top factors, when asked.

Every figure reported as a result is out-of-fold. The final models are refit on all leads only
to write the proposal and to score leads.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import yaml
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from leadpact.adapters.agreement_yaml import default_agreement_text, load_agreement_text
from leadpact.domain.agreement import Agreement
from leadpact.domain.messages import Message
from leadpact.domain.replay import replay
from leadpact.domain.timeutil import US_PER_DAY
from leadpact.service.calibration import evaluation as ev
from leadpact.service.calibration.current_rules import agreement_groups, referenced_events, referenced_traits
from leadpact.service.calibration.current_scores import current_figures, current_scores
from leadpact.service.calibration.dataset import LeadRecord
from leadpact.service.calibration.features import FeatureGroup, LeadTable
from leadpact.service.calibration.model import fit_model, probabilities, top_factors
from leadpact.service.calibration.points import Columns, PointTable, columns_of, fit_point_table, platt
from leadpact.service.calibration.prepare import CalibrationError, Prepared, prepare
from leadpact.service.calibration.proposal import Evidence, propose
from leadpact.service.calibration.results import (
    CalibrationOptions,
    CalibrationReport,
    LeadPrediction,
    TimeSplitFigures,
)
from leadpact.service.calibration.thresholds import suggest, threshold_table

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
StepCallback = Callable[[str], None]

HOT_SHARE: Final = 0.05
"""The proposed ``hot`` flag marks about the top 5 % of leads by score."""
STEPS: Final = 5

__all__ = ["STEPS", "CalibrationError", "calibrate", "predict_leads"]


def _base(agreement: Agreement | None, agreement_text: str | None) -> tuple[Agreement, str]:
    if (agreement is None) != (agreement_text is None):
        raise ValueError("give the current agreement both parsed and as text, or neither")
    if agreement is not None and agreement_text is not None:
        return agreement, agreement_text
    text = default_agreement_text()
    return load_agreement_text(text, "default_agreement.yaml"), text


def calibrate(
    messages: Sequence[Message],
    options: CalibrationOptions,
    *,
    agreement: Agreement | None = None,
    agreement_text: str | None = None,
    on_step: StepCallback | None = None,
) -> CalibrationReport:
    """Calibrate on ``messages``. ``agreement``/``agreement_text`` are the current agreement
    (both or neither); without them the default agreement is the base of the proposal and no
    "current agreement" figures are reported."""
    # One BLAS/OpenMP thread: on a shared 2-core machine, oversubscribed OpenMP threads make
    # gradient boosting 10-20x slower, while one thread fits 9,240 leads in about a second.
    with threadpool_limits(limits=options.threads):
        return _calibrate(messages, options, agreement, agreement_text, on_step or (lambda _step: None))


def _calibrate(
    messages: Sequence[Message],
    options: CalibrationOptions,
    agreement: Agreement | None,
    agreement_text: str | None,
    step: StepCallback,
) -> CalibrationReport:
    base, base_text = _base(agreement, agreement_text)
    as_of = options.as_of if options.as_of is not None else max((m.ts for m in messages), default=0)

    step("Reading leads, outcomes and candidate rules")
    data = prepare(messages, options, base, as_of)
    labels, table, seed = data.labels, data.table, options.seed
    points_groups = _points_groups(data, agreement, agreement_text)
    columns = columns_of(points_groups)
    points_matrix = np.hstack([g.points_columns(table) for g in points_groups])
    model_matrix = np.column_stack([g.model_column(table) for g in data.groups])

    step(f"Cross-validating ({options.folds} folds)")
    model_oof = ev.out_of_fold(
        data.splits,
        len(labels),
        lambda tr, te: probabilities(fit_model(model_matrix[tr], labels[tr], seed), model_matrix[te]),
    )
    points_oof, points_prob_oof = _points_out_of_fold(points_matrix, labels, columns, data.splits, seed)
    time_figures = _time_split(table, labels, model_matrix, points_matrix, columns, seed)

    step("Scoring leads with the current agreement")
    weeks = _weeks(table, options.period_weeks)
    scores_now = current_scores(messages, agreement, data.history, data.records) if agreement is not None else None
    current = (
        current_figures(agreement, labels, scores_now, weeks)
        if agreement is not None and scores_now is not None
        else None
    )

    step("Fitting the point table and the threshold")
    if options.capacity_per_week is not None and weeks is None:
        raise CalibrationError(
            "--capacity needs the period the leads cover, and their creation times span less than a week: "
            "pass --period-weeks"
        )
    final_table = fit_point_table(points_matrix, labels, columns, seed)
    points_oof = points_oof + final_table.shift  # on the proposed agreement's scale
    suggestion = suggest(
        labels, points_oof, weeks=weeks, precision=options.precision, capacity=options.capacity_per_week
    )
    hot = float(np.quantile(points_oof, 1 - HOT_SHARE, method="higher"))
    points_card = ev.scorecard(labels, points_oof, points_prob_oof)
    evidence = Evidence(
        len(labels),
        options.target,
        points_card.auc,
        points_card.top20_capture,
        suggestion.row.precision,
        suggestion.row.recall,
        options.folds,
    )
    proposed_yaml, proposed = propose(
        yaml.safe_load(base_text), final_table.rules(), suggestion.row.threshold, hot, evidence
    )
    engine_agrees = _engine_check(messages, proposed, data.records, final_table, points_matrix, as_of)

    step("Explaining the predictive model")
    predictions: list[LeadPrediction] = []
    if options.explain:
        model = fit_model(model_matrix, labels, seed)
        current_by_id = None if scores_now is None else dict(zip(table.lead_ids, scores_now.tolist(), strict=True))
        predictions = _predictions(data, model, final_table, points_groups, current_by_id)

    return CalibrationReport(
        target=options.target,
        leads=len(labels),
        positives=int(labels.sum()),
        unlabelled=data.label_info.unlabelled,
        sales_generated=data.log.sales_generated,
        dropped_after_contact=data.log.dropped_after_contact,
        folds=options.folds,
        seed=seed,
        weeks=weeks,
        model=ev.scorecard(labels, model_oof, model_oof),
        points=points_card,
        leakage=data.leakage,
        notes=data.notes,
        features=[g.name for g in data.groups],
        threshold_table=threshold_table(labels, points_oof, weeks),
        suggestion=suggestion,
        hot_threshold=hot,
        point_rules=final_table.rules(),
        lifts=_lifts(labels, model_oof, points_oof, scores_now),
        calibration={
            "model": ev.calibration_bins(labels, model_oof),
            "points": ev.calibration_bins(labels, points_prob_oof),
        },
        proposed_yaml=proposed_yaml,
        proposed=proposed,
        engine_agrees=engine_agrees,
        window_days=data.log.window_days,
        outcomes=dict(zip(data.label_info.lead_ids, data.label_info.values, strict=True)),
        outcomes_from_traits=data.label_info.from_traits > 0,
        current=current,
        time_split=time_figures,
        predictions=predictions,
    )


def predict_leads(
    messages: Sequence[Message], options: CalibrationOptions, *, agreement: Agreement | None = None
) -> list[LeadPrediction]:
    """Every lead's predictive-model score and top factors, fitted on the leads with a known
    outcome — the entry point for storing the model score beside the rule score.

    ``points_score`` is the suggested point table's score and ``current_score`` is None here:
    the store holds the rule score itself.
    """
    with threadpool_limits(limits=options.threads):
        base = (
            agreement
            if agreement is not None
            else load_agreement_text(default_agreement_text(), "default_agreement.yaml")
        )
        as_of = options.as_of if options.as_of is not None else max((m.ts for m in messages), default=0)
        data = prepare(messages, options, base, as_of)
        columns = columns_of(data.groups)
        points_matrix = np.hstack([g.points_columns(data.table) for g in data.groups])
        model_matrix = np.column_stack([g.model_column(data.table) for g in data.groups])
        final_table = fit_point_table(points_matrix, data.labels, columns, options.seed)
        model = fit_model(model_matrix, data.labels, options.seed)
        return _predictions(data, model, final_table, data.groups, None)


def _points_groups(data: Prepared, agreement: Agreement | None, agreement_text: str | None) -> list[FeatureGroup]:
    """The current rules (re-weighted) plus derived rules for what they do not already cover."""
    if agreement is None or agreement_text is None:
        return data.groups
    traits = referenced_traits(agreement)
    events = referenced_events(agreement)
    derived = [
        g
        for g in data.groups
        if not (g.trait is not None and g.trait in traits) and not (g.trait is None and g.name in events)
    ]
    current = [
        g
        for g in agreement_groups(agreement, yaml.safe_load(agreement_text))
        if not any(f"'{name}'" in repr(g.candidates[0].condition) for name in data.excluded)
    ]
    return current + derived


def _points_out_of_fold(
    matrix: FloatArray, labels: IntArray, columns: Columns, splits: list[ev.Split], seed: int
) -> tuple[FloatArray, FloatArray]:
    """Out-of-fold centred integer scores, and probabilities from a Platt fit on each training
    fold. Add the final table's ``shift`` to put them on the proposed agreement's scale."""
    scores = np.full(len(labels), np.nan)
    probs = np.full(len(labels), np.nan)
    for train, test in splits:
        table = fit_point_table(matrix[train], labels[train], columns, seed)
        scores[test] = table.centred_score(matrix[test])
        calibrator = platt(table.centred_score(matrix[train]), labels[train])
        probs[test] = calibrator.predict_proba(scores[test].reshape(-1, 1))[:, 1]
    return scores, probs


def _time_split(
    table: LeadTable,
    labels: IntArray,
    model_matrix: FloatArray,
    points_matrix: FloatArray,
    columns: Columns,
    seed: int,
) -> TimeSplitFigures | None:
    split = ev.time_split(table.created_at, labels)
    if split is None:
        return None
    train, test = split
    model = fit_model(model_matrix[train], labels[train], seed)
    points = fit_point_table(points_matrix[train], labels[train], columns, seed)
    return TimeSplitFigures(
        len(train),
        len(test),
        ev.roc_auc(labels[test], probabilities(model, model_matrix[test])),
        ev.roc_auc(labels[test], points.score(points_matrix[test])),
    )


def _weeks(table: LeadTable, period_weeks: float | None) -> float | None:
    """The weeks the leads were created over (for MQLs per week), or None under one week."""
    if period_weeks is not None:
        return period_weeks
    span_days = (int(table.created_at.max()) - int(table.created_at.min())) / US_PER_DAY
    return span_days / 7 if span_days >= 7 else None


def _lifts(
    labels: IntArray, model: FloatArray, points: FloatArray, current: FloatArray | None
) -> dict[str, list[tuple[float, float]]]:
    curves = {"model": ev.lift_curve(labels, model), "points": ev.lift_curve(labels, points)}
    if current is not None:
        curves["current"] = ev.lift_curve(labels, current)
    return curves


def _engine_check(
    messages: Sequence[Message],
    proposed: Agreement,
    records: Sequence[LeadRecord],
    table: PointTable,
    points_matrix: FloatArray,
    as_of: int,
) -> tuple[int, int]:
    """(leads the real engine scores exactly as the point table does, leads checked).

    Checked: leads whose whole history the table saw (nothing after their horizon). With
    decay in the base agreement older events legitimately count less, so fewer will agree.
    """
    untouched = [i for i, r in enumerate(records) if r.complete]
    if not untouched:
        return 0, 0
    run = replay(messages, proposed, as_of)
    expected = table.score(points_matrix)
    agree = 0
    for i in untouched:
        lead = run.leads.get(records[i].lead_id)
        agree += lead is not None and math.isclose(lead.score, expected[i], abs_tol=1e-6)
    return agree, len(untouched)


def _predictions(
    data: Prepared,
    model: HistGradientBoostingClassifier,
    final_table: PointTable,
    points_groups: list[FeatureGroup],
    current: Mapping[str, float] | None,
) -> list[LeadPrediction]:
    """Every lead, labelled or not: the model score beside the rule score, with top factors."""
    everyone = LeadTable.of(data.log.records)
    known = dict(zip(data.label_info.lead_ids, data.label_info.values, strict=True))
    model_matrix = np.column_stack([g.model_column(everyone) for g in data.groups])
    points = final_table.score(np.hstack([g.points_columns(everyone) for g in points_groups]))
    scores = probabilities(model, model_matrix)
    factors = top_factors(model, model_matrix, data.groups)
    return [
        LeadPrediction(
            lead_id=lead_id,
            model_score=round(float(scores[i]), 6),
            points_score=float(points[i]),
            current_score=None if current is None else current.get(lead_id),
            reached_target=None if lead_id not in known else bool(known[lead_id]),
            positive=tuple(factors[i][0]),
            negative=tuple(factors[i][1]),
        )
        for i, lead_id in enumerate(everyone.lead_ids)
    ]


def prediction_json(prediction: LeadPrediction) -> dict[str, Any]:
    """One line of ``--predictions-out``."""
    return {
        "lead_id": prediction.lead_id,
        "model_score": prediction.model_score,
        "points_score": prediction.points_score,
        "current_score": prediction.current_score,
        "reached_target": prediction.reached_target,
        "top_positive": [{"feature": f.feature, "value": f.value, "effect": f.effect} for f in prediction.positive],
        "top_negative": [{"feature": f.feature, "value": f.value, "effect": f.effect} for f in prediction.negative],
    }
