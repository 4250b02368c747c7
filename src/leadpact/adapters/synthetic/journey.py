"""A lead's marketing history: anonymous visits, identification, web sessions, downloads,
webinars, trade shows, e-mail opens and clicks, forms and purchase actions.

Behaviour is driven by the persona's latent tier. Rates are per opportunity to act (a session,
a newsletter, a webinar) and are listed in docs/generator.md.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from itertools import accumulate
from typing import Final

from leadpact.adapters.synthetic import catalog
from leadpact.adapters.synthetic.messagelog import LeadLog
from leadpact.adapters.synthetic.persona import Persona
from leadpact.adapters.synthetic.programs import Programme, Programmes
from leadpact.adapters.synthetic.timeline import US_PER_MINUTE, Timeline
from leadpact.domain.timeutil import US_PER_HOUR, US_PER_SECOND

# Page families and the mix each kind of visitor reads.
_FAMILIES: Final = ("top", "blog", "products", "case", "pricing", "other")
_MIX: Final = {
    "cold": (30, 52, 8, 2, 2, 6),
    "warm": (15, 25, 28, 12, 10, 10),
    "hot": (10, 10, 30, 20, 20, 10),
    "competitor": (5, 5, 40, 20, 30, 0),
    "student": (20, 60, 5, 0, 0, 15),
}
_MIX_CUM: Final = {k: tuple(accumulate(v)) for k, v in _MIX.items()}

# Mean days between web sessions at first, and how fast interest fades (gap growth per session).
_SESSION_GAP_DAYS: Final = {"hot": 5.0, "warm": 14.0, "cold": 60.0}
_GAP_GROWTH: Final = 1.12
_PAGES_MEAN: Final = {"hot": 3.0, "warm": 2.0, "cold": 1.3}
_CONVERSION_P: Final = {"hot": 0.22, "warm": 0.08, "cold": 0.02}
_PURCHASE_P: Final = {"hot": 0.12, "warm": 0.01, "cold": 0.0}
_OPEN_P: Final = {"hot": 0.35, "warm": 0.25, "cold": 0.15, "student": 0.10, "competitor": 0.30}
_CLICK_P: Final = {"hot": 0.30, "warm": 0.20, "cold": 0.10, "student": 0.05, "competitor": 0.20}
_UNSUBSCRIBE_P: Final = {"hot": 0.001, "warm": 0.003, "cold": 0.006, "student": 0.02, "competitor": 0.0}
_WEBINAR_P: Final = {"hot": 0.08, "warm": 0.05, "cold": 0.015}
_SHOW_REVISIT_P: Final = {"hot": 0.10, "warm": 0.06, "cold": 0.03}
_MAX_SESSIONS: Final = 60
_NEWSLETTER_LINKS: Final = catalog.CASE_STUDIES + catalog.BLOG_POSTS
_ANONYMOUS_SESSIONS: Final = {"hot": 2.5, "warm": 1.5, "cold": 0.7}
"""Mean number of earlier anonymous sessions of a lead that visited before identifying."""


def _page(rng: random.Random, family: str) -> tuple[str, str]:
    if family == "top":
        return "/", "トップ"
    if family == "blog":
        return rng.choice(catalog.BLOG_POSTS)
    if family == "products":
        return rng.choice(catalog.PRODUCTS)
    if family == "case":
        return rng.choice(catalog.CASE_STUDIES)
    if family == "pricing":
        return "/pricing", "料金プラン"
    return rng.choice(catalog.OTHER_PAGES)


class Journey:
    """Writes one persona's marketing messages into its :class:`LeadLog`."""

    def __init__(
        self, persona: Persona, log: LeadLog, rng: random.Random, timeline: Timeline, programmes: Programmes
    ) -> None:
        self.p = persona
        self.log = log
        self.rng = rng
        self.t = timeline
        self.programmes = programmes
        self.behaviour = persona.kind if persona.kind != "prospect" else persona.tier
        self.purchases = 0

    # --- building blocks ------------------------------------------------------------------------

    def _session(self, start: int, *, anonymous: bool = False, pages: int | None = None) -> int:
        """A run of page views from ``start``; returns the moment after the last one."""
        rng = self.rng
        count = pages if pages is not None else 1 + int(rng.expovariate(1 / (_PAGES_MEAN.get(self.p.tier, 1.6) - 0.5)))
        cum = _MIX_CUM[self.behaviour]
        at = start
        for _ in range(min(count, 12)):
            family = _FAMILIES[bisect_right(cum, rng.random() * cum[-1])]
            path, title = _page(rng, family)
            self.log.page(at, path, title, anonymous=anonymous)
            at += (20 + int(rng.expovariate(1 / 70))) * US_PER_SECOND
        return at

    def _conversion(self, at: int, *, anonymous: bool = False) -> None:
        rng = self.rng
        inquiry = {"hot": 20, "warm": 6}.get(self.behaviour, 1)
        kind = rng.choices(("wp", "case", "doc", "inquiry"), (40, 20, 20, inquiry))[0]
        if kind == "wp":
            asset, title = rng.choice(catalog.WHITEPAPERS)
            self.log.track(at, "Whitepaper Downloaded", {"asset_id": asset, "title": title}, anonymous=anonymous)
        elif kind == "case":
            asset, title = rng.choice(catalog.CASE_STUDY_ASSETS)
            self.log.track(at, "Case Study Downloaded", {"asset_id": asset, "title": title}, anonymous=anonymous)
        elif kind == "doc":
            self.log.track(at, "Document Requested", {"document": "サービス紹介資料"}, anonymous=anonymous)
        else:
            topic = rng.choice(("product", "pricing", "partnership"))
            self.log.track(
                at, "Contact Form Submitted", {"form": "contact", "inquiry_type": topic}, anonymous=anonymous
            )

    def _purchase(self, at: int) -> None:
        event = self.rng.choices(catalog.PURCHASE_EVENTS, catalog.PURCHASE_WEIGHTS)[0]
        product = self.rng.choice(catalog.PRODUCTS)[1]
        self.log.track(at, event, {"product": product})
        self.purchases += 1

    # --- phases ---------------------------------------------------------------------------------

    def anonymous_visits(self, created_at: int) -> None:
        """Visits before the lead identifies itself; linked later by the identify message."""
        rng = self.rng
        created_day = self.t.day_of(created_at)
        for _ in range(int(rng.expovariate(1 / _ANONYMOUS_SESSIONS.get(self.p.tier, 0.5)))):
            day = created_day - rng.randint(1, 30)
            if day >= 0 and self.t.is_active(day, rng):
                self._session(self.t.moment(day, rng), anonymous=True)
        self._session(created_at - 6 * US_PER_MINUTE, anonymous=True, pages=rng.randint(1, 3))

    def identification(self, created_at: int) -> int:
        """The lead's first known touch, by source; returns when it ended."""
        p, log, rng = self.p, self.log, self.rng
        at = created_at
        if p.anonymous_id is not None:
            self.anonymous_visits(created_at)
        log.identify(at, dict(p.traits), link=True)
        if p.company is not None:
            log.group(at + US_PER_SECOND, p.company.group_id, p.company.traits())
        at += 5 * US_PER_SECOND
        if p.source == "trade_show":
            log.track(
                at,
                "Trade Show Booth Visited",
                {"show": p.campaign, "booth": f"{rng.choice('ABCDE')}-{rng.randint(1, 40)}"},
            )
        elif p.source == "webinar":
            webinar = next(w for w in self.programmes.webinars if w.campaign == p.campaign)
            if rng.random() < 0.65:  # typical B2B webinar attendance rate of registrants
                self._webinar(webinar, after=at)
        elif p.source == "content_syndication":
            asset, title = rng.choice(catalog.WHITEPAPERS)
            log.track(at, "Whitepaper Downloaded", {"asset_id": asset, "title": title, "channel": "syndication"})
        elif p.source == "partner":
            log.track(at, "Document Requested", {"document": "サービス紹介資料", "channel": "partner"})
        else:
            self._conversion(at)
        return at + US_PER_MINUTE

    def _webinar(self, webinar: Programme, after: int = 0) -> None:
        at = self.t.midnight(webinar.day) + webinar.hour * US_PER_HOUR + self.rng.randrange(600) * US_PER_SECOND
        minutes = self.rng.randint(10, 60)
        if at <= after:  # registered after it started (a window opening on the webinar's day)
            return
        self.log.track(
            at, "Webinar Attended", {"webinar_id": webinar.campaign, "title": webinar.title, "duration_min": minutes}
        )

    def sessions(self, after: int) -> None:
        rng, t = self.rng, self.t
        gap = _SESSION_GAP_DAYS.get(self.p.tier, 30.0)
        if self.p.kind == "competitor":
            gap = 8.0
        day = t.day_of(after)
        for number in range(_MAX_SESSIONS):
            day = t.active_day_from(day + 1 + int(rng.expovariate(1 / gap)), rng)
            if day >= t.days:
                return
            gap *= _GAP_GROWTH
            end = self._session(t.moment(day, rng))
            if rng.random() < _CONVERSION_P.get(self.behaviour, 0.05):
                self._conversion(end)
            elif number >= 2 and self.purchases < 2 and rng.random() < _PURCHASE_P.get(self.behaviour, 0.0):
                self._purchase(end)

    def newsletters(self, after: int) -> None:
        rng, log = self.rng, self.log
        open_p = _OPEN_P[self.behaviour]
        click_p = _CLICK_P[self.behaviour]
        unsubscribe_p = _UNSUBSCRIBE_P[self.behaviour]
        for send in self.programmes.after(self.programmes.newsletters, self.t.day_of(after)):
            sent_at = self.t.midnight(send.day) + send.hour * US_PER_HOUR
            if rng.random() >= open_p:
                continue
            # Most opens come within hours; a tail within days (lognormal, median ~1.5 h).
            opened = sent_at + int(rng.lognormvariate(8.6, 1.6)) * US_PER_SECOND
            props = {"campaign": send.campaign, "subject": send.title}
            log.track(opened, "Email Opened", props)
            if rng.random() < unsubscribe_p:
                log.track(opened + 30 * US_PER_SECOND, "Unsubscribed", {"campaign": send.campaign})
                return
            if rng.random() < click_p:
                clicked = opened + rng.randint(5, 120) * US_PER_SECOND
                path, title = rng.choice(_NEWSLETTER_LINKS)
                log.track(clicked, "Email Link Clicked", {**props, "url": path})
                log.page(clicked + 2 * US_PER_SECOND, path, title)

    def programmes_after(self, after: int) -> None:
        rng = self.rng
        day = self.t.day_of(after)
        webinar_p = _WEBINAR_P.get(self.p.tier, 0.0)
        for webinar in self.programmes.after(self.programmes.webinars, day):
            if webinar.campaign != self.p.campaign and rng.random() < webinar_p:
                self._webinar(webinar)
        revisit_p = _SHOW_REVISIT_P.get(self.p.tier, 0.0) if self.p.kind == "prospect" else 0.0
        seen: set[str] = {self.p.campaign}
        for show_day in self.programmes.after(self.programmes.trade_shows, day):
            if show_day.campaign in seen:
                continue
            seen.add(show_day.campaign)
            if rng.random() < revisit_p:
                at = self.t.midnight(show_day.day) + rng.randint(10 * 3600, 17 * 3600) * US_PER_SECOND
                self.log.track(at, "Trade Show Booth Visited", {"show": show_day.campaign, "booth": "A-1"})


