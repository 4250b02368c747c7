"""Report periods and moments as people type them: a date (local midnight in the agreement's
timezone) or ISO 8601 with an offset — the same rules as ``leadpact report --from/--to``."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from leadpact.domain.messages import MessageError
from leadpact.domain.timeutil import parse_iso, to_us

_EXPECTED = "a date (2026-01-01) or ISO 8601 with offset (2026-01-01T00:00:00+09:00)"


def parse_bound(text: str | None, field: str, zone: ZoneInfo) -> int | None:
    """None for blank; MessageError naming ``field`` when unreadable or out of range. The
    CLI's ``--from``/``--to``/``--as-of`` dates read the same way (one definition)."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        if len(value) == len("2026-01-01"):
            moment = datetime.combine(date.fromisoformat(value), time(), tzinfo=zone)
        else:
            moment = parse_iso(value)
    except ValueError:
        raise MessageError(field, f"expected {_EXPECTED}, found {value!r}") from None
    return _in_range(moment, value, field)


def _in_range(moment: datetime, value: str, field: str) -> int:
    try:
        return to_us(moment)
    except ValueError as exc:  # outside the supported range: say so, not "expected a date"
        raise MessageError(field, f"{value!r} is {exc}") from None


def parse_period(start: str | None, end: str | None, zone: ZoneInfo) -> tuple[int | None, int | None]:
    """``start`` inclusive, ``end`` exclusive; MessageError when the period is empty."""
    start_us, end_us = parse_bound(start, "from", zone), parse_bound(end, "to", zone)
    if start_us is not None and end_us is not None and start_us >= end_us:
        raise MessageError("to", f"expected a moment after from ({start}), found {end!r}")
    return start_us, end_us


def parse_moment(text: str | None, field: str) -> int | None:
    """An exact moment (ISO 8601 with offset); None for blank."""
    if text is None or not text.strip():
        return None
    try:
        moment = parse_iso(text.strip())
    except ValueError:
        raise MessageError(
            field, f"expected ISO 8601 with offset (2026-03-31T23:59:59+09:00), found {text!r}"
        ) from None
    return _in_range(moment, text.strip(), field)
