"""The port a mail transport implements, its errors, and the retry policy.

Errors are classified once, here, by the transport: *permanent* (the server refused the
recipient or the message for good: 5xx — a bounce) or *temporary* (4xx, connection refused or
lost, timeouts). Temporary failures are retried with back-off; permanent ones are recorded at
once, since repeating a refused mail only harms the sender's reputation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from leadpact.domain.timeutil import US_PER_SECOND


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class TransportConfigError(Exception):
    """The transport cannot work at all (authentication refused, STARTTLS unsupported): stop
    the whole batch rather than burn every mail's attempts."""


class Mailer(Protocol):
    def send(self, content: bytes, sender: str, recipient: str, on_end_of_data: Callable[[], None]) -> None:
        """Deliver ``content`` (a complete MIME message with CRLF line ends) to one recipient.

        ``on_end_of_data`` is called after the message body has been written and *before* the
        final ``.`` that completes it, so the caller can record that the server may from now
        on have the message. Returns when the server accepted it; raises
        :class:`DeliveryError` or :class:`TransportConfigError`. If anything else is raised
        (including from the callback), the connection is dropped without completing the
        message."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """After the Nth failed attempt wait ``backoff_seconds[N-1]`` (the last value repeats);
    after ``max_attempts`` attempts the mail is recorded as failed."""

    max_attempts: int = 5
    backoff_seconds: tuple[int, ...] = (300, 1800, 7200, 21600)

    def delay_us(self, attempts: int) -> int:
        index = min(max(attempts, 1), len(self.backoff_seconds)) - 1
        return self.backoff_seconds[index] * US_PER_SECOND
