"""Delivery building blocks: token buckets on an injected clock, the retry schedule, the SQLite
outbox's state machine (at most once per key, guarded transitions, journalled events) and the
SMTP payload encoding."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadpact.adapters.outbox_sqlite import OutboxStateError, SqliteOutbox
from leadpact.adapters.smtp import dot_stuffed
from leadpact.service.clock import FixedClock
from leadpact.service.nurture.delivery import RetryPolicy
from leadpact.service.nurture.outbox import MailState, OutboxMail
from leadpact.service.nurture.rate_limit import RateLimiter

SECOND = 1_000_000


def mail(key: str = "nurture:f:1:u1:1:s", **overrides: object) -> OutboxMail:
    fields: dict[str, object] = {
        "key": key,
        "lead_id": "u1",
        "flow_id": "f",
        "flow_version": "1",
        "run": 1,
        "step_id": "s",
        "template": "t",
        "language": "ja",
        "zone": "Asia/Tokyo",
        "due_at": 100,
        "recipient": "taro@buyer.example",
        "message_id": "<m@seller.example>",
        "content": b"Subject: x\r\n\r\nbody\r\n",
        "next_attempt_at": 100,
    }
    fields.update(overrides)
    return OutboxMail(**fields)  # type: ignore[arg-type]


def event(message_id: str) -> dict[str, object]:
    return {"messageId": message_id, "type": "track", "event": "Email Sent"}


# --- rate limits ------------------------------------------------------------------------------


def test_the_global_bucket_allows_a_burst_then_one_per_interval() -> None:
    clock = FixedClock(0)
    limiter = RateLimiter(clock, global_per_minute=2)
    assert [limiter.reserve("a.example"), limiter.reserve("b.example")] == [0, 0]
    wait = limiter.reserve("c.example")
    assert 29 * SECOND < wait <= 30 * SECOND + 1
    clock.advance(wait)
    assert limiter.reserve("c.example") == 0


def test_a_busy_domain_waits_without_holding_back_other_domains() -> None:
    clock = FixedClock(0)
    limiter = RateLimiter(clock, global_per_minute=100, domain_per_minute=1)
    assert limiter.reserve("Gmail.com") == 0
    assert limiter.reserve("gmail.com") > 0
    assert limiter.reserve("yahoo.co.jp") == 0


def test_a_refused_reservation_takes_no_token_from_the_other_bucket() -> None:
    clock = FixedClock(0)
    limiter = RateLimiter(clock, global_per_minute=2, domain_per_minute=1)
    assert limiter.reserve("a.example") == 0
    assert limiter.reserve("a.example") > 0  # domain empty: the global token must stay
    assert limiter.reserve("b.example") == 0


def test_without_limits_everything_goes() -> None:
    limiter = RateLimiter(FixedClock(0))
    assert all(limiter.reserve("a.example") == 0 for _ in range(1000))


def test_the_back_off_grows_then_repeats_its_last_step() -> None:
    policy = RetryPolicy(max_attempts=6, backoff_seconds=(60, 600))
    assert [policy.delay_us(n) // SECOND for n in (1, 2, 3, 4)] == [60, 600, 600, 600]


# --- the outbox ---------------------------------------------------------------------------------


def test_a_key_is_queued_once_whatever_happens_to_it(tmp_path: Path) -> None:
    with SqliteOutbox(tmp_path / "o.db") as outbox:
        assert outbox.enqueue(mail()) is True
        assert outbox.enqueue(mail(recipient="other@x.example")) is False
        assert outbox.claim(mail().key, 200)
        outbox.mark_sent(mail().key, 201, confirmed=True, event=event("e1"))
        assert outbox.enqueue(mail()) is False
        stored = outbox.get(mail().key)
        assert stored is not None
        assert (stored.state, stored.attempts, stored.sent_at, stored.recipient) == (
            MailState.sent,
            1,
            201,
            "taro@buyer.example",
        )


def test_only_due_pending_rows_are_offered(tmp_path: Path) -> None:
    with SqliteOutbox(tmp_path / "o.db") as outbox:
        outbox.enqueue(mail("k1", next_attempt_at=100))
        outbox.enqueue(mail("k2", next_attempt_at=300))
        outbox.enqueue(mail("k3", next_attempt_at=50, state=MailState.suppressed))
        assert [m.key for m in outbox.due(200, 10)] == ["k1"]
        outbox.defer("k1", 400, "quiet hours")
        assert [m.key for m in outbox.due(350, 10)] == ["k2"]


def test_transitions_from_the_wrong_state_fail_loudly(tmp_path: Path) -> None:
    with SqliteOutbox(tmp_path / "o.db") as outbox:
        outbox.enqueue(mail())
        with pytest.raises(OutboxStateError, match="is not sending"):
            outbox.mark_sent(mail().key, 1, confirmed=True, event=event("e"))
        assert outbox.claim(mail().key, 1)
        assert outbox.claim(mail().key, 1) is False  # a second worker cannot take it
        with pytest.raises(OutboxStateError, match="is not pending"):
            outbox.suppress(mail().key, "no")
        assert outbox.unpublished_events() == []  # the failed mark_sent journalled nothing


def test_state_survives_reopening_the_file_and_in_flight_rows_are_found(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    with SqliteOutbox(path) as outbox:
        outbox.enqueue(mail())
        outbox.claim(mail().key, 5)
        outbox.mark_end_of_data(mail().key, 6)
    with SqliteOutbox(path) as reopened:
        (flying,) = reopened.in_flight()
        assert (flying.state, flying.end_of_data_at, flying.attempts) == (MailState.sending, 6, 1)
        reopened.requeue(flying.key, 7, count_attempt=False)
        again = reopened.get(flying.key)
        assert again is not None and (again.state, again.attempts, again.next_attempt_at) == (MailState.pending, 0, 7)


def test_journalled_events_are_published_once(tmp_path: Path) -> None:
    with SqliteOutbox(tmp_path / "o.db") as outbox:
        assert outbox.record_event(event("goal-1")) is True
        assert outbox.record_event(event("goal-1")) is False
        assert [e["messageId"] for e in outbox.unpublished_events()] == ["goal-1"]
        outbox.mark_published(["goal-1"])
        assert outbox.unpublished_events() == []


def test_suppressed_addresses_match_whatever_their_case(tmp_path: Path) -> None:
    with SqliteOutbox(tmp_path / "o.db") as outbox:
        outbox.suppress_address(" Taro@Buyer.Example ", "u1", "unsubscribed", 1)
        assert outbox.is_suppressed("taro@buyer.example")
        assert not outbox.is_suppressed("hanako@buyer.example")


# --- SMTP payload ---------------------------------------------------------------------------------


def test_the_data_payload_doubles_leading_dots_and_uses_crlf() -> None:
    assert dot_stuffed(b"a\n.b\r\n..c\rd") == b"a\r\n..b\r\n...c\r\nd\r\n"
    assert dot_stuffed(b".\r\n") == b"..\r\n"  # a lone dot would otherwise end the message
