"""What sales needs when a lead is handed over (SPEC §7 "hand-off packet").

Everything is derived from the lead's own replay — the domain's lead machine run as of the
reading time — so the packet explains the same score and stage the engine decided: the
profile and company, the activities that earned engagement points (and how much each still
counts after decay), the BANT items confirmed, notes, and why the lead qualified (its score
and the agreement's criterion at the moment it entered MQL and SQL).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any, Final

from leadpact.domain.agreement import Agreement
from leadpact.domain.conditions import Condition
from leadpact.domain.lead_replay import LeadMachine
from leadpact.domain.messages import BANT_ITEMS, Message
from leadpact.domain.replay import compiled
from leadpact.domain.results import LeadResult, StageEntry, round_score
from leadpact.domain.scoring import decay_weight
from leadpact.domain.timeutil import iso
from leadpact.service.labels import Lang
from leadpact.service.render.conditions import describe_condition

PROFILE_FIRST = ("name", "first_name", "last_name", "email", "phone", "title", "job_level", "department", "company")
"""Who the person is comes first in a profile; the rest of what is known follows by name."""
DERIVED_TRAITS = frozenset({"email_domain"})
"""Traits the engine derives for conditions; the profile shows what they come from instead."""


def run_machine(
    lead_id: str, messages: Sequence[Message], agreement: Agreement, as_of: int
) -> tuple[LeadMachine | None, list[Message]]:
    """The lead machine after every message up to ``as_of``, in (timestamp, arrival) order."""
    kept = sorted((m for m in messages if m.ts <= as_of), key=lambda m: (m.ts, m.seq))
    machine = LeadMachine(lead_id, compiled(agreement))
    for msg in kept:
        machine.apply(msg)
    return (machine if machine.stage is not None else None), kept


def describe_message(msg: Message | None) -> dict[str, Any] | None:
    if msg is None:
        return None
    out: dict[str, Any] = {"message_id": msg.message_id, "type": msg.type}
    for key in ("event", "path", "action"):
        value = getattr(msg, key)
        if value is not None:
            out[key] = value
    return out


def activities(machine: LeadMachine, messages: Sequence[Message], as_of: int, zone: tzinfo) -> list[dict[str, Any]]:
    """Each event that earns engagement points now (since the last reset), newest first."""
    c = machine.c
    by_ts: dict[int, list[Message]] = defaultdict(list)
    for msg in messages:
        if msg.type in ("page", "track"):
            by_ts[msg.ts].append(msg)
    out: list[dict[str, Any]] = []
    for index, stamps in machine.engagement.stamps.items():
        rule = c.engagement[index]
        used: set[str] = set()
        for ts in stamps:
            match = next((m for m in by_ts[ts] if m.message_id not in used and index in c.matching_rules(m)), None)
            if match is not None:
                used.add(match.message_id)
            weight = decay_weight(c.decay, as_of - ts)
            out.append(
                {
                    "at": iso(ts, zone),
                    "rule": rule.id,
                    "points": round_score(rule.points),
                    "decayed_points": round_score(rule.points * weight),
                    **(describe_message(match) or {}),
                }
            )
    out.sort(key=lambda item: (item["at"], item["rule"]), reverse=True)
    return out


def _last_entry(history: Sequence[StageEntry], stage: str) -> StageEntry | None:
    for entry in reversed(history):
        if entry.stage == stage and not entry.fast_track:
            return entry
    return None


def qualification(
    lead_id: str,
    result: LeadResult,
    messages: Sequence[Message],
    agreement: Agreement,
    lang: Lang,
) -> list[dict[str, Any]]:
    """Why the lead reached MQL and SQL: the criterion and the lead's figures at that moment."""
    zone = agreement.zone
    by_id = {m.message_id: m for m in messages}
    criteria = {"mql": agreement.stages.mql, "sql": agreement.stages.sql}
    out: list[dict[str, Any]] = []
    for stage in ("mql", "sql"):
        entry = _last_entry(result.history, stage)
        if entry is None:
            continue
        machine, _ = run_machine(lead_id, messages, agreement, entry.at)
        snapshot = machine.result(entry.at) if machine is not None else None
        criterion = criteria[stage]
        item: dict[str, Any] = {
            "stage": stage,
            "at": iso(entry.at, zone),
            "actor": {"id": entry.actor_id, "role": entry.actor_role},
            "agreement_version": entry.agreement_version,
            "criterion": _criterion_text(stage, criterion, by_id.get(entry.cause), lang),
            "cause": describe_message(by_id.get(entry.cause)) or {"message_id": entry.cause},
        }
        if snapshot is not None:
            item.update(
                {
                    "score": round_score(snapshot.score),
                    "fit": round_score(snapshot.fit),
                    "engagement": round_score(snapshot.engagement),
                    "bant": list(snapshot.bant),
                }
            )
        out.append(item)
    return out


SGL_QUALIFICATION: Final[Mapping[Lang, str]] = {
    "ja": "営業が作成したリード（SGL）: SQL から始まります",
    "en": "created by sales as a sales-generated lead (SGL): it starts at SQL",
}


def _criterion_text(stage: str, criterion: Condition | None, cause: Message | None, lang: Lang) -> str | None:
    """The criterion the lead met — or, for an SGL, that sales created it at SQL (the SQL
    criterion played no part)."""
    if stage == "sql" and cause is not None and cause.action == "create_sgl":
        return SGL_QUALIFICATION[lang]
    return describe_condition(criterion, lang) if criterion is not None else None


def bant_status(result: LeadResult) -> dict[str, bool]:
    confirmed = set(result.bant)
    return {item: item in confirmed for item in BANT_ITEMS}


def profile_keys(traits: Mapping[str, Any]) -> list[str]:
    """The traits of a profile in reading order: who, then the rest alphabetically."""
    first = [key for key in PROFILE_FIRST if key in traits]
    return first + sorted(key for key in traits if key not in PROFILE_FIRST and key not in DERIVED_TRAITS)


def profile(result: LeadResult) -> dict[str, Any]:
    """Everything known about the person (industry, size, country included: a lead without a
    company record would otherwise reach sales without them)."""
    return {key: result.traits[key] for key in profile_keys(result.traits)}
