"""``replay(events, agreement, as_of)``: the one definition every view of leadpact agrees with.

Steps: drop duplicate ``messageId`` (the first arrival wins), keep what happened by ``as_of``,
link anonymous ids to user ids, replay each lead in (timestamp, arrival) order, then give
system assignments their owners in one global round-robin pass (SPEC §4.4).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from leadpact.domain.agreement import Agreement
from leadpact.domain.compiled import CompiledAgreement, compile_agreement
from leadpact.domain.lead_replay import LeadMachine
from leadpact.domain.memory import collector_paused
from leadpact.domain.messages import Message
from leadpact.domain.results import Assignment, LeadResult, RefusedAction


@dataclass(slots=True)
class UnknownLeadAction:
    """An action refused because its lead never came to exist (by ``as_of``)."""

    lead_id: str
    refused: RefusedAction


@dataclass(slots=True)
class ReplayResult:
    agreement_version: str
    as_of: int
    leads: dict[str, LeadResult] = field(default_factory=dict)
    unknown_lead_actions: list[UnknownLeadAction] = field(default_factory=list)
    duplicates: int = 0
    unlinked_anonymous: int = 0
    after_as_of: int = 0


@lru_cache(maxsize=32)
def compiled(agreement: Agreement) -> CompiledAgreement:
    """Agreements are frozen and hashable, so their compiled form is cached."""
    return compile_agreement(agreement)


def dedupe(messages: Iterable[Message]) -> tuple[list[Message], int]:
    """Keep the first arrival (lowest ``seq``) of each ``messageId``."""
    kept: dict[str, Message] = {}
    duplicates = 0
    for msg in messages:
        seen = kept.get(msg.message_id)
        if seen is None:
            kept[msg.message_id] = msg
        else:
            duplicates += 1
            if msg.seq < seen.seq:
                kept[msg.message_id] = msg
    return list(kept.values()), duplicates


def newest_ts(messages: Iterable[Message]) -> int | None:
    """The newest timestamp of the messages that count: a later copy of a ``messageId`` is
    ignored (SPEC §3), its timestamp too. The default evaluation time."""
    unique, _ = dedupe(messages)
    return max((m.ts for m in unique), default=None)


def link_identities(messages: Iterable[Message]) -> dict[str, str]:
    """anonymousId → userId from messages carrying both; the earliest (ts, seq) link wins."""
    links: dict[str, tuple[int, int, str]] = {}
    for msg in messages:
        if msg.anonymous_id is not None and msg.user_id is not None:
            current = links.get(msg.anonymous_id)
            if current is None or (msg.ts, msg.seq) < current[:2]:
                links[msg.anonymous_id] = (msg.ts, msg.seq, msg.user_id)
    return {anon: link[2] for anon, link in links.items()}


def group_by_lead(messages: Iterable[Message], links: dict[str, str]) -> tuple[dict[str, list[Message]], int]:
    """Each message under its lead id; anonymous messages never linked are counted apart."""
    groups: dict[str, list[Message]] = {}
    unlinked = 0
    for msg in messages:
        lead_id = msg.user_id
        if lead_id is None:
            lead_id = links.get(msg.anonymous_id or "")
            if lead_id is None:
                unlinked += 1
                continue
        bucket = groups.get(lead_id)
        if bucket is None:
            groups[lead_id] = [msg]
        else:
            bucket.append(msg)
    return groups, unlinked


def _run_lead(
    lead_id: str,
    messages: list[Message],
    compiled_agreement: CompiledAgreement,
    as_of: int,
) -> tuple[LeadResult | None, list[RefusedAction]]:
    messages.sort(key=_order)
    machine = LeadMachine(lead_id, compiled_agreement)
    for msg in messages:
        machine.apply(msg)
    if machine.stage is None:
        return None, machine.errors
    return machine.result(as_of), []


def _order(msg: Message) -> tuple[int, int]:
    return msg.ts, msg.seq


def replay_lead(lead_id: str, messages: Iterable[Message], agreement: Agreement, as_of: int) -> LeadResult | None:
    """One lead's state as of ``as_of`` from its messages (any order; duplicates dropped).

    System assignments come back with ``owner=None``; :func:`assign_owners` fills them.
    """
    unique, _ = dedupe(messages)
    kept = [m for m in unique if m.ts <= as_of]
    result, _ = _run_lead(lead_id, kept, compiled(agreement), as_of)
    return result


Pending = tuple[int, str, int, str]
"""A system assignment waiting for its owner: (MQL entry time, lead id, index among the
lead's assignments, team)."""


def round_robin(pending: Sequence[Pending], agreement: Agreement) -> list[str]:
    """The global round robin of SPEC §4.4: the owner of each pending system assignment, in
    the order given.

    Within each team, members take turns in agreement order, following the global order of
    MQL entry times across all leads (ties by lead id), so any replay assigns the same way.
    """
    members = {rule.team: rule.members for rule in agreement.assignment}
    keys = [item[:3] for item in pending]
    owners = [""] * len(pending)
    turns: dict[str, int] = {}
    for k in sorted(range(len(pending)), key=keys.__getitem__):
        team = pending[k][3]
        team_members = members[team]
        turn = turns.get(team, 0)
        owners[k] = team_members[turn % len(team_members)]
        turns[team] = turn + 1
    return owners


def assign_owners(leads: Iterable[LeadResult], agreement: Agreement) -> None:
    """:func:`round_robin` over every lead's system assignments, in place; each lead that got
    one is owned by its last assignment's owner."""
    pending: list[Pending] = []
    targets: list[Assignment] = []
    touched: dict[int, LeadResult] = {}
    for lead in leads:
        for i, a in enumerate(lead.assignments):
            if a.owner is None and a.team is not None:
                pending.append((a.mql_at or a.at, lead.lead_id, i, a.team))
                targets.append(a)
                touched[id(lead)] = lead
    for assignment, owner in zip(targets, round_robin(pending, agreement), strict=True):
        assignment.owner = owner
    for lead in touched.values():
        lead.owner = lead.assignments[-1].owner


def replay(messages: Iterable[Message], agreement: Agreement, as_of: int) -> ReplayResult:
    """Every lead's state as of ``as_of`` (µs since the epoch) under ``agreement``."""
    with collector_paused():
        return _replay(messages, agreement, as_of)


def _replay(messages: Iterable[Message], agreement: Agreement, as_of: int) -> ReplayResult:
    compiled_agreement = compiled(agreement)
    unique, duplicates = dedupe(messages)
    kept = [m for m in unique if m.ts <= as_of]
    groups, unlinked = group_by_lead(kept, link_identities(kept))
    result = ReplayResult(
        agreement_version=agreement.version,
        as_of=as_of,
        duplicates=duplicates,
        unlinked_anonymous=unlinked,
        after_as_of=len(unique) - len(kept),
    )
    for lead_id in sorted(groups):
        lead, refused = _run_lead(lead_id, groups[lead_id], compiled_agreement, as_of)
        if lead is None:
            result.unknown_lead_actions.extend(UnknownLeadAction(lead_id, r) for r in refused)
        else:
            result.leads[lead_id] = lead
    assign_owners(result.leads.values(), agreement)
    return result
