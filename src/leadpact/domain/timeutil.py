"""Timestamps as integer microseconds since the Unix epoch (UTC).

The replay works on integers so that comparisons such as "older than 90 days, strictly" are
exact and identical in every engine (DuckDB and Spark timestamps are microseconds too).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

US_PER_SECOND = 1_000_000
US_PER_HOUR = 3_600 * US_PER_SECOND
US_PER_DAY = 24 * US_PER_HOUR
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)


EARLIEST_US = -2_208_988_800 * US_PER_SECOND
"""1900-01-01T00:00:00Z, the earliest moment leadpact accepts."""
LATEST_US = 221_845_392_000 * US_PER_SECOND
"""9000-01-01T00:00:00Z (exclusive): far enough from datetime's year 9999 that any time zone,
deadline or report period around an accepted moment can still be shown."""
RANGE_TEXT = "from 1900-01-01 to 9000-01-01 (UTC)"


def in_range(us: int) -> bool:
    return EARLIEST_US <= us < LATEST_US


def to_us(moment: datetime) -> int:
    """An aware datetime as microseconds since the epoch (exact, no float rounding); ValueError
    outside the supported range (a timestamp at year 1 or 9999 would crash rendering it in a
    time zone, so such input is refused where it is read, naming the field)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamp has no UTC offset")
    us = (moment - _EPOCH) // _ONE_US
    if not in_range(us):
        raise ValueError(f"outside the supported range, {RANGE_TEXT}")
    return us


def from_us(us: int, zone: tzinfo = UTC) -> datetime:
    return (_EPOCH + timedelta(microseconds=us)).astimezone(zone)


def iso(us: int, zone: tzinfo = UTC) -> str:
    """ISO 8601 with offset, in ``zone`` (the agreement's timezone in all output)."""
    return from_us(us, zone).isoformat()


def parse_iso(text: str) -> datetime:
    """Parse ISO 8601 that must carry an offset (``Z`` or ``+09:00``); raises ValueError."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        if str(exc).startswith("offset must be a timedelta"):  # Python's words for +24:00 and beyond
            raise ValueError("the UTC offset must be between -23:59 and +23:59") from None
        raise
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamp has no UTC offset (e.g. 2026-01-09T15:00:00+09:00)")
    return moment
