"""Properties of the reference replay on generated histories (SPEC §3, §4.2, §7).

Histories mix every message type — identify, group, page, track, anonymous browsing linked
later, and §5 actions by every role, with and without their required fields — over ~200 days
so that decay, max_count, recycling and refusals all occur. Timestamps are distinct, so the
order of the lines must not matter.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from factories import DEFAULT_ACTOR_ROLE, T0, default, make_agreement, messages, shift, us
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadpact.domain.lead_replay import LeadMachine
from leadpact.domain.messages import ACTIONS, ROLES
from leadpact.domain.replay import ReplayResult, compiled, dedupe, group_by_lead, link_identities, replay
from leadpact.domain.results import lead_to_json, round_score

SETTINGS = settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
JSON_KEYS = {
    "lead_id",
    "stage",
    "score",
    "fit",
    "engagement",
    "hot",
    "owner",
    "origin",
    "reasons",
    "history",
    "sla",
    "errors",
}
REASON_KEYS = {"rule", "count", "points", "decayed_points"}
HISTORY_KEYS = {"stage", "at", "cause", "fast_track"}
SLA_KEYS = {"id", "owner", "status", "started_at", "deadline", "stopped_at"}
ERROR_KEYS = {"message_id", "action", "at", "actor", "reason"}

USERS = ("u1", "u2", "u3")
PATHS = ("/", "/products/crm", "/pricing", "/case-studies/acme", "/blog/dx", "/about")
EVENTS = (
    "Whitepaper Downloaded",
    "Case Study Downloaded",
    "Webinar Attended",
    "Trade Show Booth Visited",
    "Email Opened",
    "Email Link Clicked",
    "Contact Form Submitted",
    "Document Requested",
    "Unsubscribed",
    "Demo Requested",
    "Quote Requested",
    "Newsletter Read",
)


def _traits(job_level: str | None, industry: str | None, employees: Any, email: str | None) -> dict[str, Any]:
    found = {"job_level": job_level, "industry": industry, "employees": employees, "email": email}
    return {key: value for key, value in found.items() if value is not None}


# Every step is one draw from a precomputed catalogue: generation stays fast (the suite's budget)
# while covering the combinations. Repetition in a catalogue is weighting.
IDENTIFY_STEPS = [
    ("identify", _traits(job, industry, employees, email))
    for job in (None, "executive", "director", "manager", "staff", "staff", "student")
    for industry in (None, "manufacturing", "software", "retail")
    for employees in (None, 10, 299, 300, "1,200", 5000)
    for email in (None, "a@buyer.example", "c@buyer.example", "b@rival.example")
]
DATA_STEPS = [
    *[("track", event) for event in EVENTS for _ in range(2)],
    *[("page", path) for path in PATHS],
    *[("anonymous_page", path) for path in PATHS],
    ("link", None),
    ("link", None),
    ("link", "shared"),  # one browser shared by several leads: the earliest link owns it
    ("shared_page", "/pricing"),
    ("group", {"industry": "software"}),
    ("group", {"industry": "retail", "employees": 2000}),
]
HAPPY_PATH = ("accept", "confirm_bant", "open_opportunity", "win")
"""Actions weighted up so that generated leads also reach SAL, SQL, opportunity and customer."""
ACTION_STEPS = [
    ("action", {"name": name, "role": role, "reason": reason, "owner": owner, "items": items})
    for name in HAPPY_PATH * 4 + ACTIONS
    for role in (None, None, *ROLES)  # None: a role that §5 allows for the action
    for reason in (None, "budget frozen", "budget frozen")
    for owner in (None, "is_kato", "fs_abe")
    for items in (None, ["budget"], ["authority", "need"], ["timeline", "price"], [])
]
STEP = st.one_of(
    st.sampled_from(DATA_STEPS),
    st.sampled_from(DATA_STEPS),
    st.sampled_from(ACTION_STEPS),
    st.sampled_from(ACTION_STEPS),
    st.sampled_from(IDENTIFY_STEPS),
)


def _build(user: str, step: tuple[str, Any], at: str, index: int) -> dict[str, Any]:
    kind, payload = step
    msg: dict[str, Any] = {"messageId": f"m{index:03d}", "timestamp": at, "userId": user}
    if kind == "identify":
        msg.update(type="identify", traits=payload)
    elif kind == "group":
        msg.update(type="group", groupId=f"g-{user}", traits=payload)
    elif kind == "page":
        msg.update(type="page", properties={"path": payload})
    elif kind == "anonymous_page":
        del msg["userId"]
        msg.update(type="page", anonymousId=f"anon-{user}", properties={"path": payload})
    elif kind == "link":
        msg.update(type="identify", anonymousId=f"anon-{payload or user}", traits={})
    elif kind == "shared_page":
        del msg["userId"]
        msg.update(type="page", anonymousId="anon-shared", properties={"path": payload})
    elif kind == "track":
        msg.update(type="track", event=payload)
    else:
        props = {key: payload[key] for key in ("reason", "owner", "items") if payload[key] is not None}
        role = payload["role"] or DEFAULT_ACTOR_ROLE[payload["name"]]
        msg.update(type="action", action=payload["name"], actor={"id": f"{role}-1", "role": role}, properties=props)
    return msg


MINUTE = 60
DAY = 86_400
GAPS = st.sampled_from([MINUTE, 10 * MINUTE, 3_600, 6 * 3_600, DAY, 3 * DAY, 7 * DAY, 30 * DAY, 60 * DAY, 95 * DAY])
"""Seconds between a lead's consecutive messages: bursts, days, and gaps beyond the 90-day decay."""
STARTS = st.sampled_from([0, DAY, 30 * DAY, 100 * DAY])
SIZES = st.integers(1, 30)


