"""SPEC §4.2 scores: fit on the traits as of the evaluation time, engagement with step and
half-life decay (exact at the boundary), max_count, negative points, the explanation."""

from __future__ import annotations

import math

import pytest
from factories import (
    SMALL_STAFF,
    T0,
    action,
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

NO_DECAY = make_agreement(decay=None)
HALF_LIFE_90 = make_agreement(decay={"half_life_days": 90})


# --- fit --------------------------------------------------------------------------------------


def test_fit_uses_the_traits_as_of_the_evaluation_time() -> None:
    history = [
        identify(at=T0, traits={"job_level": "staff", "employees": 50}),
        identify(at=shift(T0, days=10), traits={"job_level": "director"}),
    ]
    # Before the promotion: staff 5 + small_company 5.
    assert lead(*history, as_of=shift(T0, days=5)).fit == 10
    # After it: decision_maker 15 + small_company 5 (employees kept: traits are merged).
    assert lead(*history, as_of=shift(T0, days=11)).fit == 20


def test_newest_trait_value_wins_by_timestamp_not_by_arrival() -> None:
    # The director identify arrives first in the file but happened later.
    result = lead(
        identify(at=shift(T0, days=2), traits={"job_level": "director"}),
        identify(at=T0, traits={"job_level": "staff", "employees": 50}),
        as_of=shift(T0, days=3),
    )
    assert result.traits["job_level"] == "director"
    assert result.fit == 20  # decision_maker 15 + small_company 5


def test_trait_set_to_null_is_removed() -> None:
    result = lead(
        identify(at=T0, traits={"job_level": "staff", "employees": 50}),
        identify(at=shift(T0, hours=1), traits={"employees": None}),
        as_of=shift(T0, days=1),
    )
    assert "employees" not in result.traits
    assert result.fit == 5  # staff only: neither company-size rule holds for a missing trait


def test_fit_does_not_decay() -> None:
    result = lead(identify(at=T0, traits=SMALL_STAFF), as_of=shift(T0, days=400))
    assert result.fit == 10
    assert result.score == 10


# --- engagement without decay -----------------------------------------------------------------


def test_engagement_without_decay_counts_every_event_in_full() -> None:
    result = lead(
        identify(at=T0, traits={}),
        track("Whitepaper Downloaded", at=T0),
        track("Webinar Attended", at=shift(T0, days=1)),
        as_of=shift(T0, days=1000),
        agreement=NO_DECAY,
    )
    assert result.engagement == 35  # 15 + 20, however old


def test_events_after_as_of_do_not_count() -> None:
    history = [identify(at=T0, traits={}), track("Webinar Attended", at=shift(T0, days=1))]
    assert lead(*history, as_of=shift(T0, days=1, microseconds=-1), agreement=NO_DECAY).engagement == 0
    assert lead(*history, as_of=shift(T0, days=1), agreement=NO_DECAY).engagement == 20


def test_duplicate_message_ids_are_counted_once() -> None:
    webinar = track("Webinar Attended", at=shift(T0, hours=1))
    result = lead(identify(at=T0, traits={}), webinar, webinar, webinar, as_of=shift(T0, days=1))
    assert result.engagement == 20
    assert reasons(result)["webinar"] == (1, 20, 20)


def test_first_arrival_of_a_message_id_wins() -> None:
    first = track("Webinar Attended", at=shift(T0, hours=1), message_id="m-1")
    second = track("Trade Show Booth Visited", at=shift(T0, hours=2), message_id="m-1")
    result = lead(identify(at=T0, traits={}), first, second, as_of=shift(T0, days=1))
    assert result.engagement == 20
    assert "trade_show" not in reasons(result)


# --- step decay: {after_days: 90, factor: 0.5} -----------------------------------------------


def test_event_exactly_d_days_old_counts_in_full() -> None:
    result = lead(identify(at=T0, traits={}), track("Whitepaper Downloaded", at=T0), as_of=shift(T0, days=90))
    assert result.engagement == 15
    assert reasons(result)["whitepaper"] == (1, 15, 15)


def test_event_one_microsecond_older_than_d_days_counts_factor() -> None:
    result = lead(
        identify(at=T0, traits={}),
        track("Whitepaper Downloaded", at=T0),
        as_of=shift(T0, days=90, microseconds=1),
    )
    assert result.engagement == 7.5  # 15 × 0.5
    assert reasons(result)["whitepaper"] == (1, 15, 7.5)


def test_mql_decision_at_exactly_d_days_counts_the_old_event_in_full() -> None:
    # fit 10; trade show 25 at T0 → 35; a whitepaper (15) exactly 90 days later:
    # 25 (exactly 90 days old: in full) + 15 + 10 = 50 ≥ 50 → MQL at that instant.
    at = shift(T0, days=90)
    result = lead(
        identify(at=T0, traits=SMALL_STAFF),
        track("Trade Show Booth Visited", at=T0),
        track("Whitepaper Downloaded", at=at),
        as_of=at,
    )
    assert result.stage == "mql"
    assert result.history[-1].at == us(at)


def test_mql_decision_one_microsecond_later_sees_the_decayed_event() -> None:
    # Same as above, a microsecond later: 25 × 0.5 + 15 + 10 = 37.5 < 50 → stays MAL.
    at = shift(T0, days=90, microseconds=1)
    result = lead(
        identify(at=T0, traits=SMALL_STAFF),
        track("Trade Show Booth Visited", at=T0),
        track("Whitepaper Downloaded", at=at),
        as_of=at,
    )
    assert result.stage == "mal"
    assert result.score == 37.5


def test_mql_waits_for_threshold_after_decay() -> None:
    day0, day100, day101 = T0, shift(T0, days=100), shift(T0, days=101)
    history = [
        identify(at=day0, traits=SMALL_STAFF),  # fit 10
        track("Webinar Attended", at=day0),  # 20
        track("Whitepaper Downloaded", at=shift(day0, minutes=1)),  # 15 → score 45: MAL
        # Day 100: the old events count half: 10 + 7.5 + new 15 + fit 10 = 42.5 < 50 (undecayed: 60).
        track("Whitepaper Downloaded", at=day100),
        # Day 101: 10 + 7.5 + 15 + new 20 + fit 10 = 62.5 ≥ 50 → MQL here.
        track("Webinar Attended", at=day101),
    ]
    before = lead(*history[:4], as_of=day100)
    assert (before.stage, before.score) == ("mal", 42.5)
    after = lead(*history, as_of=day101)
    assert after.stage == "mql"
    mql = next(h for h in after.history if h.stage == "mql")
    assert mql.at == us(day101)
    assert mql.cause == history[-1]["messageId"]
    assert after.score == 62.5


# --- half-life decay --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_days", "expected"),
    [
        (0, 20.0),
        (45, 20 * 0.5**0.5),  # half a half-life: 14.142135...
        (90, 10.0),  # exactly one half-life: 50 %
        (180, 5.0),  # two half-lives: 25 %
        (270, 2.5),
    ],
)
def test_half_life_decay_counts_half_per_half_life(age_days: int, expected: float) -> None:
    result = lead(
        identify(at=T0, traits={}),
        track("Webinar Attended", at=T0),
        as_of=shift(T0, days=age_days),
        agreement=HALF_LIFE_90,
    )
    assert math.isclose(result.engagement, expected, rel_tol=1e-12)


