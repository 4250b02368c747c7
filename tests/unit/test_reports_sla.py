"""SLA compliance and the neglected list on the hand-made history (report_histories.py),
as of Tue 2026-01-20 12:00 Tokyo."""

from __future__ import annotations

import csv
import io

import pytest
from report_histories import clock, end_of, january_cohort, lead, scope

from leadpact.domain.timeutil import US_PER_HOUR
from leadpact.service.reports import neglected_report, render, sla_report
from leadpact.service.reports.sla import business_days_between


def _tallies(rows):
    return {(r.sla_id, r.person): (r.tally.met, r.tally.breached, r.tally.running, r.tally.cancelled) for r in rows}


def test_compliance_per_sla_counts_every_status():
    report = sla_report(january_cohort(), scope())
    assert _tallies(report.by_sla) == {
        ("handoff", None): (3, 0, 0, 0),
        ("first_contact", None): (2, 1, 0, 0),  # D's clock is still running past its deadline
        ("meeting", None): (2, 1, 0, 0),
    }
    assert [r.owner for r in report.by_sla] == ["marketing", "inside_sales", "field_sales"]
    assert report.by_sla[1].tally.compliance == pytest.approx(2 / 3, abs=1e-6)


def test_a_clock_before_its_deadline_is_running_and_a_cancelled_one_is_not_due():
    h = lead(
        "H",
        [("lead", "01-19 09:00"), ("mal", "01-19 09:00"), ("mql", "01-19 10:00")],
        sla=[
            clock("handoff", "01-19 10:00", end_of("01-20")),
            clock("first_contact", "01-19 10:00", end_of("01-22"), "01-19 11:00", cancelled=True),
        ],
    )
    report = sla_report([h], scope())
    assert _tallies(report.by_sla)[("handoff", None)] == (0, 0, 1, 0)
    assert _tallies(report.by_sla)[("first_contact", None)] == (0, 0, 0, 1)
    assert report.by_sla[1].tally.compliance is None  # nothing decided yet
    assert report.neglected == ()


def test_per_person_rows_use_the_assignee_when_the_clock_started():
    report = sla_report(january_cohort(), scope())
    people = _tallies(report.by_person)
    assert people[("first_contact", "is_sato")] == (2, 0, 0, 0)
    assert people[("first_contact", "is_ito")] == (0, 1, 0, 0)
    assert people[("meeting", "is_kato")] == (0, 1, 0, 0)
    assert people[("meeting", "fs_yamada")] == (1, 0, 0, 0)  # the SGL's owner: no assignment


def test_neglected_lists_open_breached_clocks_latest_first_with_business_days():
    neglected = sla_report(january_cohort(), scope()).neglected
    assert [(n.lead_id, n.sla_id, n.person, n.stage) for n in neglected] == [
        ("B", "meeting", "is_kato", "sql"),
        ("D", "first_contact", "is_ito", "mql"),
    ]
    # B: deadline end of Wed 14th → Tue 20th 12:00 is 5 days 12 hours; Thu, Fri, Mon, Tue.
    assert neglected[0].late_us / US_PER_HOUR == pytest.approx(132.0)
    assert neglected[0].late_business_days == 4
    # D: deadline end of Thu 15th → Fri 16th, Mon 19th, Tue 20th.
    assert neglected[1].late_business_days == 3


def test_business_days_late_skip_weekends_and_public_holidays():
    s = scope()
    # From the end of Fri 9 Jan to Tue 13 Jan: Sat, Sun and the Coming of Age Day (12th) do not count.
    assert business_days_between(end_of("01-09"), end_of("01-13") - 1, s) == 1
    assert business_days_between(end_of("01-09"), end_of("01-09"), s) == 0


def test_period_keeps_clocks_started_inside_it():
    report = sla_report(january_cohort(), scope(start="01-09 00:00", end="01-10 00:00"))
    assert _tallies(report.by_sla) == {
        ("handoff", None): (1, 0, 0, 0),  # C
        ("first_contact", None): (1, 0, 0, 0),  # C
        ("meeting", None): (1, 0, 0, 0),  # F
    }
    assert report.neglected == ()


def test_sla_without_clocks_is_still_listed():
    report = sla_report([], scope())
    assert [r.sla_id for r in report.by_sla] == ["handoff", "first_contact", "meeting"]
    assert all(r.tally.total == 0 for r in report.by_sla)


def test_json_and_csv_carry_the_neglected_list():
    data = render(sla_report(january_cohort(), scope()), "json")
    assert isinstance(data, dict)
    assert data["neglected"][1] == {
        "lead_id": "D",
        "sla": "first_contact",
        "owner": "inside_sales",
        "person": "is_ito",
        "stage": "mql",
        "started_at": "2026-01-10T09:00:00+09:00",
        "deadline": "2026-01-15T23:59:59.999999+09:00",
        "late_hours": 108.0,
        "late_business_days": 3,
    }
    assert data["by_sla"][0] == {
        "sla": "handoff", "owner": "marketing", "met": 3, "breached": 0, "running": 0, "cancelled": 0,
        "total": 3, "compliance": 1.0,
    }  # fmt: skip
    text = render(neglected_report(january_cohort(), scope()), "csv")
    assert isinstance(text, str)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["lead_id"], r["late_business_days"]) for r in rows] == [("B", "4"), ("D", "3")]


def test_sla_csv_has_per_sla_and_per_person_rows():
    text = render(sla_report(january_cohort(), scope()), "csv")
    assert isinstance(text, str)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["level"] for r in rows].count("sla") == 3
    assert {"level": "person", "sla": "first_contact", "person": "is_ito", "breached": "1"}.items() <= next(
        r for r in rows if r["person"] == "is_ito" and r["sla"] == "first_contact"
    ).items()


def _ownerless_neglected_lead():
    """An MQL nobody was assigned to, whose first-contact clock ran out on Thu 15th."""
    return lead(
        "N",
        [("lead", "01-09 09:00"), ("mal", "01-09 09:00"), ("mql", "01-10 09:00")],
        sla=[clock("first_contact", "01-10 09:00", end_of("01-15"))],
    )


def test_a_neglected_lead_without_owner_is_unassigned_as_on_the_per_person_rows():
    report = sla_report([_ownerless_neglected_lead()], scope())
    assert [r.person for r in report.by_person] == ["(unassigned)"]
    assert [n.person for n in report.neglected] == ["(unassigned)"]
    data = render(neglected_report([_ownerless_neglected_lead()], scope()), "json")
    assert isinstance(data, dict)
    assert data["neglected"][0]["person"] == "(unassigned)"
    text = render(neglected_report([_ownerless_neglected_lead()], scope()), "csv")
    assert isinstance(text, str)
    assert [r["person"] for r in csv.DictReader(io.StringIO(text))] == ["(unassigned)"]


@pytest.mark.parametrize(("lang", "unassigned"), [("en", "(unassigned)"), ("ja", "(未割り当て)")])
def test_tables_name_nobody_responsible_in_the_tables_language(lang, unassigned):
    neglected = render(neglected_report([_ownerless_neglected_lead()], scope()), "table", lang)
    assert f"│ {unassigned} │" in neglected
    per_person = render(sla_report([_ownerless_neglected_lead()], scope()), "table", lang)
    assert per_person.count(f"│ {unassigned} │") == 2  # the per-person row and the neglected row
