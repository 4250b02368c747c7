"""Seeded random event histories that exercise every agreement feature, for engine equality.

A *history* is a few leads (and anonymous visitors) with their messages: identities linked
late, traits that change, are removed and come from the company; page and track events
(including properties the agreement tests); engagement placed exactly on the decay boundary;
duplicates; and sales actions drawn at random, so many are refused (wrong role, wrong stage,
missing reason, unknown lead) while others recycle, qualify, win, lose, assign and
disqualify. Sales-created leads (SGL) appear too. Every history is namespaced, so many of them
share one file without meeting.

The agreements (``AGREEMENTS``) differ in decay (step, half-life, none), thresholds, recycling,
assignment, SLA units and the kinds of conditions they use.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from leadpact.adapters.agreement_yaml import load_agreement_text
from leadpact.domain.agreement import Agreement

Json = dict[str, Any]

START: Final = datetime(2025, 12, 1, 0, 0, tzinfo=UTC)
"""Histories run from here for about four months (across Japanese New Year holidays)."""
DAY: Final = timedelta(days=1)

_COMMON_FIT = """
fit:
  - {id: exec, if: {trait: job_level, in: [executive, director]}, points: 15}
  - {id: staff, if: {trait: job_level, in: [staff, manager]}, points: 5}
  - {id: industry, if: {trait: industry, in: [manufacturing, software]}, points: 10}
  - {id: big, if: {trait: employees, gte: 300}, points: 10}
  - {id: small, if: {trait: employees, lt: 300}, points: 5}
  - {id: domestic, if: {trait: company.country, eq: JP}, points: 2.5}
"""

_EXCLUSIONS = """
exclusions:
  - {id: competitor, if: {trait: email_domain, in: [rival.example]}}
  - {id: student, if: {trait: job_level, eq: student}}
"""

_ENGAGEMENT = """
engagement:
  - {id: top, if: {type: page, path: "/"}, points: 1, max_count: 3}
  - {id: product, if: {type: page, path_prefix: "/products"}, points: 5}
  - {id: pricing, if: {type: page, path_prefix: "/pricing"}, points: 10}
  - {id: whitepaper, if: {type: track, event: Whitepaper Downloaded}, points: 15}
  - {id: webinar, if: {type: track, event: Webinar Attended}, points: 20, max_count: 2}
  - {id: open, if: {type: track, event: Email Opened}, points: 1, max_count: 4}
  - {id: unsubscribe, if: {type: track, event: Unsubscribed}, points: -20}
  - {id: inquiry, if: {type: track, event: Contact Form Submitted}, points: 30}
"""

_SLA = """
sla:
  - {id: handoff, starts: mql, stops: [assign, reject], within: {hours: 24}, owner: marketing}
  - {id: first_contact, starts: assign, stops: [contact, reject], within: {business_days: 3}, owner: inside_sales}
  - {id: meeting, starts: sql, stops: [open_opportunity, recycle], within: {business_days: 5}, owner: field_sales}
"""

_ASSIGNMENT = """
assignment:
  - {if: {trait: employees, gte: 1000}, team: enterprise, members: [ent_a, ent_b]}
  - {team: smb, members: [smb_a, smb_b, smb_c]}
"""

AGREEMENTS: Final[dict[str, str]] = {
    "step": f"""
name: Step decay
version: "t-step"
timezone: Asia/Tokyo
business_calendar: JP
{_COMMON_FIT}
{_EXCLUSIONS}
{_ENGAGEMENT}
decay: {{after_days: 10, factor: 0.5}}
stages:
  mql: {{when: {{score_gte: 50}}}}
  sql: {{when: {{any: [{{bant_gte: 2}}, {{event_in: [Demo Requested, Quote Requested]}}]}}}}
  hot: {{when: {{score_gte: 90}}}}
{_ASSIGNMENT}
{_SLA}
recycle: {{reset_engagement: true}}
""",
    "half": f"""
name: Half-life decay
version: "t-half"
timezone: Asia/Tokyo
business_calendar: JP
{_COMMON_FIT}
{_EXCLUSIONS}
{_ENGAGEMENT}
  - {{id: pro_trial, if: {{type: track, event: Trial Started, property: {{plan: {{eq: pro}}}}}}, points: 12}}
