"""The global round robin (SPEC §4.4), kept up to date incrementally.

The reference (:func:`leadpact.domain.replay.assign_owners`) gives the k-th system
assignment of a team, in (MQL entry time, lead id, position) order, to member k mod n. The
store keeps every request with its turn k, so a change at one position only renumbers the
requests after it: an MQL appended in time order costs one row. When MQL entries arrive out
of time order (a history import grouped by lead), everything after the earliest change moves
by a turn; the engine then defers renumbering to the end of its backlog (``add_pending``) so
it is done once, not once per chunk.
"""

from __future__ import annotations

from leadpact.adapters.store.round_robin_repo import Request, RequestKey, RoundRobinRepo
from leadpact.domain.agreement import Agreement


def team_members(agreement: Agreement) -> dict[str, tuple[str, ...]]:
    """As the reference builds it: a later rule naming the same team wins."""
    return {rule.team: rule.members for rule in agreement.assignment}


def reassign(
    repo: RoundRobinRepo,
    changed: dict[str, RequestKey],
    agreement: Agreement,
    *,
    everything: bool = False,
) -> set[str]:
    """Renumber each team's requests from its earliest changed key (or all of them with
    ``everything``); returns the leads whose assignment owners changed."""
    members = team_members(agreement)
    starts: dict[str, RequestKey | None] = dict.fromkeys(repo.teams()) if everything else dict(changed)
    affected: set[str] = set()
    for team, start in starts.items():
        turn = 0 if start is None else repo.turns_before(team, start)
        team_members_ = members.get(team)
        updates: list[Request] = []
        for offset, request in enumerate(repo.requests_from(team, start)):
            position = turn + offset
            owner = team_members_[position % len(team_members_)] if team_members_ else None
            if request.owner != owner or request.turn != position:
                updates.append(Request(request.lead_id, request.ordinal, owner, position))
                affected.add(request.lead_id)
        repo.set_turns(updates)
    return affected


def merge_starts(*groups: dict[str, RequestKey]) -> dict[str, RequestKey]:
    merged: dict[str, RequestKey] = {}
    for group in groups:
        for team, key in group.items():
            if team not in merged or key < merged[team]:
                merged[team] = key
    return merged


def settle(repo: RoundRobinRepo, changed: dict[str, RequestKey], agreement: Agreement) -> set[str]:
    """Renumber from every deferred start and ``changed``; clears the deferred starts."""
    starts = merge_starts(repo.pending(), changed)
    affected = reassign(repo, starts, agreement) if starts else set()
    repo.clear_pending()
    return affected
