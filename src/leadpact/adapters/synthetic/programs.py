"""Marketing programmes on fixed dates shared by all leads: newsletters, webinars, trade shows.

Real programmes are calendar events (a newsletter goes out to everyone on the same Tuesday),
so leads' touches cluster on the same days, as in a real MA system's data.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, timedelta

from leadpact.adapters.synthetic import catalog
from leadpact.adapters.synthetic.timeline import Timeline


@dataclass(frozen=True, slots=True)
class Programme:
    day: int
    hour: int
    campaign: str
    title: str


class Programmes:
    """The window's programmes, each list sorted by day."""

    def __init__(
        self,
        newsletters: tuple[Programme, ...],
        webinars: tuple[Programme, ...],
        trade_shows: tuple[Programme, ...],
    ) -> None:
        self.newsletters = newsletters
        self.webinars = webinars
        self.trade_shows = trade_shows  # one entry per show day
        self._days = {id(items): [p.day for p in items] for items in (newsletters, webinars, trade_shows)}

    def after(self, items: tuple[Programme, ...], day: int) -> tuple[Programme, ...]:
        """Those of ``items`` (one of this object's lists) on days strictly after ``day``."""
        return items[bisect_left(self._days[id(items)], day + 1) :]


def _working(timeline: Timeline, day: int) -> int | None:
    """``day`` or the next sales working day inside the window."""
    while day < timeline.days:
        if timeline.workday[day]:
            return day
        day += 1
    return None


def _weekly(timeline: Timeline, weekday: int, every: int, offset: int = 0, *, shift: bool = True) -> list[int]:
    """Every ``every`` weeks on ``weekday``; a closed day moves to the next working day
    (``shift``) or the occurrence is skipped."""
    first = (weekday - timeline.start.weekday()) % 7 + offset
    days: list[int] = []
    for candidate in range(first, timeline.days, 7 * every):
        day = _working(timeline, candidate) if shift else (candidate if timeline.workday[candidate] else None)
        if day is not None and (not days or day > days[-1]):
            days.append(day)
    return days


def build_programmes(timeline: Timeline) -> Programmes:
    newsletters = tuple(
        Programme(
            day,
            10,
            f"nl-{timeline.dates[day]:%Y%m%d}",
            catalog.EMAIL_SUBJECTS[i % len(catalog.EMAIL_SUBJECTS)],
        )
        for i, day in enumerate(_weekly(timeline, weekday=1, every=2))  # every other Tuesday
    )
    webinars = []
    for i, day in enumerate(_weekly(timeline, weekday=3, every=2, offset=7, shift=False)):  # Thursdays
        slug, title = catalog.WEBINAR_TOPICS[i % len(catalog.WEBINAR_TOPICS)]
        webinars.append(Programme(day, 14, f"webinar-{timeline.dates[day]:%Y%m%d}-{slug}", title))
    shows = []
    end_date = timeline.start + timedelta(days=timeline.days)
    for year in range(timeline.start.year - 1, end_date.year + 1):
        for slug, name, month, dom in catalog.TRADE_SHOWS:
            opening = date(year, month, dom)
            while opening.weekday() != 2:  # trade shows in Japan typically open on a Wednesday
                opening += timedelta(days=1)
            first = (opening - timeline.start).days
            for offset in range(3):
                if 0 <= first + offset < timeline.days:
                    shows.append(Programme(first + offset, 10, f"{slug}-{year}", name))
    shows.sort(key=lambda p: p.day)
    return Programmes(tuple(newsletters), tuple(webinars), tuple(shows))
