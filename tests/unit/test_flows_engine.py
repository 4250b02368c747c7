"""The flow engine: a pure function of (messages, agreement, flows, now). Time is always passed
in; nothing sleeps. Monday 5 January 2026 is the first business day after New Year in Japan and
Monday 12 January is Coming of Age Day (成人の日), a public holiday."""

from __future__ import annotations

from typing import Any

from factories import (
    action,
    default_data,
    identify,
    jst,
    make_agreement,
    messages,
    page,
    shift,
    track,
    us,
)

from leadpact.adapters.flow_yaml import example_flow_path, load_flow, load_flow_text
from leadpact.domain.agreement import Agreement
from leadpact.domain.flow_engine import evaluate_flows, evaluate_lead
from leadpact.domain.flow_events import emit_event
from leadpact.domain.flow_runs import ActiveFlow, Emit, FlowRun, LeadFlows, SendEmail
from leadpact.domain.flows import Flow
from leadpact.domain.messages import Message, parse_message

Json = dict[str, Any]
EMAIL = {"email": "taro@buyer.example", "name": "山田 太郎", "job_level": "staff", "employees": 50}
DOWNLOAD = jst(2026, 1, 5, 11)
"""Monday 11:00: the whitepaper download that starts the example flow."""


def nurture_agreement() -> Agreement:
    """The default agreement plus 20 points for reaching a nurture goal (see docs/nurture.md)."""
    goal = {"id": "nurture_goal", "if": {"type": "track", "event": "Nurture Goal Reached"}, "points": 20}
    return make_agreement(engagement=[*default_data()["engagement"], goal])


def example() -> Flow:
    return load_flow(example_flow_path())


def flow(steps: str, trigger: str = "{event: Whitepaper Downloaded}", extra: str = "", flow_id: str = "f") -> Flow:
    return load_flow_text(f'id: {flow_id}\nversion: "1"\ntrigger: {trigger}\n{extra}steps:\n{steps}', "test-flow.yaml")


def evaluate(
    *objs: Json, now: str, flows: list[Flow] | None = None, assume_sent: bool = False, lead: str = "u1"
) -> LeadFlows:
    active = [ActiveFlow(f) for f in (flows or [example()])]
    result = evaluate_flows(messages(*objs), nurture_agreement(), active, us(now), assume_sent=assume_sent)
    return result.get(lead) or LeadFlows(lead)


def only_run(result: LeadFlows) -> FlowRun:
    assert len(result.runs) == 1, result.runs
    return result.runs[0]


def sends(result: LeadFlows) -> list[SendEmail]:
    return [e for e in result.effects if isinstance(e, SendEmail)]


def emits(result: LeadFlows) -> list[Emit]:
    return [e for e in result.effects if isinstance(e, Emit)]


def outcomes(run: FlowRun) -> list[tuple[str, str | None]]:
    return [(s.step_id, s.outcome) for s in run.steps]


def downloaded(**traits: Any) -> list[Json]:
    return [
        identify("u1", at=jst(2026, 1, 5, 10), traits={**EMAIL, **traits}),
        track("Whitepaper Downloaded", at=DOWNLOAD),
    ]


# --- the example flow, end to end --------------------------------------------------------------


def test_whitepaper_then_a_week_then_the_invite_postponed_past_coming_of_age_day() -> None:
    result = evaluate(*downloaded(), now=jst(2026, 1, 13, 12))
    run = only_run(result)
    assert run.entered_at == us(DOWNLOAD)
    (send,) = sends(result)
    # 7 days later is Monday 12 January 11:00, a public holiday: the mail waits for Tuesday 09:00.
    assert send.due_at == us(jst(2026, 1, 13, 9))
    assert send.key == "nurture:whitepaper_webinar:1:u1:1:invite"
    assert (send.template, send.language, send.zone) == ("webinar_invite", "ja", "Asia/Tokyo")
    assert outcomes(run) == [("step1", "waited"), ("invite", "sent"), ("step3", None)]
    assert run.current_step == "step3"
    assert run.next_at == us(jst(2026, 1, 27, 9))  # the 14-day window of the branch


