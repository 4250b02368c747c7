"""The demand waterfall (SPEC §6): counts per stage, conversion and lead time between stages,
split by origin and by segment, with the responsibility view.

Semantics (docs/reports.md has the full text):

* cohort — leads whose first history entry falls in the scope's period;
* reached — the lead has any history entry in that stage (fast-tracked entries count);
* converted A→B — the lead entered B at or after its first entry into A; conversion is
  converted / reached(A), so sales-generated leads (which enter at ``sql``) never inflate the
  marketing stages' rates;
* lead time A→B — first entry into B (at or after A) minus first entry into A; a fast-tracked
  skip has the same timestamp as the stage reached, so it adds 0.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

from leadpact.domain.lead_replay import SYSTEM
from leadpact.domain.lifecycle import STAGE_ORDER
from leadpact.domain.results import LeadResult, StageEntry
from leadpact.service.reports.history import entered_funnel_at, first_entry, progression_us
from leadpact.service.reports.scope import ReportScope
from leadpact.service.reports.segments import segment_values
from leadpact.service.reports.sla_tally import SlaTally
from leadpact.service.reports.stats import DurationSummary, rate

TRANSITIONS: Final = tuple(pairwise(STAGE_ORDER))

TRANSITION_OWNERS: Final = {
    ("lead", "mal"): "marketing",
    ("mal", "mql"): "marketing",
    ("mql", "sal"): "marketing",
    ("sal", "sql"): "inside_sales",
    ("sql", "opportunity"): "field_sales",
    ("opportunity", "customer"): "field_sales",
}
"""Who answers for a drop at each step. MQL→SAL is marketing's (lead quality: sales declined
what marketing handed over), SAL→SQL inside sales' follow-up, SQL onwards field sales'."""

_OUTSIDE_FUNNEL: Final = frozenset({"disqualified", "lost"})
NO_REASON: Final = "(no reason)"
EXCLUDED: Final = "(exclusion rule)"
"""The reason of the engine's own disqualifications at the exclusion gate; the rule that closed
the gate is kept beside it (:attr:`ExitReason.rule`), so the gate is never mistaken for a
person's reason text."""
ORIGINS: Final = ("marketing", "sales")


@dataclass(frozen=True, slots=True)
class StageCount:
    stage: str
    reached: int
    fast_tracked: int
    """Leads whose first entry into this stage was a fast-tracked skip."""


@dataclass(frozen=True, slots=True)
class Transition:
    from_stage: str
    to_stage: str
    entered: int
    """Leads that reached ``from_stage`` (the denominator)."""
    converted: int
    waiting: int
    """Not converted and still in ``from_stage`` as of the report: undecided, not lost."""
    lead_time: DurationSummary

    @property
    def exited(self) -> int:
        """Not converted and no longer waiting: rejected, recycled, lost or disqualified."""
        return self.entered - self.converted - self.waiting

    @property
    def conversion(self) -> float | None:
        return rate(self.converted, self.entered)


@dataclass(frozen=True, slots=True)
class Funnel:
    leads: int
    stages: tuple[StageCount, ...]
    transitions: tuple[Transition, ...]
    disqualified: int
    lost: int
    """Leads with at least one ``lost`` entry (a lost opportunity)."""


@dataclass(frozen=True, slots=True)
class SegmentFunnel:
    value: str
    funnel: Funnel


@dataclass(frozen=True, slots=True)
class ExitReason:
    reason: str
    """The reason text recorded by a person, :data:`NO_REASON`, or :data:`EXCLUDED` for the gate."""
    rule: str | None
    """The exclusion rule id behind an :data:`EXCLUDED` exit (None when unknown or not the gate)."""
    count: int


@dataclass(frozen=True, slots=True)
class Responsibility:
    transition: Transition
    owner: str
    sla_ids: tuple[str, ...]
    sla: SlaTally
    """The owner's SLA clocks on the cohort's leads, as of the report."""
    exit_reasons: tuple[ExitReason, ...]
    """Reasons recorded when leads left ``from_stage`` backwards (reject, recycle, lose,
    disqualify), most frequent first."""


@dataclass(frozen=True, slots=True)
class WaterfallReport:
    scope: ReportScope
    overall: Funnel
    by_origin: tuple[tuple[str, Funnel], ...]
    segment_kind: str | None
    segments: tuple[SegmentFunnel, ...]
    responsibility: tuple[Responsibility, ...]


