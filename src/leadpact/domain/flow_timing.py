"""When flow steps happen: waits on the business calendar, quiet hours, the lead's zone and language.

* ``wait: {hours|minutes|days: N}`` is elapsed time. ``wait: {business_days: N}`` lands at the
  same local wall-clock time on the Nth business day strictly after the start's local date
  (agreement timezone and calendar: the marketing team's calendar, like SLA clocks).
* A send is due at the first moment at or after its step is reached that lies inside the flow's
  send window in the *lead's* timezone, on a business day of the agreement's calendar when the
  window asks for business days (no mail at night, at weekends or on public holidays).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadpact.domain.agreement import Within
from leadpact.domain.calendar import BusinessCalendar
from leadpact.domain.flows import FLOW_LANGUAGES, SendWindow
from leadpact.domain.timeutil import US_PER_DAY, US_PER_HOUR, US_PER_SECOND, from_us, to_us

_MAX_DAYS_SEARCHED = 366
"""A send window always opens within a year (a calendar cannot close every day)."""


def wait_end(start_us: int, duration: Within, zone: ZoneInfo, calendar: BusinessCalendar) -> int:
    """When a ``wait`` (or a branch's ``within``) that started at ``start_us`` ends."""
    if duration.unit == "minutes":
        return start_us + duration.amount * 60 * US_PER_SECOND
    if duration.unit == "hours":
        return start_us + duration.amount * US_PER_HOUR
    if duration.unit == "days":
        return start_us + duration.amount * US_PER_DAY
    local = from_us(start_us, zone)
    day = calendar.add_business_days(local.date(), duration.amount)
    return to_us(datetime.combine(day, local.time(), tzinfo=zone))


def next_send_slot(due_us: int, window: SendWindow, zone: ZoneInfo, calendar: BusinessCalendar) -> int:
    """The first moment ≥ ``due_us`` at which the window allows mail in ``zone``."""
    local = from_us(due_us, zone)
    day = local.date()
    minute_of_day = local.hour * 60 + local.minute
    for _ in range(_MAX_DAYS_SEARCHED):
        allowed_day = not window.business_days or calendar.is_business_day(day)
        if allowed_day:
            if day == local.date() and window.start_minute <= minute_of_day < window.end_minute:
                return due_us
            if day > local.date() or minute_of_day < window.start_minute:
                opens = time(window.start_minute // 60, window.start_minute % 60)
                return to_us(datetime.combine(day, opens, tzinfo=zone))
        day += timedelta(days=1)
    raise ValueError("the send window never opens within a year")  # only with a broken calendar


def is_send_time(at_us: int, window: SendWindow, zone: ZoneInfo, calendar: BusinessCalendar) -> bool:
    return next_send_slot(at_us, window, zone, calendar) == at_us


def lead_zone(traits: Mapping[str, Any], default: ZoneInfo) -> ZoneInfo:
    """The lead's ``timezone`` trait (IANA name) when valid, else ``default`` (the agreement's)."""
    name = traits.get("timezone")
    if isinstance(name, str) and name.strip():
        try:
            return ZoneInfo(name.strip())
        except (ZoneInfoNotFoundError, ValueError):
            return default
    return default


def lead_language(traits: Mapping[str, Any], default: str) -> str:
    """``ja`` or ``en`` from the lead's ``language`` or ``locale`` trait (``ja-JP``, ``en_US``),
    else ``default`` (the flow's ``language``)."""
    for key in ("language", "locale"):
        value = traits.get(key)
        if isinstance(value, str):
            code = value.strip().lower().replace("_", "-").split("-", 1)[0]
            if code in FLOW_LANGUAGES:
                return code
    return default
