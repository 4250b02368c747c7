"""Which engagement rules each page/track message matches, as SQL columns.

Computed when events are read (once per distinct message *content*, see ``canonical``), so
the per-lead scan reads bit masks instead of evaluating conditions. The conditions come from
:func:`leadpact.adapters.batch.sql_compile.event_condition`; ``match_unsure`` marks a row whose
verdict SQL cannot be sure of (its lead is replayed exactly).
"""

from __future__ import annotations

from typing import Final

from leadpact.adapters.batch import sql_compile as sc
from leadpact.domain.agreement import Agreement
from leadpact.domain.replay import compiled

RULES_PER_MASK: Final = 62


class RuleMatching:
    def __init__(self, agreement: Agreement) -> None:
        self.rules = [rule.condition for rule in agreement.engagement]
        self.watched = tuple(sorted(compiled(agreement).watched_events))
        self.n_masks = max(1, -(-len(self.rules) // RULES_PER_MASK))

    @property
    def columns(self) -> list[tuple[str, str]]:
        """(name, DuckDB type) of the columns :meth:`select` produces."""
        masks = [(f"mask_{m}", "UBIGINT") for m in range(self.n_masks)]
        return [*masks, ("match_unsure", "BOOLEAN"), ("watched_code", "SMALLINT")]

    def select(self, cols: sc.EventColumns) -> list[str]:
        """``expr AS name`` for each column, over a row with the given event columns."""
        matches = [sc.event_condition(rule, cols) for rule in self.rules]
        page_or_track = f"{cols.type} IN ('page', 'track')"
        items = []
        for m in range(self.n_masks):
            terms = [
                f"(CASE WHEN {cond} THEN {1 << (i - m * RULES_PER_MASK)} ELSE 0 END)::UBIGINT"
                for i, cond in enumerate(matches)
                if i // RULES_PER_MASK == m
            ]
            bits = " | ".join(terms) or "0"
            items.append(f"(CASE WHEN {page_or_track} THEN {bits} ELSE 0 END)::UBIGINT AS mask_{m}")
        unsure = " OR ".join(f"({m}) IS NULL" for m in matches) or "FALSE"
        items.append(f"(CASE WHEN {page_or_track} THEN coalesce({unsure}, TRUE) ELSE FALSE END) AS match_unsure")
        cases = " ".join(f"WHEN {sc.text(name)} THEN {i}" for i, name in enumerate(self.watched))
        watched = (
            f"(CASE WHEN {cols.type} = 'track' THEN CASE {cols.event} {cases} ELSE -1 END ELSE -1 END)"
            if cases
            else "-1"
        )
        items.append(f"CAST({watched} AS SMALLINT) AS watched_code")
        return items
