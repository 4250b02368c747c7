"""Small message factories with keyword overrides (Segment-shaped dicts)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from leadpact.domain.timeutil import to_us

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)  # a Monday
_ids = itertools.count(1)


def at(minutes: float = 0, *, days: float = 0) -> str:
    return (T0 + timedelta(days=days, minutes=minutes)).isoformat()


def us(minutes: float = 0, *, days: float = 0) -> int:
    return to_us(T0 + timedelta(days=days, minutes=minutes))


def message(kind: str, minutes: float = 0, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "messageId": f"f-{next(_ids)}", "timestamp": at(minutes), **fields}


def identify(user: str, minutes: float = 0, **traits: Any) -> dict[str, Any]:
    return message("identify", minutes, userId=user, traits=traits or {"job_level": "director"})


def track(user: str, event: str, minutes: float = 0, **fields: Any) -> dict[str, Any]:
    return message("track", minutes, userId=user, event=event, **fields)


def mql_burst(user: str, minutes: float = 0, **traits: Any) -> list[dict[str, Any]]:
    """identify + two events: a director at a software company scores 15+10+30+20 = 75 ≥ 50."""
    return [
        identify(user, minutes, job_level="director", industry="software", **traits),
        track(user, "Contact Form Submitted", minutes + 1),
        track(user, "Webinar Attended", minutes + 2),
    ]
