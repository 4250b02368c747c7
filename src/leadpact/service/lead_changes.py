"""Re-evaluate leads and work out what to write: the computing half of the online engine.

:func:`prepare` only reads (the leads' messages, their stored lists, the in-memory states);
it replays each lead with the domain's own :class:`~leadpact.domain.lead_replay.LeadMachine`
and returns one :class:`LeadChange` per lead. :func:`write` applies a set of changes. The
engine runs the two in one write transaction, or — for its background queue — computes in a
read snapshot and writes in a short transaction afterwards, dropping any lead that changed
in between (see :mod:`leadpact.service.evaluation`).

A lead whose new events all come after what it already absorbed is extended in memory; any
other lead (a late event, identity re-linking, a new agreement, a cold cache) is replayed
from its stored messages, from the start — the reference's own definition.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Connection

from leadpact.adapters.store.event_log import EventLog
from leadpact.adapters.store.lead_rows import (
    ASSIGNMENT_COLUMNS,
    LEAD_COLUMNS,
    Row,
    assignment_rows,
    error_rows,
    history_rows,
    lead_values,
    set_owner,
    sla_rows,
)
from leadpact.adapters.store.lead_states import LeadStates, StoredLists, Tail, first_difference
from leadpact.adapters.store.round_robin_repo import RequestKey, RoundRobinRepo
from leadpact.domain.agreement import Agreement
from leadpact.domain.compiled import CompiledAgreement
from leadpact.domain.lead_replay import LeadMachine
from leadpact.domain.messages import Message
from leadpact.domain.replay import compiled
from leadpact.domain.results import LeadResult
from leadpact.service.lead_cache import CachedLead, LeadCache
from leadpact.service.round_robin import settle

LIST_NAMES: Final = ("history", "sla", "errors", "assignments")
_OWNER = LEAD_COLUMNS.index("owner")
_NO_LISTS: Final = StoredLists()
_ALL_BUT_OWNER: Final = tuple(i for i in range(1, len(LEAD_COLUMNS)) if i != _OWNER)
_TEAM = ASSIGNMENT_COLUMNS.index("team")
_RR_AT = ASSIGNMENT_COLUMNS.index("rr_at")


def _order(msg: Message) -> tuple[int, int]:
    return msg.ts, msg.seq


@dataclass(slots=True)
class LeadChange:
    """One lead's new state, relative to what was stored when it was computed."""

    lead_id: str
    token_seen: str | None
    """The lead row's ``eval_token`` when read (None: no row); the write checks it still is."""
    row: list[Any] | None = None
    """The new ``leads`` row; None when the lead does not exist (any more)."""
    tails: dict[str, Tail] = field(default_factory=dict)
    rr_keys: dict[str, RequestKey] = field(default_factory=dict)
    cache: CachedLead | None = None
    unchanged: bool = False
    """No new events since the in-memory state: nothing to write."""
    previous_row: list[Any] | None = None
    """The ``leads`` row this engine wrote last for the lead (from its in-memory state), so
    only the columns that changed are written; None: write them all."""
    replayed_events: int | None = None
    """How many stored events the lead was replayed from (None: its in-memory state was
    extended instead), so a writer can tell whether events moved away meanwhile."""

    def request_changed(self, team: str | None, key: RequestKey) -> None:
        if team is not None and (team not in self.rr_keys or key < self.rr_keys[team]):
            self.rr_keys[team] = key


def _all_lists(result: LeadResult) -> dict[str, list[Row]]:
    return {
        "history": history_rows(result.history),
        "sla": sla_rows(result.sla),
        "errors": error_rows(result.errors),
        "assignments": assignment_rows(result.assignments),
    }


def _extended(before: list[Row], entries: Sequence[Any], build: Callable[[Sequence[Any]], list[Row]]) -> list[Row]:
    return before if len(entries) == len(before) else before + build(entries[len(before) :])


