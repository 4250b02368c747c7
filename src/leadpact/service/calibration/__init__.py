"""Calibration (issue #7): learn from a company's own won/lost history and propose a better
agreement — a signable point table and MQL threshold, with the evidence (cross-validated ROC
AUC, lift, precision at capacity) and a predictive model's score beside the rule score.

Entry points: :func:`calibrate` (the ``leadpact calibrate`` use case) and
:func:`predict_leads` (per-lead model scores with top factors, for the store).
Method and decisions: docs/calibration.md.
"""

from leadpact.service.calibration.prepare import CalibrationError
from leadpact.service.calibration.results import CalibrationOptions, CalibrationReport, LeadPrediction
from leadpact.service.calibration.service import STEPS, calibrate, predict_leads, prediction_json

__all__ = [
    "STEPS",
    "CalibrationError",
    "CalibrationOptions",
    "CalibrationReport",
    "LeadPrediction",
    "calibrate",
    "predict_leads",
    "prediction_json",
]
