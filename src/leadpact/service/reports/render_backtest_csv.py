"""The back-test as CSV: one tidy table, like the reports' CSVs (docs/backtest.md).

The back-test has several parts, so a ``section`` column names the part each row belongs to
(as ``level`` does in the SLA report's CSV) and each part fills only its own columns. The rows
are the JSON contract flattened (:func:`backtest_json`), so both formats always carry the same
numbers: ``summary`` (one row per metric), ``weeks``, ``sla_load``, ``lead_changes``, then
``refused_under_proposed_only`` and ``refused_under_current_only``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from leadpact.service.backtest import BacktestReport
from leadpact.service.reports.render_backtest import backtest_json
from leadpact.service.reports.render_csv import Cell, write_table
from leadpact.service.reports.stats import RATE_DECIMALS

BACKTEST_COLUMNS: Final = (
    "section", "metric", "week", "iso_week", "owner", "current", "proposed", "difference",
    "lead_id", "change", "current_mql_at", "proposed_mql_at", "shift_hours", "current_stage", "proposed_stage",
    "message_id", "action", "at", "actor_id", "actor_role", "reason",
)  # fmt: skip
_SIDE_NAMES: Final = frozenset({"agreement", "version"})
"""Keys of a side's JSON that name the agreement rather than measure it."""
_SIDE_BY_SIDE_SECTIONS: Final = ("weeks", "sla_load")
"""Sections whose JSON rows already hold one count per side."""
_REFUSED_SECTIONS: Final = ("refused_under_proposed_only", "refused_under_current_only")


def backtest_csv(report: BacktestReport) -> str:
    return write_table(BACKTEST_COLUMNS, _rows(backtest_json(report)))


def _rows(data: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    current, proposed = data["current"], data["proposed"]
    for metric in (key for key in current if key not in _SIDE_NAMES):
        before, after = current[metric], proposed[metric]
        yield _row("summary", metric=metric, current=before, proposed=after, difference=_difference(before, after))
    for section in _SIDE_BY_SIDE_SECTIONS:
        for row in data[section]:
            yield _row(section, **row, difference=_difference(row["current"], row["proposed"]))
    for change in data["lead_changes"]:
        yield _row("lead_changes", **change)
    for section in _REFUSED_SECTIONS:
        for refused in data[section]:
            actor = refused["actor"]
            cells = {key: value for key, value in refused.items() if key != "actor"}
            yield _row(section, actor_id=actor["id"], actor_role=actor["role"], **cells)


def _row(section: str, **cells: Cell) -> tuple[Cell, ...]:
    return tuple(section if column == "section" else cells.get(column) for column in BACKTEST_COLUMNS)


def _difference(current: Cell, proposed: Cell) -> Cell:
    """Proposed − current; a rate's in fractions 0–1, empty when either rate is undefined."""
    if isinstance(current, int) and isinstance(proposed, int):
        return proposed - current
    if isinstance(current, int | float) and isinstance(proposed, int | float):
        return round(proposed - current, RATE_DECIMALS)
    return None