def test_attending_within_the_window_reaches_the_goal_and_the_goal_makes_the_lead_an_mql() -> None:
    attended = jst(2026, 1, 20, 15)
    result = evaluate(*downloaded(), track("Webinar Attended", at=attended), now=jst(2026, 2, 28))
    run = only_run(result)
    assert outcomes(run) == [("step1", "waited"), ("invite", "sent"), ("step3", "yes"), ("step4", "emitted")]
    assert (run.end_reason, run.ended_at, run.goal_at) == ("completed", us(attended), us(attended))
    (goal,) = emits(result)
    assert (goal.event, goal.at, goal.key) == (
        "Nurture Goal Reached",
        us(attended),
        "nurture:whitepaper_webinar:1:u1:1:step4",
    )
    assert result.lead is not None
    # fit 10 + whitepaper 15 + webinar 20 = 45 < 50; the emitted goal (+20) makes the MQL.
    mql = [h for h in result.lead.history if h.stage == "mql"]
    assert [(h.at, h.cause) for h in mql] == [(us(attended), goal.key)]


def test_not_attending_within_fourteen_days_leaves_the_flow_at_the_deadline_without_a_goal() -> None:
    late = jst(2026, 1, 27, 9, 0, 1)  # one second after the window closed
    result = evaluate(*downloaded(), track("Webinar Attended", at=late), now=jst(2026, 2, 28))
    run = only_run(result)
    assert outcomes(run)[-1] == ("step3", "no")
    assert (run.end_reason, run.ended_at, run.goal_at) == ("branch", us(jst(2026, 1, 27, 9)), None)
    assert emits(result) == []


def test_attending_before_the_invitation_went_out_does_not_count() -> None:
    result = evaluate(*downloaded(), track("Webinar Attended", at=jst(2026, 1, 8, 15)), now=jst(2026, 2, 28))
    assert only_run(result).end_reason == "branch"


def test_nothing_after_now_is_decided_and_later_evaluations_keep_earlier_keys() -> None:
    objs = [*downloaded(), track("Webinar Attended", at=jst(2026, 1, 20, 15))]
    before_send = evaluate(*objs, now=jst(2026, 1, 13, 8, 59))
    assert before_send.effects == []
    assert only_run(before_send).next_at == us(jst(2026, 1, 13, 9))
    keys = [[e.key for e in evaluate(*objs, now=jst(2026, 1, day, 23)).effects] for day in (13, 19, 20, 31)]
    assert keys[0] == keys[1] == ["nurture:whitepaper_webinar:1:u1:1:invite"]
    assert keys[2] == keys[3] == ["nurture:whitepaper_webinar:1:u1:1:invite", "nurture:whitepaper_webinar:1:u1:1:step4"]


def test_an_emit_already_recorded_in_the_log_is_the_same_event_not_a_second_one() -> None:
    objs = [*downloaded(), track("Webinar Attended", at=jst(2026, 1, 20, 15))]
    first = evaluate(*objs, now=jst(2026, 2, 1))
    (goal,) = emits(first)
    again = evaluate(*objs, emit_event(goal), now=jst(2026, 2, 1))
    assert [e.key for e in again.effects] == [e.key for e in first.effects]
    assert again.lead is not None and first.lead is not None
    assert again.lead.score == first.lead.score == 65


# --- timing ------------------------------------------------------------------------------------


def test_a_send_reached_at_night_waits_for_the_morning_of_the_next_business_day() -> None:
    night = flow("  - send_email: webinar_invite\n")
    friday_night = jst(2026, 1, 9, 22)
    result = evaluate(
        identify(at=jst(2026, 1, 9, 21), traits=EMAIL),
        track("Whitepaper Downloaded", at=friday_night),
        now=jst(2026, 1, 31),
        flows=[night],
    )
    # Saturday, Sunday and Monday (Coming of Age Day) are skipped.
    assert [s.due_at for s in sends(result)] == [us(jst(2026, 1, 13, 9))]


def test_quiet_hours_follow_the_leads_own_timezone() -> None:
    now_flow = flow("  - send_email: webinar_invite\n")
    # 10:00 in Tokyo is 01:00 in London: the mail waits for 09:00 London time (18:00 in Tokyo).
    result = evaluate(
        identify(at=jst(2026, 1, 6, 9), traits={**EMAIL, "timezone": "Europe/London"}),
        track("Whitepaper Downloaded", at=jst(2026, 1, 6, 10)),
        now=jst(2026, 1, 31),
        flows=[now_flow],
    )
    (send,) = sends(result)
    assert (send.due_at, send.zone) == (us("2026-01-06T09:00:00+00:00"), "Europe/London")


