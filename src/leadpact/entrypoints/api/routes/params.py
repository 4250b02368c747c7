"""Query parameters shared by several routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from leadpact.domain.messages import MessageError
from leadpact.domain.timeutil import parse_iso, to_us
from leadpact.service.labels import Lang

AsOfParam = Annotated[
    str | None,
    Query(description="Evaluate as of this time (ISO 8601 with offset); default: now.", max_length=64),
]
LangParam = Annotated[Lang, Query(description="Language of rendered criteria: en or ja.")]


def as_of_us(value: str | None, now: int) -> int:
    if value is None:
        return now
    try:
        return to_us(parse_iso(value))
    except (ValueError, OverflowError) as exc:
        raise MessageError("as_of", f"expected ISO 8601 with offset, found {value!r} ({exc})") from None
