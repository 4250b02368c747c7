"""The agreement back-test (SPEC §6): replay one event history under the current and the
proposed agreement and compare what the hand-off would have looked like.

Both runs see exactly the same messages, human actions included, replayed as they happened.
An action that the proposal makes invalid (accepting a lead that is no longer an MQL) is
refused by the replay and listed here, never an error. Outcomes (wins, losses) are the ones
recorded, so "MQL→customer under the proposal" means: of the leads the proposal would have
handed over, how many actually became customers.

Counting follows the reports (docs/reports.md): a hand-over is an entry into ``mql``; it
converts when the lead enters ``sql`` (or ``customer``) before its next MQL entry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from leadpact.domain.agreement import Agreement
from leadpact.domain.messages import Message
from leadpact.domain.replay import replay
from leadpact.domain.results import LeadResult, RefusedAction
from leadpact.domain.timeutil import from_us
from leadpact.service.reports.history import entered_funnel_at, first_entry, mql_episodes
from leadpact.service.reports.stats import rate

CHANGE_KINDS: Final = ("earlier", "later", "not_at_all", "newly", "stage_differs")
"""How a lead's hand-over differs under the proposal: handed over earlier, later, not at all,
newly (only under the proposal), or handed over at the same moment but ending elsewhere."""


@dataclass(frozen=True, slots=True)
class Window:
    """What the comparison counts: ``start`` inclusive, ``end`` exclusive, both optional."""

    as_of: int
    zone: ZoneInfo
    start: int | None = None
    end: int | None = None

    def contains(self, at: int) -> bool:
        inside = (self.start is None or at >= self.start) and (self.end is None or at < self.end)
        return inside and at <= self.as_of


@dataclass(frozen=True, slots=True)
class Side:
    """One agreement's totals over the window."""

    name: str
    version: str
    mql: int
    """Hand-overs (entries into ``mql``)."""
    mql_leads: int
    converted_to_sql: int
    converted_to_customer: int
    sla_clocks: int
    refused_actions: int

    @property
    def mql_to_sql(self) -> float | None:
        return rate(self.converted_to_sql, self.mql)

    @property
    def mql_to_customer(self) -> float | None:
        return rate(self.converted_to_customer, self.mql)


@dataclass(frozen=True, slots=True)
class WeekRow:
    week: date
    """The Monday the week starts on, in the current agreement's timezone."""
    current: int
    proposed: int


@dataclass(frozen=True, slots=True)
class SlaLoadRow:
    week: date
    owner: str
    current: int
    proposed: int


@dataclass(frozen=True, slots=True)
class LeadChange:
    lead_id: str
    change: str
    current_mql_at: int | None
    proposed_mql_at: int | None
    current_stage: str | None
    proposed_stage: str | None

    @property
    def shift_us(self) -> int | None:
        """Proposed minus current hand-over time (negative: earlier)."""
        if self.current_mql_at is None or self.proposed_mql_at is None:
            return None
        return self.proposed_mql_at - self.current_mql_at


@dataclass(frozen=True, slots=True)
class RefusedRow:
    lead_id: str
    refused: RefusedAction


@dataclass(frozen=True, slots=True)
class BacktestReport:
    window: Window
    current: Side
    proposed: Side
    weeks: tuple[WeekRow, ...]
    sla_load: tuple[SlaLoadRow, ...]
    changes: tuple[LeadChange, ...]
    refused_proposed_only: tuple[RefusedRow, ...]
    refused_current_only: tuple[RefusedRow, ...]

    @property
    def identical(self) -> bool:
        same_totals = _totals(self.current) == _totals(self.proposed)
        same_weeks = all(w.current == w.proposed for w in self.weeks) and all(
            s.current == s.proposed for s in self.sla_load
        )
        quiet = not (self.changes or self.refused_proposed_only or self.refused_current_only)
        return same_totals and same_weeks and quiet

    def change_counts(self) -> dict[str, int]:
        counts = Counter(change.change for change in self.changes)
        return {kind: counts[kind] for kind in CHANGE_KINDS}


def backtest(
    messages: Sequence[Message],
    current: Agreement,
    proposed: Agreement,
    as_of: int,
    start: int | None = None,
    end: int | None = None,
) -> BacktestReport:
    """Replay ``messages`` under both agreements and compare them (the API and CLI call this)."""
    window = Window(as_of, current.zone, start, end)
    cur, prop = replay(messages, current, as_of).leads, replay(messages, proposed, as_of).leads
    return compare(cur, prop, current, proposed, window)


def compare(
    cur: Mapping[str, LeadResult],
    prop: Mapping[str, LeadResult],
    current: Agreement,
    proposed: Agreement,
    window: Window,
) -> BacktestReport:
    """The comparison of the same history's leads (by lead id) under both agreements, however
    they were computed (the reference replay or a batch engine)."""
    return BacktestReport(
        window,
        _side(current, cur.values(), window),
        _side(proposed, prop.values(), window),
        _weeks(cur.values(), prop.values(), window),
        _sla_load(cur.values(), prop.values(), window),
        _changes(cur, prop, window),
        _refused_only(prop, cur, window),
        _refused_only(cur, prop, window),
    )


def _totals(side: Side) -> tuple[int, ...]:
    return (side.mql, side.mql_leads, side.converted_to_sql, side.converted_to_customer, side.sla_clocks,
            side.refused_actions)  # fmt: skip


