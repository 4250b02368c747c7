"""Simulation and the per flow / per step report: who entered, what was (or would be) sent,
opened, clicked, who reached the goal and MQL afterwards."""

from __future__ import annotations

from typing import Any

from factories import default_data, identify, jst, make_agreement, messages, track, us

from leadpact.adapters.flow_yaml import example_flow_path, load_flow
from leadpact.domain.agreement import Agreement
from leadpact.domain.flow_runs import FlowRun, StepRecord
from leadpact.domain.flows import step_kind
from leadpact.domain.messages import parse_message
from leadpact.service.nurture.report import FlowStats, StepStats, add_runs, mail_events, new_stats
from leadpact.service.nurture.simulate import live_status, simulate

STAFF = {"email": "x@buyer.example", "job_level": "staff", "employees": 50}


def agreement() -> Agreement:
    goal = {"id": "nurture_goal", "if": {"type": "track", "event": "Nurture Goal Reached"}, "points": 20}
    return make_agreement(engagement=[*default_data()["engagement"], goal])


def history() -> list[dict[str, Any]]:
    """a: attends (goal, MQL); b: opens and clicks the invitation but does not attend;
    c: downloads before the period; d: downloads after it."""
    objs: list[dict[str, Any]] = []
    for user, day in (("a", 5), ("b", 5), ("c", 2), ("d", 29)):
        objs += [
            identify(user, at=jst(2026, 1, day, 9), traits=STAFF),
            track("Whitepaper Downloaded", user=user, at=jst(2026, 1, day, 11)),
        ]
    mail = {"flow": "whitepaper_webinar", "flow_version": "1", "run": 1, "step": "invite"}
    objs += [
        track("Webinar Attended", user="a", at=jst(2026, 1, 20, 15)),
        track("Email Opened", user="b", at=jst(2026, 1, 13, 10), properties=mail),
        track("Email Link Clicked", user="b", at=jst(2026, 1, 13, 10, 1), properties={**mail, "url": "https://x"}),
    ]
    return objs


def steps(stats: FlowStats) -> dict[str, StepStats]:
    return {s.step_id: s for s in stats.steps}


def test_a_simulation_counts_entries_in_the_period_mails_opens_clicks_goals_and_mqls() -> None:
    result = simulate(
        messages(*history()), agreement(), [load_flow(example_flow_path())], us(jst(2026, 1, 4)), us(jst(2026, 1, 28))
    )
    (stats,) = result.stats
    assert (stats.entered, stats.goal, stats.mql_after, stats.active) == (2, 1, 1, 0)
    assert stats.ended == {"branch": 1, "completed": 1}
    invite = steps(stats)["invite"]
    assert (invite.reached, invite.sent, invite.opened, invite.clicked, invite.goal, invite.mql_after) == (
        2,
        2,
        1,
        1,
        1,
        1,
    )
    assert sorted(result.leads) == ["a", "b"]


def test_the_simulation_json_lists_each_run_with_its_mails_and_outcome() -> None:
    result = simulate(
        messages(*history()), agreement(), [load_flow(example_flow_path())], us(jst(2026, 1, 4)), us(jst(2026, 1, 28))
    )
    runs = {run["lead_id"]: run for run in result.to_json()["runs"]}
    assert runs["a"]["mails"][0]["at"] == "2026-01-13T09:00:00+09:00"
    assert (runs["a"]["goal_at"], runs["a"]["mql_at"]) == ("2026-01-20T15:00:00+09:00", "2026-01-20T15:00:00+09:00")
    assert (runs["b"]["end_reason"], runs["b"]["goal_at"]) == ("branch", None)


def test_a_run_still_waiting_at_the_end_of_the_period_shows_its_next_step() -> None:
    result = simulate(
        messages(*history()), agreement(), [load_flow(example_flow_path())], us(jst(2026, 1, 20)), us(jst(2026, 1, 30))
    )
    (run,) = result.to_json()["runs"]
    assert (run["lead_id"], run["mails"], run["waiting_at"]) == ("d", [], "step1")
    assert run["next_at"] == "2026-02-05T11:00:00+09:00"


def test_the_live_report_counts_only_mail_recorded_as_sent() -> None:
    sent = track(
        "Email Sent",
        user="a",
        at=jst(2026, 1, 13, 9, 1),
        properties={"flow": "whitepaper_webinar", "flow_version": "1", "run": 1, "step": "invite"},
    )
    result = live_status(
        messages(*history(), sent), agreement(), [load_flow(example_flow_path())], us(jst(2026, 1, 31))
    )
    (stats,) = result.stats
    assert (stats.entered, steps(stats)["invite"].reached, steps(stats)["invite"].sent) == (4, 3, 1)


def test_mail_events_count_only_for_a_run_that_entered_before_them() -> None:
    """A flow re-activated with the same version numbers its runs from 1 again: the mail
    events of the earlier run 1 (same lead, flow, version, run and step) are not the new run's."""
    flow = load_flow(example_flow_path())
    invite = next(s.id for s in flow.steps if step_kind(s) == "send_email")
    props = {"flow": flow.id, "flow_version": flow.version, "run": 1, "step": invite}
    old = [
        parse_message({**track(event, user="u1", at=jst(2026, 1, 5, 10)), "properties": props, "messageId": event})
        for event in ("Email Sent", "Email Opened", "Email Link Clicked")
    ]
    events = mail_events(old)

    def counted(entered: int) -> StepStats:
        run = FlowRun(flow.id, flow.version, "u1", 1, entered, "trigger", [StepRecord(invite, "send_email", entered)])
        stats = new_stats([flow])
        add_runs(stats, [run], (), events, until=us(jst(2026, 3, 1)), assume_sent=False)
        return next(s for s in stats[(flow.id, flow.version)].steps if s.step_id == invite)

    earlier_run = counted(us(jst(2026, 1, 1)))
    assert (earlier_run.sent, earlier_run.opened, earlier_run.clicked) == (1, 1, 1)
    new_run = counted(us(jst(2026, 2, 1)))
    assert (new_run.reached, new_run.sent, new_run.opened, new_run.clicked) == (1, 0, 0, 0)
