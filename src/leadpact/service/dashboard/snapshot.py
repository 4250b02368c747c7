"""Every stored lead as a :class:`LeadResult`, kept in memory and refreshed incrementally.

The reports are pure functions of ``LeadResult`` objects; the store holds each lead's state as
the online engine last evaluated it (equal to the reference replay, which the store's own
tests hold it to). Reading ~15k leads and their lists takes about a second, so the dashboard
keeps them and, on each use, compares a cheap fingerprint of the store
(:meth:`StoreReads.fingerprint`): when it moved, only the leads whose evaluation token or
owner changed are read again. A full comparison of tokens also runs every
``recheck_seconds``, which bounds how stale a view can be in the rare interleavings the
fingerprint cannot see.

Views are immutable: a refresh builds new ``LeadResult`` objects instead of changing the ones
a report may be iterating over in another thread.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from leadpact.adapters.store.engine import Store
from leadpact.domain.results import LeadResult
from leadpact.service.dashboard.store_reads import Fingerprint, LeadToken, StoreReads


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The leads as stored at one moment. ``generation`` changes whenever any lead did."""

    generation: int
    leads: tuple[LeadResult, ...]
    """Sorted by lead id."""
    by_id: Mapping[str, LeadResult]
    fingerprint: Fingerprint
    with_touches: bool


class LeadSnapshot:
    def __init__(
        self,
        store: Store,
        *,
        recheck_seconds: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.recheck_seconds = recheck_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._leads: dict[str, LeadResult] = {}
        self._tokens: dict[str, LeadToken] = {}
        self._owners: dict[str, tuple[str | None, ...]] = {}
        self._fingerprint: Fingerprint | None = None
        self._checked_at = float("-inf")
        self._touches = False
        self._view: Snapshot | None = None
        self._generation = 0
        self.reads = 0
        """Refreshes that read leads from the store (for tests and the benchmark)."""

    def current(self, *, touches: bool = False) -> Snapshot:
        """The leads as stored now; with ``touches``, their content touches too (read once,
        then kept up to date: only attribution and content segments need them)."""
        with self._lock, self.store.read() as conn:
            reads = StoreReads(conn)
            fingerprint = reads.fingerprint()
            due = self._monotonic() - self._checked_at >= self.recheck_seconds
            changed = False
            if self._view is None or fingerprint != self._fingerprint or due:
                changed = self._refresh(reads)
                self._fingerprint = fingerprint
                self._checked_at = self._monotonic()
            if touches and not self._touches:
                found = reads.touches()
                self._leads = {
                    lead_id: dataclasses.replace(lead, touches=found.get(lead_id, {}))
                    for lead_id, lead in self._leads.items()
                }
                self._touches = True
                changed = True
            if changed or self._view is None:
                self._publish(fingerprint)
            assert self._view is not None
            return self._view

    def _refresh(self, reads: StoreReads) -> bool:
        """Re-read the leads that were re-evaluated, changed owner, or whose assignments the
        round robin renumbered; drop the ones that disappeared."""
        tokens = reads.tokens()
        owners = reads.assignment_owners()
        if self._view is None:
            fresh = reads.leads()
            gone: list[str] = []
        else:
            old_tokens, old_owners = self._tokens, self._owners
            changed = {lead for lead, token in tokens.items() if old_tokens.get(lead) != token}
            if owners != old_owners:
                changed |= {
                    lead for lead in owners.keys() | old_owners.keys() if owners.get(lead) != old_owners.get(lead)
                }
            changed &= tokens.keys()
            gone = [lead for lead in old_tokens if lead not in tokens]
            fresh = reads.leads(sorted(changed)) if changed else {}
        if fresh:
            self.reads += 1
        if self._touches and fresh:
            found = reads.touches(sorted(fresh))
            for lead_id, lead in fresh.items():
                lead.touches = found.get(lead_id, {})
        if fresh or gone:
            leads = dict(self._leads)
            for lead_id in gone:
                leads.pop(lead_id, None)
            leads.update(fresh)
            self._leads = leads
        self._tokens = tokens
        self._owners = owners
        return bool(fresh or gone)

    def _publish(self, fingerprint: Fingerprint) -> None:
        self._generation += 1
        ordered = tuple(self._leads[lead_id] for lead_id in sorted(self._leads))
        self._view = Snapshot(self._generation, ordered, dict(self._leads), fingerprint, self._touches)