def test_half_life_is_continuous_below_a_day() -> None:
    # 0.5 ** (age_days / H) with age_days fractional: 12 hours = 0.5 days.
    result = lead(
        identify(at=T0, traits={}),
        track("Webinar Attended", at=T0),
        as_of=shift(T0, hours=12),
        agreement=HALF_LIFE_90,
    )
    assert math.isclose(result.engagement, 20 * 0.5 ** (0.5 / 90), rel_tol=1e-12)


def test_half_life_score_is_reported_rounded_to_six_decimals() -> None:
    obj = lead_json(
        identify(at=T0, traits={}),
        track("Webinar Attended", at=T0),
        as_of=shift(T0, days=45),
        agreement=HALF_LIFE_90,
    )
    assert obj["engagement"] == 14.142136
    assert obj["reasons"] == [{"rule": "webinar", "count": 1, "points": 20, "decayed_points": 14.142136}]


# --- max_count --------------------------------------------------------------------------------


def test_max_count_caps_the_events_that_earn_points() -> None:
    visits = [page("/", at=shift(T0, minutes=i)) for i in range(1, 8)]  # 7 top-page visits
    opens = [track("Email Opened", at=shift(T0, hours=1, minutes=i)) for i in range(12)]  # 12 opens
    result = lead(identify(at=T0, traits={}), *visits, *opens, as_of=shift(T0, days=1))
    # top_page: 1 point, max_count 5 → 5; email_open: 1 point, max_count 10 → 10.
    assert reasons(result)["top_page"] == (5, 5, 5)
    assert reasons(result)["email_open"] == (10, 10, 10)
    assert result.engagement == 15


