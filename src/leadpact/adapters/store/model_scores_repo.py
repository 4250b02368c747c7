"""The predictive model's per-lead scores: replace many at once, read one lead's."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, select

from leadpact.adapters.store.dialect import upsert
from leadpact.adapters.store.model_score_models import ModelScoreRow

_M = cast(Table, ModelScoreRow.__table__)
_CHUNK = 1000  # rows per statement: well under SQLite's and psycopg's parameter limits


@dataclass(frozen=True, slots=True)
class ModelScore:
    """One lead's model score; factors are ``{"feature", "value", "effect"}`` objects, the
    effect being the change in log-odds against a typical value (largest first)."""

    lead_id: str
    model: str
    target: str
    score: float
    positive: Sequence[dict[str, Any]]
    negative: Sequence[dict[str, Any]]
    computed_at: int


class ModelScoresRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def upsert_many(self, scores: Iterable[ModelScore]) -> int:
        """Store each lead's score, replacing the lead's earlier one; returns how many."""
        rows = [
            {
                "lead_id": s.lead_id,
                "model": s.model,
                "target": s.target,
                "score": s.score,
                "factors": json.dumps({"positive": list(s.positive), "negative": list(s.negative)}, ensure_ascii=False),
                "computed_at": s.computed_at,
            }
            for s in scores
        ]
        stmt = upsert(self.conn, _M)
        stmt = stmt.on_conflict_do_update(
            index_elements=["lead_id"],
            set_={name: stmt.excluded[name] for name in ("model", "target", "score", "factors", "computed_at")},
        )
        for start in range(0, len(rows), _CHUNK):
            self.conn.execute(stmt, rows[start : start + _CHUNK])
        return len(rows)

    def get(self, lead_id: str) -> ModelScore | None:
        row = self.conn.execute(select(_M).where(_M.c.lead_id == lead_id)).mappings().first()
        if row is None:
            return None
        factors = json.loads(row["factors"])
        return ModelScore(
            lead_id=str(row["lead_id"]),
            model=str(row["model"]),
            target=str(row["target"]),
            score=float(row["score"]),
            positive=factors["positive"],
            negative=factors["negative"],
            computed_at=int(row["computed_at"]),
        )
