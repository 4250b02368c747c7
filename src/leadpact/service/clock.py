"""Time as a dependency: entrypoints read the clock and pass ``now`` (µs) to the services.

Services and the domain never call the clock themselves, so tests pass fixed times and a
replay is a pure function of (events, agreement, as_of).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from leadpact.domain.timeutil import to_us


class Clock(Protocol):
    def now_us(self) -> int: ...


class SystemClock:
    """The real clock; only entrypoints (API deps, CLI commands, the serve loop) use it."""

    def now_us(self) -> int:
        return to_us(datetime.now(UTC))


class FixedClock:
    """A clock tests set and advance by hand."""

    def __init__(self, now_us: int) -> None:
        self.now = now_us

    def now_us(self) -> int:
        return self.now

    def advance(self, microseconds: int) -> None:
        self.now += microseconds