def _extended_lists(old: dict[str, list[Row]], result: LeadResult) -> dict[str, list[Row]]:
    """The lists after extending a lead in memory. History, refusals and assignments only ever
    grow there (an entry is never changed once recorded), so only new entries are converted;
    SLA clocks can stop or be cancelled, so they are converted whole."""
    return {
        "history": _extended(old["history"], result.history, history_rows),
        "sla": sla_rows(result.sla),
        "errors": _extended(old["errors"], result.errors, error_rows),
        "assignments": _extended(old["assignments"], result.assignments, assignment_rows),
    }


def _describe(
    change: LeadChange,
    result: LeadResult,
    old_lists: dict[str, list[Row]],
    new_lists: dict[str, list[Row]],
    cache: CachedLead,
) -> None:
    lead_id = change.lead_id
    for name, rows in new_lists.items():
        before = old_lists.get(name, [])
        if rows is before:
            continue
        start = first_difference(before, rows)
        if start == len(before) == len(rows):
            continue
        change.tails[name] = Tail(lead_id, start, len(before), rows[start:])
        if name == "assignments":
            for ordinal in range(start, max(len(before), len(rows))):
                for version in (before, rows):
                    if ordinal < len(version):
                        change.request_changed(version[ordinal][_TEAM], (version[ordinal][_RR_AT], lead_id, ordinal))
    change.row = lead_values(result, cache.last_id, cache.compiled.agreement.version, cache.token, cache.json_memo)
    cache.row = change.row
    change.cache = cache


def prepare(
    conn: Connection,
    lead_ids: Sequence[str],
    agreement: Agreement,
    rebuild: set[str] | frozenset[str],
    cache: LeadCache,
    token: str,
    *,
    verify: bool = True,
    tail_epoch: int | None = None,
) -> list[LeadChange]:
    """Evaluate ``lead_ids`` on what ``conn`` sees; reads only. In-memory states in ``cache``
    are extended in place (the caller evicts them if the changes are not written).

    ``verify`` False skips reading the stored token of leads whose in-memory state is used:
    their change then carries the token this engine wrote, and the caller must write it only
    if the lead row still has that token (the background engine checks every token anyway,
    under the write lock).

    ``tail_epoch``: in-memory states of that epoch already hold their lead's newer messages
    (:attr:`CachedLead.pending`, complete up to what ``conn`` sees); the others are read."""
    compiled_agreement: CompiledAgreement = compiled(agreement)
    log = EventLog(conn)
    states = LeadStates(conn)
    tokens = states.tokens(lead_ids) if verify else {}
    cached: dict[str, CachedLead] = {}
    for lead_id in lead_ids:
        entry = cache.take(lead_id)
        if (
            entry is not None
            and lead_id not in rebuild
            and entry.compiled is compiled_agreement
            and (not verify or tokens.get(lead_id) == entry.token)
        ):
            cached[lead_id] = entry
    followed = {lead for lead, e in cached.items() if tail_epoch is not None and e.tail_epoch == tail_epoch}
    new_messages = log.messages_after({lead: e.last_id for lead, e in cached.items() if lead not in followed})
    for lead_id in followed:
        new_messages[lead_id] = cached[lead_id].pending
    for lead_id, messages in new_messages.items():
        if len(messages) > 1:
            messages.sort(key=_order)
        if messages and _order(messages[0]) < cached[lead_id].last_key:
            del cached[lead_id]  # a late event: replay this lead from the start
    replayed = [lead for lead in lead_ids if lead not in cached]
    if not verify:
        tokens = states.tokens(replayed)
    all_messages = log.lead_messages(replayed, ordered=False)  # sorted below, per lead
    # Lists are written with the lead row: a lead without one (a new lead) has none stored.
    stored = states.lists([lead for lead in replayed if lead in tokens])

    out: list[LeadChange] = []
    for lead_id in lead_ids:
        entry = cached.get(lead_id)
        if entry is not None:
            change = LeadChange(lead_id, entry.token)
            out.append(change)
            fresh = new_messages[lead_id]
            if not fresh:
                change.unchanged = True
                change.cache = entry
                continue
            machine = entry.machine
            for msg in fresh:
                machine.apply(msg)
            last = fresh[-1]
            result = machine.state(last.ts)
            new_lists = _extended_lists(entry.lists, result)
            last_id = entry.last_id
            for msg in fresh:
                if msg.seq > last_id:
                    last_id = msg.seq
            updated = CachedLead(
                machine, compiled_agreement, (last.ts, last.seq), last_id, token, new_lists, entry.json_memo, None
            )
            _describe(change, result, entry.lists, new_lists, updated)
            change.previous_row = entry.row
            continue
        change = LeadChange(lead_id, tokens.get(lead_id))
        out.append(change)
        messages = all_messages[lead_id]
        messages.sort(key=_order)
        change.replayed_events = len(messages)
        machine = LeadMachine(lead_id, compiled_agreement)
        for msg in messages:
            machine.apply(msg)
        old = stored.get(lead_id) or _NO_LISTS
        old_lists = {name: old.get(name) for name in LIST_NAMES}
        if machine.stage is None:  # the lead does not exist (e.g. its events moved away)
            for ordinal, row in enumerate(old.assignments):
                change.request_changed(row[_TEAM], (row[_RR_AT], lead_id, ordinal))
            continue
        result = machine.state(messages[-1].ts)
        new_lists = _all_lists(result)
        fresh_entry = CachedLead(
            machine, compiled_agreement, _order(messages[-1]), max(m.seq for m in messages), token, new_lists, {}, None
        )
        _describe(change, result, old_lists, new_lists, fresh_entry)
    return out


