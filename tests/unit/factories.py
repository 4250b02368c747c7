"""Small factories for the engine's unit tests: messages, agreements, replays.

Messages are built as the JSON a tracking client would send (dicts), so tests read like event
logs; ``messages()`` validates them with ``parse_message`` in arrival order. Message ids are
deterministic and readable (``track:u1:2026-01-09T15:00:00+09:00:Webinar Attended``), so a test
can assert that a stage change names the message that caused it.

Agreements start from the shipped default (the SPEC §4 example) and take top-level overrides
as plain dict snippets, validated by ``parse_agreement`` exactly like a YAML file would be.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any

import yaml

from leadpact.adapters.agreement_yaml import default_agreement_text
from leadpact.domain.agreement import Agreement, parse_agreement
from leadpact.domain.messages import Message, parse_message
from leadpact.domain.replay import ReplayResult, replay
from leadpact.domain.results import LeadResult, lead_to_json
from leadpact.domain.timeutil import parse_iso, to_us

JST = timezone(timedelta(hours=9))
T0 = "2026-01-05T10:00:00+09:00"
"""Monday 5 January 2026, 10:00 in Tokyo: the default moment of a test message."""

Json = dict[str, Any]


# --- time ---------------------------------------------------------------------------------------


def jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> str:
    """An ISO 8601 timestamp in Japan time (+09:00)."""
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=JST).isoformat()


def shift(moment: str, *, days: float = 0, hours: float = 0, minutes: float = 0, microseconds: int = 0) -> str:
    """``moment`` moved by the given amounts, keeping its UTC offset."""
    base = parse_iso(moment)
    return (base + timedelta(days=days, hours=hours, minutes=minutes, microseconds=microseconds)).isoformat()


def us(moment: str) -> int:
    """An ISO 8601 timestamp as the engine's integer microseconds."""
    return to_us(parse_iso(moment))


# --- messages ---------------------------------------------------------------------------------


def _ids(user: str | None, anonymous: str | None) -> Json:
    ids: Json = {}
    if user is not None:
        ids["userId"] = user
    if anonymous is not None:
        ids["anonymousId"] = anonymous
    return ids


def _message(kind: str, what: str, user: str | None, anonymous: str | None, at: str, message_id: str | None) -> Json:
    who = user if user is not None else f"anon:{anonymous}"
    return {
        "type": kind,
        "messageId": message_id or f"{kind}:{who}:{at}:{what}",
        "timestamp": at,
        **_ids(user, anonymous),
    }


def identify(
    user: str | None = "u1",
    *,
    at: str = T0,
    traits: Json | None = None,
    anonymous: str | None = None,
    message_id: str | None = None,
    **extra: Any,
) -> Json:
    msg = _message("identify", "", user, anonymous, at, message_id)
    msg["traits"] = dict(traits or {})
    return {**msg, **extra}


def track(
    event: str,
    *,
    user: str | None = "u1",
    at: str = T0,
    properties: Json | None = None,
    anonymous: str | None = None,
    message_id: str | None = None,
    **extra: Any,
) -> Json:
    msg = _message("track", event, user, anonymous, at, message_id)
    msg["event"] = event
    if properties is not None:
        msg["properties"] = dict(properties)
    return {**msg, **extra}


def page(
    path: str,
    *,
    user: str | None = "u1",
    at: str = T0,
    name: str | None = None,
    properties: Json | None = None,
    anonymous: str | None = None,
    message_id: str | None = None,
    **extra: Any,
) -> Json:
    msg = _message("page", path, user, anonymous, at, message_id)
    msg["properties"] = {"path": path, **(properties or {})}
    if name is not None:
        msg["name"] = name
    return {**msg, **extra}


def group(
    group_id: str = "g1",
    *,
    user: str | None = "u1",
    at: str = T0,
    traits: Json | None = None,
    anonymous: str | None = None,
    message_id: str | None = None,
    **extra: Any,
) -> Json:
    msg = _message("group", group_id, user, anonymous, at, message_id)
    msg["groupId"] = group_id
    msg["traits"] = dict(traits or {})
    return {**msg, **extra}


DEFAULT_ACTOR_ROLE: dict[str, str] = {
    "assign": "marketing",
    "accept": "inside_sales",
    "reject": "inside_sales",
    "contact": "inside_sales",
    "confirm_bant": "inside_sales",
    "open_opportunity": "field_sales",
    "win": "field_sales",
    "lose": "field_sales",
    "recycle": "inside_sales",
    "disqualify": "marketing",
    "create_sgl": "field_sales",
}
"""A role the §5 table allows for each action, so tests name a role only when it matters."""