def marketing_history(
    persona: Persona, log: LeadLog, rng: random.Random, timeline: Timeline, programmes: Programmes, created_at: int
) -> None:
    """Everything marketing sees of this lead inside the window (SGLs: after registration)."""
    journey = Journey(persona, log, rng, timeline, programmes)
    if persona.sgl:
        if persona.company is not None:  # the CRM sync sends the account after registration
            log.group(created_at + US_PER_SECOND, persona.company.group_id, persona.company.traits())
    else:
        created_at = journey.identification(created_at)
    journey.sessions(created_at)
    journey.newsletters(created_at)
    journey.programmes_after(created_at)


def anonymous_visitor(log: LeadLog, rng: random.Random, timeline: Timeline) -> None:
    """A visitor who never identifies: most real web traffic. Such messages belong to no lead."""
    day = timeline.weighted_day(rng)
    for _ in range(1 + int(rng.expovariate(1 / 0.8))):
        day = timeline.active_day_from(day + rng.randint(0, 20), rng)
        if day >= timeline.days:
            return
        at = timeline.moment(day, rng)
        for _ in range(rng.randint(1, 3)):
            family = _FAMILIES[bisect_right(_MIX_CUM["cold"], rng.random() * _MIX_CUM["cold"][-1])]
            path, title = _page(rng, family)
            log.page(at, path, title, anonymous=True)
            at += rng.randint(15, 200) * US_PER_SECOND
