"""Who a lead is: company, name, e-mail, title, lead source, campaign and latent buying intent.

The latent ``tier`` (hot / warm / cold) drives behaviour and sales outcomes. It is correlated
with, but not determined by, the attributes a fit score sees (job level, industry, size), so
that scoring and calibration have a real but imperfect signal to find.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Final

from leadpact.adapters.synthetic import catalog
from leadpact.adapters.synthetic.companies import Company, CompanyPool, competitor
from leadpact.adapters.synthetic.programs import Programmes
from leadpact.adapters.synthetic.timeline import Timeline

COMPETITOR_SHARE: Final = 0.015
STUDENT_SHARE: Final = 0.015
TARGET_INDUSTRIES: Final = frozenset({"manufacturing", "software", "it_services"})

_HOT_BASE: Final = 0.06
_WARM_BASE: Final = 0.25
_LEVEL_INTENT: Final = {"executive": 1.7, "director": 1.6, "manager": 1.2, "staff": 0.7, "student": 0.0}
_BAND_INTENT: Final = (0.6, 0.9, 1.1, 1.35, 1.45)
_SOURCE_INTENT: Final = {
    "web_organic": 1.1, "web_ads": 1.0, "trade_show": 0.7, "webinar": 1.0,
    "content_syndication": 0.6, "partner": 1.3, "referral": 2.0, "inbound_call": 2.5,
}  # fmt: skip


@dataclass(slots=True)
class Persona:
    index: int
    user_id: str
    anonymous_id: str | None
    kind: str  # prospect / competitor / student
    company: Company | None
    job_level: str
    tier: str  # hot / warm / cold
    source: str
    campaign: str
    sgl: bool
    created_day: int
    traits: dict[str, Any]

    @property
    def enterprise(self) -> bool:
        return self.company is not None and self.company.employees >= catalog.ENTERPRISE_EMPLOYEES


def _email(rng: random.Random, given_r: str, sur_r: str, domain: str) -> str:
    style = rng.random()
    if style < 0.55:
        local = f"{given_r}.{sur_r}"
    elif style < 0.8:
        local = f"{sur_r}.{given_r}"
    else:
        local = f"{given_r[0]}{sur_r}"
    if rng.random() < 0.1:
        local += str(rng.randint(1, 99))
    return f"{local}@{domain}"


def _source_and_campaign(rng: random.Random, kind: str, programmes: Programmes) -> tuple[str, str]:
    source = rng.choices(catalog.SOURCES, catalog.SOURCE_WEIGHTS)[0]
    if kind != "prospect" and source in catalog.SGL_SOURCES:
        source = "web_organic"  # sales do not register competitors or students
    if source == "trade_show" and not programmes.trade_shows:
        source = "web_organic"
    if source == "webinar" and not programmes.webinars:
        source = "web_organic"
    if source == "web_organic":
        return source, "organic-search"
    if source == "web_ads":
        return source, rng.choice(catalog.AD_CAMPAIGNS)
    if source == "trade_show":
        return source, rng.choice(programmes.trade_shows).campaign
    if source == "webinar":
        return source, rng.choice(programmes.webinars).campaign
    if source == "content_syndication":
        return source, rng.choice(catalog.SYNDICATION_CAMPAIGNS)
    if source == "partner":
        return source, rng.choice(catalog.PARTNER_CAMPAIGNS)
    if source == "referral":
        return source, rng.choice(catalog.REFERRAL_CAMPAIGNS)
    return source, "inbound-call"


def _tier(rng: random.Random, job_level: str, company: Company | None, source: str) -> str:
    if company is None or job_level == "student":
        return "cold"
    lift = _LEVEL_INTENT[job_level] * _BAND_INTENT[company.band] * _SOURCE_INTENT[source]
    lift *= 1.35 if company.industry in TARGET_INDUSTRIES else 0.8
    roll = rng.random()
    hot = min(0.6, _HOT_BASE * lift)
    if roll < hot:
        return "hot"
    return "warm" if roll < hot + min(0.5, _WARM_BASE * lift**0.5) else "cold"


def _created_day(rng: random.Random, source: str, campaign: str, programmes: Programmes, timeline: Timeline) -> int:
    """Trade-show and webinar leads are born on their programme's days; others any day."""
    if source == "trade_show":
        days = [p.day for p in programmes.trade_shows if p.campaign == campaign]
        return rng.choice(days)
    if source == "webinar":
        day = next(p.day for p in programmes.webinars if p.campaign == campaign)
        return max(0, day - rng.randint(1, 12))  # registration precedes the webinar
    return min(timeline.active_day_from(timeline.weighted_day(rng), rng), timeline.days - 1)


def make_persona(
    index: int,
    rng: random.Random,
    *,
    seed: int,
    pool: CompanyPool,
    programmes: Programmes,
    timeline: Timeline,
) -> Persona:
    roll = rng.random()
    kind = (
        "competitor"
        if roll < COMPETITOR_SHARE
        else "student"
        if roll < COMPETITOR_SHARE + STUDENT_SHARE
        else "prospect"
    )
    surname, sur_r = rng.choice(catalog.SURNAMES)
    given, given_r = rng.choice(catalog.GIVEN_NAMES)
    source, campaign = _source_and_campaign(rng, kind, programmes)
    traits: dict[str, Any]
    company: Company | None
    if kind == "student":
        company = None
        job_level = "student"
        university, uni_r = rng.choice(catalog.UNIVERSITIES)
        traits = {
            "email": _email(rng, given_r, sur_r, f"{uni_r}.ac.example"),
            "name": f"{surname} {given}",
            "company": university,
            "title": "学生",
            "job_level": job_level,
            "industry": "education",
            "employees": rng.randint(800, 6000),
            "country": "JP",
        }
    else:
        company = competitor() if kind == "competitor" else pool.pick(rng)
        job_level = rng.choices(catalog.JOB_LEVELS, catalog.JOB_LEVEL_WEIGHTS)[0]
        role_title = rng.choice(catalog.TITLES[job_level])
        title = role_title if job_level == "executive" else f"{rng.choice(catalog.DEPARTMENTS)} {role_title}"
        traits = {
            "email": _email(rng, given_r, sur_r, company.domain),
            "name": f"{surname} {given}",
            "company": company.name,
            "title": title,
            "job_level": job_level,
            "industry": company.industry,
            "employees": company.employees,
            "country": company.country,
        }
    traits["source"] = source
    traits["campaign"] = campaign
    sgl = source in catalog.SGL_SOURCES and rng.random() < catalog.SGL_SHARE[source]
    anonymous = not sgl and rng.random() < (0.75 if source.startswith("web_") else 0.25)
    anonymous_id = f"{rng.getrandbits(128):032x}" if anonymous else None
    if anonymous_id is not None:
        anonymous_id = (
            f"{anonymous_id[:8]}-{anonymous_id[8:12]}-{anonymous_id[12:16]}-{anonymous_id[16:20]}-{anonymous_id[20:]}"
        )
    return Persona(
        index=index,
        user_id=f"lead-{seed}-{index:07d}",
        anonymous_id=anonymous_id,
        kind=kind,
        company=company,
        job_level=job_level,
        tier=_tier(rng, job_level, company, source),
        source=source,
        campaign=campaign,
        sgl=sgl,
        created_day=_created_day(rng, source, campaign, programmes, timeline),
        traits=traits,
    )