def test_a_custom_send_window_without_business_days_sends_on_a_holiday() -> None:
    weekend = flow(
        "  - send_email: webinar_invite\n", extra='send_window: {from: "07:00", to: "21:00", business_days: false}\n'
    )
    result = evaluate(
        identify(at=jst(2026, 1, 12, 6), traits=EMAIL),
        track("Whitepaper Downloaded", at=jst(2026, 1, 12, 6, 30)),
        now=jst(2026, 1, 31),
        flows=[weekend],
    )
    assert [s.due_at for s in sends(result)] == [us(jst(2026, 1, 12, 7))]


def test_a_business_day_wait_skips_the_weekend_and_the_holiday() -> None:
    waits = flow("  - wait: {business_days: 1}\n  - emit: Waited\n")
    result = evaluate(
        identify(at=jst(2026, 1, 9, 9), traits=EMAIL),
        track("Whitepaper Downloaded", at=jst(2026, 1, 9, 15)),
        now=jst(2026, 1, 31),
        flows=[waits],
    )
    assert [e.at for e in emits(result)] == [us(jst(2026, 1, 13, 15))]


# --- leaving every flow ------------------------------------------------------------------------


def test_unsubscribing_during_the_wait_ends_the_run_and_blocks_later_entries() -> None:
    again = flow("  - send_email: webinar_invite\n", extra="reentry: {after_days: 1}\n")
    result = evaluate(
        *downloaded(),
        track("Unsubscribed", at=jst(2026, 1, 7, 12)),
        track("Whitepaper Downloaded", at=jst(2026, 1, 20, 11), message_id="second download"),
        now=jst(2026, 2, 28),
        flows=[example(), again],
    )
    assert result.suppressed_at == us(jst(2026, 1, 7, 12))
    assert [(r.flow_id, r.end_reason, r.ended_at) for r in result.runs] == [
        ("whitepaper_webinar", "unsubscribed", us(jst(2026, 1, 7, 12))),
        ("f", "completed", us(jst(2026, 1, 5, 11))),
    ]
    assert [s.flow_id for s in sends(result)] == ["f"]  # only the mail sent before the unsubscribe


def test_sales_accepting_the_lead_takes_it_out_of_nurturing() -> None:
    result = evaluate(
        identify(at=jst(2026, 1, 5, 10), traits={**EMAIL, "job_level": "director"}),
        track("Whitepaper Downloaded", at=DOWNLOAD),
        track("Contact Form Submitted", at=jst(2026, 1, 6, 10)),
        action("accept", at=jst(2026, 1, 7, 10)),
        now=jst(2026, 2, 28),
    )
    run = only_run(result)
    assert (run.end_reason, run.ended_at) == ("reached_sal", us(jst(2026, 1, 7, 10)))
    assert sends(result) == []


def test_disqualifying_the_lead_ends_its_runs() -> None:
    result = evaluate(
        *downloaded(), action("disqualify", at=jst(2026, 1, 6, 10), reason="duplicate"), now=jst(2026, 2, 28)
    )
    assert only_run(result).end_reason == "disqualified"
    assert sends(result) == []


def test_a_lead_already_with_sales_does_not_enter() -> None:
    result = evaluate(
        identify(at=jst(2026, 1, 5, 9), traits=EMAIL),
        track("Demo Requested", at=jst(2026, 1, 5, 10)),
        track("Whitepaper Downloaded", at=DOWNLOAD),
        now=jst(2026, 2, 28),
    )
    assert result.runs == []


def test_exit_when_leaves_the_flow_on_the_flows_own_condition() -> None:
    stop_at_mql = flow("  - wait: {days: 30}\n  - send_email: webinar_invite\n", extra="exit_when: [{stage: mql}]\n")
    result = evaluate(
        *downloaded(),
        track("Contact Form Submitted", at=jst(2026, 1, 6, 10)),
        now=jst(2026, 2, 28),
        flows=[stop_at_mql],
    )
    assert (only_run(result).end_reason, sends(result)) == ("exit_when", [])


# --- entries ------------------------------------------------------------------------------------