def test_max_count_keeps_the_first_events_by_timestamp() -> None:
    # Five old visits (120 days before as_of) use up top_page's max_count, so three fresh
    # visits earn nothing: 5 × 1 × 0.5 = 2.5, not 5 × 1 = 5.
    old = [page("/", at=shift(T0, minutes=i)) for i in range(5)]
    fresh = [page("/", at=shift(T0, days=119, minutes=i)) for i in range(3)]
    result = lead(identify(at=T0, traits={}), *fresh, *old, as_of=shift(T0, days=120))
    assert reasons(result)["top_page"] == (5, 5, 2.5)


def test_max_count_is_per_lead() -> None:
    visits = [page("/", user=user, at=shift(T0, minutes=i)) for user in ("u1", "u2") for i in range(1, 7)]
    result = run(identify("u1", at=T0, traits={}), identify("u2", at=T0, traits={}), *visits, as_of=shift(T0, days=1))
    assert result.leads["u1"].engagement == 5
    assert result.leads["u2"].engagement == 5


# --- negative points --------------------------------------------------------------------------


def test_negative_points_lower_the_score() -> None:
    result = lead(
        identify(at=T0, traits=SMALL_STAFF),
        track("Webinar Attended", at=T0),
        track("Unsubscribed", at=shift(T0, days=1)),
        as_of=shift(T0, days=2),
    )
    assert result.engagement == 0  # 20 − 20
    assert result.score == 10
    assert reasons(result)["unsubscribe"] == (1, -20, -20)


def test_negative_points_decay_like_positive_points() -> None:
    result = lead(
        identify(at=T0, traits=SMALL_STAFF),
        track("Unsubscribed", at=T0),
        as_of=shift(T0, days=91),
    )
    assert reasons(result)["unsubscribe"] == (1, -20, -10)  # −20 × 0.5
    assert result.score == 0  # fit 10 − 10


def test_negative_engagement_is_not_clamped_at_zero() -> None:
    result = lead(identify(at=T0, traits=SMALL_STAFF), track("Unsubscribed", at=T0), as_of=shift(T0, days=1))
    assert result.engagement == -20
    assert result.score == -10


# --- one event, several rules; what scores -------------------------------------------------


def test_one_event_earns_points_from_every_rule_it_matches() -> None:
    agreement = make_agreement(
        engagement=[
            {"id": "any_page", "if": {"type": "page"}, "points": 1},
            {"id": "pricing_page", "if": {"type": "page", "path_prefix": "/pricing"}, "points": 10},
            {"id": "enterprise_pricing", "if": {"type": "page", "path": "/pricing/enterprise"}, "points": 5},
        ]
    )
    result = lead(
        identify(at=T0, traits={}),
        page("/pricing/enterprise", at=shift(T0, minutes=1)),
        as_of=shift(T0, days=1),
        agreement=agreement,
    )
    assert result.engagement == 16
    assert reasons(result) == {"any_page": (1, 1, 1), "pricing_page": (1, 10, 10), "enterprise_pricing": (1, 5, 5)}


