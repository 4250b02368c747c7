"""The online engine: keeps every lead's stored state equal to the reference replay.

Ingestion only appends events and queues the leads they touch (``dirty_leads``). The engine
re-evaluates queued leads in chunks (:mod:`leadpact.service.lead_changes`), in two steps so
that ingestion is never blocked behind the replay's CPU work:

1. compute — in a read snapshot, without the write lock: note the newest event id, replay
   the chunk's leads, work out the rows to write;
2. write — in a short serialised transaction: drop every lead another writer re-evaluated
   meanwhile (its ``eval_token`` changed), write the rest, and dequeue only leads that got no
   new events and no identity re-linking since step 1 (the others are simply evaluated again).

Reads that must see a lead's newest state (``GET /v1/leads/{id}``, actions) evaluate it in
one write transaction instead (:meth:`OnlineEngine.transaction`). The round robin is
renumbered when the queue is drained, or at once in such a transaction.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection

from leadpact.adapters.store.agreements_repo import ActivationRecord, AgreementsRepo
from leadpact.adapters.store.engine import Store
from leadpact.adapters.store.event_log import EventLog
from leadpact.adapters.store.lead_states import LeadStates
from leadpact.adapters.store.round_robin_repo import RoundRobinRepo
from leadpact.domain.agreement import Agreement
from leadpact.service.agreements import AgreementService
from leadpact.service.lead_cache import LeadCache
from leadpact.service.lead_changes import LeadChange, prepare, write
from leadpact.service.round_robin import reassign, settle


class EvaluationTransaction:
    """A write transaction in which leads can be (re-)evaluated; see :meth:`OnlineEngine.transaction`."""

    def __init__(self, engine: OnlineEngine, conn: Connection) -> None:
        self.engine = engine
        self.conn = conn
        self.changes: list[LeadChange] = []
        self._agreement: Agreement | None = None

    @property
    def agreement(self) -> Agreement:
        if self._agreement is None:
            self._agreement = self.engine.agreements.active_in(self.conn).agreement
        return self._agreement

    def evaluate(
        self, lead_ids: Sequence[str], rebuild: set[str] | frozenset[str] = frozenset(), *, round_robin_now: bool = True
    ) -> None:
        changes = prepare(self.conn, lead_ids, self.agreement, rebuild, self.engine.cache, self.engine.new_token())
        self.changes.extend(changes)
        write(self.conn, [c for c in changes if not c.unchanged], self.agreement, round_robin_now=round_robin_now)

    def flush(self, lead_ids: Sequence[str]) -> None:
        """Evaluate those of ``lead_ids`` still queued, so reads see every stored event."""
        log = EventLog(self.conn)
        queued = log.dirty(len(lead_ids), lead_ids)
        if queued:
            ids = [lead for lead, _ in queued]
            self.evaluate(ids, {lead for lead, rebuild in queued if rebuild})
            log.clear_dirty(ids)


class OnlineEngine:
    def __init__(
        self, store: Store, agreements: AgreementService, *, chunk: int = 250, cache: LeadCache | None = None
    ) -> None:
        self.store = store
        self.agreements = agreements
        self.chunk = chunk
        self.cache = cache if cache is not None else LeadCache(0)
        self._wake = threading.Event()
        self._tokens = itertools.count(1)
        self._token_prefix = os.urandom(6).hex()

    def new_token(self) -> str:
        """A token no other evaluation (in any process) writes."""
        return f"{self._token_prefix}{next(self._tokens):x}"

    # --- coordination with ingestion --------------------------------------------------------
    def notify(self) -> None:
        """New events were stored; wake the background evaluator."""
        self._wake.set()

    def wait_for_work(self, timeout: float) -> None:
        self._wake.wait(timeout)
        self._wake.clear()

    def _keep(self, changes: Sequence[LeadChange]) -> None:
        for change in changes:
            if change.cache is not None:
                self.cache.put(change.lead_id, change.cache)

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[EvaluationTransaction]:
        """A serialised write transaction; in-memory lead states are kept only if it commits.
        ``durable`` False when it writes derived state only (see :meth:`Store.write`)."""
        with self.store.write(durable=durable) as conn:
            tx = EvaluationTransaction(self, conn)
            yield tx
        self._keep([c for c in tx.changes if not c.unchanged])

    def run_pending(self, max_chunks: int | None = None) -> int:
        """Evaluate queued leads, a chunk at a time; returns how many were evaluated."""
        done = 0
        chunks = 0
        while max_chunks is None or chunks < max_chunks:
            evaluated = self._run_chunk()
            if evaluated == 0:
                break
            done += evaluated
            chunks += 1
        if done:
            self.settle_round_robin()
        return done

    def _run_chunk(self) -> int:
        with self.store.read() as conn:
            log = EventLog(conn)
            queued = log.dirty(self.chunk)
            if not queued:
                return 0
            ids = [lead for lead, _ in queued]
            rebuild = {lead for lead, flag in queued if flag}
            watermark = log.next_id() - 1
            active = self.agreements.active_in(conn)
            changes = prepare(conn, ids, active.agreement, rebuild, self.cache, self.new_token())
        with self.store.write(durable=False) as conn:
            log = EventLog(conn)
            now_active = self.agreements.active_in(conn)
            if now_active.activation != active.activation:
                return len(ids)  # a new agreement was activated meanwhile: evaluate again
            tokens = LeadStates(conn).tokens(ids)
            valid = [c for c in changes if tokens.get(c.lead_id) == c.token_seen]
            moved = log.leads_with_events_after(ids, watermark)
            relinked = {lead for lead, flag in log.dirty(len(ids), ids) if flag} - rebuild
            write(conn, [c for c in valid if not c.unchanged], active.agreement, round_robin_now=False)
            settled = {c.lead_id for c in valid} - moved - relinked
            log.clear_dirty(sorted(settled))
        self._keep([c for c in valid if c.lead_id not in relinked])
        return len(ids)

    def settle_round_robin(self) -> None:
        """Renumber the round robin from every deferred start, and update the owners it moved."""
        with self.store.write(durable=False) as conn:
            rr = RoundRobinRepo(conn)
            if not rr.pending():
                return
            states = LeadStates(conn)
            affected = settle(rr, {}, self.agreements.active_in(conn).agreement)
            if affected:
                states.set_owners(states.last_owners(sorted(affected)))

    def pending(self) -> int:
        with self.store.read() as conn:
            return EventLog(conn).dirty_count()

    # --- a new agreement: every lead again ------------------------------------------------------
    def reevaluate_step(self, now: int) -> ActivationRecord | None:
        """One chunk of the newest unfinished activation's re-evaluation (None: nothing to do).

        Leads are taken in lead-id order from the activation's cursor, so the work resumes
        where it stopped after a restart. The round robin is renumbered once, at the end,
        because a new agreement may change teams and members for every request.
        """
        with self.transaction(durable=False) as tx:
            repo = AgreementsRepo(tx.conn)
            activation = repo.latest_activation()
            if activation is None or activation.finished_at is not None:
                return None
            log = EventLog(tx.conn)
            ids = log.all_lead_ids_after(activation.cursor, self.chunk)
            if ids:
                tx.evaluate(ids, set(ids), round_robin_now=False)
                log.clear_dirty(ids)
                repo.record_progress(activation.id, activation.leads_done + len(ids), ids[-1], None)
            else:
                states = LeadStates(tx.conn)
                rr = RoundRobinRepo(tx.conn)
                affected = reassign(rr, {}, tx.agreement, everything=True)
                rr.clear_pending()
                states.set_owners(states.last_owners(sorted(affected)))
                repo.record_progress(activation.id, activation.leads_done, activation.cursor, now)
            return repo.activation(activation.id)
