"""The generated period: day weights (seasonality), sales working time and fast timestamps.

All timestamps are integer microseconds since the epoch, whole seconds, in Japan time
(+09:00, no daylight saving), so a day's local midnight is ``origin + day * US_PER_DAY``.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from datetime import date, datetime, time, timedelta, timezone
from itertools import accumulate
from typing import Final

from leadpact.domain.calendar import BusinessCalendar
from leadpact.domain.timeutil import US_PER_DAY, US_PER_HOUR, US_PER_SECOND, to_us

JST: Final = timezone(timedelta(hours=9))
US_PER_MINUTE: Final = 60 * US_PER_SECOND

WORK_START_HOUR: Final = 9
WORK_HOURS_PER_DAY: Final = 10
"""Sales work 9:00-19:00 on working days (Japanese inside sales routinely work until 19:00)."""

# Relative web activity by local hour: office hours dominate, a little evening reading.
_HOUR_WEIGHTS: Final = (
    1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 3, 8, 14, 16, 15,
    9, 13, 15, 15, 14, 11, 7, 5, 4, 3, 2, 1.5,
)  # fmt: skip
_HOUR_CUM: Final = tuple(accumulate(_HOUR_WEIGHTS))
_MINUTES: Final = tuple(f"{m // 60:02d}:{m % 60:02d}:" for m in range(1440))
_SECONDS: Final = tuple(f"{s:02d}+09:00" for s in range(60))
_BUSY: Final = 0.5
"""Days at least this active are ordinary working days, where postponed activity lands."""


def _in_golden_week(day: date) -> bool:
    return (day.month == 4 and day.day >= 29) or (day.month == 5 and day.day <= 6)


def _in_obon(day: date) -> bool:
    return day.month == 8 and 11 <= day.day <= 16


def _in_year_end(day: date) -> bool:
    return (day.month == 12 and day.day >= 28) or (day.month == 1 and day.day <= 4)


def activity_weight(day: date, calendar: BusinessCalendar) -> float:
    """How busy a day is for B2B buyers, relative to an ordinary weekday (1.0).

    Closures (Golden Week, Obon, year end) dominate; fiscal-year planning (Feb-Mar, Sep, when
    Japanese companies set next year's budgets) lifts activity.
    """
    if _in_year_end(day):
        weight = 0.08
    elif _in_golden_week(day):
        weight = 0.15
    elif _in_obon(day):
        weight = 0.35
    elif not calendar.is_business_day(day):
        weight = 0.12
    else:
        weight = 1.0
    if day.month in (2, 3):
        weight *= 1.3
    elif day.month == 9:
        weight *= 1.15
    elif day.month == 12:
        weight *= 0.9
    return weight


def sales_works_on(day: date, calendar: BusinessCalendar) -> bool:
    """Sales staff work on business days outside the year-end closure (Dec 29 - Jan 3)."""
    closed = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    return not closed and calendar.is_business_day(day)


class Timeline:
    """The window ``[start, start + days)`` in Japan time, with per-day tables."""

    def __init__(self, start: date, days: int, calendar: BusinessCalendar | None = None) -> None:
        if days < 1:
            raise ValueError("days must be at least 1")
        cal = calendar or BusinessCalendar("JP")
        self.start = start
        self.days = days
        self.origin = to_us(datetime.combine(start, time(0), JST))
        self.end = self.origin + days * US_PER_DAY
        dates = [start + timedelta(days=i) for i in range(days)]
        self.dates = dates
        self.weights = [activity_weight(d, cal) for d in dates]
        self._max_weight = max(self.weights)
        self._cum = list(accumulate(self.weights))
        self.workday = [sales_works_on(d, cal) for d in dates]
        self._next_busy = [days] * (days + 1)  # first day >= i with ordinary activity
        for i in range(days - 1, -1, -1):
            self._next_busy[i] = i if self.weights[i] >= _BUSY else self._next_busy[i + 1]
        self._prefix = [d.isoformat() + "T" for d in dates]

    # --- days ---------------------------------------------------------------------------------

    def day_of(self, us: int) -> int:
        return (us - self.origin) // US_PER_DAY

    def midnight(self, day: int) -> int:
        return self.origin + day * US_PER_DAY

    def weighted_day(self, rng: random.Random, lo: int = 0, hi: int | None = None) -> int:
        """A day in ``[lo, hi)`` drawn in proportion to activity (seasonality)."""
        top = self.days if hi is None else hi
        base = self._cum[lo - 1] if lo > 0 else 0.0
        span = self._cum[top - 1] - base
        return min(bisect_right(self._cum, base + rng.random() * span), top - 1)

    def active_day_from(self, day: int, rng: random.Random) -> int:
        """``day`` or a later one. An activity drawn for a quiet day happens that day with the
        day's relative weight; otherwise it is postponed to the next ordinary working day, so
        closures stay quiet however long they are and activity piles up after them."""
        weights, top = self.weights, self._max_weight
        while day < self.days and rng.random() * top > weights[day]:
            day = self._next_busy[day + 1]
        return day

    def is_active(self, day: int, rng: random.Random) -> bool:
        """Whether a visit drawn for ``day`` happens, in proportion to the day's activity."""
        return rng.random() * self._max_weight <= self.weights[day]

    def moment(self, day: int, rng: random.Random) -> int:
        """A whole-second moment on ``day`` at an hour drawn from the web activity profile."""
        hour = bisect_right(_HOUR_CUM, rng.random() * _HOUR_CUM[-1])
        return self.midnight(day) + hour * US_PER_HOUR + rng.randrange(3600) * US_PER_SECOND

    # --- sales working time ---------------------------------------------------------------------

    def next_work_start(self, us: int) -> int:
        """``us`` if it is within sales working hours, else the start of the next working period."""
        day = self.day_of(us)
        while day < self.days:
            open_at = self.midnight(day) + WORK_START_HOUR * US_PER_HOUR
            close_at = open_at + WORK_HOURS_PER_DAY * US_PER_HOUR
            if self.workday[day] and us < close_at:
                return max(us, open_at)
            day += 1
        return self.end

    def add_work_hours(self, us: int, hours: float) -> int:
        """The moment ``hours`` sales working hours after ``us`` (whole seconds), or ``end``."""
        at = self.next_work_start(us)
        remaining = int(hours * 3600) * US_PER_SECOND
        while at < self.end:
            close_at = self.midnight(self.day_of(at)) + (WORK_START_HOUR + WORK_HOURS_PER_DAY) * US_PER_HOUR
            if at + remaining < close_at:
                return at + remaining
            remaining -= close_at - at
            at = self.next_work_start(close_at)
        return self.end

    def work_days_later(self, us: int, days: float, rng: random.Random) -> int:
        """Roughly ``days`` working days after ``us``, at a working-hour moment."""
        return self.add_work_hours(us, days * WORK_HOURS_PER_DAY + rng.random() * 2)

    # --- text -------------------------------------------------------------------------------------

    def iso(self, us: int) -> str:
        """ISO 8601 with +09:00 for a whole-second moment inside the window (table lookups:
        this runs once per message)."""
        day, second = divmod((us - self.origin) // US_PER_SECOND, 86_400)
        minute, second = divmod(second, 60)
        return self._prefix[day] + _MINUTES[minute] + _SECONDS[second]