decay: {{half_life_days: 7}}
stages:
  mql: {{when: {{all: [{{score_gte: 40}}, {{not: {{trait: job_level, eq: intern}}}}]}}}}
  sql: {{when: {{any: [{{bant_gte: 3}}, {{event_in: [Demo Requested]}}]}}}}
  hot: {{when: {{all: [{{fit_gte: 20}}, {{engagement_gte: 30}}]}}}}
{_ASSIGNMENT}
sla:
  - {{id: handoff, starts: mql, stops: [assign, reject], within: {{hours: 8}}, owner: marketing}}
  - {{id: first_contact, starts: assign, stops: [contact], within: {{business_days: 2}}, owner: inside_sales}}
recycle: {{reset_engagement: false}}
""",
    "plain": f"""
name: No decay
version: "t-plain"
timezone: Asia/Tokyo
business_calendar: none
{_COMMON_FIT}
{_EXCLUSIONS}
{_ENGAGEMENT}
  - {{id: big_deal, if: {{type: track, event: Quote Requested, property: {{amount: {{gte: 1000}}}}}}, points: 7.25}}
stages:
  mql: {{when: {{any: [{{score_gte: 37.5}}, {{event_in: [Demo Requested]}}]}}}}
  sql: {{when: {{bant_gte: 2}}}}
assignment:
  - {{if: {{trait: company.industry, eq: software}}, team: software_desk, members: [sw_1, sw_2]}}
sla:
  - {{id: handoff, starts: mql, stops: [assign], within: {{minutes: 90}}, owner: marketing}}
  - {{id: follow, starts: accept, stops: [contact, recycle], within: {{days: 2}}, owner: inside_sales}}
recycle: {{reset_engagement: true}}
""",
    "short": f"""
name: Short window
version: "t-short"
timezone: Asia/Tokyo
business_calendar: JP
{_COMMON_FIT}
  - {{id: interests, if: {{trait: interests, contains: erp}}, points: 4}}
  - {{id: numeric_string, if: {{trait: seats, gt: 10}}, points: 3}}
  - {{id: known_title, if: {{trait: title, exists: true}}, points: 1}}
{_EXCLUSIONS}
{_ENGAGEMENT}
decay: {{after_days: 1, factor: 0.3}}
stages:
  mql: {{when: {{score_gte: 30.5}}}}
  sql: {{when: {{any: [{{all: [{{bant_gte: 2}}, {{score_gte: 20}}]}}, {{event_in: [Quote Requested]}}]}}}}
  hot: {{when: {{not: {{score_gte: 45}}}}}}
{_ASSIGNMENT}
{_SLA}
recycle: {{reset_engagement: true}}
""",
}

PAGES: Final = ("/", "/products/erp", "/products/crm", "/pricing", "/pricing/enterprise", "/blog/post", "/about")
EVENTS: Final = (
    "Whitepaper Downloaded",
    "Webinar Attended",
    "Email Opened",
    "Email Opened",
    "Unsubscribed",
    "Contact Form Submitted",
    "Demo Requested",
    "Quote Requested",
    "Trial Started",
    "Video Played",
)
ACTIONS: Final = (
    "assign",
    "accept",
    "accept",
    "reject",
    "contact",
    "contact",
    "confirm_bant",
    "confirm_bant",
    "open_opportunity",
    "win",
    "lose",
    "recycle",
    "disqualify",
)
RIGHT_ROLE: Final = {
    "assign": "marketing",
    "accept": "inside_sales",
    "reject": "inside_sales",
    "contact": "inside_sales",
    "confirm_bant": "inside_sales",
    "open_opportunity": "field_sales",
    "win": "field_sales",
    "lose": "field_sales",
    "recycle": "field_sales",
    "disqualify": "marketing",
    "create_sgl": "field_sales",
}
ROLES: Final = ("marketing", "inside_sales", "field_sales", "viewer", "admin", "system")


def agreement(name: str) -> Agreement:
    return load_agreement_text(AGREEMENTS[name], f"{name}.yaml")


def _iso(moment: datetime) -> str:
    return moment.isoformat()


@dataclass
class History:
    """One generated history's messages (in file order) and what it was made to contain."""

    messages: list[Json] = field(default_factory=list)
    features: set[str] = field(default_factory=set)


