"""The work queue's order and grouping (pure): neglected clocks hot first then most overdue,
the rest hot first then soonest due; loads per person and team."""

from __future__ import annotations

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.domain.results import Assignment, LeadResult, SlaClock
from leadpact.domain.timeutil import US_PER_HOUR
from leadpact.service.dashboard.queue import NO_OWNER, QueueFilter, lead_team, teams_of, work_queue

NOW = 1_000 * US_PER_HOUR


def _lead(lead_id: str, deadline_hours: float, *, hot: bool = False, owner: str | None = "is_sato",
          team: str | None = "smb_is", sla: str = "first_contact", stopped: bool = False) -> LeadResult:  # fmt: skip
    deadline = NOW + int(deadline_hours * US_PER_HOUR)
    clock = SlaClock(sla, "inside_sales", NOW - 100 * US_PER_HOUR, deadline, NOW if stopped else None)
    assignments = [Assignment(NOW - 100 * US_PER_HOUR, "c", team, owner, "system", "system")] if owner else []
    return LeadResult(lead_id, "mql", "marketing", 0, hot=hot, owner=owner, sla=[clock], assignments=assignments)


def test_neglected_hot_first_then_most_overdue_and_the_rest_by_deadline() -> None:
    leads = [
        _lead("late-a-little", -1),
        _lead("late-a-lot", -50),
        _lead("hot-late", -2, hot=True),
        _lead("due-tomorrow", 30),
        _lead("due-soon", 3),
        _lead("hot-later", 40, hot=True),
        _lead("done", -10, stopped=True),
    ]
    queue = work_queue(leads, NOW, default_agreement())
    assert [i.lead.lead_id for i in queue.neglected] == ["hot-late", "late-a-lot", "late-a-little"]
    assert [i.lead.lead_id for i in queue.upcoming] == ["hot-later", "due-soon", "due-tomorrow"]
    assert [i.due_soon for i in queue.upcoming] == [False, True, False]


def test_loads_per_person_and_team_busiest_first() -> None:
    leads = [
        _lead("a", -5, owner="is_ito"),
        _lead("b", 5, owner="is_sato"),
        _lead("c", -5, owner="is_ito"),
        _lead("d", 5, owner=None, team=None),
        _lead("e", 5, owner="is_tanaka", team="enterprise_is"),
    ]
    queue = work_queue(leads, NOW, default_agreement())
    assert [(load.key, load.overdue, load.due_soon, load.running) for load in queue.by_owner] == [
        ("is_ito", 2, 0, 2),
        (NO_OWNER, 0, 1, 1),
        ("is_sato", 0, 1, 1),
        ("is_tanaka", 0, 1, 1),
    ]
    assert [(load.key, load.running) for load in queue.by_team] == [("smb_is", 3), (NO_OWNER, 1), ("enterprise_is", 1)]


def test_filters_by_person_team_sla_and_hot() -> None:
    leads = [_lead("a", -5, owner="is_ito"), _lead("b", 5, hot=True), _lead("c", 5, sla="meeting")]
    agreement = default_agreement()
    assert [i.lead.lead_id for i in work_queue(leads, NOW, agreement, QueueFilter(owner="is_ito")).neglected] == ["a"]
    hot = work_queue(leads, NOW, agreement, QueueFilter(hot_only=True))
    assert [i.lead.lead_id for i in (*hot.neglected, *hot.upcoming)] == ["b"]
    meeting = work_queue(leads, NOW, agreement, QueueFilter(sla="meeting"))
    assert [i.lead.lead_id for i in meeting.upcoming] == ["c"]
    assert work_queue(leads, NOW, agreement, QueueFilter(team=NO_OWNER)).upcoming == ()


def test_team_comes_from_the_assignment_else_from_the_agreement() -> None:
    teams = teams_of(default_agreement())
    assert teams["is_tanaka"] == "enterprise_is"
    manual = LeadResult("m", "sal", "marketing", 0, owner="is_kato",
                        assignments=[Assignment(0, "c", None, "is_kato", "mkt", "marketing")])  # fmt: skip
    assert lead_team(manual, teams) == "smb_is"
    assert lead_team(LeadResult("x", "mal", "marketing", 0), teams) is None
