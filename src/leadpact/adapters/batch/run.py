"""What a batch run returns, whichever engine ran it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadpact.adapters.batch.reader import BadRow
from leadpact.domain.results import LeadResult, RefusedAction


@dataclass(slots=True)
class RunStats:
    rows: int = 0
    """Input rows read (blank lines excluded)."""
    duplicates: int = 0
    after_as_of: int = 0
    unlinked_anonymous: int = 0
    python_rows: int = 0
    """Input rows only ``parse_message`` could read."""
    leads: int = 0
    quiet_leads: int = 0
    """Leads finished in SQL without the per-lead replay."""
    replayed_rows: int = 0
    """Rows fed to the per-lead replay (reduced and exact leads)."""
    exact_leads: int = 0


@dataclass(slots=True)
class BatchRun:
    engine: str
    as_of: int
    results: Any
    """Arrow table, one row per lead, sorted by lead id (``results_table.result_schema``)."""
    unknown_lead_actions: list[tuple[str, RefusedAction]] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)
    stats: RunStats = field(default_factory=RunStats)
    leads: list[LeadResult] | None = None
    """The engine's own lead objects when it has them (the reference replay), sorted by lead
    id, so readers that want ``LeadResult`` objects do not rebuild them from ``results``."""
