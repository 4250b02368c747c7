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


def to_us(moment: datetime) -> int:
    """An aware datetime as microseconds since the epoch (exact, no float rounding)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamp has no UTC offset")
    return (moment - _EPOCH) // _ONE_US


def from_us(us: int, zone: tzinfo = UTC) -> datetime:
    return (_EPOCH + timedelta(microseconds=us)).astimezone(zone)


def iso(us: int, zone: tzinfo = UTC) -> str:
    """ISO 8601 with offset, in ``zone`` (the agreement's timezone in all output)."""
    return from_us(us, zone).isoformat()


def parse_iso(text: str) -> datetime:
    """Parse ISO 8601 that must carry an offset (``Z`` or ``+09:00``); raises ValueError."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamp has no UTC offset (e.g. 2026-01-09T15:00:00+09:00)")
    return moment
