"""The predictive model's score per lead, stored beside the rule score (issue #7).

Written by ``leadpact calibrate --store``; read with the lead (``GET /v1/leads/{id}``). One
row per lead: a new calibration replaces the lead's earlier score. No foreign key to
``leads``: the calibration reads an events file, which may hold leads the store has not seen.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadpact.adapters.store.base import Base
from leadpact.adapters.store.types import LEAD_ID


class ModelScoreRow(Base):
    __tablename__ = "model_scores"

    lead_id: Mapped[str] = mapped_column(LEAD_ID, primary_key=True)
    model: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)  # probability of reaching ``target``, 0..1
    factors: Mapped[str] = mapped_column(Text)  # JSON: {"positive": [...], "negative": [...]}
    computed_at: Mapped[int] = mapped_column(BigInteger)
