"""The leakage guard: features that would make the figures look better than any MQL rule can be.

Two kinds of leak are caught, and left out of calibration unless the user allows them:

* **post-contact** — filled in by sales after the hand-off (the X Education ``Tags``,
  ``Lead Quality``... columns; a CRM's lead status or rating). Declared by the import mapping
  (``post_contact: true``), named with ``--exclude``, or matched by well-known CRM names;
* **near-perfect** — a single feature that alone ranks converters almost perfectly
  (cross-validated AUC ≥ ``threshold``, 0.90 by default). Real marketing signals do not; in
  Leads.csv the best honest column scores 0.72 alone, while ``Tags`` scores 0.92.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from leadpact.service.calibration.evaluation import Split, roc_auc
from leadpact.service.calibration.features import FeatureGroup, LeadTable

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

NEAR_PERFECT_AUC: Final = 0.90
WELL_KNOWN_POST_CONTACT: Final = frozenset(
    {
        "tags",
        "lead_quality",
        "lead_profile",
        "last_notable_activity",
        "lead_status",
        "hs_lead_status",
        "status",
        "rating",
        "lead_rating",
        "lifecycle_stage",
        "lifecyclestage",
        "is_converted",
        "isconverted",
        "converted",
        "converted_date",
        "converteddate",
        "deal_stage",
        "dealstage",
        "opportunity_stage",
        "sales_notes",
        "disqualification_reason",
        "lost_reason",
    }
)
WELL_KNOWN_PREFIXES: Final = ("asymmetrique_",)
_SMOOTHING: Final = 10.0
_MAX_COUNT_LEVEL: Final = 20


@dataclass(frozen=True, slots=True)
class LeakageFinding:
    feature: str  # the group's title: a trait name or an event type
    reason: str  # "post_contact" or "near_perfect"
    detail: str
    excluded: bool
    auc: float | None = None


def normalise(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def is_well_known_post_contact(name: str) -> bool:
    normal = normalise(name)
    return normal in WELL_KNOWN_POST_CONTACT or normal.startswith(WELL_KNOWN_PREFIXES)


def _level_codes(group: FeatureGroup, table: LeadTable) -> IntArray:
    """One code per lead: the value or range it falls in, or its (capped) count."""
    if group.partition:
        return np.asarray(np.argmax(group.points_columns(table), axis=1), dtype=np.int64)
    return np.minimum(group.model_column(table), _MAX_COUNT_LEVEL).astype(np.int64)


def single_feature_auc(codes: IntArray, labels: IntArray, splits: list[Split]) -> float:
    """Cross-validated AUC of the feature alone (smoothed target rate per value, out of fold)."""
    scores = np.zeros(len(labels))
    for train, test in splits:
        prior = float(labels[train].mean())
        size = int(codes.max()) + 1
        hits = np.bincount(codes[train], weights=labels[train], minlength=size)
        seen = np.bincount(codes[train], minlength=size)
        rate = (hits + _SMOOTHING * prior) / (seen + _SMOOTHING)
        scores[test] = rate[codes[test]]
    auc = roc_auc(labels, scores)
    return max(auc, 1.0 - auc)


def guard(
    groups: Iterable[FeatureGroup],
    table: LeadTable,
    labels: IntArray,
    splits: list[Split],
    *,
    declared: frozenset[str],
    allow: frozenset[str],
    threshold: float = NEAR_PERFECT_AUC,
) -> list[LeakageFinding]:
    """Findings for every suspicious group; ``excluded`` is False only when allowed."""
    findings: list[LeakageFinding] = []
    for group in groups:
        title = group.title
        allowed = title in allow
        if group.trait is not None and (group.trait in declared or is_well_known_post_contact(group.trait)):
            source = "declared post-contact" if group.trait in declared else "a field CRMs fill after sales contact"
            findings.append(LeakageFinding(title, "post_contact", f"{title}: {source}", not allowed))
            continue
        auc = single_feature_auc(_level_codes(group, table), labels, splits)
        if auc >= threshold:
            detail = f"{title}: predicts the outcome almost perfectly on its own (AUC {auc:.3f} ≥ {threshold:.2f})"
            findings.append(LeakageFinding(title, "near_perfect", detail, not allowed, round(auc, 4)))
    return findings
