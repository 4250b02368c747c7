"""The proposed agreement: the current (or default) agreement with the calibrated point table
and MQL threshold, written as YAML that ``leadpact backtest`` and ``agreement check`` accept.

Everything calibration did not measure — SQL criteria, exclusions, assignment, SLAs, decay,
recycling — is kept from the base agreement as written, so a back-test isolates the change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from leadpact.adapters.agreement_yaml import load_agreement_text
from leadpact.domain.agreement import Agreement
from leadpact.service.calibration.points import PointRule


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the header comment of the proposed file says about where it came from."""

    leads: int
    target: str
    points_auc: float
    top20_capture: float
    precision: float
    recall: float
    folds: int


def _rule_entries(rules: list[PointRule], kind: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for rule in rules:
        if rule.candidate.kind != kind:
            continue
        entry: dict[str, Any] = {"id": rule.candidate.rule_id, "if": rule.candidate.condition, "points": rule.points}
        if rule.candidate.max_count is not None:
            entry["max_count"] = rule.candidate.max_count
        entries.append(entry)
    return entries


def _header(evidence: Evidence, base_name: str) -> str:
    return "\n".join(
        [
            "# Proposed by `leadpact calibrate` — review it, back-test it, then sign it.",
            f"# Based on: {base_name}; learnt from {evidence.leads} leads (target: {evidence.target}).",
            f"# Cross-validated ({evidence.folds} folds): point-table ROC AUC {evidence.points_auc:.3f}, "
            f"top-20% capture {evidence.top20_capture:.3f};",
            f"# at the MQL threshold below: precision {evidence.precision:.1%}, recall {evidence.recall:.1%}.",
            "",
        ]
    )


def propose(
    base: Mapping[str, Any],
    rules: list[PointRule],
    threshold: float,
    hot_threshold: float | None,
    evidence: Evidence,
) -> tuple[str, Agreement]:
    """The YAML text of the proposed agreement and its validated model.

    ``base`` is the base agreement file as plain data. Raises AgreementError if the result
    does not validate (that would be a bug here, never the user's input).
    """
    data: dict[str, Any] = {key: value for key, value in base.items() if key not in ("fit", "engagement", "stages")}
    base_name = str(base.get("name", "agreement"))
    data["name"] = f"{base_name} (calibrated)"
    data["version"] = f"{base.get('version', '1')}-calibrated"
    data.pop("approved_by", None)  # nobody has signed the proposal yet
    data["fit"] = _rule_entries(rules, "fit")
    data["engagement"] = _rule_entries(rules, "engagement")
    stages = dict(base.get("stages") or {})
    stages["mql"] = {"when": {"score_gte": _number(threshold)}}
    if hot_threshold is not None and hot_threshold > threshold:
        stages["hot"] = {"when": {"score_gte": _number(hot_threshold)}}
    else:
        stages.pop("hot", None)
    data["stages"] = stages
    order = [
        "name",
        "version",
        "description",
        "timezone",
        "business_calendar",
        "company_holidays",
        "fit",
        "engagement",
        "decay",
        "exclusions",
        "stages",
        "assignment",
        "sla",
        "recycle",
    ]
    ordered = {key: data[key] for key in order if key in data}
    ordered.update({key: value for key, value in data.items() if key not in ordered})
    body = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, default_flow_style=None, width=110)
    text = _header(evidence, base_name) + body
    return text, load_agreement_text(text, "proposed-agreement.yaml")


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)