def test_only_page_and_track_messages_earn_engagement() -> None:
    # A bare property test could match any message with properties; only page/track score.
    agreement = make_agreement(
        engagement=[{"id": "spring_campaign", "if": {"property": {"campaign": {"eq": "spring"}}}, "points": 5}]
    )
    spring = {"campaign": "spring"}
    result = lead(
        identify(at=T0, traits=SMALL_STAFF, properties=spring),
        page("/lp", at=shift(T0, minutes=1), properties=spring),
        track("Form Viewed", at=shift(T0, minutes=2), properties=spring),
        action("disqualify", at=shift(T0, minutes=3), properties=spring),  # refused: no reason
        as_of=shift(T0, days=1),
        agreement=agreement,
    )
    assert reasons(result)["spring_campaign"] == (2, 10, 10)


# --- the explanation --------------------------------------------------------------------------


def test_reasons_list_fit_rules_then_engagement_rules_in_agreement_order() -> None:
    result = lead(
        identify(at=T0, traits={"job_level": "director", "industry": "software", "employees": 1200}),
        track("Webinar Attended", at=shift(T0, minutes=1)),  # engagement[7]
        page("/blog/dx", at=shift(T0, minutes=2)),  # engagement[4]
        track("Whitepaper Downloaded", at=shift(T0, minutes=3)),  # engagement[5]
        page("/blog/ai", at=shift(T0, minutes=4)),
        as_of=shift(T0, days=1),
    )
    assert [(r.rule, r.kind, r.count, r.points, r.decayed_points) for r in result.reasons] == [
        ("decision_maker", "fit", 1, 15, 15),
        ("target_industry", "fit", 1, 10, 10),
        ("large_company", "fit", 1, 10, 10),
        ("blog", "engagement", 2, 4, 4),
        ("whitepaper", "engagement", 1, 15, 15),
        ("webinar", "engagement", 1, 20, 20),
    ]


def test_reason_shows_raw_and_decayed_points_of_a_rule() -> None:
    # Three blog visits (2 points each): two 100 days old (decayed to 1 each), one fresh.
    result = lead(
        identify(at=T0, traits={}),
        page("/blog/a", at=T0),
        page("/blog/b", at=shift(T0, minutes=1)),
        page("/blog/c", at=shift(T0, days=99)),
        as_of=shift(T0, days=100),
    )
    assert reasons(result)["blog"] == (3, 6, 4)  # raw 2+2+2; decayed 1+1+2


def test_score_is_fit_plus_the_sum_of_decayed_points() -> None:
    result = lead(
        identify(at=T0, traits={"job_level": "manager", "industry": "software", "employees": 120}),
        track("Trade Show Booth Visited", at=T0),
        track("Unsubscribed", at=shift(T0, days=30)),
        page("/pricing", at=shift(T0, days=95)),
        as_of=shift(T0, days=100),
        agreement=HALF_LIFE_90,
    )
    fit = sum(r.decayed_points for r in result.reasons if r.kind == "fit")
    engagement = sum(r.decayed_points for r in result.reasons if r.kind == "engagement")
    assert fit == result.fit == 20  # staff 5 + target_industry 10 + small_company 5
    assert math.isclose(engagement, result.engagement, abs_tol=1e-9)
    expected = 25 * 0.5 ** (100 / 90) - 20 * 0.5 ** (70 / 90) + 10 * 0.5 ** (5 / 90)
    assert math.isclose(result.engagement, expected, abs_tol=1e-9)
    assert math.isclose(result.score, result.fit + result.engagement, abs_tol=1e-9)


# --- anonymous events -------------------------------------------------------------------------


def test_anonymous_events_before_the_link_count_at_their_own_timestamps() -> None:
    result = lead(
        page("/pricing", user=None, anonymous="a1", at=T0),  # 10, 100 days old at as_of → 5
        track("Whitepaper Downloaded", user=None, anonymous="a1", at=shift(T0, days=50)),  # 15, 50 days → 15
        identify("u1", anonymous="a1", at=shift(T0, days=100), traits={}),  # the link
        as_of=shift(T0, days=100),
    )
    assert reasons(result)["pricing_page"] == (1, 10, 5)
    assert reasons(result)["whitepaper"] == (1, 15, 15)
    assert result.engagement == 20


