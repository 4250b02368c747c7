"""The work queue / SLA board: every SLA clock still running, who should act, and how late.

A clock is *neglected* once the moment is past its deadline and nobody stopped it (the SLA
report's definition), *due soon* when its deadline falls within :data:`DUE_SOON_US`. Hot leads
come first in each list, then the most overdue (neglected) or the soonest due (the rest): an
inside-sales rep works from the top. Lateness in business days is left to the caller for the
rows it shows, since a clock neglected for months costs a walk over every day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from leadpact.domain.agreement import Agreement
from leadpact.domain.results import LeadResult, SlaClock
from leadpact.domain.timeutil import US_PER_HOUR

DUE_SOON_US: Final = 24 * US_PER_HOUR
NO_OWNER: Final = ""
"""Owner and team key of unassigned leads (shown as "unassigned")."""


@dataclass(frozen=True, slots=True)
class QueueItem:
    lead: LeadResult
    clock: SlaClock
    team: str | None
    late_us: int
    """The moment minus the deadline: positive when overdue, negative = time left."""

    @property
    def overdue(self) -> bool:
        return self.late_us > 0

    @property
    def due_soon(self) -> bool:
        return -DUE_SOON_US <= self.late_us <= 0


@dataclass(frozen=True, slots=True)
class QueueFilter:
    owner: str | None = None
    """A person; :data:`NO_OWNER` for unassigned leads."""
    team: str | None = None
    sla: str | None = None
    department: str | None = None
    hot_only: bool = False

    def matches(self, item: QueueItem) -> bool:
        lead, clock = item.lead, item.clock
        return (
            (self.owner is None or (lead.owner or NO_OWNER) == self.owner)
            and (self.team is None or (item.team or NO_OWNER) == self.team)
            and (self.sla is None or clock.id == self.sla)
            and (self.department is None or clock.owner == self.department)
            and (not self.hot_only or lead.hot)
        )


@dataclass(frozen=True, slots=True)
class Load:
    """Open clocks of one person or team."""

    key: str
    overdue: int
    due_soon: int
    running: int


@dataclass(frozen=True, slots=True)
class WorkQueue:
    as_of: int
    neglected: tuple[QueueItem, ...]
    upcoming: tuple[QueueItem, ...]
    by_owner: tuple[Load, ...]
    by_team: tuple[Load, ...]
    owners: tuple[str, ...]
    teams: tuple[str, ...]
    slas: tuple[str, ...]


def teams_of(agreement: Agreement) -> dict[str, str]:
    """member → team, from the agreement's assignment rules (first team named wins)."""
    teams: dict[str, str] = {}
    for rule in agreement.assignment:
        for member in rule.members:
            teams.setdefault(member, rule.team)
    return teams


def lead_team(lead: LeadResult, teams: Mapping[str, str]) -> str | None:
    """The team of the lead's last engine assignment; else the owner's team in the agreement."""
    for assignment in reversed(lead.assignments):
        if assignment.team is not None:
            return assignment.team
    return teams.get(lead.owner) if lead.owner else None


def open_items(leads: Iterable[LeadResult], as_of: int, teams: Mapping[str, str]) -> list[QueueItem]:
    """Every clock running as of ``as_of`` (started by then, not stopped, not cancelled)."""
    items = []
    for lead in leads:
        for clock in lead.sla:
            if clock.stopped_at is None and not clock.cancelled and clock.started_at <= as_of:
                items.append(QueueItem(lead, clock, lead_team(lead, teams), as_of - clock.deadline))
    return items


def work_queue(
    leads: Iterable[LeadResult], as_of: int, agreement: Agreement, flt: QueueFilter = QueueFilter()
) -> WorkQueue:
    items = open_items(leads, as_of, teams_of(agreement))
    chosen = [item for item in items if flt.matches(item)]
    neglected = sorted(
        (i for i in chosen if i.overdue), key=lambda i: (not i.lead.hot, -i.late_us, i.lead.lead_id, i.clock.id)
    )
    upcoming = sorted(
        (i for i in chosen if not i.overdue), key=lambda i: (not i.lead.hot, i.clock.deadline, i.lead.lead_id)
    )
    return WorkQueue(
        as_of,
        tuple(neglected),
        tuple(upcoming),
        _loads(chosen, lambda i: i.lead.owner or NO_OWNER),
        _loads(chosen, lambda i: i.team or NO_OWNER),
        tuple(sorted({i.lead.owner or NO_OWNER for i in items})),
        tuple(sorted({i.team or NO_OWNER for i in items})),
        tuple(dict.fromkeys([rule.id for rule in agreement.sla] + sorted({i.clock.id for i in items}))),
    )


def _loads(items: Iterable[QueueItem], key_of: Callable[[QueueItem], str]) -> tuple[Load, ...]:
    overdue: Counter[str] = Counter()
    soon: Counter[str] = Counter()
    running: Counter[str] = Counter()
    for item in items:
        key = key_of(item)
        running[key] += 1
        overdue[key] += item.overdue
        soon[key] += item.due_soon
    return tuple(
        Load(key, overdue[key], soon[key], running[key])
        for key in sorted(running, key=lambda k: (-overdue[k], -soon[k], -running[k], k))
    )
