"""Which queued mail must not go out because its lead left every flow (docs/nurture.md, "leaves
every flow"): the engine records each moment the lead left, and the runner holds back the mail
of every run the lead was in by then — still going or already ended — but not of a later run."""

from __future__ import annotations

from factories import action, default, identify, messages, track, us
from nurture_history import ONE_MAIL

from leadpact.adapters.flow_yaml import load_flow_text
from leadpact.domain.flow_engine import evaluate_lead
from leadpact.domain.flow_runs import ActiveFlow, FlowRun, LeadFlows
from leadpact.service.nurture.outbox import OutboxMail
from leadpact.service.nurture.runner import hold_back_reason


def queued(run: int = 1, due_at: int = 0) -> OutboxMail:
    return OutboxMail(
        key=f"nurture:one_mail:1:u1:{run}:invite",
        lead_id="u1",
        flow_id="one_mail",
        flow_version="1",
        run=run,
        step_id="invite",
        template="webinar_invite",
        language="ja",
        zone="Asia/Tokyo",
        due_at=due_at,
        recipient="u1@buyer.example",
        message_id="<m@seller.example>",
        content=b"",
    )


def lead_with(runs: list[FlowRun], left: list[tuple[int, str]], suppressed_at: int | None = None) -> LeadFlows:
    return LeadFlows("u1", runs=runs, left=left, suppressed_at=suppressed_at)


def completed_run(run: int, entered_at: int) -> FlowRun:
    return FlowRun("one_mail", "1", "u1", run, entered_at, "trigger", ended_at=entered_at, end_reason="completed")


def test_the_engine_records_when_the_lead_left_every_flow_after_a_completed_run() -> None:
    history = messages(
        identify(at="2026-02-03T09:00:00+09:00", traits={"email": "u1@buyer.example"}),
        track("Whitepaper Downloaded", at="2026-02-03T10:00:00+09:00"),
        action("disqualify", at="2026-02-03T10:30:00+09:00", reason="out_of_target"),
    )
    flows = [ActiveFlow(load_flow_text(ONE_MAIL))]
    lead = evaluate_lead("u1", history, default(), flows, us("2026-02-04T00:00:00+09:00"))
    (run,) = lead.runs
    assert (run.end_reason, run.ended_at) == ("completed", us("2026-02-03T10:00:00+09:00"))  # at its only send
    assert lead.left == [(us("2026-02-03T10:30:00+09:00"), "disqualified")]
    assert hold_back_reason(lead, queued(due_at=run.ended_at)) == "disqualified"


def test_mail_of_a_run_entered_after_the_lead_left_is_not_held_back() -> None:
    lead = lead_with([completed_run(1, 100), completed_run(2, 300)], left=[(200, "reached_sal")])
    assert hold_back_reason(lead, queued(run=1, due_at=100)) == "reached_sal"
    assert hold_back_reason(lead, queued(run=2, due_at=300)) is None


def test_a_run_the_engine_no_longer_shows_is_judged_from_its_mail_s_due_time() -> None:
    lead = lead_with([], left=[(200, "disqualified")])
    assert hold_back_reason(lead, queued(due_at=150)) == "disqualified"
    assert hold_back_reason(lead, queued(due_at=250)) is None


def test_an_unsubscribed_lead_gets_no_queued_mail_at_all() -> None:
    lead = lead_with([completed_run(1, 300)], left=[(200, "unsubscribed")], suppressed_at=200)
    assert hold_back_reason(lead, queued(due_at=300)) == "unsubscribed"
    assert hold_back_reason(lead_with([completed_run(1, 100)], left=[]), queued(due_at=100)) is None