def cohort(leads: Iterable[LeadResult], scope: ReportScope) -> list[LeadResult]:
    """Leads that entered the funnel in the scope's period, sorted by lead id."""
    chosen = [lead for lead in leads if scope.contains(entered_funnel_at(lead))]
    return sorted(chosen, key=lambda lead: lead.lead_id)


def waterfall(leads: Iterable[LeadResult], scope: ReportScope, by: str | None = None) -> WaterfallReport:
    members = cohort(leads, scope)
    overall = funnel(members)
    by_origin = tuple((origin, funnel([m for m in members if m.origin == origin])) for origin in ORIGINS)
    segments: tuple[SegmentFunnel, ...] = ()
    if by is not None:
        groups: dict[str, list[LeadResult]] = defaultdict(list)
        for lead in members:
            for value in segment_values(lead, by, scope.zone):
                groups[value].append(lead)
        ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
        segments = tuple(SegmentFunnel(value, funnel(group)) for value, group in ordered)
    responsibility = tuple(_responsibility(t, members, scope) for t in overall.transitions)
    return WaterfallReport(scope, overall, by_origin, by, segments, responsibility)


def funnel(leads: Sequence[LeadResult]) -> Funnel:
    stages = tuple(_stage_count(leads, stage) for stage in STAGE_ORDER)
    transitions = tuple(_transition(leads, a, b) for a, b in TRANSITIONS)
    disqualified = sum(1 for lead in leads if first_entry(lead, "disqualified") is not None)
    lost = sum(1 for lead in leads if first_entry(lead, "lost") is not None)
    return Funnel(len(leads), stages, transitions, disqualified, lost)


def _stage_count(leads: Sequence[LeadResult], stage: str) -> StageCount:
    reached = fast = 0
    for lead in leads:
        entry = first_entry(lead, stage)
        if entry is not None:
            reached += 1
            fast += entry.fast_track
    return StageCount(stage, reached, fast)


def _transition(leads: Sequence[LeadResult], from_stage: str, to_stage: str) -> Transition:
    entered = waiting = 0
    durations: list[int] = []
    for lead in leads:
        if first_entry(lead, from_stage) is None:
            continue
        entered += 1
        duration = progression_us(lead, from_stage, to_stage)
        if duration is not None:
            durations.append(duration)
        elif lead.stage == from_stage:
            waiting += 1
    return Transition(from_stage, to_stage, entered, len(durations), waiting, DurationSummary.of(durations))


def _responsibility(transition: Transition, leads: Sequence[LeadResult], scope: ReportScope) -> Responsibility:
    owner = TRANSITION_OWNERS[(transition.from_stage, transition.to_stage)]
    sla_ids = tuple(sla_id for sla_id, sla_owner in scope.slas if sla_owner == owner)
    clocks = [clock for lead in leads for clock in lead.sla if clock.owner == owner]
    reasons = Counter(
        _reason(entry)
        for lead in leads
        for entry in lead.history
        if entry.from_stage == transition.from_stage and _is_exit(entry.stage, entry.from_stage)
    )
    ordered = sorted(reasons.items(), key=lambda item: (-item[1], item[0][0], item[0][1] or ""))
    exits = tuple(ExitReason(reason, rule, count) for (reason, rule), count in ordered)
    return Responsibility(transition, owner, sla_ids, SlaTally.of(clocks, scope.as_of), exits)


def _is_exit(stage: str, from_stage: str) -> bool:
    """A move out of the funnel or back towards its start (reject, recycle, lose, disqualify)."""
    if stage in _OUTSIDE_FUNNEL:
        return True
    return stage in STAGE_ORDER and STAGE_ORDER.index(stage) < STAGE_ORDER.index(from_stage)


def _reason(entry: StageEntry) -> tuple[str, str | None]:
    """(reason, exclusion rule id). The engine records the rule id as the reason of a gate
    disqualification (entries stored by older versions have none); a person's disqualification
    carries the person's role and their own text."""
    if entry.stage == "disqualified" and entry.actor_role == SYSTEM:
        return EXCLUDED, entry.reason or None
    return entry.reason or NO_REASON, None