class _Builder:
    def __init__(self, rng: random.Random, prefix: str, decay_days: float | None) -> None:
        self.rng = rng
        self.prefix = prefix
        self.decay_days = decay_days
        self.count = 0
        self.history = History()

    def add(self, kind: str, at: datetime, ids: Json, body: Json, message_id: str | None = None) -> Json:
        self.count += 1
        msg: Json = {"type": kind, "messageId": message_id or f"{self.prefix}m{self.count}", "timestamp": _iso(at)}
        msg.update(ids)
        msg.update(body)
        self.history.messages.append(msg)
        return msg

    def traits(self) -> Json:
        rng = self.rng
        traits: Json = {}
        if rng.random() < 0.9:
            traits["job_level"] = rng.choice(["executive", "director", "manager", "staff", "student", "intern"])
        if rng.random() < 0.7:
            traits["industry"] = rng.choice(["manufacturing", "software", "retail", "finance"])
        if rng.random() < 0.8:
            traits["employees"] = rng.choice([50, 120, 299, 300, 301, 800, 1000, 5000, "1,200", "many", 300.0, True])
        if rng.random() < 0.6:
            domain = rng.choice(["acme.example", "rival.example", "Corp.Example", "mail.example"])
            traits["email"] = f"{self.prefix}p@{domain}"
        if rng.random() < 0.2:
            traits["interests"] = rng.choice([["erp", "crm"], ["crm"], "erp and more"])
        if rng.random() < 0.3:
            traits["seats"] = rng.choice(["12", " 8 ", "1,000", 11, None, "x"])
        if rng.random() < 0.3:
            traits["title"] = rng.choice(["部長", "Manager", None])
        return traits


def make_history(rng: random.Random, prefix: str, decay_days: float | None) -> History:
    """One history: 1–3 leads, maybe an anonymous visitor, maybe a sales-created lead."""
    b = _Builder(rng, prefix, decay_days)
    for n in range(rng.randint(1, 3)):
        _lead(b, f"{prefix}u{n}", START + rng.randint(0, 40) * DAY + timedelta(minutes=rng.randint(0, 1439)))
    if rng.random() < 0.15:
        _sgl(b, f"{prefix}s", START + rng.randint(0, 60) * DAY)
    if rng.random() < 0.2:
        visitor = f"{prefix}v"
        at = START + rng.randint(0, 60) * DAY
        for _ in range(rng.randint(1, 4)):
            at += timedelta(hours=rng.randint(1, 30))
            b.add("page", at, {"anonymousId": visitor}, {"properties": {"path": rng.choice(PAGES)}})
        b.history.features.add("unlinked_visitor")
    if rng.random() < 0.1:
        # An action on a lead that never comes to exist.
        b.add(
            "action",
            START + 5 * DAY,
            {"userId": f"{prefix}ghost"},
            {"action": "accept", "actor": {"id": "is_1", "role": "inside_sales"}},
        )
        b.history.features.add("unknown_lead_action")
    _shuffle_ties(b)
    return b.history


