"""SPEC §4.5 SLA clocks: business-day deadlines on the Japanese calendar (Coming of Age Day,
Golden Week, Silver Week), elapsed-time deadlines that do not skip weekends, statuses, and the
order of stopping and cancelling."""

from __future__ import annotations

from typing import Any

import pytest
from factories import (
    SMALL_STAFF,
    T0,
    action,
    clock,
    identify,
    jst,
    lead,
    lead_json,
    make_agreement,
    shift,
    to_mql,
    track,
    us,
)

from leadpact.domain.agreement import Agreement, Within
from leadpact.domain.calendar import BusinessCalendar, deadline


def _deadline(start: str, within: dict[str, int], agreement: Agreement | None = None) -> int:
    chosen = agreement or make_agreement()
    ((unit, amount),) = within.items()
    calendar = BusinessCalendar(chosen.business_calendar, chosen.company_holidays)
    return deadline(us(start), Within(unit, amount), chosen.zone, calendar)


def end_of(year: int, month: int, day: int) -> int:
    """23:59:59.999999 in Tokyo on that day."""
    return us(jst(year, month, day, 23, 59, 59, 999_999))


# --- business days on the JP calendar ---------------------------------------------------------


def test_spec_example_skips_coming_of_age_day() -> None:
    # Start Fri 2026-01-09 15:00 JST. Business days after the 9th: Sat 10 and Sun 11 are weekend,
    # Mon 12 is Coming of Age Day; Tue 13 = 1, Wed 14 = 2, Thu 15 = 3 → end of Thu 15.
    assert _deadline(jst(2026, 1, 9, 15), {"business_days": 3}) == end_of(2026, 1, 15)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Tue 28 Apr; Wed 29 is Shōwa Day: Thu 30 = 1.
        (jst(2026, 4, 28, 10), 1, (2026, 4, 30)),
        # Tue 28 Apr: Thu 30 = 1, Fri 1 May = 2; Sat 2, Sun 3 (Constitution Day), Mon 4 (Greenery
        # Day), Tue 5 (Children's Day), Wed 6 (substitute holiday) are off: Thu 7 = 3.
        (jst(2026, 4, 28, 10), 3, (2026, 5, 7)),
        # Fri 1 May: the next business day is Thu 7 May.
        (jst(2026, 5, 1, 17, 30), 1, (2026, 5, 7)),
        # Thu 30 Apr, 5 business days: Fri 1 = 1, Thu 7 = 2, Fri 8 = 3, Mon 11 = 4, Tue 12 = 5.
        (jst(2026, 4, 30, 9), 5, (2026, 5, 12)),
    ],
)
def test_golden_week_2026(start: str, days: int, due: tuple[int, int, int]) -> None:
    assert _deadline(start, {"business_days": days}) == end_of(*due)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Fri 18 Sep; Sat 19, Sun 20, Mon 21 (Respect for the Aged Day), Tue 22 (national
        # holiday between two holidays), Wed 23 (Autumnal Equinox Day) are off: Thu 24 = 1.
        (jst(2026, 9, 18, 17), 1, (2026, 9, 24)),
        # Thu 24 = 1, Fri 25 = 2, Mon 28 = 3.
        (jst(2026, 9, 18, 17), 3, (2026, 9, 28)),
    ],
)
def test_silver_week_2026(start: str, days: int, due: tuple[int, int, int]) -> None:
    assert _deadline(start, {"business_days": days}) == end_of(*due)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Starts on Coming of Age Day (Mon 12 Jan): counts from the next day, Tue 13 = 1.
        (jst(2026, 1, 12, 10), 1, (2026, 1, 13)),
        (jst(2026, 1, 12, 10), 3, (2026, 1, 15)),
        # Starts on Sunday 3 May (Constitution Day) in Golden Week: Thu 7 = 1.
        (jst(2026, 5, 3, 12), 1, (2026, 5, 7)),
        # Starts on Saturday 10 Jan: Tue 13 = 1.
        (jst(2026, 1, 10, 9), 1, (2026, 1, 13)),
    ],
)
def test_clock_starting_on_a_holiday_counts_from_the_next_business_day(
    start: str, days: int, due: tuple[int, int, int]
) -> None:
    assert _deadline(start, {"business_days": days}) == end_of(*due)