@st.composite
def histories(
    draw: st.DrawFn,
    step: st.SearchStrategy[tuple[str, Any]] = STEP,
    leads: int = 3,
    size: st.SearchStrategy[int] = SIZES,
) -> list[dict[str, Any]]:
    """Each lead's steps happen in the order drawn (so a script such as MQL → accept → demo →
    opportunity → win can occur) at growing times; leads interleave. Every timestamp is distinct:
    gaps are whole minutes and each lead has its own second within the minute."""
    users = draw(st.lists(st.sampled_from(USERS), min_size=1, max_size=leads, unique=True))
    objs: list[dict[str, Any]] = []
    for second, user in enumerate(users):
        offset = draw(STARTS) + second
        for _ in range(draw(size)):
            offset += draw(GAPS)
            objs.append(_build(user, draw(step), shift(T0, minutes=offset / 60), len(objs)))
    return objs


LATEST = 20 * 365 * DAY
AS_OF = st.one_of(st.just(LATEST), st.integers(0, 400 * DAY), st.integers(0, 5 * 365 * DAY)).map(
    lambda s: shift(T0, minutes=s / 60)
)
"""After every message (whole histories), or anywhere in them."""


def _replay(objs: list[dict[str, Any]], as_of: str) -> ReplayResult:
    return replay(messages(*objs), default(), us(as_of))


def _outcome(result: ReplayResult) -> dict[str, Any]:
    zone = default().zone
    return {
        "leads": [lead_to_json(lead, result.as_of, zone) for lead in result.leads.values()],
        "bant": {lead_id: lead.bant for lead_id, lead in result.leads.items()},
        "unknown": [(u.lead_id, u.refused.message_id, u.refused.reason) for u in result.unknown_lead_actions],
    }


@SETTINGS
@given(histories(), AS_OF, st.randoms(use_true_random=False))
def test_result_does_not_depend_on_the_order_of_the_lines(objs: list[dict[str, Any]], as_of: str, rng: Any) -> None:
    shuffled = list(objs)
    rng.shuffle(shuffled)
    assert _outcome(_replay(shuffled, as_of)) == _outcome(_replay(objs, as_of))


@SETTINGS
@given(histories(), AS_OF, st.data())
def test_duplicated_messages_change_nothing(objs: list[dict[str, Any]], as_of: str, data: st.DataObject) -> None:
    copies = data.draw(st.lists(st.sampled_from(objs), min_size=1, max_size=10))
    with_copies = list(objs)
    for copy in copies:
        position = data.draw(st.integers(0, len(with_copies)))
        with_copies.insert(position, dict(copy))
    result = _replay(with_copies, as_of)
    assert result.duplicates == len(copies)
    assert _outcome(result) == _outcome(_replay(objs, as_of))


@SETTINGS
@given(histories(), AS_OF)
def test_score_is_fit_plus_the_decayed_points_of_the_explanation(objs: list[dict[str, Any]], as_of: str) -> None:
    for lead in _replay(objs, as_of).leads.values():
        fit = sum(r.decayed_points for r in lead.reasons if r.kind == "fit")
        engagement = sum(r.decayed_points for r in lead.reasons if r.kind == "engagement")
        assert math.isclose(lead.fit, fit, abs_tol=1e-6)
        assert math.isclose(lead.engagement, engagement, abs_tol=1e-6)
        assert math.isclose(lead.score, lead.fit + engagement, abs_tol=1e-6)
        assert all(r.count == 1 and r.points == r.decayed_points for r in lead.reasons if r.kind == "fit")


