"""Reading a lead's stage history the way every report does.

The history is the engine's record of stage entries (fast-tracked skips included, so that
conversion stays coherent). Two readings are shared here so that the waterfall, the trend and
the back-test cannot drift apart:

* *progression* — did a lead that entered stage A later (or at the same moment) enter stage B,
  and how long after its first entry into A;
* *MQL episodes* — each entry into ``mql`` is a hand-over to sales; the episode lasts until the
  lead's next entry into ``mql`` and converts if ``sql`` (or ``customer``) is entered inside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from leadpact.domain.results import LeadResult, StageEntry


def entered_funnel_at(lead: LeadResult) -> int:
    """When the lead entered the funnel: its first history entry (created_at if it has none)."""
    return lead.history[0].at if lead.history else lead.created_at


def first_entry(lead: LeadResult, stage: str, not_before: int | None = None) -> StageEntry | None:
    """The lead's first entry into ``stage`` (at or after ``not_before`` when given)."""
    for entry in lead.history:
        if entry.stage == stage and (not_before is None or entry.at >= not_before):
            return entry
    return None


def reached(lead: LeadResult, stage: str) -> bool:
    return any(entry.stage == stage for entry in lead.history)


def progression_us(lead: LeadResult, from_stage: str, to_stage: str) -> int | None:
    """Time from the first entry into ``from_stage`` to the first entry into ``to_stage`` at
    or after it; None when the lead did not progress. Fast-tracked stages share the
    timestamp of the stage actually reached, so a skip contributes 0."""
    start = first_entry(lead, from_stage)
    if start is None:
        return None
    end = first_entry(lead, to_stage, not_before=start.at)
    return None if end is None else end.at - start.at


@dataclass(frozen=True, slots=True)
class MqlEpisode:
    """One hand-over: an entry into ``mql`` and what followed before the next one."""

    lead_id: str
    at: int
    fast_track: bool
    sql_at: int | None
    customer_at: int | None


def mql_episodes(lead: LeadResult) -> list[MqlEpisode]:
    entries = [e for e in lead.history if e.stage == "mql"]
    episodes = []
    for index, entry in enumerate(entries):
        until = entries[index + 1].at if index + 1 < len(entries) else None
        episodes.append(
            MqlEpisode(
                lead.lead_id,
                entry.at,
                entry.fast_track,
                _first_between(lead.history, "sql", entry.at, until),
                _first_between(lead.history, "customer", entry.at, until),
            )
        )
    return episodes


def _first_between(history: Iterable[StageEntry], stage: str, start: int, until: int | None) -> int | None:
    for entry in history:
        if entry.stage == stage and entry.at >= start and (until is None or entry.at < until):
            return entry.at
    return None