def test_business_days_count_from_the_local_date_of_the_start() -> None:
    # 2026-01-08T16:00Z is Fri 9 Jan 01:00 in Tokyo: counted from Friday the 9th (→ Thu 15),
    # not from Thursday the 8th in UTC (which would give Wed 14).
    assert _deadline("2026-01-08T16:00:00Z", {"business_days": 3}) == end_of(2026, 1, 15)


def test_company_holidays_are_not_business_days() -> None:
    agreement = make_agreement(company_holidays=["2026-01-13", "2026-01-14"])
    # Tue 13 and Wed 14 are company holidays: Thu 15 = 1, Fri 16 = 2, Mon 19 = 3.
    assert _deadline(jst(2026, 1, 9, 15), {"business_days": 3}, agreement) == end_of(2026, 1, 19)


def test_business_calendar_none_skips_weekends_only() -> None:
    agreement = make_agreement(business_calendar="none")
    # Mon 12 counts without public holidays: Mon 12 = 1, Tue 13 = 2, Wed 14 = 3.
    assert _deadline(jst(2026, 1, 9, 15), {"business_days": 3}, agreement) == end_of(2026, 1, 14)


def test_business_day_deadline_is_the_end_of_the_day_in_the_agreement_timezone() -> None:
    agreement = make_agreement(timezone="Europe/Berlin", business_calendar="none")
    # Fri 9 Jan 23:30 in Berlin → next business day Mon 12, ending 23:59:59.999999+01:00.
    expected = us("2026-01-12T23:59:59.999999+01:00")
    assert _deadline("2026-01-09T23:30:00+01:00", {"business_days": 1}, agreement) == expected


# --- elapsed time -----------------------------------------------------------------------------


def test_hours_sla_from_friday_evening_runs_through_the_weekend() -> None:
    # 24 hours from Fri 9 Jan 20:00 is Sat 10 Jan 20:00: hours do not skip weekends or holidays.
    assert _deadline(jst(2026, 1, 9, 20), {"hours": 24}) == us(jst(2026, 1, 10, 20))
    # 72 hours ends on Coming of Age Day, Mon 12 Jan 20:00.
    assert _deadline(jst(2026, 1, 9, 20), {"hours": 72}) == us(jst(2026, 1, 12, 20))


def test_minutes_and_days_are_elapsed_time() -> None:
    assert _deadline(jst(2026, 1, 9, 20), {"minutes": 90}) == us(jst(2026, 1, 9, 21, 30))
    assert _deadline(jst(2026, 1, 9, 20), {"days": 2}) == us(jst(2026, 1, 11, 20))


# --- clocks in a replay -----------------------------------------------------------------------

UNASSIGNED = make_agreement(
    assignment=[{"if": {"trait": "employees", "gte": 1000}, "team": "enterprise_is", "members": ["is_tanaka"]}]
)
"""An agreement whose only assignment rule does not match SMALL_STAFF: the hand-off clock runs."""

# to_mql(T0) qualifies on Mon 5 Jan 10:02; the system assignment starts first_contact then:
# 3 business days → Tue 6 = 1, Wed 7 = 2, Thu 8 = 3 → due at the end of Thu 8 Jan.
FIRST_CONTACT_DUE = jst(2026, 1, 8, 23, 59, 59, 999_999)
MQL_AT = shift(T0, minutes=2)


def test_handoff_clock_is_met_by_the_system_assignment_at_mql() -> None:
    result = lead(*to_mql(), as_of=shift(T0, days=1))
    handoff = clock(result, "handoff")
    assert (handoff.started_at, handoff.stopped_at) == (us(MQL_AT), us(MQL_AT))
    assert handoff.deadline == us(shift(MQL_AT, hours=24))
    assert handoff.status(us(shift(T0, days=1))) == "met"
    first_contact = clock(result, "first_contact")
    assert (first_contact.started_at, first_contact.deadline) == (us(MQL_AT), us(FIRST_CONTACT_DUE))


def test_spec_example_in_a_replay() -> None:
    # MQL on Fri 9 Jan 15:00 → first_contact due at the end of Thu 15 Jan (12th is a holiday).
    obj = lead_json(*to_mql(at=jst(2026, 1, 9, 14, 58)), as_of=jst(2026, 1, 14, 12))
    first_contact = next(c for c in obj["sla"] if c["id"] == "first_contact")
    assert first_contact == {
        "id": "first_contact",
        "owner": "inside_sales",
        "status": "running",
        "started_at": "2026-01-09T15:00:00+09:00",
        "deadline": "2026-01-15T23:59:59.999999+09:00",
        "stopped_at": None,
    }


