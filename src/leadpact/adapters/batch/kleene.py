"""Stage criteria evaluated over arrays, in Kleene logic (1 true, 0 false, 0.5 unsure).

The scan evaluates the MQL/SQL/hot criteria at millions of rows at once. Each criteria tree is
walked here and combined with ``min``/``max``/``1 - x``, which is Kleene's ``and``/``or``/``not``:
an unsure leaf makes the whole verdict unsure exactly when it could change it. The leaves
come from one place each: trait conditions from SQL (``trait_rows``), score comparisons from
:func:`score_verdict`, which mirrors ``sql_compile.score_at_least``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from leadpact.adapters.batch.sql_compile import SCORE_BAND, threshold_boundary
from leadpact.domain.conditions import AllOf, AnyOf, BantGte, Condition, EventIn, Not, ScoreGte, TraitCond

Verdicts = npt.NDArray[np.float64]


def score_verdict(value: npt.NDArray[np.float64], threshold: float) -> Verdicts:
    """``round_score(value) >= threshold``; 0.5 within float noise of the tie point."""
    boundary = threshold_boundary(threshold)
    band = SCORE_BAND * np.maximum(1.0, np.abs(value))
    out = np.full(value.shape, 0.5)
    out[value >= boundary + band] = 1.0
    out[value < boundary - band] = 0.0
    return out


@dataclass(frozen=True, slots=True)
class Leaves:
    """Where a criteria tree finds its leaves, for one set of evaluation instants."""

    score: Callable[[str], npt.NDArray[np.float64]]
    """``score``/``fit``/``engagement`` → unrounded values."""
    trait: Callable[[TraitCond], Verdicts]
    seen: Callable[[tuple[str, ...]], Verdicts]
    bant: Callable[[int], Verdicts]


def evaluate(cond: Condition, leaves: Leaves) -> Verdicts:
    if isinstance(cond, ScoreGte):
        return score_verdict(leaves.score(cond.kind), cond.value)
    if isinstance(cond, TraitCond):
        return leaves.trait(cond)
    if isinstance(cond, EventIn):
        return leaves.seen(cond.events)
    if isinstance(cond, BantGte):
        return leaves.bant(cond.value)
    if isinstance(cond, AllOf):
        return np.asarray(np.minimum.reduce([evaluate(c, leaves) for c in cond.items]), dtype=np.float64)
    if isinstance(cond, AnyOf):
        return np.asarray(np.maximum.reduce([evaluate(c, leaves) for c in cond.items]), dtype=np.float64)
    if isinstance(cond, Not):
        return 1.0 - evaluate(cond.item, leaves)
    raise TypeError(f"{type(cond).__name__} cannot be used in stage criteria")