def action(
    name: str,
    *,
    user: str = "u1",
    at: str = T0,
    role: str | None = None,
    actor: str | None = None,
    reason: str | None = None,
    owner: str | None = None,
    items: list[str] | None = None,
    properties: Json | None = None,
    traits: Json | None = None,
    message_id: str | None = None,
    **extra: Any,
) -> Json:
    """A §5 action. ``role`` defaults to one the table allows; ``actor`` defaults to ``<role>_1``."""
    chosen_role = role or DEFAULT_ACTOR_ROLE.get(name, "admin")
    msg = _message("action", name, user, None, at, message_id)
    msg["action"] = name
    msg["actor"] = {"id": actor or f"{chosen_role}_1", "role": chosen_role}
    props: Json = dict(properties or {})
    if reason is not None:
        props["reason"] = reason
    if owner is not None:
        props["owner"] = owner
    if items is not None:
        props["items"] = list(items)
    if props:
        msg["properties"] = props
    if traits is not None:
        msg["traits"] = dict(traits)
    return {**msg, **extra}


def messages(*objs: Json) -> list[Message]:
    """Validate ``objs`` as a file would be read: arrival order = position (1-based)."""
    return [parse_message(obj, seq=index) for index, obj in enumerate(objs, start=1)]


# --- agreements -------------------------------------------------------------------------------


@cache
def _default_text_data() -> Json:
    data = yaml.safe_load(default_agreement_text())
    assert isinstance(data, dict)
    return data


def default_data() -> Json:
    """The default agreement as plain data (a fresh copy: safe to modify)."""
    return copy.deepcopy(_default_text_data())


def agreement_data(**overrides: Any) -> Json:
    """Default agreement data with top-level keys replaced; ``None`` removes the key."""
    data = default_data()
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = copy.deepcopy(value)
    return data


def make_agreement(**overrides: Any) -> Agreement:
    """The default agreement with top-level overrides, validated like a file."""
    return parse_agreement(agreement_data(**overrides), "test-agreement.yaml")


@cache
def default() -> Agreement:
    return make_agreement()


# --- replays ----------------------------------------------------------------------------------


def run(*objs: Json, as_of: str, agreement: Agreement | None = None) -> ReplayResult:
    """Replay ``objs`` (in this arrival order) as of ``as_of``."""
    return replay(messages(*objs), agreement or default(), us(as_of))


def lead(*objs: Json, as_of: str, agreement: Agreement | None = None, lead_id: str = "u1") -> LeadResult:
    """One lead's result; fails the test if the lead does not exist."""
    result = run(*objs, as_of=as_of, agreement=agreement)
    assert lead_id in result.leads, f"lead {lead_id!r} does not exist; leads: {sorted(result.leads)}"
    return result.leads[lead_id]


def lead_json(*objs: Json, as_of: str, agreement: Agreement | None = None, lead_id: str = "u1") -> Json:
    """One lead's SPEC §7 JSON object."""
    chosen = agreement or default()
    return lead_to_json(lead(*objs, as_of=as_of, agreement=chosen, lead_id=lead_id), us(as_of), chosen.zone)


def stages(result: LeadResult) -> list[str]:
    """The stage history as a list of stage names."""
    return [entry.stage for entry in result.history]


def clock(result: LeadResult, sla_id: str) -> Any:
    """The only clock of ``sla_id``; fails the test if there is not exactly one."""
    found = [c for c in result.sla if c.id == sla_id]
    assert len(found) == 1, f"expected one {sla_id} clock, found {len(found)}"
    return found[0]


def reasons(result: LeadResult) -> dict[str, tuple[int, float, float]]:
    """rule id → (count, raw points, decayed points)."""
    return {r.rule: (r.count, r.points, r.decayed_points) for r in result.reasons}


# --- ready-made lead profiles ------------------------------------------------------------------

SMALL_STAFF = {"email": "taro@buyer.example", "job_level": "staff", "employees": 50}
"""Fit 10 under the default agreement: staff (5) + small_company (5)."""

ENTERPRISE_DIRECTOR = {
    "email": "hanako@bigcorp.example",
    "job_level": "director",
    "industry": "manufacturing",
    "employees": 5000,
}
"""Fit 35 under the default agreement: decision_maker (15) + target_industry (10) + large_company (10)."""


def to_mql(user: str = "u1", *, at: str = T0, traits: Json | None = None) -> list[Json]:
    """An identify (fit 10 with SMALL_STAFF), a contact form (30) one minute later and a webinar
    (20) two minutes later: the webinar lifts the score from 40 to 60, past the MQL threshold 50."""
    return [
        identify(user, at=at, traits=traits or SMALL_STAFF),
        track("Contact Form Submitted", user=user, at=shift(at, minutes=1)),
        track("Webinar Attended", user=user, at=shift(at, minutes=2)),
    ]