def test_anonymous_events_after_the_link_count_for_the_lead() -> None:
    result = lead(
        identify("u1", anonymous="a1", at=T0, traits={}),
        page("/pricing", user=None, anonymous="a1", at=shift(T0, days=1)),
        as_of=shift(T0, days=2),
    )
    assert result.engagement == 10


def test_anonymous_events_never_linked_belong_to_no_lead() -> None:
    result = run(
        identify("u1", at=T0, traits={}),
        page("/pricing", user=None, anonymous="stranger", at=shift(T0, days=1)),
        as_of=shift(T0, days=2),
    )
    assert list(result.leads) == ["u1"]
    assert result.leads["u1"].engagement == 0
    assert result.unlinked_anonymous == 1


def test_anonymous_history_decides_no_stage_until_the_lead_is_known() -> None:
    # 60 anonymous points on day 0; the lead becomes known on day 1 and qualifies then, not before.
    day1 = shift(T0, days=1)
    result = lead(
        track("Contact Form Submitted", user=None, anonymous="a1", at=T0),
        track("Webinar Attended", user=None, anonymous="a1", at=shift(T0, minutes=1)),
        identify("u1", anonymous="a1", at=day1, traits=SMALL_STAFF),
        as_of=shift(T0, days=2),
    )
    assert stages(result) == ["lead", "mal", "mql"]
    assert {h.at for h in result.history} == {us(day1)}
    assert result.created_at == us(day1)


def test_link_made_after_as_of_is_not_known_yet() -> None:
    history = [
        identify("u1", at=T0, traits={}),
        page("/pricing", user=None, anonymous="a1", at=shift(T0, days=1)),
        page("/", user="u1", anonymous="a1", at=shift(T0, days=3)),
    ]
    assert lead(*history, as_of=shift(T0, days=2)).engagement == 0
    assert lead(*history, as_of=shift(T0, days=3)).engagement == 11  # pricing 10 + top page 1


def test_earliest_link_of_an_anonymous_id_wins() -> None:
    # The shared browser "a1" is linked to u1 on day 1 and to u2 on day 2: its history is u1's.
    result = run(
        page("/pricing", user=None, anonymous="a1", at=T0),
        identify("u1", anonymous="a1", at=shift(T0, days=1), traits={}),
        identify("u2", anonymous="a1", at=shift(T0, days=2), traits={}),
        page("/case-studies/x", user=None, anonymous="a1", at=shift(T0, days=3)),
        as_of=shift(T0, days=4),
    )
    assert result.leads["u1"].engagement == 20  # pricing 10 + case study page 10
    assert result.leads["u2"].engagement == 0


def test_same_instant_traits_resolve_by_arrival() -> None:
    result = lead(
        identify(at=T0, traits={"job_level": "staff"}, message_id="first"),
        identify(at=T0, traits={"job_level": "director"}, message_id="second"),
        as_of=shift(T0, days=1),
    )
    assert result.traits["job_level"] == "director"


def test_score_is_compared_with_the_threshold_rounded_to_six_decimals() -> None:
    def with_points(points: float) -> str:
        agreement = make_agreement(
            fit=[], engagement=[{"id": "big", "if": {"type": "track", "event": "Big"}, "points": points}]
        )
        return lead(
            identify(at=T0, traits={}),
            track("Big", at=shift(T0, hours=1)),
            as_of=shift(T0, days=1),
            agreement=agreement,
        ).stage

    assert with_points(49.9999996) == "mql"  # 50.000000 after rounding
    assert with_points(49.999999) == "mal"


def test_content_touched_counts_the_whole_history() -> None:
    result = lead(
        *to_mql(),
        page("/pricing", at=shift(T0, hours=1)),
        page("/pricing", at=shift(T0, hours=2)),
        action("reject", at=shift(T0, hours=3), reason="later"),  # resets engagement, not touches
        track("Webinar Attended", at=shift(T0, hours=4)),
        as_of=shift(T0, days=1),
    )
    assert result.touches == {
        "event:Contact Form Submitted": 1,
        "event:Webinar Attended": 2,
        "page:/pricing": 2,
    }
