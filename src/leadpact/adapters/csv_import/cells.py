"""Reading one CSV cell as a typed value. Each reader raises :class:`CellError` saying what was
expected and what was found; the caller adds the file, line and column."""

from __future__ import annotations

import math
from datetime import datetime, time, tzinfo

from leadpact.adapters.csv_import.mapping import TraitColumn, fold
from leadpact.domain.timeutil import to_us


class CellError(ValueError):
    """One bad cell; the message is "expected ..., found ..."."""


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:37] + "...")


def read_number(raw: str) -> int | float:
    """A number; whole numbers come back as ``int`` so that ``5.0`` and ``5`` are the same trait."""
    try:
        value = float(raw.strip())
    except ValueError:
        raise CellError(f"expected a number, found {_shown(raw)}") from None
    if not math.isfinite(value):
        raise CellError(f"expected a finite number, found {_shown(raw)}")
    return int(value) if value.is_integer() else value


def read_count(raw: str) -> int:
    """A whole, non-negative number of events (``3`` or ``3.0``)."""
    try:
        value = read_number(raw)
    except CellError:
        raise CellError(f"expected a whole number of events, found {_shown(raw)}") from None
    if not isinstance(value, int) or value < 0:
        raise CellError(f"expected a whole number of events (0 or more), found {_shown(raw)}")
    return value


def read_moment(raw: str, fmt: str | None, zone: tzinfo) -> int:
    """A timestamp (µs). ISO 8601 or ``fmt`` (strptime); without an offset it is in ``zone``."""
    text = raw.strip()
    try:
        moment = datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)
    except ValueError:
        expected = f"a date/time in the format {fmt!r}" if fmt else "an ISO 8601 date or date/time"
        raise CellError(f"expected {expected}, found {_shown(raw)}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        return to_us(moment)
    except ValueError as exc:
        raise CellError(f"{_shown(raw)} is {exc}") from None


def read_date(raw: str, fmt: str | None, zone: tzinfo) -> str:
    """A date trait, stored as ISO 8601 text (dates compare correctly as text)."""
    text = raw.strip()
    try:
        moment = datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)
    except ValueError:
        raise CellError(f"expected an ISO 8601 date (YYYY-MM-DD), found {_shown(raw)}") from None
    if moment.time() == time(0) and moment.tzinfo is None:
        return moment.date().isoformat()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat()


def read_trait(spec: TraitColumn, raw: str, date_format: str | None, zone: tzinfo) -> object:
    """The trait value of a present (non-missing) cell, typed as the mapping says."""
    if spec.type == "number":
        return read_number(raw)
    if spec.type == "integer":
        value = read_number(raw)
        if not isinstance(value, int):
            raise CellError(f"expected a whole number, found {_shown(raw)}")
        return value
    if spec.type == "boolean":
        folded = fold(raw)
        if folded in spec.true_values:
            return True
        if folded in spec.false_values:
            return False
        allowed = sorted(spec.true_values | spec.false_values)
        raise CellError(f"expected one of {', '.join(allowed)} (yes/no), found {_shown(raw)}")
    if spec.type == "date":
        return read_date(raw, date_format, zone)
    text = raw.strip()
    return spec.rename.get(fold(text), text)