def write(conn: Connection, changes: Sequence[LeadChange], agreement: Agreement, *, round_robin_now: bool) -> None:
    """Apply ``changes`` (the caller holds the write lock and has checked they still apply).

    With ``round_robin_now`` the round robin is renumbered here (reads that must see owners);
    otherwise the changed positions are remembered and renumbered once the queue is drained.
    """
    states = LeadStates(conn)
    gone = [c.lead_id for c in changes if c.row is None and c.token_seen is not None]
    if gone:
        states.delete(gone)
    for name in LIST_NAMES:
        tails = [c.tails[name] for c in changes if name in c.tails]
        if tails:
            states.replace_tails(name, tails)
    starts: dict[str, RequestKey] = {}
    for change in changes:
        for team, key in change.rr_keys.items():
            if team not in starts or key < starts[team]:
                starts[team] = key
    repo = RoundRobinRepo(conn)
    affected: set[str] = set()
    if round_robin_now:
        affected = settle(repo, starts, agreement)
    elif starts:
        repo.add_pending(starts)
    written = [c for c in changes if c.row is not None]
    written_ids = {c.lead_id for c in written}
    # A lead's owner changes only with its assignments or the round robin; otherwise the
    # stored owner stands and the row is updated around it.
    with_owner = {c.lead_id for c in written if c.token_seen is None or "assignments" in c.tails} | (
        affected & written_ids
    )
    owners = states.last_owners(sorted(with_owner)) if with_owner else {}
    inserts: list[list[Any]] = []
    updates: dict[tuple[int, ...], list[list[Any]]] = {}
    for change in written:
        row = change.row
        assert row is not None
        owned = change.lead_id in with_owner
        if owned:
            set_owner(row, owners[change.lead_id])
        if change.token_seen is None:
            inserts.append(row)
            continue
        # Only what changed since this engine last wrote the row; the owner is left out of
        # the comparison (the round robin may have changed it since) and written when known.
        previous = change.previous_row
        columns = _ALL_BUT_OWNER if previous is None else tuple(i for i in _ALL_BUT_OWNER if row[i] != previous[i])
        if owned:
            columns = (*columns, _OWNER)
        updates.setdefault(columns, []).append(row)
    states.insert(inserts)
    for columns, rows in updates.items():
        states.update_columns(columns, rows)
    outside = sorted(affected - written_ids)
    if outside:
        states.set_owners(states.last_owners(outside))
