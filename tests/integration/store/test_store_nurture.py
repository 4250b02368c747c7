"""Nurture on the store, end to end: flows activated in the store, events ingested through the
ingestion service, scheduler ticks at injected moments, mail delivered to a real SMTP server
on 127.0.0.1, tracking links through the real HTTP routes, goals scored by the agreement.

Nothing sleeps and nothing reads the clock: each tick is ``services.nurture.tick(at(...))``.
February 2026 (JST): Tuesday the 3rd and the 10th are business days; Wednesday the 11th is
National Foundation Day (建国記念の日), a public holiday.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import yaml
from nurture_history import DECISION_MAKER, JANE, ONE_MAIL, TARO, TWO_MAILS, act, track
from smtp_inbox import Inbox, html_of, smtp_server, text_of
from sqlalchemy import text
from store_checks import make_services

from leadpact.adapters.agreement_yaml import default_agreement_text
from leadpact.adapters.flow_yaml import example_flow_path
from leadpact.adapters.store.event_log import EventLog
from leadpact.adapters.store.nurture_repo import NurtureRepo
from leadpact.domain.messages import Message
from leadpact.domain.timeutil import to_us
from leadpact.entrypoints.api.app import create_app
from leadpact.service.clock import FixedClock
from leadpact.service.container import Services
from leadpact.service.ingest import validate
from leadpact.service.nurture.links import OPEN, UNSUBSCRIBE, parse_tracking_url
from leadpact.service.nurture.outbox import MailState, OutboxMail
from leadpact.service.nurture.rate_limit import RateLimiter
from leadpact.service.nurture.scheduler import TickReport
from leadpact.service.nurture.store_outbox import StoreOutbox

JST = timezone(timedelta(hours=9))
BASE_URL = "https://t.example.com"
SECRET = "store-tracking-secret"
Json = dict[str, Any]


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return to_us(datetime(2026, month, day, hour, minute, tzinfo=JST))


def iso_at(month: int, day: int, hour: int = 0, minute: int = 0) -> str:
    return datetime(2026, month, day, hour, minute, tzinfo=JST).isoformat()


def identify(user: str, when: str, traits: Json) -> Json:
    return {"type": "identify", "messageId": f"id:{user}:{when}", "timestamp": when, "userId": user, "traits": traits}


def nurture_agreement_text() -> str:
    """The default agreement plus 20 points for a reached nurture goal (docs/nurture.md)."""
    data = copy.deepcopy(yaml.safe_load(default_agreement_text()))
    data["version"] = "nurture-1"
    data["engagement"].append(
        {"id": "nurture_goal", "if": {"type": "track", "event": "Nurture Goal Reached"}, "points": 20}
    )
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


class SimulatedCrashError(Exception):
    """Stands for the server process dying at a checkpoint of the delivery."""


@dataclass
class Shop:
    """The store with its services, the SMTP server, and the HTTP app on a fixed clock."""

    database_url: str
    inbox: Inbox
    services: Services
    clock: FixedClock

    @classmethod
    def open(cls, database_url: str, inbox: Inbox) -> Shop:
        services = make_services(
            database_url,
            smtp_host="127.0.0.1",
            smtp_port=inbox.port,
            mail_from="売り手株式会社 <news@seller.example>",
            tracking_base_url=BASE_URL,
            tracking_secrets=SECRET,
        )
        return cls(database_url, inbox, services, FixedClock(at(2, 1)))

    def restart(self) -> None:
        """A new process on the same database (in-memory state lost)."""
        self.services.close()
        fresh = Shop.open(self.database_url, self.inbox)
        self.services = fresh.services

    def ingest(self, *objects: Json, received_at: int | None = None) -> None:
        messages = [validate(obj, default_timestamp=None, allow_actions=True) for obj in objects]
        self.services.ingest.ingest(messages, received_at if received_at is not None else messages[-1].ts)

    def tick(self, when: int, crash_at: str | None = None) -> TickReport:
        def checkpoint(stage: str, mail: OutboxMail, /) -> None:
            if stage == crash_at:
                raise SimulatedCrashError(stage)

        return self.services.nurture.tick(when, checkpoint=checkpoint)

    def events(self, name: str) -> list[Message]:
        with self.services.store.read() as conn:
            return [m for m in EventLog(conn).all_messages() if m.event == name]

    def mail(self, key: str) -> OutboxMail:
        found = StoreOutbox(self.services.store).get(key)
        assert found is not None, key
        return found

    def stored_lead(self, lead_id: str) -> tuple[str, float]:
        """(stage, score) of the lead as the online engine stored it."""
        self.services.engine.run_pending()
        with self.services.store.read() as conn:
            row = conn.execute(text("SELECT stage, score FROM leads WHERE lead_id = :l"), {"l": lead_id}).one()
        return str(row[0]), float(row[1])

    def mql_count(self) -> int:
        self.services.engine.run_pending()
        with self.services.store.read() as conn:
            return int(conn.execute(text("SELECT COUNT(*) FROM leads WHERE stage = 'mql'")).scalar() or 0)

    def http(self, method: str, url: str, when: int) -> httpx.Response:
        """A request through the real routes (ASGI, no socket) at ``when``."""
        self.clock.now = when
        app = create_app(self.services, clock=self.clock, web=False, warm_dashboard=False)

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return await client.request(method, url)

        return asyncio.run(go())


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def shop(database_url: str, inbox: Inbox) -> Iterator[Shop]:
    made = Shop.open(database_url, inbox)
    services = made.services
    uploaded = services.agreements.upload(nurture_agreement_text(), "nurture.yaml", "ops", at(2, 1))
    services.agreements.activate(uploaded.record.version, "ops", at(2, 1))
    services.engine.reevaluate_step(at(2, 1))
    try:
        yield made
    finally:
        made.services.close()


def activate(shop: Shop, yaml_text: str, when: int) -> None:
    uploaded = shop.services.flows.upload(yaml_text, "flow.yaml", "marketing-ops", when)
    shop.services.flows.activate(uploaded.record.flow_id, uploaded.record.version, "marketing-ops", when)


def downloaded(shop: Shop, user: str, traits: Json, month: int = 2, day: int = 3) -> None:
    shop.ingest(identify(user, iso_at(month, day, 10), traits))
    shop.ingest(track(user, "Whitepaper Downloaded", iso_at(month, day, 10, 5)))


def links_in(body: str, kind: str) -> list[str]:
    return [w for w in body.replace('"', " ").split() if w.startswith(f"{BASE_URL}/t/{kind}/")]


def path_of(url: str) -> str:
    kind, token = parse_tracking_url(url)
    return f"/t/{kind}/{token}"


INVITE = "nurture:whitepaper_webinar:1:u1:1:invite"


# --- the example flow: whitepaper → 7 days → webinar invitation → attended? → goal ----------------


def test_the_example_flow_on_the_store_mails_once_and_its_goal_makes_the_lead_an_mql(shop: Shop) -> None:
    activate(shop, example_flow_path().read_text(encoding="utf-8"), at(2, 1, 9))
    downloaded(shop, "u1", TARO)
    downloaded(shop, "u2", JANE)

    first = shop.tick(at(2, 3, 10, 10))
    assert (first.ran, first.full, first.run.evaluated, first.run.sent) == (True, True, 2, 0)
    week = shop.tick(at(2, 10, 10, 6))
    assert (week.run.enqueued, week.run.sent) == (2, 2)
    (taro,) = shop.inbox.to("taro@buyer.example")
    assert str(taro["Subject"]).startswith("【ウェビナーのご案内】")
    assert "買い手株式会社 山田 太郎 様" in text_of(taro)
    assert taro["Content-Language"] == "ja"
    assert taro["Message-ID"] == shop.mail(INVITE).message_id
    (jane,) = shop.inbox.to("jane@corp.example")
    assert "Dear Jane," in text_of(jane) and jane["Content-Language"] == "en"
    assert shop.inbox.envelopes[0][0] == "news@seller.example"
    sent = shop.events("Email Sent")
    assert sorted(m.user_id or "" for m in sent) == ["u1", "u2"]
    assert {m.message_id for m in sent} >= {f"{INVITE}:sent"}

    for moment in (at(2, 10, 10, 6), at(2, 10, 10, 7), at(2, 10, 11)):  # again and again
        assert shop.tick(moment).run.sent == 0
    assert len(shop.inbox.received) == 2

    # the open pixel, through the real route, records an event that changes the score
    _, score_before = shop.stored_lead("u1")
    (pixel,) = links_in(html_of(taro), OPEN)
    response = shop.http("GET", path_of(pixel), at(2, 10, 12))
    assert response.status_code == 200 and response.headers["content-type"] == "image/gif"
    (opened,) = shop.events("Email Opened")
    assert (opened.user_id, opened.properties["step"]) == ("u1", "invite")
    stage, score_after = shop.stored_lead("u1")
    assert score_after == score_before + 1 and stage != "mql"

    # the webinar: the flow records its goal, the agreement scores it, the MQL count rises
    shop.ingest(track("u1", "Webinar Attended", iso_at(2, 12, 15)))
    mqls_before = shop.mql_count()
    goal_tick = shop.tick(at(2, 12, 15, 1))
    assert (goal_tick.run.evaluated, goal_tick.run.emitted, goal_tick.run.sent) == (1, 1, 0)
    (goal,) = shop.events("Nurture Goal Reached")
    assert (goal.user_id, goal.ts, goal.message_id) == ("u1", at(2, 12, 15), "nurture:whitepaper_webinar:1:u1:1:step4")
    stage, score = shop.stored_lead("u1")
    assert (stage, score) == ("mql", score_after + 20 + 20)  # webinar attended 20, goal 20
    assert shop.mql_count() == mqls_before + 1
    assert shop.tick(at(2, 12, 15, 2)).run.emitted == 0  # recorded once
    assert len(shop.events("Nurture Goal Reached")) == 1


def test_a_tick_evaluates_only_leads_with_new_events_or_a_due_timer(shop: Shop) -> None:
    activate(shop, example_flow_path().read_text(encoding="utf-8"), at(2, 1, 9))
    for user in ("a", "b", "c"):
        downloaded(shop, user, {**TARO, "email": f"{user}@buyer.example"})
    assert shop.tick(at(2, 3, 10, 10)).run.evaluated == 3  # the first tick: every lead
    with shop.services.store.read() as conn:
        assert NurtureRepo(conn).timers() == dict.fromkeys(("a", "b", "c"), at(2, 10, 10, 5))  # the wait ends
    quiet = shop.tick(at(2, 3, 10, 20))
    assert (quiet.full, quiet.run.evaluated) == (False, 0)
    shop.ingest(track("b", "Pricing Viewed", iso_at(2, 3, 10, 30)))
    assert shop.tick(at(2, 3, 10, 31)).run.evaluated == 1
    due = shop.tick(at(2, 10, 10, 6))  # the timers are due: the invitations go out
    assert (due.run.evaluated, due.run.sent) == (3, 3)
    assert shop.tick(at(2, 10, 10, 7)).run.evaluated == 3  # their Email Sent events are new events
    with shop.services.store.read() as conn:
        assert set(NurtureRepo(conn).timers().values()) == {at(2, 24, 10, 5)}  # 14 days after the send slot
    assert shop.tick(at(2, 10, 10, 8)).run.evaluated == 0
    shop.services.flows.deactivate("whitepaper_webinar", "ops", at(2, 10, 11))
    shop.services.flows.activate("whitepaper_webinar", "1", "ops", at(2, 10, 12))
    changed = shop.tick(at(2, 10, 12, 1))
    assert (changed.full, changed.run.evaluated, changed.run.sent) == (True, 3, 0)


# --- saying no --------------------------------------------------------------------------------------


def test_the_unsubscribe_link_suppresses_at_once_and_nothing_is_sent_after_it(shop: Shop) -> None:
    activate(shop, TWO_MAILS, at(2, 1, 9))
    downloaded(shop, "u3", TARO)
    assert shop.tick(at(2, 3, 10, 6)).run.sent == 1
    (first,) = shop.inbox.received
    night = shop.tick(at(2, 6, 20))  # the second mail is due, but it is night: queued for Monday
    assert (night.run.enqueued, night.run.deferred_quiet_hours, night.run.sent) == (1, 1, 0)
    second = "nurture:two_mails:1:u3:1:second"
    assert shop.mail(second).state is MailState.pending

    (unsubscribe,) = links_in(text_of(first), UNSUBSCRIBE)
    assert first["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert shop.http("GET", path_of(unsubscribe), at(2, 6, 21)).status_code == 200
    assert shop.mail(second).state is MailState.pending  # a GET (a link scanner) changes nothing
    _, score_before = shop.stored_lead("u3")
    response = shop.http("POST", path_of(unsubscribe), at(2, 6, 21))
    assert response.status_code == 200 and "Unsubscribed" in response.text
    # before any tick: the address is suppressed and the queued mail cancelled
    assert shop.mail(second).state is MailState.suppressed
    with shop.services.store.read() as conn:
        assert NurtureRepo(conn).is_suppressed("TARO@buyer.example")
    assert [m.user_id for m in shop.events("Unsubscribed")] == ["u3"]

    assert shop.tick(at(2, 9, 9)).run.sent == 0
    # the same address on another lead record (a duplicate) gets nothing either
    downloaded(shop, "u3-dup", TARO, day=10)
    shop.tick(at(2, 10, 10, 6))
    assert shop.tick(at(2, 13, 10, 6)).run.sent == 0
    assert len(shop.inbox.received) == 1
    assert shop.stored_lead("u3")[1] == score_before - 20  # the agreement scores the unsubscribe


def test_a_deactivated_flow_sends_nothing_more_and_starts_afresh_when_activated_again(shop: Shop) -> None:
    activate(shop, example_flow_path().read_text(encoding="utf-8"), at(2, 1, 9))
    downloaded(shop, "u1", TARO)
    shop.tick(at(2, 3, 10, 10))
    evening = shop.tick(at(2, 10, 20))  # due at 10:05, found at night; the 11th is a holiday
    assert (evening.run.enqueued, evening.run.deferred_quiet_hours) == (1, 1)
    assert shop.mail(INVITE).next_attempt_at == at(2, 12, 9)
    stopped = shop.services.flows.deactivate("whitepaper_webinar", "ops", at(2, 10, 21))
    assert (stopped.changed, stopped.cancelled) == (True, 1)
    assert shop.mail(INVITE).state is MailState.suppressed
    assert shop.services.flows.active_flows(at(2, 12, 9)) == []
    idle = shop.tick(at(2, 12, 9))
    assert idle.ran is False and "no active flow" in (idle.reason or "")
    assert shop.inbox.received == []

    shop.services.flows.activate("whitepaper_webinar", "1", "ops", at(2, 12, 10))
    shop.ingest(track("u1", "Whitepaper Downloaded", iso_at(2, 12, 10, 30)))
    shop.tick(at(2, 12, 10, 31))
    assert shop.tick(at(2, 19, 10, 31)).run.sent == 1  # a new run: the cancelled mail's key is free again
    assert len(shop.inbox.to("taro@buyer.example")) == 1


"""Fit 35: with the whitepaper (15) an MQL at once, so inside sales may accept it."""


def test_queued_mail_is_not_sent_once_its_lead_is_accepted_or_disqualified(shop: Shop) -> None:
    """One mail a minute to a domain (LEADPACT_NURTURE_RATE_DOMAIN=1) keeps two invitations
    queued after their runs completed; the lead accepted (SAL) and the one disqualified meanwhile
    get neither."""
    activate(shop, ONE_MAIL, at(2, 1, 9))
    clock = FixedClock(0)  # the rate limit's own clock, turned by hand
    shop.services.nurture.limiter = RateLimiter(clock, domain_per_minute=1)
    for user in ("u1", "u2", "u3"):
        downloaded(shop, user, {**TARO, **(DECISION_MAKER if user == "u2" else {}), "email": f"{user}@buyer.example"})
    first = shop.tick(at(2, 3, 10, 10))
    assert (first.run.enqueued, first.run.sent, first.run.deferred_rate_limit) == (3, 1, 2)
    queued = {user: f"nurture:one_mail:1:{user}:1:invite" for user in ("u2", "u3")}
    assert [shop.mail(key).state for key in queued.values()] == [MailState.pending] * 2

    shop.ingest(act("u2", "accept", iso_at(2, 3, 10, 12), "inside_sales"))
    shop.ingest(act("u3", "disqualify", iso_at(2, 3, 10, 13), "marketing", reason="out_of_target"))
    assert shop.stored_lead("u2")[0] == "sal"
    clock.advance(10 * 60_000_000)  # tokens enough for both
    report = shop.tick(at(2, 3, 10, 20))
    assert (report.run.suppressed, report.run.sent) == (2, 0)
    assert [shop.mail(key).last_error for key in queued.values()] == ["lead reached_sal", "lead disqualified"]
    assert [str(m["To"]) for m in shop.inbox.received] == ["山田 太郎 <u1@buyer.example>"]


def test_a_retry_left_behind_by_skipped_ticks_is_not_sent_weeks_late(shop: Shop) -> None:
    activate(shop, ONE_MAIL, at(2, 1, 9))
    downloaded(shop, "u1", TARO)
    shop.inbox.data_replies = ["451 4.3.0 Try again later"]
    assert shop.tick(at(2, 3, 10, 10)).run.retried == 1  # again at 10:15 — but no tick runs for 45 days
    late = shop.tick(at(3, 20, 10))
    assert (late.run.too_late, late.run.sent) == (1, 0)
    mail = shop.mail("nurture:one_mail:1:u1:1:invite")
    assert mail.state is MailState.suppressed
    assert (mail.last_error or "").startswith("too late: due 2026-02-03T10:05:00+09:00")
    assert shop.inbox.received == []
    assert shop.events("Email Sent") == []


# --- crashes between "decided to send" and "sent" ---------------------------------------------------


def test_a_crash_after_claiming_sends_once_after_the_restart(shop: Shop) -> None:
    activate(shop, example_flow_path().read_text(encoding="utf-8"), at(2, 1, 9))
    downloaded(shop, "u1", TARO)
    shop.tick(at(2, 3, 10, 10))
    with pytest.raises(SimulatedCrashError):
        shop.tick(at(2, 10, 10, 6), crash_at="claimed")
    assert shop.mail(INVITE).state is MailState.sending
    assert shop.inbox.received == []
    shop.restart()
    report = shop.tick(at(2, 10, 10, 7))
    assert (report.run.recovered_requeued, report.run.sent) == (1, 1)
    shop.tick(at(2, 10, 10, 8))
    assert len(shop.inbox.received) == 1
    (sent,) = shop.events("Email Sent")
    assert sent.properties["confirmed"] is True


def test_a_crash_after_the_server_accepted_never_sends_again(shop: Shop) -> None:
    activate(shop, example_flow_path().read_text(encoding="utf-8"), at(2, 1, 9))
    downloaded(shop, "u1", TARO)
    shop.tick(at(2, 3, 10, 10))
    with pytest.raises(SimulatedCrashError):
        shop.tick(at(2, 10, 10, 6), crash_at="accepted")
    assert len(shop.inbox.received) == 1
    assert shop.events("Email Sent") == []  # the crash came before it was recorded
    shop.restart()
    report = shop.tick(at(2, 10, 10, 7))
    assert (report.run.recovered_unconfirmed, report.run.sent) == ([INVITE], 0)
    shop.tick(at(2, 10, 11))
    assert len(shop.inbox.received) == 1
    mail = shop.mail(INVITE)
    assert (mail.state, mail.confirmed) == (MailState.sent, False)
    (sent,) = shop.events("Email Sent")
    assert sent.properties["confirmed"] is False


def test_without_an_smtp_server_the_scheduler_does_nothing_and_says_why(database_url: str) -> None:
    services = make_services(database_url)
    try:
        services.flows.upload(TWO_MAILS, "two.yaml", "ops", at(2, 1))
        services.flows.activate("two_mails", "1", "ops", at(2, 1))
        report = services.nurture.tick(at(2, 3))
        assert (report.ran, report.reason) == (False, "no SMTP server configured (set LEADPACT_SMTP_HOST)")
        with services.store.read() as conn:
            assert NurtureRepo(conn).tick_state() is None
    finally:
        services.close()


def test_mail_queued_for_a_flow_stopped_meanwhile_is_not_delivered(shop: Shop) -> None:
    """A tick that decided before a deactivation committed may queue mail after it; delivery
    checks the active flows again."""
    activate(shop, TWO_MAILS, at(2, 1, 9))
    activate(shop, example_flow_path().read_text(encoding="utf-8"), at(2, 1, 9))
    shop.services.flows.deactivate("two_mails", "ops", at(2, 2))
    late = OutboxMail(
        key="nurture:two_mails:1:u9:1:first",
        lead_id="u9",
        flow_id="two_mails",
        flow_version="1",
        run=1,
        step_id="first",
        template="webinar_invite",
        language="ja",
        zone="Asia/Tokyo",
        due_at=at(2, 3, 10),
        recipient="u9@buyer.example",
        message_id="<x@seller.example>",
        content=b"Subject: x\r\n\r\nbody\r\n",
        next_attempt_at=at(2, 3, 10),
    )
    assert StoreOutbox(shop.services.store).enqueue(late)
    report = shop.tick(at(2, 3, 10, 1))
    assert (report.run.suppressed, report.run.sent) == (1, 0)
    stopped = shop.mail(late.key)
    assert (stopped.state, stopped.last_error) == (MailState.suppressed, "flow not active")
    assert shop.inbox.received == []
