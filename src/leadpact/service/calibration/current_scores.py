"""The current agreement's own scores, from the real engine, at the moment that mattered.

A lead's score is taken just before its horizon — its first sales action (what the MQL
decision saw) or the end of the observation window — or as of the evaluation time when it
has no horizon. Scores are never
re-implemented here: each comes from :func:`leadpact.domain.replay.replay` or ``replay_lead``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from leadpact.domain.agreement import Agreement
from leadpact.domain.conditions import ScoreGte
from leadpact.domain.messages import Message
from leadpact.domain.replay import ReplayResult, dedupe, group_by_lead, link_identities, replay_lead
from leadpact.service.calibration import evaluation as ev
from leadpact.service.calibration.dataset import LeadRecord
from leadpact.service.calibration.results import CurrentFigures
from leadpact.service.calibration.thresholds import row_at, threshold_table

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def current_scores(
    messages: Sequence[Message], agreement: Agreement, history: ReplayResult, records: Sequence[LeadRecord]
) -> FloatArray:
    """``history`` is the whole log replayed under ``agreement``; a lead with a horizon is
    replayed on its own, as of just before it."""
    horizons = {r.lead_id: r.horizon for r in records if r.horizon is not None}
    grouped: Mapping[str, list[Message]] = {}
    if horizons:
        unique, _ = dedupe(messages)
        grouped, _ = group_by_lead(unique, link_identities(unique))
    scores: list[float] = []
    for record in records:
        horizon = horizons.get(record.lead_id)
        if horizon is None:
            lead = history.leads.get(record.lead_id)
        else:
            lead = replay_lead(record.lead_id, grouped.get(record.lead_id, []), agreement, horizon - 1)
        scores.append(float(lead.score) if lead is not None else 0.0)
    return np.array(scores, dtype=np.float64)


def current_figures(agreement: Agreement, labels: IntArray, scores: FloatArray, weeks: float | None) -> CurrentFigures:
    """Its ranking quality and threshold table. The agreement was not fitted on these leads,
    so these figures are honest without cross-validation."""
    mql = agreement.stages.mql
    threshold = mql.value if isinstance(mql, ScoreGte) and mql.kind == "score" else None
    at = row_at(labels, scores, threshold, weeks) if threshold is not None else None
    return CurrentFigures(
        agreement.name,
        agreement.version,
        ev.roc_auc(labels, scores),
        ev.capture_at(labels, scores, 0.2),
        threshold,
        at,
        threshold_table(labels, scores, weeks),
    )