@SETTINGS
@given(histories(), AS_OF)
def test_json_output_has_exactly_the_spec_keys(objs: list[dict[str, Any]], as_of: str) -> None:
    for obj in _outcome(_replay(objs, as_of))["leads"]:
        assert set(obj) == JSON_KEYS
        assert all(set(r) == REASON_KEYS for r in obj["reasons"])
        assert all(set(h) == HISTORY_KEYS for h in obj["history"])
        assert all(set(c) == SLA_KEYS for c in obj["sla"])
        assert all(set(e) == ERROR_KEYS and set(e["actor"]) == {"id", "role"} for e in obj["errors"])
        assert obj["stage"] in {"mal", "mql", "sal", "sql", "opportunity", "customer", "disqualified"}
        assert obj["origin"] in {"marketing", "sales"}
        assert all(c["status"] in {"met", "breached", "running", "cancelled"} for c in obj["sla"])


@SETTINGS
@given(histories(), AS_OF)
def test_messages_after_as_of_do_not_exist(objs: list[dict[str, Any]], as_of: str) -> None:
    before = [obj for obj in objs if us(obj["timestamp"]) <= us(as_of)]
    assert _outcome(_replay(before, as_of)) == _outcome(_replay(objs, as_of))


@SETTINGS
@given(histories(), AS_OF)
def test_history_is_ordered_and_ends_in_the_current_stage(objs: list[dict[str, Any]], as_of: str) -> None:
    for lead in _replay(objs, as_of).leads.values():
        times = [h.at for h in lead.history]
        assert times == sorted(times)
        assert times[-1] <= us(as_of)
        assert lead.history[-1].stage == lead.stage
        assert lead.history[-1].fast_track is False
        for clock in lead.sla:
            assert clock.started_at <= clock.deadline
            assert clock.stopped_at is None or clock.started_at <= clock.stopped_at <= us(as_of)


HALF_LIFE = make_agreement(decay={"half_life_days": 30})
PURCHASE_EVENTS = {"Demo Requested", "Quote Requested"}
DATA_TYPES = {"identify", "group", "page", "track"}
SCORING_STEP = st.sampled_from(
    [step for step in DATA_STEPS if step[0] in ("track", "page") and step[1] not in PURCHASE_EVENTS] * 3
    + [("identify", {"job_level": level}) for level in ("staff", "director", "executive")]
    + [("identify", {"employees": size}) for size in (10, 5000)]
)
"""Only what moves a score (no actions, exclusions or purchase events): MQL decisions on decayed
scores are common."""


@settings(SETTINGS, max_examples=100)
@given(
    histories(SCORING_STEP, leads=1, size=st.integers(5, 30)),
    st.sampled_from(["step", "half_life"]),
)
def test_mql_decisions_agree_with_the_score_at_that_instant(objs: list[dict[str, Any]], decay: str) -> None:
    """The stage decisions (made on a running score) agree with the score recomputed from scratch
    as of each instant: MQL where it reaches 50, and not while a MAL lead is at 50 or more."""
    agreement = default() if decay == "step" else HALF_LIFE
    parsed = messages(*objs)
    end = us(shift(T0, minutes=LATEST / 60))
    final = replay(parsed, agreement, end)
    for lead_id, lead in final.leads.items():
        for entry in lead.history:
            if entry.stage == "mql" and not entry.fast_track:
                then = replay(parsed, agreement, entry.at).leads[lead_id]
                assert round_score(then.score) >= 50, (lead_id, entry)
        own = [m for m in parsed if m.user_id == lead_id and m.type in DATA_TYPES]
        for msg in own:
            stage_then = [h.stage for h in lead.history if h.at <= msg.ts][-1:]
            if stage_then == ["mal"]:
                then = replay(parsed, agreement, msg.ts).leads[lead_id]
                assert round_score(then.score) < 50, (lead_id, msg.message_id)


@settings(SETTINGS, max_examples=150)
@given(histories(), AS_OF, st.sampled_from(["step", "half_life"]))
def test_the_state_without_reasons_has_the_results_numbers_to_the_last_bit(
    objs: list[dict[str, Any]], as_of: str, decay: str
) -> None:
    """The online engine stores ``LeadMachine.state`` (no explanation built); its numbers must be
    the reference result's exactly, or the store would drift from ``leadpact score``."""
    agreement = default() if decay == "step" else HALF_LIFE
    moment = us(as_of)
    unique, _ = dedupe(messages(*objs))
    kept = [m for m in unique if m.ts <= moment]
    groups, _ = group_by_lead(kept, link_identities(kept))
    for lead_id, own in groups.items():
        own.sort(key=lambda m: (m.ts, m.seq))
        explained, plain = LeadMachine(lead_id, compiled(agreement)), LeadMachine(lead_id, compiled(agreement))
        # After every message (as the online engine evaluates), then as of the end.
        moments = [(msg, msg.ts) for msg in own] + [(None, moment)]
        for msg, when in moments:
            if msg is not None:
                explained.apply(msg)
                plain.apply(msg)
            if explained.stage is None:
                continue
            full, state = explained.result(when), plain.state(when)
            assert state.reasons == [] and (full.reasons or full.score == 0)
            assert dataclasses.replace(full, reasons=[]) == state, (lead_id, when)