def test_a_lead_enters_once_unless_reentry_allows_it_again_after_n_days() -> None:
    quick = "  - send_email: webinar_invite\n"
    objs = [
        *downloaded(),
        track("Whitepaper Downloaded", at=jst(2026, 1, 9, 11), message_id="d2"),
        track("Whitepaper Downloaded", at=jst(2026, 1, 20, 11), message_id="d3"),
    ]
    once = evaluate(*objs, now=jst(2026, 2, 28), flows=[flow(quick)])
    assert [r.run for r in once.runs] == [1]
    weekly = evaluate(*objs, now=jst(2026, 2, 28), flows=[flow(quick, extra="reentry: {after_days: 7}\n")])
    assert [(r.run, r.entered_at) for r in weekly.runs] == [(1, us(DOWNLOAD)), (2, us(jst(2026, 1, 20, 11)))]
    assert [s.key for s in sends(weekly)] == ["nurture:f:1:u1:1:step1", "nurture:f:1:u1:2:step1"]


def test_a_rejected_lead_enters_the_recycle_flow_only_for_the_agreed_reasons() -> None:
    recycle = flow("  - send_email: recycle_checkin\n", trigger="{action: reject, reason: [timing]}")
    to_mql = [
        identify(at=jst(2026, 1, 5, 10), traits=EMAIL),
        track("Contact Form Submitted", at=jst(2026, 1, 5, 11)),
        track("Webinar Attended", at=jst(2026, 1, 5, 12)),
    ]
    for reason, entered in (("timing", True), ("competitor chosen", False)):
        result = evaluate(
            *to_mql, action("reject", at=jst(2026, 1, 6, 10), reason=reason), now=jst(2026, 2, 28), flows=[recycle]
        )
        assert bool(result.runs) is entered, reason
        if entered:
            assert sends(result)[0].due_at == us(jst(2026, 1, 6, 10))


def test_a_stage_trigger_starts_the_flow_when_the_lead_enters_that_stage() -> None:
    welcome = flow("  - send_email: webinar_invite\n", trigger="{stage: mal}")
    result = evaluate(identify(at=jst(2026, 1, 5, 10), traits=EMAIL), now=jst(2026, 1, 31), flows=[welcome])
    assert only_run(result).entered_at == us(jst(2026, 1, 5, 10))


def test_anonymous_activity_before_the_lead_is_known_does_not_start_a_flow() -> None:
    result = evaluate(
        track("Whitepaper Downloaded", user=None, anonymous="a1", at=DOWNLOAD),
        identify("u1", anonymous="a1", at=jst(2026, 1, 5, 12), traits=EMAIL),
        now=jst(2026, 2, 28),
    )
    assert result.runs == []


def test_a_lead_without_an_email_address_walks_the_flow_without_mail() -> None:
    result = evaluate(
        identify(at=jst(2026, 1, 5, 10), traits={"job_level": "staff"}),
        track("Whitepaper Downloaded", at=DOWNLOAD),
        now=jst(2026, 2, 28),
    )
    assert outcomes(only_run(result))[:2] == [("step1", "waited"), ("invite", "no_address")]
    assert sends(result) == []


def test_entries_follow_the_activation_window_and_runs_keep_their_version() -> None:
    v1 = flow("  - wait: {days: 10}\n  - send_email: webinar_invite\n", extra="reentry: {after_days: 1}\n")
    v2 = load_flow_text(
        'id: f\nversion: "2"\ntrigger: {event: Whitepaper Downloaded}\n'
        "reentry: {after_days: 1}\nsteps:\n  - send_email: case_study\n"
    )
    switch = us(jst(2026, 1, 8))
    objs = [*downloaded(), track("Whitepaper Downloaded", at=jst(2026, 1, 20, 11), message_id="d2")]
    active = [ActiveFlow(v1, active_until=switch), ActiveFlow(v2, active_from=switch)]
    result = evaluate_flows(messages(*objs), nurture_agreement(), active, us(jst(2026, 2, 28)))["u1"]
    assert [(r.flow_version, r.run) for r in result.runs] == [("1", 1), ("2", 2)]
    assert [(s.key, s.template) for s in sends(result)] == [
        ("nurture:f:1:u1:1:step2", "webinar_invite"),
        ("nurture:f:2:u1:2:step1", "case_study"),
    ]