def _lead(b: _Builder, user: str, at: datetime) -> None:
    rng = b.rng
    anonymous = f"{user}-anon" if rng.random() < 0.5 else None
    if anonymous is not None:
        for _ in range(rng.randint(1, 3)):
            b.add(
                "page",
                at,
                {"anonymousId": anonymous},
                {"properties": {"url": f"https://x.example{rng.choice(PAGES)}?utm=1"}},
            )
            at += timedelta(minutes=rng.randint(1, 300))
        b.history.features.add("anonymous_before_identify")
    ids: Json = {"userId": user}
    if anonymous is not None:
        ids["anonymousId"] = anonymous
    b.add("identify", at, ids, {"traits": b.traits()})
    if rng.random() < 0.5:
        b.add(
            "group",
            at + timedelta(seconds=1),
            {"userId": user},
            {
                "groupId": f"{user}-co",
                "traits": {
                    "industry": rng.choice(["software", "retail"]),
                    "country": rng.choice(["JP", "US"]),
                    "employees": rng.choice([100, 2000]),
                },
            },
        )
        b.history.features.add("company_traits")
    for _ in range(rng.randint(3, 25)):
        at += timedelta(hours=rng.choice([1, 2, 5, 12, 24, 30, 48, 72, 200]), minutes=rng.randint(0, 59))
        roll = rng.random()
        if roll < 0.35:
            b.add("page", at, {"userId": user}, {"properties": {"path": rng.choice(PAGES)}, "name": "Page"})
        elif roll < 0.7:
            event = rng.choice(EVENTS)
            props: Json = {}
            if event == "Trial Started":
                props["plan"] = rng.choice(["pro", "free", None])
            if event == "Quote Requested":
                props["amount"] = rng.choice([500, 1000, "2,000", 99999])
            b.add("track", at, {"userId": user}, {"event": event, "properties": props})
        elif roll < 0.78:
            b.add("identify", at, {"userId": user}, {"traits": _trait_change(b)})
            b.history.features.add("trait_change")
        else:
            _action(b, user, at)
        if rng.random() < 0.08 and b.decay_days:
            # The same points again exactly one decay window later: the boundary is inclusive.
            boundary = at + timedelta(days=b.decay_days)
            b.add("track", at, {"userId": user}, {"event": "Whitepaper Downloaded"})
            b.add("page", boundary, {"userId": user}, {"properties": {"path": "/about"}})
            b.history.features.add("decay_boundary")
        if rng.random() < 0.04 and b.history.messages:
            dup = dict(b.history.messages[-1])
            b.history.messages.append(dup)  # a duplicate messageId: the first arrival wins
            b.history.features.add("duplicate")


def _trait_change(b: _Builder) -> Json:
    rng = b.rng
    change = b.traits()
    if rng.random() < 0.3:
        change[rng.choice(["job_level", "employees", "industry"])] = None  # removes the trait
    return change


def _action(b: _Builder, user: str, at: datetime) -> None:
    rng = b.rng
    name = rng.choice(ACTIONS)
    role = RIGHT_ROLE[name] if rng.random() < 0.8 else rng.choice(ROLES)
    props: Json = {}
    if name in ("reject", "lose", "recycle", "disqualify") and rng.random() < 0.9:
        props["reason"] = rng.choice(["no budget", "timing", "competitor"])
    if name == "assign" and rng.random() < 0.9:
        props["owner"] = rng.choice(["rep_x", "rep_y"])
    if name == "confirm_bant":
        props["items"] = rng.sample(["budget", "authority", "need", "timeline", "competitor"], rng.randint(1, 3))
        if rng.random() < 0.1:
            props["items"] = ["budget", "vibes"]
    b.add(
        "action",
        at,
        {"userId": user},
        {"action": name, "actor": {"id": f"{role}_1", "role": role}, "properties": props},
    )
    b.history.features.add(f"action:{name}")


def _sgl(b: _Builder, user: str, at: datetime) -> None:
    rng = b.rng
    b.add(
        "action",
        at,
        {"userId": user},
        {"action": "create_sgl", "actor": {"id": "fs_1", "role": "field_sales"}, "traits": b.traits()},
    )
    b.history.features.add("sgl")
    for _ in range(rng.randint(1, 8)):
        at += timedelta(hours=rng.randint(1, 100))
        if rng.random() < 0.5:
            _action(b, user, at)
        else:
            b.add("track", at, {"userId": user}, {"event": rng.choice(EVENTS)})


def _shuffle_ties(b: _Builder) -> None:
    """Some messages arrive out of order (late events): the file order is not the time order."""
    msgs = b.history.messages
    for _ in range(len(msgs) // 10):
        i = b.rng.randrange(len(msgs))
        j = min(len(msgs) - 1, i + b.rng.randint(1, 3))
        msgs[i], msgs[j] = msgs[j], msgs[i]


def write_histories(path: Path, name: str, count: int, seed: int) -> tuple[Path, set[str]]:
    """``count`` histories for agreement ``name`` in one JSONL file; returns the features seen."""
    rng = random.Random(f"{seed}:{name}")
    decay_days = {"step": 10.0, "short": 1.0, "half": None, "plain": None}[name]
    features: set[str] = set()
    with path.open("w", encoding="utf-8") as stream:
        for index in range(count):
            history = make_history(rng, f"{name}{index}-", decay_days)
            features |= history.features
            for msg in history.messages:
                stream.write(json.dumps(msg, ensure_ascii=False) + "\n")
    return path, features
