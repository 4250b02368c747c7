"""Numbers, dates and durations as each language writes them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from leadpact.domain.timeutil import US_PER_HOUR, parse_iso, to_us
from leadpact.entrypoints.web.formatting import Formatter

TOKYO = ZoneInfo("Asia/Tokyo")
JA = Formatter("ja", TOKYO)
EN = Formatter("en", TOKYO)
MOMENT = to_us(parse_iso("2026-01-15T05:07:00+00:00"))  # 14:07 in Tokyo


def test_dates_follow_the_language_and_the_agreement_timezone() -> None:
    assert JA.date(MOMENT) == "2026年1月15日"
    assert EN.date(MOMENT) == "Jan 15, 2026"
    assert JA.datetime(MOMENT) == "2026年1月15日 14:07"
    assert EN.datetime("2026-01-15T14:07:00+09:00") == "Jan 15, 2026 14:07"
    assert JA.weekday_date(MOMENT) == "2026年1月15日(木)"
    assert EN.weekday_date(MOMENT) == "Thu, Jan 15, 2026"
    assert JA.month("2026-03") == "2026年3月"
    assert EN.month("2026-03") == "Mar 2026"


def test_numbers_group_thousands_and_missing_values_are_a_dash() -> None:
    assert JA.count(15000) == EN.count(15000) == "15,000"
    assert EN.percent(0.5678) == "56.8%"
    assert EN.percent(None) == "—"
    assert EN.count(None) == "—"
    assert EN.date(None) == "—"
    assert EN.points(17.5) == "17.5"
    assert EN.points(20.0) == "20"
    assert EN.number(2.50) == "2.5"
    assert EN.number(1234.0, 0) == "1,234"


@pytest.mark.parametrize(
    ("hours", "ja", "en"),
    [(3.5, "3.5時間", "3.5 h"), (0.0, "0時間", "0 h"), (72.0, "3日", "3 d"), (None, "—", "—")],
)
def test_report_hours_switch_to_days_from_two_days(hours: float | None, ja: str, en: str) -> None:
    assert JA.hours(hours) == ja
    assert EN.hours(hours) == en


def test_durations_show_the_two_largest_units() -> None:
    late = 2 * 24 * US_PER_HOUR + 3 * US_PER_HOUR + 25 * 60 * 1_000_000
    assert JA.duration(late) == "2日3時間"
    assert EN.duration(late) == "2 d 3 h"
    assert EN.duration(-late) == "2 d 3 h", "direction is the caller's words (late / left)"
    assert EN.duration(90 * 60 * 1_000_000) == "1 h 30 min"
    assert JA.duration(5 * 60 * 1_000_000) == "5分"
