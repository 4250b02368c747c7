"""Rate limits for outgoing mail: a global token bucket and one per recipient domain.

Mailbox providers throttle senders per receiving domain, and relays cap the total; both are
token buckets (``per_minute`` tokens per minute, bursts up to ``per_minute``). Time comes from
an injected clock, so tests advance it by hand. A mail is sent only when both buckets have a
token; otherwise the limiter says when to try again and takes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadpact.domain.timeutil import US_PER_SECOND
from leadpact.service.clock import Clock

_US_PER_MINUTE = 60 * US_PER_SECOND


@dataclass(slots=True)
class TokenBucket:
    per_minute: float
    tokens: float
    updated_at: int

    def _refill(self, now: int) -> None:
        if now > self.updated_at:
            self.tokens = min(self.per_minute, self.tokens + (now - self.updated_at) * self.per_minute / _US_PER_MINUTE)
            self.updated_at = now

    def wait_us(self, now: int) -> int:
        """Microseconds until a token is available (0: now)."""
        self._refill(now)
        if self.tokens >= 1:
            return 0
        return int((1 - self.tokens) * _US_PER_MINUTE / self.per_minute) + 1

    def take(self, now: int) -> None:
        self._refill(now)
        self.tokens -= 1


@dataclass(slots=True)
class RateLimiter:
    """``global_per_minute`` / ``domain_per_minute`` None: unlimited."""

    clock: Clock
    global_per_minute: float | None = None
    domain_per_minute: float | None = None
    _global: TokenBucket | None = None
    _domains: dict[str, TokenBucket] = field(default_factory=dict)

    def reserve(self, domain: str) -> int:
        """Take a token for a mail to ``domain`` and return 0, or return how many microseconds
        to wait (nothing taken)."""
        now = self.clock.now_us()
        buckets = [b for b in (self._global_bucket(now), self._domain_bucket(domain.lower(), now)) if b is not None]
        wait = max((b.wait_us(now) for b in buckets), default=0)
        if wait:
            return wait
        for bucket in buckets:
            bucket.take(now)
        return 0

    def _global_bucket(self, now: int) -> TokenBucket | None:
        if self.global_per_minute is None:
            return None
        if self._global is None:
            self._global = TokenBucket(self.global_per_minute, self.global_per_minute, now)
        return self._global

    def _domain_bucket(self, domain: str, now: int) -> TokenBucket | None:
        if self.domain_per_minute is None:
            return None
        bucket = self._domains.get(domain)
        if bucket is None:
            bucket = self._domains[domain] = TokenBucket(self.domain_per_minute, self.domain_per_minute, now)
        return bucket
