"""Moments typed on the command line (``--as-of``, ``--from``, ``--to``), read exactly as the
API and the dashboard read them (:mod:`leadpact.service.periods`), failing with exit 2
and the field named. Light on imports: ``score`` and ``import-csv`` use it too."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from leadpact.domain.messages import MessageError
from leadpact.entrypoints.cli.output import fail
from leadpact.service.periods import parse_bound as read_bound
from leadpact.service.periods import parse_moment


def parse_as_of(text: str, option: str = "--as-of") -> int:
    """``--as-of`` (or ``option``, e.g. ``--now``): ISO 8601 with an offset, read as the API reads ``as_of``."""
    try:
        moment = parse_moment(text, option)
    except MessageError as exc:
        fail(str(exc))
    if moment is None:
        fail(f"{option}: expected ISO 8601 with offset (2026-03-31T23:59:59+09:00), found nothing")
    return moment


def parse_bound(text: str | None, option: str, zone: ZoneInfo) -> int | None:
    """A date means local midnight in the agreement's timezone; a datetime needs an offset
    (the dashboard's and the API's reading, :func:`leadpact.service.periods.parse_bound`)."""
    try:
        return read_bound(text, option, zone)
    except MessageError as exc:
        fail(str(exc))