# --- branches on the flow's own mail ---------------------------------------------------------


def opened(step: str, at: str, run: int = 1, flow_id: str = "f", message_id: str | None = None) -> Json:
    props = {"flow": flow_id, "flow_version": "1", "run": run, "step": step}
    return track("Email Opened", at=at, properties=props, message_id=message_id)


def test_a_branch_on_opening_counts_only_this_runs_mail() -> None:
    opened_flow = flow(
        "  - {id: mail, send_email: webinar_invite}\n"
        "  - {branch: {if: {opened: mail}, within: {days: 3}, else: next, then: opened_it}}\n"
        "  - {emit: {event: Did Not Open, goal: false}}\n"
        "  - exit\n"
        "  - {id: opened_it, emit: Opened It}\n"
    )
    base = downloaded()
    other_run = evaluate(*base, opened("mail", jst(2026, 1, 6, 12), run=2), now=jst(2026, 2, 28), flows=[opened_flow])
    assert [e.event for e in emits(other_run)] == ["Did Not Open"]
    mine = evaluate(*base, opened("mail", jst(2026, 1, 6, 12)), now=jst(2026, 2, 28), flows=[opened_flow])
    assert [(e.event, e.at) for e in emits(mine)] == [("Opened It", us(jst(2026, 1, 6, 12)))]
    assert only_run(mine).goal_at == us(jst(2026, 1, 6, 12))
    assert only_run(other_run).goal_at is None


def test_an_emitted_event_can_start_another_flow() -> None:
    follow_up = flow("  - send_email: case_study\n", trigger="{event: Nurture Goal Reached}", flow_id="after_goal")
    result = evaluate(
        *downloaded(),
        track("Webinar Attended", at=jst(2026, 1, 20, 15)),
        now=jst(2026, 2, 28),
        flows=[example(), follow_up],
    )
    assert [(r.flow_id, r.entered_at) for r in result.runs] == [
        ("whitepaper_webinar", us(DOWNLOAD)),
        ("after_goal", us(jst(2026, 1, 20, 15))),
    ]


def test_simulated_sends_are_replayed_as_email_sent_events() -> None:
    scored = make_agreement(
        engagement=[
            *default_data()["engagement"],
            {"id": "mailed", "if": {"type": "track", "event": "Email Sent"}, "points": 40},
        ]
    )
    msgs: list[Message] = messages(*downloaded())
    flows = [ActiveFlow(flow("  - send_email: webinar_invite\n"))]
    real = evaluate_lead("u1", msgs, scored, flows, us(jst(2026, 1, 31)))
    simulated = evaluate_lead("u1", msgs, scored, flows, us(jst(2026, 1, 31)), assume_sent=True)
    assert real.lead is not None and simulated.lead is not None
    assert (real.lead.score, simulated.lead.score) == (25, 65)
    assert simulated.lead.stage == "mql"


def test_page_views_can_trigger_a_flow() -> None:
    pricing = flow("  - send_email: case_study\n", trigger="{type: page, path_prefix: /pricing}")
    result = evaluate(
        identify(at=jst(2026, 1, 5, 10), traits=EMAIL),
        page("/pricing/enterprise", at=jst(2026, 1, 6, 10)),
        now=jst(2026, 1, 31),
        flows=[pricing],
    )
    assert only_run(result).cause == "page:u1:2026-01-06T10:00:00+09:00:/pricing/enterprise"


def test_evaluation_is_deterministic_whatever_the_arrival_order() -> None:
    objs = [
        *downloaded(),
        track("Webinar Attended", at=jst(2026, 1, 20, 15)),
        track("Unsubscribed", at=jst(2026, 2, 2)),
    ]
    forward = evaluate_lead("u1", messages(*objs), nurture_agreement(), [ActiveFlow(example())], us(jst(2026, 2, 28)))
    backward = [parse_message(o, seq=i) for i, o in enumerate(reversed(objs), start=1)]
    reverse = evaluate_lead("u1", backward, nurture_agreement(), [ActiveFlow(example())], us(jst(2026, 2, 28)))
    assert forward.effects == reverse.effects
    assert [(r.end_reason, r.goal_at) for r in forward.runs] == [(r.end_reason, r.goal_at) for r in reverse.runs]
    assert shift(DOWNLOAD, days=7) == jst(2026, 1, 12, 11)
