"""SPEC §4.3 lifecycle and §5 actions: stage changes, fast track, exclusions, recycling, SGL, hot,
and the full action × stage × role matrix."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from factories import (
    SMALL_STAFF,
    T0,
    action,
    clock,
    group,
    identify,
    lead,
    lead_json,
    make_agreement,
    page,
    reasons,
    run,
    shift,
    stages,
    to_mql,
    track,
    us,
)

from leadpact.domain.lifecycle import permission_problem

AS_OF = shift(T0, days=2)
MQL_AT = shift(T0, minutes=2)  # when to_mql() crosses the threshold

ACT_AT = shift(T0, days=1)  # when the action under test happens
_MQL = to_mql()
STAGE_SETUPS: dict[str, list[dict[str, Any]]] = {
    # A history that leaves the lead in each stage (before ACT_AT).
    "mal": [identify(at=T0, traits=SMALL_STAFF)],
    "mql": _MQL,
    "sal": [*_MQL, action("accept", at=shift(T0, hours=1))],
    "sql": [*_MQL, action("accept", at=shift(T0, hours=1)), track("Demo Requested", at=shift(T0, hours=2))],
    "opportunity": [
        *_MQL,
        action("accept", at=shift(T0, hours=1)),
        track("Demo Requested", at=shift(T0, hours=2)),
        action("open_opportunity", at=shift(T0, hours=3)),
    ],
    "customer": [
        *_MQL,
        action("accept", at=shift(T0, hours=1)),
        track("Demo Requested", at=shift(T0, hours=2)),
        action("open_opportunity", at=shift(T0, hours=3)),
        action("win", at=shift(T0, hours=4)),
    ],
    "disqualified": [
        identify(at=T0, traits=SMALL_STAFF),
        action("disqualify", at=shift(T0, hours=1), reason="reseller, not a buyer"),
    ],
}


# --- lead → mal, exclusions --------------------------------------------------------------------


def test_lead_becomes_mal_at_its_first_user_id_message() -> None:
    msg = identify(at=T0, traits=SMALL_STAFF)
    result = lead(msg, as_of=AS_OF)
    assert result.stage == "mal"
    assert [(h.stage, h.at, h.cause, h.fast_track) for h in result.history] == [
        ("lead", us(T0), msg["messageId"], False),
        ("mal", us(T0), msg["messageId"], False),
    ]
    assert (result.origin, result.created_at) == ("marketing", us(T0))


def test_a_page_view_with_user_id_also_creates_the_lead() -> None:
    result = lead(page("/blog/x", at=T0), as_of=AS_OF)
    assert stages(result) == ["lead", "mal"]


def test_stage_changes_record_actor_and_agreement_version() -> None:
    accept = action("accept", at=shift(T0, hours=1), role="inside_sales", actor="is_sato")
    result = lead(*to_mql(), accept, as_of=AS_OF)
    entry = result.history[-1]
    assert (entry.stage, entry.from_stage, entry.cause) == ("sal", "mql", accept["messageId"])
    assert (entry.actor_id, entry.actor_role, entry.agreement_version) == ("is_sato", "inside_sales", "2026.1")
    system_entry = next(h for h in result.history if h.stage == "mql")
    assert (system_entry.actor_id, system_entry.actor_role, system_entry.from_stage) == ("system", "system", "mal")


def test_competitor_email_domain_is_disqualified_at_the_gate() -> None:
    # email_domain is derived from email, lower-cased.
    result = lead(identify(at=T0, traits={"email": "spy@Rival.Example", "job_level": "staff"}), as_of=AS_OF)
    assert result.traits["email_domain"] == "rival.example"
    assert stages(result) == ["lead", "disqualified"]
    assert {h.at for h in result.history} == {us(T0)}


def test_student_is_disqualified_at_the_gate() -> None:
    result = lead(identify(at=T0, traits={"job_level": "student"}), as_of=AS_OF)
    assert result.stage == "disqualified"


def test_mal_that_later_identifies_as_student_is_disqualified() -> None:
    later = identify(at=shift(T0, days=1), traits={"job_level": "student"})
    result = lead(identify(at=T0, traits=SMALL_STAFF), later, as_of=AS_OF)
    assert stages(result) == ["lead", "mal", "disqualified"]
    assert result.history[-1].at == us(shift(T0, days=1))


def test_mql_that_later_identifies_as_student_is_disqualified_and_its_clocks_cancelled() -> None:
    student_at = shift(T0, hours=3)
    result = lead(*to_mql(), identify(at=student_at, traits={"job_level": "student"}), as_of=AS_OF)
    assert stages(result) == ["lead", "mal", "mql", "disqualified"]
    first_contact = clock(result, "first_contact")
    assert first_contact.status(us(AS_OF)) == "cancelled"
    assert first_contact.stopped_at == us(student_at)


def test_sal_is_not_excluded_any_more() -> None:
    result = lead(
        *to_mql(),
        action("accept", at=shift(T0, hours=1)),
        identify(at=shift(T0, hours=2), traits={"job_level": "student"}),
        as_of=AS_OF,
    )
    assert result.stage == "sal"


def test_disqualified_is_terminal_for_the_engine() -> None:
    result = lead(
        identify(at=T0, traits={"job_level": "student"}),
        identify(at=shift(T0, hours=1), traits={"job_level": "director"}),
        track("Contact Form Submitted", at=shift(T0, hours=2)),
        track("Webinar Attended", at=shift(T0, hours=3)),
        track("Demo Requested", at=shift(T0, hours=4)),
        as_of=AS_OF,
    )
    assert stages(result) == ["lead", "disqualified"]
    assert result.score == 65  # decision_maker 15 + 30 + 20: it would qualify, but stays out


# --- mal → mql -------------------------------------------------------------------------------


def test_mal_becomes_mql_at_the_crossing_event() -> None:
    history = to_mql()
    result = lead(*history, as_of=AS_OF)
    assert result.stage == "mql"
    mql = result.history[2]
    # fit 10 + contact form 30 = 40 (MAL), + webinar 20 = 60 ≥ 50: the webinar crosses.
    assert (mql.stage, mql.at, mql.cause, mql.fast_track) == ("mql", us(MQL_AT), history[2]["messageId"], False)


def test_mql_can_be_reached_by_a_change_of_fit() -> None:
    # Fit 0, engagement 45 (webinar 20 + case download 20 + five top-page visits 5 × 1): MAL.
    promotion = identify(at=shift(T0, hours=1), traits={"job_level": "director"})
    result = lead(
        identify(at=T0, traits={}),
        track("Webinar Attended", at=shift(T0, minutes=1)),
        track("Case Study Downloaded", at=shift(T0, minutes=2)),
        *[page("/", at=shift(T0, minutes=3 + i)) for i in range(5)],
        promotion,  # decision_maker 15: 45 + 15 = 60
        as_of=AS_OF,
    )
    mql = next(h for h in result.history if h.stage == "mql")
    assert (mql.at, mql.cause) == (us(shift(T0, hours=1)), promotion["messageId"])


def test_mql_does_not_revert_when_the_score_decays() -> None:
    result = lead(*to_mql(), as_of=shift(T0, days=200))
    assert result.score == 35  # fit 10 + (30 + 20) × 0.5 = 35 < 50
    assert result.stage == "mql"


# --- SQL --------------------------------------------------------------------------------------


def test_sql_needs_two_distinct_bant_items() -> None:
    first = action("confirm_bant", at=shift(T0, hours=1), items=["budget"])
    second = action("confirm_bant", at=shift(T0, hours=2), items=["authority"])
    assert lead(*to_mql(), first, as_of=AS_OF).stage == "mql"
    result = lead(*to_mql(), first, second, as_of=AS_OF)
    assert result.stage == "sql"
    assert result.bant == ("authority", "budget")
    # From MQL, SAL was skipped: recorded at the same instant with fast_track true.
    assert [(h.stage, h.at, h.fast_track) for h in result.history[-2:]] == [
        ("sal", us(shift(T0, hours=2)), True),
        ("sql", us(shift(T0, hours=2)), False),
    ]
    assert result.history[-1].cause == second["messageId"]


def test_repeated_bant_items_are_not_counted_twice() -> None:
    result = lead(
        *to_mql(),
        action("confirm_bant", at=shift(T0, hours=1), items=["budget", "budget"]),
        action("confirm_bant", at=shift(T0, hours=2), items=["budget"]),
        as_of=AS_OF,
    )
    assert result.stage == "mql"
    assert result.bant == ("budget",)


def test_two_bant_items_at_once_meet_sql_from_sal() -> None:
    result = lead(
        *to_mql(),
        action("accept", at=shift(T0, hours=1)),
        action("confirm_bant", at=shift(T0, hours=2), items=["need", "timeline"]),
        as_of=AS_OF,
    )
    assert result.stage == "sql"
    assert [h.fast_track for h in result.history] == [False] * len(result.history)


@pytest.mark.parametrize("event", ["Quote Requested", "Demo Requested", "Consultation Requested", "Trial Started"])
def test_purchase_event_meets_sql_from_sal(event: str) -> None:
    result = lead(
        *to_mql(),
        action("accept", at=shift(T0, hours=1)),
        track(event, at=shift(T0, hours=2)),
        as_of=AS_OF,
    )
    assert stages(result)[-2:] == ["sal", "sql"]
    assert result.history[-1].fast_track is False


def test_other_events_do_not_meet_sql() -> None:
    result = lead(*to_mql(), track("Pricing Viewed", at=shift(T0, hours=1)), as_of=AS_OF)
    assert result.stage == "mql"


def test_fast_track_from_mal_records_mql_and_sal_and_assigns() -> None:
    demo = track("Demo Requested", at=shift(T0, hours=1))
    result = lead(identify(at=T0, traits=SMALL_STAFF), demo, as_of=AS_OF)
    at = us(shift(T0, hours=1))
    assert [(h.stage, h.at, h.fast_track) for h in result.history] == [
        ("lead", us(T0), False),
        ("mal", us(T0), False),
        ("mql", at, True),
        ("sal", at, True),
        ("sql", at, False),
    ]
    assert {h.cause for h in result.history[2:]} == {demo["messageId"]}
    # Reaching MQL by fast track is an MQL entry: it is assigned like any MQL.
    assert [(a.team, a.owner, a.at) for a in result.assignments] == [("smb_is", "is_sato", at)]
    assert result.owner == "is_sato"


def test_fast_track_on_the_first_message_records_lead_and_mal_first() -> None:
    result = lead(
        identify(at=T0, traits=SMALL_STAFF),
        track("Trial Started", at=T0, message_id="trial"),
        as_of=AS_OF,
    )
    assert [(h.stage, h.fast_track) for h in result.history] == [
        ("lead", False),
        ("mal", False),
        ("mql", True),
        ("sal", True),
        ("sql", False),
    ]


def test_mql_on_its_own_criteria_is_not_marked_fast_track() -> None:
    # Trial Started is worth 50 here: the same event meets MQL (score 60) and SQL (event_in).
    agreement = make_agreement(
        engagement=[{"id": "trial", "if": {"type": "track", "event": "Trial Started"}, "points": 50}]
    )
    result = lead(
        identify(at=T0, traits=SMALL_STAFF),
        track("Trial Started", at=shift(T0, hours=1)),
        as_of=AS_OF,
        agreement=agreement,
    )
    assert [(h.stage, h.fast_track) for h in result.history[2:]] == [("mql", False), ("sal", True), ("sql", False)]


# --- required fields --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "role", "setup_stage"),
    [
        ("reject", "inside_sales", "mql"),
        ("recycle", "inside_sales", "sal"),
        ("lose", "field_sales", "opportunity"),
        ("disqualify", "marketing", "mal"),
    ],
)
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_recycling_and_disqualifying_need_a_reason(name: str, role: str, setup_stage: str, reason: str | None) -> None:
    setup = STAGE_SETUPS[setup_stage]
    attempt = action(name, at=ACT_AT, role=role)
    if reason is not None:
        attempt["properties"] = {"reason": reason}
    result = lead(*setup, attempt, as_of=AS_OF)
    assert result.stage == setup_stage
    (error,) = result.errors
    assert error.action == name
    assert "reason" in error.reason


def test_confirm_bant_with_an_unknown_item_is_refused_whole() -> None:
    result = lead(
        *to_mql(),
        action("confirm_bant", at=shift(T0, hours=1), items=["budget", "price"]),
        action("confirm_bant", at=shift(T0, hours=2), items=["authority"]),
        as_of=AS_OF,
    )
    # Had "budget" been kept from the refused action, budget + authority would meet SQL.
    assert result.stage == "mql"
    assert result.bant == ("authority",)
    (error,) = result.errors
    assert "price" in error.reason


@pytest.mark.parametrize("items", [None, []])
def test_confirm_bant_without_items_is_refused(items: list[str] | None) -> None:
    attempt = action("confirm_bant", at=shift(T0, hours=1))
    if items is not None:
        attempt["properties"] = {"items": items}
    result = lead(*to_mql(), attempt, as_of=AS_OF)
    (error,) = result.errors
    assert "items" in error.reason
    assert result.bant == ()


def test_confirm_bant_accepts_competitor_as_the_c_of_bantc() -> None:
    result = lead(*to_mql(), action("confirm_bant", at=shift(T0, hours=1), items=["competitor", "need"]), as_of=AS_OF)
    assert result.errors == []
    assert result.stage == "sql"


def test_assign_needs_an_owner() -> None:
    result = lead(*to_mql(), action("assign", at=shift(T0, hours=1), role="marketing"), as_of=AS_OF)
    (error,) = result.errors
    assert "owner" in error.reason
    assert result.owner == "is_sato"  # the system assignment stands


def test_role_is_checked_before_stage_and_fields() -> None:
    # viewer, in a stage where reject is not allowed, without a reason: the role is the reason.
    result = lead(identify(at=T0, traits=SMALL_STAFF), action("reject", at=ACT_AT, role="viewer"), as_of=AS_OF)
    (error,) = result.errors
    assert "viewer" in error.reason


def test_stage_is_checked_before_fields() -> None:
    result = lead(identify(at=T0, traits=SMALL_STAFF), action("reject", at=ACT_AT, role="inside_sales"), as_of=AS_OF)
    (error,) = result.errors
    assert "mal" in error.reason  # about the stage, not the missing reason
    assert "reason" not in error.reason


# --- recycling --------------------------------------------------------------------------------


def test_lose_records_lost_then_mal_at_the_same_timestamp() -> None:
    lose = action("lose", at=ACT_AT, reason="chose a competitor")
    result = lead(*STAGE_SETUPS["opportunity"], lose, as_of=AS_OF)
    assert result.stage == "mal"
    assert [(h.stage, h.at, h.cause, h.reason) for h in result.history[-2:]] == [
        ("lost", us(ACT_AT), lose["messageId"], "chose a competitor"),
        ("mal", us(ACT_AT), lose["messageId"], "chose a competitor"),
    ]


def test_reject_returns_the_mql_to_mal_with_its_reason() -> None:
    reject = action("reject", at=ACT_AT, reason="not the decision maker")
    result = lead(*to_mql(), reject, as_of=AS_OF)
    last = result.history[-1]
    assert (last.stage, last.from_stage, last.reason, last.actor_role) == (
        "mal",
        "mql",
        "not the decision maker",
        "inside_sales",
    )


def test_recycle_resets_engagement_but_keeps_fit() -> None:
    result = lead(*STAGE_SETUPS["sql"], action("recycle", at=ACT_AT, reason="timing: next fiscal year"), as_of=AS_OF)
    assert result.stage == "mal"
    assert (result.fit, result.engagement, result.score) == (10, 0, 10)
    assert [r.kind for r in result.reasons] == ["fit", "fit"]


def test_recycled_lead_must_earn_its_way_back() -> None:
    result = lead(
        *to_mql(),
        action("reject", at=ACT_AT, reason="too early"),
        track("Webinar Attended", at=shift(ACT_AT, hours=1)),  # fit 10 + 20 = 30 < 50
        as_of=AS_OF,
    )
    assert result.stage == "mal"
    assert result.score == 30


def test_recycle_resets_max_count() -> None:
    before = [page("/", at=shift(T0, minutes=10 + i)) for i in range(5)]
    after = [page("/", at=shift(ACT_AT, minutes=10 + i)) for i in range(3)]
    result = lead(*to_mql(), *before, action("reject", at=ACT_AT, reason="x"), *after, as_of=AS_OF)
    assert reasons(result)["top_page"] == (3, 3, 3)


def test_recycle_keeps_engagement_without_reset_engagement() -> None:
    agreement = make_agreement(recycle={"reset_engagement": False})
    history = [*to_mql(), action("reject", at=ACT_AT, reason="call back in April")]
    result = lead(*history, as_of=AS_OF, agreement=agreement)
    assert result.stage == "mal"  # no new event yet: not re-qualified by the recycle itself
    assert (result.engagement, result.score) == (50, 60)
    requalified = lead(*history, track("Email Opened", at=shift(ACT_AT, hours=1)), as_of=AS_OF, agreement=agreement)
    assert stages(requalified)[-2:] == ["mal", "mql"]
    assert requalified.history[-1].at == us(shift(ACT_AT, hours=1))


def test_recycle_keeps_max_count_counters_without_reset_engagement() -> None:
    agreement = make_agreement(recycle={"reset_engagement": False})
    before = [page("/", at=shift(T0, minutes=10 + i)) for i in range(5)]
    after = [page("/", at=shift(ACT_AT, minutes=10 + i)) for i in range(3)]
    result = lead(*to_mql(), *before, action("reject", at=ACT_AT, reason="x"), *after, as_of=AS_OF, agreement=agreement)
    assert reasons(result)["top_page"] == (5, 5, 5)


def test_recycle_clears_confirmed_bant_items() -> None:
    result = lead(
        *to_mql(),
        action("confirm_bant", at=shift(T0, hours=1), items=["budget"]),
        action("reject", at=shift(T0, hours=2), reason="no project yet"),
        *to_mql(at=shift(T0, hours=3)),  # qualifies again (new events, score 60)
        action("confirm_bant", at=shift(T0, hours=4), items=["authority"]),
        as_of=AS_OF,
    )
    assert result.stage == "mql"  # only authority counts since the recycle
    assert result.bant == ("authority",)


def test_recycle_forgets_earlier_purchase_events() -> None:
    result = lead(
        identify(at=T0, traits=SMALL_STAFF),
        track("Demo Requested", at=shift(T0, hours=1)),  # SQL by event_in
        action("recycle", at=shift(T0, hours=2), reason="no budget"),
        track("Contact Form Submitted", at=shift(T0, hours=3)),
        track("Webinar Attended", at=shift(T0, hours=4)),  # 10 + 30 + 20 = 60: MQL, not SQL
        as_of=AS_OF,
    )
    assert result.stage == "mql"


# --- SGL --------------------------------------------------------------------------------------


def test_create_sgl_as_first_message_starts_at_sql_with_origin_sales() -> None:
    sgl = action(
        "create_sgl",
        at=T0,
        role="field_sales",
        actor="fs_yamada",
        traits={"email": "ceo@referral.example", "job_level": "executive", "employees": 800},
    )
    result = lead(sgl, as_of=AS_OF)
    assert result.stage == "sql"
    assert result.origin == "sales"
    assert [(h.stage, h.at, h.cause, h.fast_track, h.actor_id) for h in result.history] == [
        ("sql", us(T0), sgl["messageId"], False, "fs_yamada")
    ]
    assert result.owner is None
    assert result.fit == 25  # decision_maker 15 + large_company 10, from the message's traits
    assert result.created_at == us(T0)
    assert clock(result, "meeting").started_at == us(T0)


def test_create_sgl_after_anonymous_browsing_creates_the_lead() -> None:
    result = lead(
        page("/pricing", user=None, anonymous="a9", at=T0),
        action("create_sgl", at=shift(T0, hours=1), properties={"source": "inbound call"}),
        page("/", user="u1", anonymous="a9", at=shift(T0, hours=2)),
        as_of=AS_OF,
    )
    assert (result.stage, result.origin) == ("sql", "sales")
    assert stages(result) == ["sql"]


def test_create_sgl_on_an_existing_lead_is_refused() -> None:
    result = lead(identify(at=T0, traits=SMALL_STAFF), action("create_sgl", at=ACT_AT), as_of=AS_OF)
    assert (result.stage, result.origin) == ("mal", "marketing")
    (error,) = result.errors
    assert error.action == "create_sgl"


def test_sgl_student_is_not_excluded() -> None:
    result = lead(action("create_sgl", at=T0, traits={"job_level": "student"}), as_of=AS_OF)
    assert result.stage == "sql"


# --- unknown leads ----------------------------------------------------------------------------


def test_action_on_an_unknown_lead_is_refused() -> None:
    result = run(identify("u1", at=T0, traits=SMALL_STAFF), action("accept", user="ghost", at=ACT_AT), as_of=AS_OF)
    assert "ghost" not in result.leads
    (unknown,) = result.unknown_lead_actions
    assert (unknown.lead_id, unknown.refused.action) == ("ghost", "accept")
    assert "unknown lead" in unknown.refused.reason


def test_action_before_the_lead_exists_is_refused_and_shown_on_the_lead() -> None:
    early = action("disqualify", at=T0, reason="spam")
    result = lead(early, identify(at=shift(T0, hours=1), traits=SMALL_STAFF), as_of=AS_OF)
    assert result.stage == "mal"
    (error,) = result.errors
    assert (error.message_id, error.at) == (early["messageId"], us(T0))
    assert result.created_at == us(shift(T0, hours=1))


# --- hot --------------------------------------------------------------------------------------


def test_hot_flag_is_evaluated_at_as_of() -> None:
    history = [
        identify(at=T0, traits=SMALL_STAFF),  # 10
        track("Contact Form Submitted", at=shift(T0, minutes=1)),  # 30
        track("Trade Show Booth Visited", at=shift(T0, minutes=2)),  # 25
        track("Webinar Attended", at=shift(T0, minutes=3)),  # 20
        track("Case Study Downloaded", at=shift(T0, minutes=4)),  # 20 → 105
    ]
    assert lead(*history, as_of=shift(T0, days=1)).hot is True
    decayed = lead(*history, as_of=shift(T0, days=91))  # 10 + 95 × 0.5 = 57.5
    assert (decayed.hot, decayed.score) == (False, 57.5)


def test_hot_flag_ignores_the_stage() -> None:
    events = ["Contact Form Submitted", "Trade Show Booth Visited", "Webinar Attended", "Case Study Downloaded"]
    result = lead(
        identify(at=T0, traits={"job_level": "student"}),  # fit 0, disqualified at the gate
        *[track(name, at=shift(T0, minutes=i)) for i, name in enumerate(events, start=1)],  # 30 + 25 + 20 + 20
        track("Document Requested", at=shift(T0, minutes=9)),  # + 15 = 110
        as_of=shift(T0, days=1),
    )
    assert (result.stage, result.score) == ("disqualified", 110)
    assert result.hot is True


def test_no_hot_rule_means_never_hot() -> None:
    agreement = make_agreement(stages={"mql": {"when": {"score_gte": 50}}})
    result = lead(*to_mql(), track("Trade Show Booth Visited", at=shift(T0, hours=1)), as_of=AS_OF, agreement=agreement)
    assert result.hot is False


# --- late events ------------------------------------------------------------------------------


def test_late_event_is_placed_by_timestamp() -> None:
    # The contact form arrives last in the file but happened before the webinar.
    history = to_mql()
    result = lead(history[0], history[2], history[1], as_of=AS_OF)
    mql = next(h for h in result.history if h.stage == "mql")
    assert (mql.at, mql.cause) == (us(MQL_AT), history[2]["messageId"])


# --- the §5 matrix: every action × every stage × every role ------------------------------------

ROLES = ("marketing", "inside_sales", "field_sales", "system", "admin", "viewer")
ALL_BUT_CUSTOMER = {"lead", "mal", "mql", "sal", "sql", "opportunity", "disqualified"}
SPEC_TABLE: dict[str, tuple[set[str], set[str]]] = {
    # action: (allowed from, roles) — transcribed from SPEC §5; admin may do everything.
    "assign": ({"mql", "sal", "sql"}, {"marketing", "system"}),
    "accept": ({"mql"}, {"inside_sales"}),
    "reject": ({"mql", "sal"}, {"inside_sales", "field_sales"}),
    "contact": ({"mql", "sal", "sql"}, {"inside_sales", "field_sales"}),
    "confirm_bant": ({"mql", "sal"}, {"inside_sales"}),
    "open_opportunity": ({"sql"}, {"field_sales"}),
    "win": ({"opportunity"}, {"field_sales"}),
    "lose": ({"opportunity"}, {"field_sales"}),
    "recycle": ({"sal", "sql"}, {"inside_sales", "field_sales"}),
    "disqualify": (ALL_BUT_CUSTOMER, {"marketing", "inside_sales", "field_sales"}),
    "create_sgl": (set(), {"field_sales"}),  # only for a new lead
}
GOES_TO = {
    "accept": "sal",
    "reject": "mal",
    "open_opportunity": "opportunity",
    "win": "customer",
    "lose": "mal",
    "recycle": "mal",
    "disqualify": "disqualified",
}


def _is_allowed(name: str, stage: str | None, role: str) -> bool:
    allowed_from, roles = SPEC_TABLE[name]
    if role != "admin" and role not in roles:
        return False
    if name == "create_sgl":
        return stage is None
    return stage in allowed_from


def _matrix_action(name: str, role: str) -> dict[str, Any]:
    return action(
        name,
        at=ACT_AT,
        role=role,
        actor=f"{role}_x",
        reason="matrix check",
        owner="is_kato",
        items=["budget"],
        traits={"job_level": "manager"} if name == "create_sgl" else None,
    )


def _state(obj: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in obj.items() if key != "errors"}


@cache
def _baseline(stage: str) -> dict[str, Any]:
    obj = lead_json(*STAGE_SETUPS[stage], as_of=AS_OF)
    assert obj["stage"] == stage, f"setup for {stage} reached {obj['stage']}"
    assert obj["errors"] == []
    return obj


def test_every_stage_setup_reaches_its_stage() -> None:
    for stage in STAGE_SETUPS:
        assert _baseline(stage)["stage"] == stage


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("stage", list(STAGE_SETUPS))
@pytest.mark.parametrize("name", list(SPEC_TABLE))
def test_action_matrix_follows_the_spec_table(name: str, stage: str, role: str) -> None:
    attempt = _matrix_action(name, role)
    result = lead(*STAGE_SETUPS[stage], attempt, as_of=AS_OF)
    obj = lead_json(*STAGE_SETUPS[stage], attempt, as_of=AS_OF)
    before = _baseline(stage)
    if not _is_allowed(name, stage, role):
        (error,) = obj["errors"]
        assert (error["message_id"], error["action"], error["actor"]) == (
            attempt["messageId"],
            name,
            {"id": f"{role}_x", "role": role},
        )
        assert error["reason"]
        if role != "admin" and role not in SPEC_TABLE[name][1]:
            assert role in error["reason"]
        elif name != "create_sgl":
            assert stage in error["reason"]
        assert _state(obj) == _state(before), "a refused action must change nothing"
        assert result.bant == ()
        return
    assert obj["errors"] == []
    assert obj["stage"] == GOES_TO.get(name, stage)
    if name == "assign":
        assert obj["owner"] == "is_kato"
    if name == "confirm_bant":
        assert result.bant == ("budget",)
    if name == "lose":
        assert [h["stage"] for h in obj["history"][-2:]] == ["lost", "mal"]
    if name in GOES_TO:
        last = result.history[-1]
        assert (last.stage, last.at, last.cause, last.actor_id, last.actor_role) == (
            GOES_TO[name],
            us(ACT_AT),
            attempt["messageId"],
            f"{role}_x",
            role,
        )
    else:
        assert obj["history"] == before["history"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(SPEC_TABLE))
def test_action_matrix_for_a_new_lead(name: str, role: str) -> None:
    result = run(_matrix_action(name, role), as_of=AS_OF)
    if _is_allowed(name, None, role):
        assert result.unknown_lead_actions == []
        new = result.leads["u1"]
        assert (new.stage, new.origin, stages(new)) == ("sql", "sales", ["sql"])
        return
    assert result.leads == {}
    (unknown,) = result.unknown_lead_actions
    assert unknown.refused.action == name
    if role != "admin" and role not in SPEC_TABLE[name][1]:
        assert role in unknown.refused.reason
    else:
        assert "unknown lead" in unknown.refused.reason


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(SPEC_TABLE))
def test_no_action_but_disqualify_is_allowed_in_stage_lead(name: str, role: str) -> None:
    # A lead passes through `lead` within its first message, so the table is checked directly.
    problem = permission_problem(role, name, "lead")
    assert (problem is None) is _is_allowed(name, "lead", role)


# --- more criteria and gates ------------------------------------------------------------------


def test_exclusion_can_match_a_company_trait() -> None:
    agreement = make_agreement(exclusions=[{"id": "schools", "if": {"trait": "industry", "eq": "education"}}])
    result = lead(
        *to_mql(),
        group("univ", at=shift(T0, hours=1), traits={"industry": "education"}),
        as_of=AS_OF,
        agreement=agreement,
    )
    assert stages(result)[-2:] == ["mql", "disqualified"]


def test_stage_criteria_can_combine_fit_engagement_and_traits() -> None:
    agreement = make_agreement(
        stages={
            "mql": {"when": {"all": [{"fit_gte": 20}, {"engagement_gte": 30}, {"trait": "country", "eq": "JP"}]}},
        }
    )
    jp_manager = {"job_level": "manager", "industry": "software", "employees": 50, "country": "JP"}  # fit 20
    history = [identify(at=T0, traits=jp_manager), track("Contact Form Submitted", at=shift(T0, minutes=1))]
    assert lead(*history, as_of=AS_OF, agreement=agreement).stage == "mql"
    us_manager = {**jp_manager, "country": "US"}
    assert lead(identify(at=T0, traits=us_manager), *history[1:], as_of=AS_OF, agreement=agreement).stage == "mal"
    low_fit = {**jp_manager, "industry": "retail"}  # fit 10
    assert lead(identify(at=T0, traits=low_fit), *history[1:], as_of=AS_OF, agreement=agreement).stage == "mal"


def test_without_sql_criteria_only_actions_move_past_mql() -> None:
    agreement = make_agreement(stages={"mql": {"when": {"score_gte": 50}}})
    result = lead(
        *to_mql(),
        track("Demo Requested", at=shift(T0, hours=1)),
        action("confirm_bant", at=shift(T0, hours=2), items=["budget", "authority", "need"]),
        as_of=AS_OF,
        agreement=agreement,
    )
    assert result.stage == "mql"


def test_disqualifying_a_disqualified_lead_records_the_new_reason() -> None:
    result = lead(
        *STAGE_SETUPS["disqualified"],
        action("disqualify", at=ACT_AT, role="inside_sales", reason="confirmed competitor"),
        as_of=AS_OF,
    )
    assert [(h.stage, h.reason) for h in result.history[-2:]] == [
        ("disqualified", "reseller, not a buyer"),
        ("disqualified", "confirmed competitor"),
    ]


def test_times_are_printed_in_the_agreement_timezone() -> None:
    agreement = make_agreement(timezone="UTC")
    obj = lead_json(identify(at="2026-01-05T10:00:00+09:00", traits=SMALL_STAFF), as_of=AS_OF, agreement=agreement)
    assert obj["history"][0]["at"] == "2026-01-05T01:00:00+00:00"


def test_anonymous_traits_count_once_the_lead_is_known() -> None:
    result = lead(
        identify(None, anonymous="a1", at=T0, traits={"job_level": "director", "employees": 5000}),
        page("/", user="u1", anonymous="a1", at=shift(T0, hours=1)),
        as_of=AS_OF,
    )
    assert result.fit == 25  # decision_maker 15 + large_company 10
    assert stages(result) == ["lead", "mal"]


def test_anonymous_student_traits_disqualify_when_the_lead_becomes_known() -> None:
    result = lead(
        identify(None, anonymous="a1", at=T0, traits={"job_level": "student"}),
        page("/", user="u1", anonymous="a1", at=shift(T0, hours=1)),
        as_of=AS_OF,
    )
    assert stages(result) == ["lead", "disqualified"]


def test_marketing_lead_excluded_while_in_sal_is_disqualified_once_recycled_to_mal() -> None:
    # At SAL the gate is not applied; back at MAL it is, at the next message.
    result = lead(
        *to_mql(),
        action("accept", at=shift(T0, hours=1)),
        identify(at=shift(T0, hours=2), traits={"job_level": "student"}),
        action("recycle", at=shift(T0, hours=3), reason="intern, not a buyer"),
        page("/blog/x", at=shift(T0, hours=4)),
        as_of=AS_OF,
    )
    assert stages(result)[-3:] == ["sal", "mal", "disqualified"]


def test_sgl_recycled_to_mal_passes_the_exclusion_gate_like_any_mal() -> None:
    # SPEC §4.3.1: exclusions are checked while the lead is before SAL. Once recycled, the SGL
    # is a MAL like any other: its student trait disqualifies it at its next message.
    result = lead(
        action("create_sgl", at=T0, traits={"job_level": "student"}),
        action("recycle", at=shift(T0, hours=1), reason="not a buyer"),
        page("/blog/x", at=shift(T0, hours=2)),
        as_of=AS_OF,
    )
    assert stages(result) == ["sql", "mal", "disqualified"]


def test_messages_at_the_same_instant_apply_in_arrival_order() -> None:
    crossing = to_mql()[2]  # the webinar that makes the lead an MQL at MQL_AT
    accept = action("accept", at=MQL_AT)
    accepted = lead(*to_mql()[:2], crossing, accept, as_of=AS_OF)
    assert (accepted.stage, accepted.errors) == ("sal", [])
    too_early = lead(*to_mql()[:2], accept, crossing, as_of=AS_OF)  # still MAL when the accept applies
    assert too_early.stage == "mql"
    (error,) = too_early.errors
    assert error.action == "accept"