def _side(agreement: Agreement, leads: Iterable[LeadResult], window: Window) -> Side:
    mql = leads_with_mql = to_sql = to_customer = clocks = refused = 0
    for lead in leads:
        episodes = [e for e in mql_episodes(lead) if window.contains(e.at)]
        mql += len(episodes)
        leads_with_mql += bool(episodes)
        to_sql += sum(e.sql_at is not None for e in episodes)
        to_customer += sum(e.customer_at is not None for e in episodes)
        clocks += sum(window.contains(c.started_at) for c in lead.sla)
        refused += sum(window.contains(r.at) for r in lead.errors)
    return Side(agreement.name, agreement.version, mql, leads_with_mql, to_sql, to_customer, clocks, refused)


def week_of(at: int, zone: ZoneInfo) -> date:
    """The Monday of ``at``'s ISO week, in ``zone``."""
    day = from_us(at, zone).date()
    return day - timedelta(days=day.weekday())


def _weeks(current: Iterable[LeadResult], proposed: Iterable[LeadResult], window: Window) -> tuple[WeekRow, ...]:
    def count(leads: Iterable[LeadResult]) -> Counter[date]:
        return Counter(
            week_of(e.at, window.zone) for lead in leads for e in mql_episodes(lead) if window.contains(e.at)
        )

    cur, prop = count(current), count(proposed)
    return tuple(WeekRow(week, cur[week], prop[week]) for week in _week_range(window, cur.keys() | prop.keys()))


def _sla_load(current: Iterable[LeadResult], proposed: Iterable[LeadResult], window: Window) -> tuple[SlaLoadRow, ...]:
    def count(leads: Iterable[LeadResult]) -> Counter[tuple[date, str]]:
        return Counter(
            (week_of(c.started_at, window.zone), c.owner)
            for lead in leads
            for c in lead.sla
            if window.contains(c.started_at)
        )

    cur, prop = count(current), count(proposed)
    owners = sorted({owner for _, owner in cur.keys() | prop.keys()})
    weeks = _week_range(window, {week for week, _ in cur.keys() | prop.keys()})
    return tuple(SlaLoadRow(week, owner, cur[(week, owner)], prop[(week, owner)]) for week in weeks for owner in owners)


def _week_range(window: Window, seen: Iterable[date]) -> list[date]:
    """Every week from the first to the last, so a chart has no silent gaps."""
    bounds = set(seen)
    if bounds and window.start is not None:
        bounds.add(week_of(window.start, window.zone))
    if bounds and window.end is not None:
        bounds.add(week_of(min(window.end - 1, window.as_of), window.zone))
    if not bounds:
        return []
    weeks, week = [], min(bounds)
    while week <= max(bounds):
        weeks.append(week)
        week += timedelta(days=7)
    return weeks


def _changes(
    current: Mapping[str, LeadResult], proposed: Mapping[str, LeadResult], window: Window
) -> tuple[LeadChange, ...]:
    changes = []
    for lead_id in sorted(current.keys() | proposed.keys()):
        cur, prop = current.get(lead_id), proposed.get(lead_id)
        cur_mql = _first_mql(cur)
        prop_mql = _first_mql(prop)
        relevant = [t for t in (cur_mql, prop_mql) if t is not None]
        anchor = cur or prop
        if not relevant and anchor is not None:
            relevant = [entered_funnel_at(anchor)]  # a lead never handed over: when it arrived
        if not any(window.contains(t) for t in relevant):
            continue
        kind = _change_kind(cur, prop, cur_mql, prop_mql)
        if kind is not None:
            changes.append(
                LeadChange(lead_id, kind, cur_mql, prop_mql, cur.stage if cur else None, prop.stage if prop else None)
            )
    return tuple(changes)


def _first_mql(lead: LeadResult | None) -> int | None:
    entry = first_entry(lead, "mql") if lead is not None else None
    return entry.at if entry is not None else None


def _change_kind(
    cur: LeadResult | None, prop: LeadResult | None, cur_mql: int | None, prop_mql: int | None
) -> str | None:
    if cur_mql is not None and prop_mql is None:
        return "not_at_all"
    if cur_mql is None and prop_mql is not None:
        return "newly"
    if cur_mql is not None and prop_mql is not None and cur_mql != prop_mql:
        return "earlier" if prop_mql < cur_mql else "later"
    if _path(cur) != _path(prop):
        return "stage_differs"
    return None


def _path(lead: LeadResult | None) -> tuple[object, ...]:
    """Where the lead went and when: the sequence of (stage, time) plus its final stage."""
    if lead is None:
        return ()
    return (lead.stage, *((e.stage, e.at) for e in lead.history))


def _refused_only(
    side: Mapping[str, LeadResult], other: Mapping[str, LeadResult], window: Window
) -> tuple[RefusedRow, ...]:
    """Actions refused in ``side`` but not in ``other`` (matched by message id)."""
    rows = []
    for lead_id in sorted(side):
        refused_there = {r.message_id for r in other[lead_id].errors} if lead_id in other else set()
        rows += [
            RefusedRow(lead_id, r)
            for r in side[lead_id].errors
            if r.message_id not in refused_there and window.contains(r.at)
        ]
    return tuple(rows)
