"""Nurture mail end to end over a real SMTP server (aiosmtpd on 127.0.0.1, a free port).

Time is always injected: each "run" is the one-shot runner at a given moment, exactly what a
scheduler tick does; nothing sleeps. Monday 12 January 2026 is Coming of Age Day (成人の日),
a public holiday in Japan.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from nurture_history import DECISION_MAKER, JANE, ONE_MAIL, TARO, TWO_MAILS, act, track
from smtp_inbox import Inbox, html_of, smtp_server, text_of
from typer.testing import CliRunner

from leadpact.adapters.agreement_yaml import default_agreement_text
from leadpact.adapters.flow_yaml import example_flow_path, load_flow, load_flow_text
from leadpact.adapters.outbox_sqlite import SqliteOutbox
from leadpact.adapters.smtp import SmtpConfig, SmtpMailer
from leadpact.domain.agreement import Agreement, parse_agreement
from leadpact.domain.flow_runs import ActiveFlow
from leadpact.domain.flows import Flow
from leadpact.domain.messages import Message, parse_message
from leadpact.domain.replay import replay
from leadpact.domain.timeutil import parse_iso, to_us
from leadpact.entrypoints.cli import app
from leadpact.service.clock import FixedClock
from leadpact.service.nurture.compose import mail_address
from leadpact.service.nurture.delivery import RetryPolicy, TransportConfigError
from leadpact.service.nurture.links import (
    CLICK,
    OPEN,
    UNSUBSCRIBE,
    InvalidLinkError,
    LinkBuilder,
    parse_tracking_url,
    tracking_event,
    verify,
)
from leadpact.service.nurture.outbox import MailState, OutboxMail
from leadpact.service.nurture.rate_limit import RateLimiter
from leadpact.service.nurture.runner import NurtureRunner, RunnerSettings, RunReport, activate
from leadpact.service.nurture.templates import TemplateLibrary

JST = timezone(timedelta(hours=9))
SECRET = b"test-tracking-secret"
BASE_URL = "https://t.example.com"
Json = dict[str, Any]


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> str:
    return datetime(2026, month, day, hour, minute, second, tzinfo=JST).isoformat()


def us(moment: str) -> int:
    return to_us(parse_iso(moment))


def identify(user: str, when: str, **traits: Any) -> Json:
    return {
        "type": "identify",
        "messageId": f"identify:{user}:{when}",
        "timestamp": when,
        "userId": user,
        "traits": traits,
    }


def nurture_agreement() -> Agreement:
    """The default agreement plus 20 points for a reached nurture goal (docs/nurture.md)."""
    data = copy.deepcopy(yaml.safe_load(default_agreement_text()))
    data["engagement"].append(
        {"id": "nurture_goal", "if": {"type": "track", "event": "Nurture Goal Reached"}, "points": 20}
    )
    return parse_agreement(data, "nurture-agreement.yaml")


# --- the SMTP server --------------------------------------------------------------------------


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as inbox:
        yield inbox, inbox.port


# --- the world: an event log, an outbox file, runs at given moments ------------------------------


class SimulatedCrashError(Exception):
    """Stands for the runner process dying at a checkpoint."""


@dataclass
class World:
    inbox: Inbox
    port: int
    path: Path
    flows: list[Flow]
    log: list[Json] = field(default_factory=list)
    agreement: Agreement = field(default_factory=nurture_agreement)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    limiter: RateLimiter | None = None
    outbox: SqliteOutbox = field(init=False)

    def __post_init__(self) -> None:
        self.outbox = SqliteOutbox(self.path)

    def messages(self) -> list[Message]:
        return [parse_message(obj, seq=i) for i, obj in enumerate(self.log, start=1)]

    def runner(self, crash_at: str | None = None) -> NurtureRunner:
        def checkpoint(stage: str, mail: OutboxMail, /) -> None:
            if stage == crash_at:
                raise SimulatedCrashError(stage)

        settings = RunnerSettings(
            sender=mail_address("news@seller.example", "売り手株式会社"),
            links=LinkBuilder(BASE_URL, SECRET),
            retry=self.retry,
        )
        mailer = SmtpMailer(SmtpConfig("127.0.0.1", self.port, timeout=5))
        limiter = self.limiter or RateLimiter(FixedClock(0))
        return NurtureRunner(self.outbox, mailer, TemplateLibrary(), settings, limiter, checkpoint)

    def run(self, when: str, crash_at: str | None = None) -> RunReport:
        """One tick at ``when``; what it recorded is appended to the event log."""
        runner = self.runner(crash_at)
        report = runner.run_once(self.messages(), self.agreement, [ActiveFlow(f) for f in self.flows], us(when))
        runner.publish(self.log.extend)
        return report

    def restart(self) -> None:
        self.outbox.close()
        self.outbox = SqliteOutbox(self.path)

    def events(self, name: str) -> list[Json]:
        return [e for e in self.log if e.get("event") == name]

    def mail(self, key: str) -> OutboxMail:
        found = self.outbox.get(key)
        assert found is not None, key
        return found


@pytest.fixture
def world(smtp: tuple[Inbox, int], tmp_path: Path) -> Iterator[World]:
    inbox, port = smtp
    made = World(inbox, port, tmp_path / "outbox.db", [load_flow(example_flow_path())])
    yield made
    made.outbox.close()


def downloaded(world: World, user: str = "u1", traits: dict[str, Any] | None = None) -> None:
    world.log += [identify(user, at(1, 5, 10), **(traits or TARO)), track(user, "Whitepaper Downloaded", at(1, 5, 11))]


def links_in(text: str, kind: str) -> list[str]:
    return [word for word in text.split() if word.startswith(f"{BASE_URL}/t/{kind}/")]


INVITE = "nurture:whitepaper_webinar:1:u1:1:invite"


# --- the example flow ---------------------------------------------------------------------------


def test_the_example_flow_sends_one_japanese_invitation_and_the_goal_raises_the_mql_count(world: World) -> None:
    downloaded(world)
    assert world.run(at(1, 12, 12)).sent == 0  # a week later is a holiday
    report = world.run(at(1, 13, 9, 5))
    assert (report.enqueued, report.sent) == (1, 1)
    (mail,) = world.inbox.received
    assert world.inbox.envelopes == [("news@seller.example", ["taro@buyer.example"])]
    assert mail["Subject"].startswith("【ウェビナーのご案内】")
    assert "買い手株式会社 山田 太郎 様" in text_of(mail)
    assert mail["Message-ID"] == world.mail(INVITE).message_id
    assert mail["Content-Language"] == "ja"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert links_in(html_of(mail).replace('"', " "), OPEN), "the HTML part carries the open pixel"
    (sent,) = world.events("Email Sent")
    assert sent["messageId"] == f"{INVITE}:sent"
    assert sent["properties"] | {"confirmed": True} == sent["properties"]

    mqls_before = sum(
        lead.stage == "mql" for lead in replay(world.messages(), world.agreement, us(at(1, 31))).leads.values()
    )
    world.log.append(track("u1", "Webinar Attended", at(1, 20, 15)))
    report = world.run(at(1, 20, 15, 30))
    assert (report.emitted, report.sent) == (1, 0)
    (goal,) = world.events("Nurture Goal Reached")
    assert us(goal["timestamp"]) == us(at(1, 20, 15))
    lead = replay(world.messages(), world.agreement, us(at(1, 31))).leads["u1"]
    assert (mqls_before, lead.stage, lead.score) == (0, "mql", 65)
    assert len(world.inbox.received) == 1


def test_an_english_speaking_lead_gets_the_english_invitation(world: World) -> None:
    downloaded(world, "u2", JANE)
    world.run(at(1, 13, 9, 5))
    (mail,) = world.inbox.to("jane@corp.example")
    assert str(mail["Subject"]).strip().startswith("Webinar invitation:")  # folded after "Subject:"
    assert "Dear Jane," in text_of(mail)
    assert mail["Content-Language"] == "en"


def test_running_again_and_again_never_sends_a_mail_twice(world: World) -> None:
    downloaded(world)
    for moment in (at(1, 13, 9), at(1, 13, 9), at(1, 13, 10), at(1, 14, 9)):
        world.run(moment)
    assert len(world.inbox.received) == 1
    assert len(world.events("Email Sent")) == 1


# --- quiet hours and holidays ---------------------------------------------------------------------


def test_quiet_hours_and_a_japanese_holiday_postpone_the_invitation(world: World) -> None:
    downloaded(world)
    assert world.run(at(1, 12, 11)).enqueued == 0  # 7 days have passed, but it is 成人の日
    assert world.run(at(1, 13, 8, 59)).enqueued == 0  # before the send window opens
    world.run(at(1, 13, 9))
    assert len(world.inbox.received) == 1
    assert world.mail(INVITE).sent_at == us(at(1, 13, 9))


def test_a_runner_that_wakes_up_at_night_waits_for_the_morning(world: World) -> None:
    downloaded(world)
    report = world.run(at(1, 13, 20))  # first run since the mail became due at 09:00
    assert (report.enqueued, report.deferred_quiet_hours, report.sent) == (1, 1, 0)
    assert world.mail(INVITE).next_attempt_at == us(at(1, 14, 9))
    world.run(at(1, 14, 8))
    assert world.inbox.received == []
    world.run(at(1, 14, 9))
    assert len(world.inbox.received) == 1


def test_a_mail_discovered_days_too_late_is_never_sent(world: World) -> None:
    downloaded(world)
    report = world.run(at(1, 20, 10))  # due 13 January 09:00: a week late
    assert (report.too_late, report.sent) == (1, 0)
    assert world.mail(INVITE).state is MailState.suppressed
    assert world.inbox.received == []


# --- crashes between "decided to send" and "sent" -------------------------------------------------


def test_a_crash_before_the_smtp_transaction_sends_once_after_the_restart(world: World) -> None:
    downloaded(world)
    with pytest.raises(SimulatedCrashError):
        world.run(at(1, 13, 9), crash_at="claimed")
    assert world.mail(INVITE).state is MailState.sending
    assert world.inbox.received == []
    world.restart()
    report = world.run(at(1, 13, 9, 1))
    assert (report.recovered_requeued, report.sent) == (1, 1)
    assert len(world.inbox.received) == 1
    assert world.mail(INVITE).confirmed is True


def test_a_crash_after_the_server_accepted_does_not_send_again(world: World) -> None:
    downloaded(world)
    with pytest.raises(SimulatedCrashError):
        world.run(at(1, 13, 9), crash_at="accepted")
    assert len(world.inbox.received) == 1
    world.restart()
    report = world.run(at(1, 13, 9, 1))
    assert (report.recovered_unconfirmed, report.sent) == ([INVITE], 0)
    world.run(at(1, 14, 9))
    assert len(world.inbox.received) == 1
    mail = world.mail(INVITE)
    assert (mail.state, mail.confirmed) == (MailState.sent, False)
    (sent,) = world.events("Email Sent")
    assert sent["properties"]["confirmed"] is False


def test_a_crash_in_the_last_instant_before_the_final_dot_is_flagged_not_resent(world: World) -> None:
    """The one window the guarantee gives away (docs/nurture.md): the end of the data was
    recorded, the final dot never went out. At most once wins: not resent, flagged."""
    downloaded(world)
    with pytest.raises(SimulatedCrashError):
        world.run(at(1, 13, 9), crash_at="end_of_data")
    world.restart()
    report = world.run(at(1, 13, 9, 1))
    assert report.recovered_unconfirmed == [INVITE]
    assert world.inbox.received == []  # the server discarded the incomplete message


def test_the_mail_is_byte_identical_when_it_is_retried(world: World) -> None:
    downloaded(world)
    world.inbox.data_replies = ["451 4.3.0 Try again later"]
    world.run(at(1, 13, 9))
    first = world.mail(INVITE)
    world.run(at(1, 13, 9, 5))
    (mail,) = world.inbox.received
    assert mail["Message-ID"] == first.message_id
    assert world.mail(INVITE).content == first.content


# --- errors: retried with back-off, finally recorded ------------------------------------------------


def test_temporary_errors_back_off_then_fail_and_are_recorded(world: World) -> None:
    world.retry = RetryPolicy(max_attempts=3, backoff_seconds=(300, 1800))
    downloaded(world)
    world.inbox.data_replies = ["451 4.3.0 Try again later"] * 3
    assert world.run(at(1, 13, 9)).retried == 1
    assert world.mail(INVITE).next_attempt_at == us(at(1, 13, 9, 5))
    assert world.run(at(1, 13, 9, 4)).retried == 0  # not due yet
    assert world.run(at(1, 13, 9, 5)).retried == 1
    assert world.mail(INVITE).next_attempt_at == us(at(1, 13, 9, 35))
    assert world.run(at(1, 13, 9, 35)).failed == 1
    mail = world.mail(INVITE)
    assert (mail.state, mail.attempts) == (MailState.failed, 3)
    (failed,) = world.events("Email Failed")
    assert failed["properties"]["attempts"] == 3 and "451" in failed["properties"]["error"]
    world.run(at(1, 14, 9))
    assert world.inbox.received == []


def test_a_refused_recipient_bounces_at_once_and_is_never_mailed_again(world: World) -> None:
    world.flows = [load_flow_text(TWO_MAILS)]
    downloaded(world)
    world.inbox.refused_recipients.add("taro@buyer.example")
    assert world.run(at(1, 5, 11)).bounced == 1
    (bounce,) = world.events("Email Bounced")
    assert "550" in bounce["properties"]["error"]
    world.inbox.refused_recipients.clear()
    assert world.run(at(1, 8, 11)).suppressed == 1  # the second mail: address suppressed
    assert world.inbox.received == []


# --- unsubscribing ---------------------------------------------------------------------------------


def test_the_unsubscribe_link_stops_everything(world: World) -> None:
    world.flows = [load_flow_text(TWO_MAILS)]
    downloaded(world)
    world.run(at(1, 5, 11))
    (first,) = world.inbox.received
    assert first["List-Unsubscribe"] == f"<{links_in(text_of(first), UNSUBSCRIBE)[0]}>"
    kind, token = parse_tracking_url(links_in(text_of(first), UNSUBSCRIBE)[0])
    world.log.append(tracking_event(verify(token, [SECRET], kind), us(at(1, 6, 20))))
    # another lead record with the same address (a duplicate) is suppressed too
    world.log += [identify("u1-dup", at(1, 7, 10), **TARO), track("u1-dup", "Whitepaper Downloaded", at(1, 7, 11))]
    world.run(at(1, 8, 11))
    world.run(at(1, 9, 11))
    assert len(world.inbox.received) == 1
    assert world.outbox.is_suppressed("Taro@Buyer.example")
    lead = replay(world.messages(), world.agreement, us(at(1, 9, 12))).leads["u1"]
    assert ("unsubscribe", 1, -20.0, -20.0) in [(r.rule, r.count, r.points, r.decayed_points) for r in lead.reasons]


def test_mail_queued_for_retry_is_not_sent_after_the_lead_unsubscribes(world: World) -> None:
    downloaded(world)
    world.inbox.data_replies = ["451 4.3.0 Try again later"]
    world.run(at(1, 13, 9))
    world.log.append(track("u1", "Unsubscribed", at(1, 13, 9, 2)))
    report = world.run(at(1, 13, 9, 5))
    assert (report.suppressed, report.sent) == (1, 0)
    assert world.mail(INVITE).state is MailState.suppressed
    assert world.inbox.received == []


LAST_STEP_MAIL = """\
id: last_step
version: "1"
trigger: {event: Whitepaper Downloaded}
steps:
  - {id: a, send_email: case_study}
  - wait: {days: 1}
  - {id: b, send_email: webinar_invite}