def test_unassigned_mql_hours_clock_breaches_over_the_weekend() -> None:
    # MQL on Fri 9 Jan 20:00, nobody assigned: the 24-hour hand-off is due Sat 10 Jan 20:00.
    history = to_mql(at=jst(2026, 1, 9, 19, 58))
    handoff = clock(lead(*history, as_of=jst(2026, 1, 12, 9), agreement=UNASSIGNED), "handoff")
    assert handoff.deadline == us(jst(2026, 1, 10, 20))
    assert handoff.status(us(jst(2026, 1, 10, 20))) == "running"
    assert handoff.status(us(jst(2026, 1, 10, 20, 0, 0, 1))) == "breached"
    assert handoff.status(us(jst(2026, 1, 12, 9))) == "breached"


def _contact_at(at: str) -> Any:
    return clock(lead(*to_mql(), action("contact", at=at), as_of=shift(at, days=30)), "first_contact")


def test_clock_stopped_exactly_at_the_deadline_is_met() -> None:
    first_contact = _contact_at(FIRST_CONTACT_DUE)
    assert first_contact.stopped_at == first_contact.deadline
    assert first_contact.status(us(shift(FIRST_CONTACT_DUE, days=30))) == "met"


def test_clock_stopped_a_microsecond_after_the_deadline_is_breached() -> None:
    first_contact = _contact_at(shift(FIRST_CONTACT_DUE, microseconds=1))
    assert first_contact.status(us(shift(FIRST_CONTACT_DUE, days=30))) == "breached"


def test_clock_running_until_the_deadline_is_running_and_after_it_breached() -> None:
    history = to_mql()
    at_deadline = lead(*history, as_of=FIRST_CONTACT_DUE)
    assert clock(at_deadline, "first_contact").status(us(FIRST_CONTACT_DUE)) == "running"
    late = shift(FIRST_CONTACT_DUE, microseconds=1)
    obj = lead_json(*history, as_of=late)
    assert [(c["id"], c["status"]) for c in obj["sla"]] == [("handoff", "met"), ("first_contact", "breached")]
    assert obj["sla"][1]["stopped_at"] is None


def test_recycle_cancels_a_running_clock_it_does_not_stop() -> None:
    recycle_at = shift(T0, days=1)
    result = lead(
        *to_mql(),
        action("accept", at=shift(T0, hours=1)),
        action("recycle", at=recycle_at, reason="budget frozen"),
        as_of=shift(T0, days=10),
    )
    first_contact = clock(result, "first_contact")
    assert first_contact.status(us(shift(T0, days=10))) == "cancelled"
    assert first_contact.stopped_at == us(recycle_at)


def test_clock_is_cancelled_even_after_its_deadline_passed() -> None:
    recycle_at = shift(FIRST_CONTACT_DUE, days=3)
    result = lead(
        *to_mql(),
        action("accept", at=shift(T0, hours=1)),
        action("recycle", at=recycle_at, reason="went silent"),
        as_of=shift(recycle_at, days=1),
    )
    assert clock(result, "first_contact").status(us(shift(recycle_at, days=1))) == "cancelled"


def test_recycle_stops_the_meeting_clock_it_names_before_returning_to_mal() -> None:
    # meeting stops at [open_opportunity, recycle]: a recycle from SQL stops it (met), not cancels.
    recycle_at = shift(T0, days=1)
    result = lead(
        identify(at=T0, traits=SMALL_STAFF),
        track("Demo Requested", at=shift(T0, hours=1)),
        action("recycle", at=recycle_at, reason="not now"),
        as_of=shift(T0, days=10),
    )
    meeting = clock(result, "meeting")
    assert (meeting.stopped_at, meeting.status(us(shift(T0, days=10)))) == (us(recycle_at), "met")


def test_disqualify_cancels_running_clocks() -> None:
    at = shift(T0, hours=5)
    result = lead(*to_mql(), action("disqualify", at=at, reason="duplicate record"), as_of=shift(T0, days=1))
    first_contact = clock(result, "first_contact")
    assert (first_contact.status(us(shift(T0, days=1))), first_contact.stopped_at) == ("cancelled", us(at))


