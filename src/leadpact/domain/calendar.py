"""Business calendars and SLA deadlines (SPEC §4.5).

``within: {business_days: N}`` ends at 23:59:59.999999 local time on the Nth business day
*after* the start's local date; business days exclude Saturdays, Sundays, the country's public
holidays (``holidays`` package) and the agreement's ``company_holidays``. ``hours``/``minutes``/
``days`` are plain elapsed time: they do not skip weekends.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from leadpact.domain.agreement import Within
from leadpact.domain.timeutil import US_PER_DAY, US_PER_HOUR, US_PER_SECOND, from_us, to_us

_END_OF_DAY = time(23, 59, 59, 999_999)


@lru_cache(maxsize=256)
def _public_holidays(country: str, year: int) -> frozenset[date]:
    import holidays  # a data package, no I/O: imported lazily only to keep start-up fast

    return frozenset(holidays.country_holidays(country, years=year).keys())


class BusinessCalendar:
    """Weekends + public holidays of ``country`` (None: weekends only) + company holidays."""

    def __init__(self, country: str | None = "JP", extra_holidays: Iterable[date] = ()) -> None:
        self.country = country
        self.extra = frozenset(extra_holidays)
        self._ends: dict[tuple[date, int, str], int] = {}

    def is_business_day(self, day: date) -> bool:
        if day.weekday() >= 5 or day in self.extra:
            return False
        return self.country is None or day not in _public_holidays(self.country, day.year)

    def holiday_name(self, day: date) -> str | None:
        if day in self.extra:
            return "company holiday"
        if self.country is None:
            return None
        import holidays

        name: str | None = holidays.country_holidays(self.country, years=day.year).get(day)
        return name

    def end_of_business_day(self, start: date, count: int, zone: ZoneInfo) -> int:
        """23:59:59.999999 local on the ``count``-th business day after ``start`` (memoised:
        many clocks start on the same day)."""
        key = (start, count, zone.key)
        end = self._ends.get(key)
        if end is None:
            end = self._ends[key] = _end_of_day(self.add_business_days(start, count), zone)
        return end

    def add_business_days(self, start: date, count: int) -> date:
        """The ``count``-th business day strictly after ``start``."""
        day = start
        remaining = count
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_business_day(day):
                remaining -= 1
        return day


def _end_of_day(day: date, zone: ZoneInfo) -> int:
    return to_us(datetime.combine(day, _END_OF_DAY, tzinfo=zone))


def deadline(start_us: int, within: Within, zone: ZoneInfo, calendar: BusinessCalendar) -> int:
    """The SLA deadline for a clock started at ``start_us`` (microseconds since the epoch)."""
    if within.unit == "hours":
        return start_us + within.amount * US_PER_HOUR
    if within.unit == "minutes":
        return start_us + within.amount * 60 * US_PER_SECOND
    if within.unit == "days":
        return start_us + within.amount * US_PER_DAY
    local_start = from_us(start_us, zone).date()
    return calendar.end_of_business_day(local_start, within.amount, zone)
