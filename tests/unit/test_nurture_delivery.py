"""Delivery building blocks: token buckets on an injected clock, the retry schedule and the SMTP
payload encoding. The outbox contract runs on every outbox implementation in
tests/integration/store/test_store_outbox.py."""

from __future__ import annotations

from leadpact.adapters.smtp import dot_stuffed
from leadpact.service.clock import FixedClock
from leadpact.service.nurture.delivery import RetryPolicy
from leadpact.service.nurture.rate_limit import RateLimiter

SECOND = 1_000_000


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


# --- SMTP payload ---------------------------------------------------------------------------------


def test_the_data_payload_doubles_leading_dots_and_uses_crlf() -> None:
    assert dot_stuffed(b"a\n.b\r\n..c\rd") == b"a\r\n..b\r\n...c\r\nd\r\n"
    assert dot_stuffed(b".\r\n") == b"..\r\n"  # a lone dot would otherwise end the message
