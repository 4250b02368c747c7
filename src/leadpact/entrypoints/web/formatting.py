"""Numbers, dates and durations written the way each language writes them.

Japanese: ``2026年1月15日 14:05``, ``3.5時間``, ``2日3時間``; English: ``Jan 15, 2026 14:05``,
``3.5 h``, ``2 d 3 h``. Both group thousands with commas (as Japanese business documents
do) and show times in the agreement's timezone on a 24-hour clock, the way the engine's
deadlines are written. A missing value is an em dash, never "None" or "nan".
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from leadpact.domain.timeutil import US_PER_HOUR, US_PER_SECOND, from_us, parse_iso
from leadpact.service.labels import Lang

DASH: Final = "—"
_MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS: Final[dict[Lang, tuple[str, ...]]] = {
    "ja": ("月", "火", "水", "木", "金", "土", "日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_UNITS: Final[dict[Lang, dict[str, str]]] = {
    "ja": {"d": "日", "h": "時間", "m": "分", "sep": ""},
    "en": {"d": " d", "h": " h", "m": " min", "sep": " "},
}


class Formatter:
    def __init__(self, lang: Lang, zone: ZoneInfo) -> None:
        self.lang = lang
        self.zone = zone

    # --- numbers ----------------------------------------------------------------------------
    def count(self, value: int | float | None) -> str:
        if value is None:
            return DASH
        return f"{round(value):,}"

    def number(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return DASH
        text = f"{value:,.{digits}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text

    def percent(self, rate: float | None, digits: int = 1) -> str:
        """A rate 0–1 as a percentage; ``—`` when undefined (nothing to divide by)."""
        if rate is None:
            return DASH
        return f"{rate * 100:,.{digits}f}%"

    def points(self, value: float | None) -> str:
        """Scores: whole numbers as such, fractions (decay) to one decimal."""
        if value is None:
            return DASH
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"

    # --- moments ----------------------------------------------------------------------------
    def _moment(self, value: int | str | None) -> datetime | None:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            return parse_iso(value).astimezone(self.zone)
        return from_us(value, self.zone)

    def date(self, value: int | str | None) -> str:
        moment = self._moment(value)
        if moment is None:
            return DASH
        if self.lang == "ja":
            return f"{moment.year}年{moment.month}月{moment.day}日"
        return f"{_MONTHS[moment.month - 1]} {moment.day}, {moment.year}"

    def weekday_date(self, value: int | str | None) -> str:
        moment = self._moment(value)
        if moment is None:
            return DASH
        day = _WEEKDAYS[self.lang][moment.weekday()]
        return f"{self.date(value)}({day})" if self.lang == "ja" else f"{day}, {self.date(value)}"

    def datetime(self, value: int | str | None) -> str:
        moment = self._moment(value)
        if moment is None:
            return DASH
        return f"{self.date(value)} {moment.hour:02d}:{moment.minute:02d}"

    def month(self, text: str | None) -> str:
        """``2026-01`` → ``2026年1月`` / ``Jan 2026``."""
        if not text:
            return DASH
        year, month = (int(part) for part in text.split("-")[:2])
        return f"{year}年{month}月" if self.lang == "ja" else f"{_MONTHS[month - 1]} {year}"

    # --- durations --------------------------------------------------------------------------
    def hours(self, value: float | None) -> str:
        """A report's lead time in hours: hours below two days, days from there."""
        if value is None:
            return DASH
        units = _UNITS[self.lang]
        if abs(value) >= 48:
            return f"{self.number(value / 24)}{units['d']}"
        return f"{self.number(value)}{units['h']}"

    def duration(self, microseconds: int | None) -> str:
        """``2 d 3 h`` / ``2日3時間``: the two largest units, for lateness and time left."""
        if microseconds is None:
            return DASH
        units = _UNITS[self.lang]
        minutes = abs(microseconds) // (60 * US_PER_SECOND)
        days, rest = divmod(minutes, 24 * 60)
        hours, mins = divmod(rest, 60)
        if days:
            parts = [f"{days:,}{units['d']}"] + ([f"{hours}{units['h']}"] if hours else [])
        elif hours:
            parts = [f"{hours}{units['h']}"] + ([f"{mins}{units['m']}"] if mins else [])
        else:
            parts = [f"{mins}{units['m']}"]
        return units["sep"].join(parts)

    def seconds(self, value: int | None) -> str:
        return self.duration(value * US_PER_SECOND) if value is not None else DASH

    def hours_us(self, microseconds: int) -> float:
        return microseconds / US_PER_HOUR
