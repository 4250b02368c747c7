"""The shared first half of calibration and prediction: leads, labels, candidate features, and
the leakage guard's verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from leadpact.domain.agreement import Agreement
from leadpact.domain.messages import Message
from leadpact.domain.replay import ReplayResult, replay
from leadpact.service.calibration import evaluation as ev
from leadpact.service.calibration.dataset import TARGETS, EventLog, Labels, LeadRecord, build_records, label_records
from leadpact.service.calibration.features import FeatureGroup, LeadTable, event_groups, trait_groups
from leadpact.service.calibration.leakage import LeakageFinding, guard
from leadpact.service.calibration.results import CalibrationOptions

IntArray = npt.NDArray[np.int64]


class CalibrationError(ValueError):
    """The events cannot be calibrated as asked (no outcomes, one class only, ...)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    log: EventLog
    history: ReplayResult  # the whole history replayed under the base agreement
    label_info: Labels
    records: list[LeadRecord]  # the labelled leads, in label order
    labels: IntArray
    table: LeadTable
    splits: list[ev.Split]
    groups: list[FeatureGroup]  # derived candidates that passed the leakage guard
    leakage: list[LeakageFinding]
    notes: list[str]

    @property
    def excluded(self) -> set[str]:
        return {f.feature for f in self.leakage if f.excluded}


def prepare(messages: Sequence[Message], options: CalibrationOptions, base: Agreement, as_of: int) -> Prepared:
    if options.target not in TARGETS:
        raise CalibrationError(f"--target: expected one of {', '.join(TARGETS)}, found {options.target!r}")
    if not messages:
        raise CalibrationError("the event file holds no messages")
    log = build_records(messages, options.window_days)
    history = replay(messages, base, as_of)
    reached = {lead_id: frozenset(h.stage for h in lead.history) for lead_id, lead in history.leads.items()}
    label_info = label_records(log.records, options.target, reached)
    by_id = {r.lead_id: r for r in log.records}
    records = [by_id[i] for i in label_info.lead_ids]
    labels = np.array(label_info.values, dtype=np.int64)
    _check_labels(labels, options.target, label_info.from_traits)
    table = LeadTable.of(records)
    try:
        splits = ev.stratified_folds(labels, options.folds, options.seed)
    except ev.EvaluationError as exc:
        raise CalibrationError(str(exc)) from None
    derived, notes = trait_groups(table, frozenset({log.outcome_trait}))
    derived += event_groups(table, frozenset())
    declared = log.post_contact_traits | options.exclude
    leakage = guard(derived, table, labels, splits, declared=declared, allow=options.allow, threshold=options.leak_auc)
    excluded = {f.feature for f in leakage if f.excluded}
    groups = [g for g in derived if g.title not in excluded]
    if not groups:
        raise CalibrationError("no usable features are left after the leakage guard (see --allow)")
    return Prepared(log, history, label_info, records, labels, table, splits, groups, leakage, notes)


def _check_labels(labels: IntArray, target: str, from_traits: int) -> None:
    positives = int(labels.sum())
    if len(labels) == 0:
        raise CalibrationError(
            "no lead has a known outcome: import a CSV with an outcome column, or record win actions"
        )
    if positives == 0:
        if not from_traits:
            hint = (
                " (the events carry no outcome trait and no lead reached it on replay: import a CSV with an "
                "outcome column, or use a history with sales actions)"
            )
        elif target == "customer":
            hint = " (a Salesforce lead export records conversion to SQL: use --target sql)"
        else:
            hint = ""
        raise CalibrationError(f"no lead reached the target '{target}'; nothing to learn from{hint}")
    if positives == len(labels):
        raise CalibrationError(f"every lead reached the target '{target}'; nothing to tell them apart")
