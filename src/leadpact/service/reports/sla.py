"""SLA compliance per SLA, per SLA owner and per person, and the neglected-leads list.

A clock belongs to the report when it started inside the scope's period (and not after the
as-of moment). The neglected list holds the clocks that are still running past their deadline
as of the report: the leads somebody should be working on right now.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from leadpact.domain.results import LeadResult, SlaClock
from leadpact.domain.timeutil import from_us
from leadpact.service.reports.scope import ReportScope
from leadpact.service.reports.sla_tally import SlaTally

UNASSIGNED: Final = "(unassigned)"


@dataclass(frozen=True, slots=True)
class SlaRow:
    sla_id: str
    owner: str
    """The department that owns the SLA."""
    person: str | None
    """The assignee responsible (per-person rows only; None on per-SLA rows)."""
    tally: SlaTally


@dataclass(frozen=True, slots=True)
class NeglectedLead:
    lead_id: str
    sla_id: str
    owner: str
    person: str
    """The lead's current owner: the person who should act now; :data:`UNASSIGNED` when nobody
    owns it (as on the per-person rows)."""
    stage: str
    started_at: int
    deadline: int
    late_us: int
    late_business_days: int
    """Business days after the deadline's local date, up to and including the as-of date."""


@dataclass(frozen=True, slots=True)
class SlaReport:
    scope: ReportScope
    by_sla: tuple[SlaRow, ...]
    by_person: tuple[SlaRow, ...]
    neglected: tuple[NeglectedLead, ...]


def sla_report(leads: Iterable[LeadResult], scope: ReportScope) -> SlaReport:
    clocks = [
        (lead, clock)
        for lead in sorted(leads, key=lambda lead: lead.lead_id)
        for clock in lead.sla
        if scope.contains(clock.started_at) and clock.started_at <= scope.as_of
    ]
    order = _sla_order(scope, (clock for _, clock in clocks))
    per_sla: dict[tuple[str, str], list[SlaClock]] = {key: [] for key in order}
    per_person: dict[tuple[str, str, str], list[SlaClock]] = defaultdict(list)
    for lead, clock in clocks:
        per_sla[(clock.id, clock.owner)].append(clock)
        per_person[(clock.id, clock.owner, _person_at(lead, clock.started_at))].append(clock)
    by_sla = tuple(
        SlaRow(sla_id, owner, None, SlaTally.of(per_sla[(sla_id, owner)], scope.as_of)) for sla_id, owner in order
    )
    rank = {key: index for index, key in enumerate(order)}
    by_person = tuple(
        SlaRow(sla_id, owner, person, SlaTally.of(group, scope.as_of))
        for (sla_id, owner, person), group in sorted(
            per_person.items(), key=lambda item: (rank[item[0][:2]], item[0][2])
        )
    )
    neglected = sorted(
        (_neglected(lead, clock, scope) for lead, clock in clocks if _is_neglected(clock, scope.as_of)),
        key=lambda row: (-row.late_us, row.lead_id, row.sla_id),
    )
    return SlaReport(scope, by_sla, by_person, tuple(neglected))


def _sla_order(scope: ReportScope, clocks: Iterable[SlaClock]) -> list[tuple[str, str]]:
    """The agreement's SLAs in agreement order, then any other SLA found on clocks (written
    under an earlier agreement version) by id."""
    order = list(scope.slas)
    extra = sorted({(clock.id, clock.owner) for clock in clocks} - set(order))
    return order + extra


def _is_neglected(clock: SlaClock, as_of: int) -> bool:
    return not clock.cancelled and clock.stopped_at is None and as_of > clock.deadline


def _person_at(lead: LeadResult, at: int) -> str:
    """The assignee in effect when the clock started (the assignment at the same moment
    counts: the engine assigns an MQL at its MQL timestamp); else the lead's owner."""
    person = None
    for assignment in sorted(lead.assignments, key=lambda a: a.at):
        if assignment.at <= at and assignment.owner is not None:
            person = assignment.owner
    return person or lead.owner or UNASSIGNED


def _neglected(lead: LeadResult, clock: SlaClock, scope: ReportScope) -> NeglectedLead:
    return NeglectedLead(
        lead.lead_id,
        clock.id,
        clock.owner,
        lead.owner or UNASSIGNED,
        lead.stage,
        clock.started_at,
        clock.deadline,
        scope.as_of - clock.deadline,
        business_days_between(clock.deadline, scope.as_of, scope),
    )


def business_days_between(after_us: int, until_us: int, scope: ReportScope) -> int:
    """Business days whose local date is after ``after_us``'s and at most ``until_us``'s."""
    day = from_us(after_us, scope.zone).date()
    last = from_us(until_us, scope.zone).date()
    count = 0
    while day < last:
        day += timedelta(days=1)
        count += scope.calendar.is_business_day(day)
    return count