"""
"""A flow whose run ends ("completed") the moment its last mail is due, sent or not."""


def test_queued_last_step_mail_is_not_sent_after_the_lead_is_accepted_or_disqualified(world: World) -> None:
    """The audit's repro: one recipient domain at one mail a minute keeps two ``b`` mails
    queued after their runs completed; the lead accepted (SAL) and the one disqualified then get
    neither (docs/nurture.md: mail already queued for a lead leaving every flow is not sent)."""
    world.flows = [load_flow_text(LAST_STEP_MAIL)]
    clock = FixedClock(0)
    world.limiter = RateLimiter(clock, domain_per_minute=1)
    for user in ("u1", "u2", "u3"):
        traits = {**TARO, **(DECISION_MAKER if user == "u2" else {}), "email": f"{user}@buyer.example"}
        world.log += [identify(user, at(1, 6, 9), **traits), track(user, "Whitepaper Downloaded", at(1, 6, 10))]
    for minute in (0, 2, 4):  # the three ``a`` mails, one a minute at most
        clock.advance(2 * 60_000_000)
        assert world.run(at(1, 6, 10, minute)).sent == 1
    clock.advance(60_000_000)
    report = world.run(at(1, 7, 10))  # a day later: the ``b`` mails, the last step
    assert (report.enqueued, report.sent, report.deferred_rate_limit) == (3, 1, 2)
    last = {user: f"nurture:last_step:1:{user}:1:b" for user in ("u1", "u2", "u3")}
    assert [world.mail(last[user]).state for user in ("u2", "u3")] == [MailState.pending] * 2

    world.log += [
        act("u2", "accept", at(1, 7, 10, 0, 20), "inside_sales"),
        act("u3", "disqualify", at(1, 7, 10, 0, 40), "marketing", reason="out_of_target"),
    ]
    assert replay(world.messages(), world.agreement, us(at(1, 7, 11))).leads["u2"].stage == "sal"
    clock.advance(10 * 60_000_000)  # tokens enough for both
    report = world.run(at(1, 7, 10, 2))
    assert (report.suppressed, report.sent) == (2, 0)
    assert [world.mail(last[user]).last_error for user in ("u2", "u3")] == ["lead reached_sal", "lead disqualified"]
    assert len(world.inbox.received) == 4  # three ``a``, the ``b`` of u1
    assert len(world.inbox.to("u2@buyer.example")) == len(world.inbox.to("u3@buyer.example")) == 1


def test_a_lead_sent_back_to_nurturing_gets_the_mail_of_its_new_run(world: World) -> None:
    """Leaving every flow holds back the mail of the runs the lead was in, not of a run it
    enters after sales sends it back (reject → mal)."""
    world.flows = [load_flow_text(RECYCLED)]
    world.log += [
        identify("u1", at(1, 5, 9), **{**TARO, **DECISION_MAKER}),
        track("u1", "Whitepaper Downloaded", at(1, 5, 10)),  # MQL
        act("u1", "accept", at(1, 5, 11), "inside_sales"),
        act("u1", "reject", at(1, 6, 10), "inside_sales", reason="timing"),
    ]
    world.inbox.data_replies = ["451 4.3.0 Try again later"]  # so the mail is still queued next run
    assert world.run(at(1, 6, 10)).retried == 1
    report = world.run(at(1, 6, 10, 5))
    assert (report.suppressed, report.sent) == (0, 1)
    assert world.mail("nurture:recycled:1:u1:1:checkin").state is MailState.sent


RECYCLED = """\
id: recycled
version: "1"
trigger: {action: reject}
steps:
  - {id: checkin, send_email: recycle_checkin}