def test_becoming_a_customer_cancels_running_clocks() -> None:
    # Nobody ever logged a contact: first_contact still runs when the deal is won.
    win_at = shift(T0, hours=4)
    result = lead(
        *to_mql(),
        action("accept", at=shift(T0, hours=1)),
        track("Demo Requested", at=shift(T0, hours=2)),
        action("open_opportunity", at=shift(T0, hours=3)),
        action("win", at=win_at),
        as_of=shift(T0, days=30),
    )
    assert result.stage == "customer"
    assert clock(result, "first_contact").status(us(shift(T0, days=30))) == "cancelled"
    meeting = clock(result, "meeting")
    assert (meeting.status(us(shift(T0, days=30))), meeting.stopped_at) == ("met", us(shift(T0, hours=3)))


def test_reject_stops_first_contact_before_recycling() -> None:
    reject_at = shift(T0, hours=6)
    result = lead(*to_mql(), action("reject", at=reject_at, reason="wrong department"), as_of=shift(T0, days=30))
    first_contact = clock(result, "first_contact")
    assert (first_contact.stopped_at, first_contact.status(us(shift(T0, days=30)))) == (us(reject_at), "met")


def test_late_reject_stops_first_contact_as_breached() -> None:
    reject_at = shift(FIRST_CONTACT_DUE, hours=1)
    result = lead(*to_mql(), action("reject", at=reject_at, reason="not a fit"), as_of=shift(T0, days=30))
    assert clock(result, "first_contact").status(us(shift(T0, days=30))) == "breached"


def test_reject_stops_the_handoff_of_an_unassigned_mql() -> None:
    reject_at = shift(T0, hours=3)
    result = lead(*to_mql(), action("reject", at=reject_at, reason="x"), as_of=shift(T0, days=3), agreement=UNASSIGNED)
    handoff = clock(result, "handoff")
    assert (handoff.stopped_at, handoff.status(us(shift(T0, days=3)))) == (us(reject_at), "met")
    assert [c.id for c in result.sla] == ["handoff"]


def test_manual_assign_stops_the_handoff_and_starts_first_contact() -> None:
    assign_at = shift(T0, hours=30)  # 28 hours after the MQL: the 24-hour hand-off is late
    result = lead(
        *to_mql(),
        action("assign", at=assign_at, role="marketing", owner="is_ito"),
        as_of=shift(T0, days=3),
        agreement=UNASSIGNED,
    )
    handoff = clock(result, "handoff")
    assert (handoff.stopped_at, handoff.status(us(shift(T0, days=3)))) == (us(assign_at), "breached")
    assert clock(result, "first_contact").started_at == us(assign_at)


def test_running_clock_is_not_restarted_by_a_second_start() -> None:
    result = lead(
        *to_mql(),
        action("assign", at=shift(T0, days=1), role="marketing", owner="is_kato"),
        as_of=shift(T0, days=2),
    )
    first_contact = clock(result, "first_contact")  # exactly one clock
    assert (first_contact.started_at, first_contact.deadline) == (us(MQL_AT), us(FIRST_CONTACT_DUE))
    assert result.owner == "is_kato"


def test_a_stopped_clock_starts_again_at_the_next_start() -> None:
    result = lead(
        *to_mql(),
        action("contact", at=shift(T0, hours=2)),
        action("assign", at=shift(T0, days=1), role="marketing", owner="is_kato"),
        as_of=shift(T0, days=2),
    )
    clocks = [c for c in result.sla if c.id == "first_contact"]
    assert [(c.started_at, c.stopped_at) for c in clocks] == [
        (us(MQL_AT), us(shift(T0, hours=2))),
        (us(shift(T0, days=1)), None),
    ]


def test_each_mql_entry_starts_a_new_handoff_clock() -> None:
    result = lead(
        *to_mql(),
        action("reject", at=shift(T0, hours=1), reason="too early"),
        *to_mql(at=shift(T0, days=1)),
        as_of=shift(T0, days=2),
        agreement=UNASSIGNED,
    )
    handoffs = [(c.started_at, c.status(us(shift(T0, days=2)))) for c in result.sla if c.id == "handoff"]
    # The first was stopped by the reject; the second (24 h from day 1, 10:02) still runs at day 2, 10:00.
    assert handoffs == [(us(MQL_AT), "met"), (us(shift(T0, days=1, minutes=2)), "running")]


def test_sla_clock_starting_on_an_action() -> None:
    agreement = make_agreement(
        sla=[
            {
                "id": "bant_followup",
                "starts": "accept",
                "stops": ["confirm_bant"],
                "within": {"hours": 4},
                "owner": "inside_sales",
            }
        ]
    )
    accept_at = shift(T0, hours=1)
    result = lead(
        *to_mql(),
        action("accept", at=accept_at),
        action("confirm_bant", at=shift(T0, hours=3), items=["need"]),
        as_of=shift(T0, days=1),
        agreement=agreement,
    )
    followup = clock(result, "bant_followup")
    assert (followup.started_at, followup.deadline) == (us(accept_at), us(shift(accept_at, hours=4)))
    assert followup.status(us(shift(T0, days=1))) == "met"


def test_sgl_starts_the_meeting_clock_at_creation() -> None:
    # create_sgl on Fri 9 Jan 15:00: 5 business days → 13, 14, 15, 16, 19 → end of Mon 19 Jan.
    obj = lead_json(action("create_sgl", at=jst(2026, 1, 9, 15), traits={}), as_of=jst(2026, 1, 20, 0))
    assert [(c["id"], c["deadline"], c["status"]) for c in obj["sla"]] == [
        ("meeting", "2026-01-19T23:59:59.999999+09:00", "breached")
    ]


def test_clock_can_stop_on_entering_a_stage() -> None:
    agreement = make_agreement(
        sla=[
            {
                "id": "qualify",
                "starts": "sal",
                "stops": ["sql"],
                "within": {"business_days": 2},
                "owner": "inside_sales",
            }
        ]
    )
    result = lead(
        *to_mql(),
        action("accept", at=shift(T0, hours=1)),
        action("confirm_bant", at=shift(T0, hours=2), items=["budget", "need"]),
        as_of=shift(T0, days=10),
        agreement=agreement,
    )
    qualify = clock(result, "qualify")
    assert (qualify.started_at, qualify.stopped_at) == (us(shift(T0, hours=1)), us(shift(T0, hours=2)))
    assert qualify.status(us(shift(T0, days=10))) == "met"


def test_clock_stopped_by_becoming_a_customer_is_met_not_cancelled() -> None:
    # A stop named by the agreement comes before the closing of clocks at `customer`.
    agreement = make_agreement(
        sla=[
            {
                "id": "close",
                "starts": "opportunity",
                "stops": ["customer"],
                "within": {"business_days": 20},
                "owner": "field_sales",
            }
        ]
    )
    win_at = shift(T0, days=3)
    result = lead(
        identify(at=T0, traits=SMALL_STAFF),
        track("Demo Requested", at=shift(T0, hours=1)),
        action("open_opportunity", at=shift(T0, hours=2)),
        action("win", at=win_at),
        as_of=shift(T0, days=10),
        agreement=agreement,
    )
    close = clock(result, "close")
    assert (close.stopped_at, close.status(us(shift(T0, days=10)))) == (us(win_at), "met")


def test_nurture_clock_starting_at_mal_restarts_after_a_recycle() -> None:
    agreement = make_agreement(
        sla=[{"id": "nurture", "starts": "mal", "stops": ["mql"], "within": {"days": 60}, "owner": "marketing"}]
    )
    reject_at = shift(T0, days=1)
    result = lead(*to_mql(), action("reject", at=reject_at, reason="x"), as_of=shift(T0, days=2), agreement=agreement)
    assert [(c.started_at, c.stopped_at) for c in result.sla] == [
        (us(T0), us(MQL_AT)),  # started when the lead became MAL, stopped by the MQL
        (us(reject_at), None),  # started again when the reject returned it to MAL
    ]


def test_clock_started_by_a_recycling_action_runs_after_the_recycle() -> None:
    # Order of effects: stop, stage change (closing clocks), then clocks started by the action.
    agreement = make_agreement(
        sla=[{"id": "review", "starts": "reject", "stops": ["mql"], "within": {"days": 30}, "owner": "marketing"}]
    )
    reject_at = shift(T0, hours=1)
    result = lead(*to_mql(), action("reject", at=reject_at, reason="x"), as_of=shift(T0, days=2), agreement=agreement)
    review = clock(result, "review")
    assert (review.started_at, review.stopped_at, review.status(us(shift(T0, days=2)))) == (
        us(reject_at),
        None,
        "running",
    )


def test_business_days_cross_the_new_year() -> None:
    # Thu 31 Dec 2026 → Fri 1 Jan 2027 is New Year's Day, then the weekend: Mon 4 Jan = 1.
    assert _deadline(jst(2026, 12, 31, 10), {"business_days": 1}) == end_of(2027, 1, 4)
    # Fri 8 Jan 2027 → Mon 11 Jan 2027 is Coming of Age Day: Tue 12 = 1.
    assert _deadline(jst(2027, 1, 8, 10), {"business_days": 1}) == end_of(2027, 1, 12)