"""


# --- never more than 72 hours late ----------------------------------------------------------------------

ONE = "nurture:one_mail:1:u1:1:invite"


def test_a_retry_that_would_go_out_more_than_72_hours_late_is_suppressed(world: World) -> None:
    """Due Friday 9 January 17:50; two 451s push the retry past the window into the weekend and
    成人の日 (Monday 12th): Tuesday 09:00 would be 87 hours late."""
    world.flows = [load_flow_text(ONE_MAIL)]
    world.log += [identify("u1", at(1, 9, 17), **TARO), track("u1", "Whitepaper Downloaded", at(1, 9, 17, 50))]
    world.inbox.data_replies = ["451 4.3.0 Try again later"] * 2
    assert world.run(at(1, 9, 17, 50)).retried == 1  # again at 17:55
    report = world.run(at(1, 9, 17, 55))  # the next try would be Tuesday 09:00
    assert (report.retried, report.too_late, report.failed) == (0, 1, 0)
    mail = world.mail(ONE)
    assert (mail.state, mail.attempts) == (MailState.suppressed, 2)
    assert mail.last_error == (
        "too late: due 2026-01-09T17:50:00+09:00, could go out 2026-01-13T09:00:00+09:00 at the earliest; "
        "last error: message refused: 451 4.3.0 Try again later"
    )
    assert world.run(at(1, 13, 9)).sent == 0
    assert world.inbox.received == []
    assert world.events("Email Sent") == world.events("Email Failed") == []


def test_a_retry_found_days_after_it_was_due_is_suppressed_not_sent(world: World) -> None:
    """The runner did not run from Tuesday 10:05 until the next Tuesday: a retry a week late."""
    world.flows = [load_flow_text(ONE_MAIL)]
    world.log += [identify("u1", at(1, 6, 9), **TARO), track("u1", "Whitepaper Downloaded", at(1, 6, 10))]
    world.inbox.data_replies = ["451 4.3.0 Try again later"]
    assert world.run(at(1, 6, 10)).retried == 1
    report = world.run(at(1, 13, 10))
    assert (report.too_late, report.sent) == (1, 0)
    assert world.mail(ONE).state is MailState.suppressed
    assert world.inbox.received == []


def test_a_retry_within_72_hours_still_goes_out_after_the_weekend(world: World) -> None:
    world.flows = [load_flow_text(ONE_MAIL)]
    world.log += [identify("u1", at(1, 16, 9), **TARO), track("u1", "Whitepaper Downloaded", at(1, 16, 17, 50))]
    world.inbox.data_replies = ["451 4.3.0 Try again later"] * 2
    world.run(at(1, 16, 17, 50))
    assert world.run(at(1, 16, 17, 55)).retried == 1  # Friday 16th → Monday 19th 09:00: 63 hours
    assert world.mail(ONE).next_attempt_at == us(at(1, 19, 9))
    assert world.run(at(1, 19, 9)).sent == 1


# --- tracking links ----------------------------------------------------------------------------------


def test_opening_the_pixel_records_an_event_that_changes_the_score(world: World) -> None:
    downloaded(world)
    world.run(at(1, 13, 9))
    (mail,) = world.inbox.received
    (pixel,) = links_in(html_of(mail).replace('"', " "), OPEN)
    before = replay(world.messages(), world.agreement, us(at(1, 14))).leads["u1"].score
    kind, token = parse_tracking_url(pixel)
    opened = tracking_event(verify(token, [SECRET], kind), us(at(1, 13, 12)))
    assert (opened["event"], opened["userId"], opened["properties"]["step"]) == ("Email Opened", "u1", "invite")
    world.log += [opened, dict(opened)]  # a second fetch of the pixel is the same event
    after = replay(world.messages(), world.agreement, us(at(1, 14))).leads["u1"].score
    assert after - before == 1  # email_open: 1 point, once


def test_a_tampered_tracking_link_is_rejected(world: World) -> None:
    downloaded(world)
    world.run(at(1, 13, 9))
    (mail,) = world.inbox.received
    (click,) = links_in(text_of(mail), CLICK)
    kind, token = parse_tracking_url(click)
    assert verify(token, [SECRET], kind).url == "https://example.com/webinar"
    forged_link = LinkBuilder(BASE_URL, b"attacker secret").url(verify(token, [SECRET]))
    payload, mac = token.split(".")
    # A character inside the MAC (the last one also carries unused bits: changing those is a
    # non-canonical spelling, rejected as malformed — see test_a_token_has_one_spelling_only).
    flipped = ("A" if mac[0] != "A" else "B") + mac[1:]
    other_payload = parse_tracking_url(world.runner().settings.links.unsubscribe_url(_other_lead()))[1].split(".")[0]
    for bad, expected in (
        (f"{payload}.{flipped}", "bad signature"),
        (f"{other_payload}.{mac}", "bad signature"),
        (parse_tracking_url(forged_link)[1], "bad signature"),
        (token + "AAAA", "bad signature"),  # a longer MAC, canonically spelt
        (token + "x", "malformed"),  # not a canonical spelling of any MAC
        ("garbage", "malformed"),
    ):
        with pytest.raises(InvalidLinkError, match=expected):
            verify(bad, [SECRET], kind)
    with pytest.raises(InvalidLinkError, match="expected an unsubscribe link, found a click link"):
        verify(token, [SECRET], UNSUBSCRIBE)


def _other_lead() -> Any:
    from leadpact.domain.flow_runs import SendEmail

    return SendEmail(
        INVITE.replace("u1", "victim"), "victim", "whitepaper_webinar", "1", 1, "invite", "t", (), "ja", "Asia/Tokyo", 0
    )


# --- rate limits and transport configuration ----------------------------------------------------------


def test_the_global_rate_limit_defers_the_rest_until_tokens_refill(world: World) -> None:
    clock = FixedClock(0)
    world.limiter = RateLimiter(clock, global_per_minute=2)
    for user in ("a", "b", "c"):
        downloaded(world, user, {**TARO, "email": f"{user}@buyer.example"})
    report = world.run(at(1, 13, 9))
    assert (report.sent, report.deferred_rate_limit) == (2, 1)
    clock.advance(30_000_000)  # half a minute: one token back
    assert world.run(at(1, 13, 9, 1)).sent == 1
    assert sorted(str(m["To"]).split("<")[1] for m in world.inbox.received) == [
        "a@buyer.example>",
        "b@buyer.example>",
        "c@buyer.example>",
    ]


def test_a_server_without_starttls_stops_the_run_and_keeps_the_mail(world: World) -> None:
    downloaded(world)
    runner = world.runner()
    runner.mailer = SmtpMailer(SmtpConfig("127.0.0.1", world.port, starttls=True, timeout=5))
    with pytest.raises(TransportConfigError, match="does not offer STARTTLS"):
        runner.run_once(world.messages(), world.agreement, [ActiveFlow(world.flows[0])], us(at(1, 13, 9)))
    mail = world.mail(INVITE)
    assert (mail.state, mail.attempts) == (MailState.pending, 0)


# --- the command line --------------------------------------------------------------------------------


def test_flows_run_on_the_command_line_sends_and_records_events(smtp: tuple[Inbox, int], tmp_path: Path) -> None:
    inbox, port = smtp
    events = tmp_path / "events.jsonl"
    lines = [identify("u1", at(1, 5, 10), **TARO), track("u1", "Whitepaper Downloaded", at(1, 5, 11))]
    events.write_text("".join(f"{json.dumps(line, ensure_ascii=False)}\n" for line in lines), encoding="utf-8")
    record = tmp_path / "recorded.jsonl"
    args = [
        "flows",
        "run",
        str(example_flow_path()),
        str(events),
        "--state",
        str(tmp_path / "outbox.db"),
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(port),
        "--sender",
        "ACME <news@acme.example>",
        "--base-url",
        BASE_URL,
        "--now",
        at(1, 13, 9, 30),
        "--record",
        str(record),
        "--active-from",
        at(1, 1),
    ]
    env = {"LEADPACT_TRACKING_SECRET": "cli-secret"}
    first = CliRunner().invoke(app, args, env=env)
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(app, args, env=env)
    assert second.exit_code == 0, second.output
    assert len(inbox.received) == 1
    recorded = [line for line in record.read_text(encoding="utf-8").splitlines() if line]
    assert len(recorded) == 1 and '"Email Sent"' in recorded[0]
    missing_secret = CliRunner().invoke(app, args, env={"LEADPACT_TRACKING_SECRET": ""})
    assert missing_secret.exit_code == 2
    assert "LEADPACT_TRACKING_SECRET" in missing_secret.output


def test_flows_run_holds_back_queued_last_step_mail_of_leads_accepted_or_disqualified(
    smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    """The audit's repro on the command line: ``--rate-domain 1`` lets one mail a minute reach
    buyer.example, so two last-step mails are still queued when u2 is accepted and u3
    disqualified; ``--record`` appends to the very log the runs read, and ``--active-from``
    is a bare date (local midnight in the agreement's timezone, like ``--from``)."""
    inbox, port = smtp
    flows, events = tmp_path / "last_step.yaml", tmp_path / "events.jsonl"
    flows.write_text(LAST_STEP_MAIL, encoding="utf-8")
    lines = []
    for user in ("u1", "u2", "u3"):
        traits = {**TARO, **(DECISION_MAKER if user == "u2" else {}), "email": f"{user}@buyer.example"}
        lines += [identify(user, at(1, 6, 9), **traits), track(user, "Whitepaper Downloaded", at(1, 6, 10))]
    events.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")

    def run_at(moment: str) -> str:
        args = [
            "flows", "run", str(flows), str(events), "--state", str(tmp_path / "outbox.db"),
            "--smtp-host", "127.0.0.1", "--smtp-port", str(port), "--sender", "ACME <news@acme.example>",
            "--base-url", BASE_URL, "--record", str(events), "--now", moment, "--active-from", "2026-01-01",
            "--rate-domain", "1",
        ]  # fmt: skip
        done = CliRunner().invoke(app, args, env={"LEADPACT_TRACKING_SECRET": "cli-secret"})
        assert done.exit_code == 0, done.output
        return done.output

    for moment in (at(1, 6, 10), at(1, 6, 10, 2), at(1, 6, 10, 4), at(1, 7, 10)):  # a ×3, then the first b
        assert "sent 1," in run_at(moment)
    with events.open("a", encoding="utf-8") as log:
        for line in (
            act("u2", "accept", at(1, 7, 10, 0, 20), "inside_sales"),
            act("u3", "disqualify", at(1, 7, 10, 0, 40), "marketing", reason="out_of_target"),
        ):
            log.write(json.dumps(line) + "\n")
    summary = run_at(at(1, 7, 10, 2))
    assert "sent 0," in summary and "suppressed 2," in summary
    assert len(inbox.received) == 4
    assert [len(inbox.to(f"{user}@buyer.example")) for user in ("u1", "u2", "u3")] == [2, 1, 1]


def test_activating_a_flow_never_replays_history_into_mail_or_goals(world: World) -> None:
    downloaded(world)
    world.log.append(track("u1", "Webinar Attended", at(1, 20, 15)))
    runner = world.runner()
    active = activate(world.outbox, world.flows, us(at(1, 21, 9)))
    report = runner.run_once(world.messages(), world.agreement, active, us(at(1, 21, 9)))
    assert (report.enqueued, report.emitted, report.too_late) == (0, 0, 0)
    # a second version activated later takes over new entries; the first stays the recorded start
    v2 = load_flow_text(example_flow_path().read_text(encoding="utf-8").replace('version: "1"', 'version: "2"'))
    (v1_active,) = activate(world.outbox, world.flows, us(at(2, 1)))
    (v2_active,) = activate(world.outbox, [v2], us(at(2, 2)))
    assert (v1_active.active_from, v2_active.active_from) == (us(at(1, 21, 9)), us(at(2, 2)))
    (v1_again,) = activate(world.outbox, world.flows, us(at(2, 3)))
    assert v1_again.active_until == us(at(2, 2))
