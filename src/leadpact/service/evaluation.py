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
from leadpact.domain.messages import Message
from leadpact.domain.timeutil import US_PER_SECOND
from leadpact.service.agreements import ActiveAgreement, AgreementService
from leadpact.service.lead_cache import LeadCache
from leadpact.service.lead_changes import LeadChange, prepare, write
from leadpact.service.round_robin import reassign, settle


def _moved_away(log: EventLog, changes: Sequence[LeadChange], rebuild: set[str], watermark: int) -> set[str]:
    """Those of the leads replayed for a rebuild that lost events since the snapshot.

    A lead queued for a rebuild can be re-linked again between the snapshot and the write
    (an earlier link arrives late and takes its anonymous events away). That gives it no new
    event, so the watermark check does not see it, and its flag was already set, so the
    dequeue cannot tell either; but its events up to the watermark are then fewer than it
    was replayed from. (Events moving *to* a lead always come with a new event of its own.)"""
    replayed = [c for c in changes if c.lead_id in rebuild]
    if not replayed:
        return set()
    counts = log.event_counts([c.lead_id for c in replayed], watermark)
    return {c.lead_id for c in replayed if c.replayed_events != counts.get(c.lead_id, 0)}


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
            self._agreement = self.engine.active_in(self.conn)[1].agreement
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
        self._active: tuple[tuple[int, int] | None, ActiveAgreement] | None = None
        # Following the log (see _follow): events up to _tail were handed to the in-memory
        # states of epoch _epoch; one thread at a time follows it.
        self._tail: int | None = None
        self._epoch = 0
        self._follow_lock = threading.Lock()

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

    def active_in(self, conn: Connection) -> tuple[tuple[int, int] | None, ActiveAgreement]:
        """The active agreement and its activation key (None: the shipped default), as ``conn``
        sees it. One cheap statement; the agreement is parsed again only when it changes."""
        state = AgreementsRepo(conn).latest_activation_state()
        key = state[0] if state is not None else None
        cached = self._active
        if cached is None or cached[0] != key:
            cached = (key, self.agreements.active_in(conn))
            self._active = cached
        return cached

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

    FOLLOW_LIMIT = 50_000
    """Events the log may run ahead of the engine (or be held in memory for queued leads)
    while it follows it; beyond, it starts following afresh and reads the backlog per lead."""

    def _run_chunk(self) -> int:
        following = self._follow_lock.acquire(blocking=False)
        try:
            return self._evaluate_chunk(following)
        finally:
            if following:
                self._follow_lock.release()

    def _follow(self, log: EventLog, watermark: int, oldest: int) -> int:
        """Read the events appended since the last chunk (one range of the log) and hand each
        to its lead's in-memory state, so extending a lead costs no lookup of its own; returns
        the epoch whose states now hold every message up to ``watermark``.

        Only queued leads hold messages, so memory is bounded by the backlog (``oldest`` is
        the first event of the longest-waiting lead): beyond :attr:`FOLLOW_LIMIT` events, the
        engine starts afresh and states made before read their new messages per lead."""
        tail = self._tail
        if tail is None or watermark - tail > self.FOLLOW_LIMIT or watermark - oldest > self.FOLLOW_LIMIT:
            self._epoch += 1
            for stale in self.cache.entries():
                stale.pending = []
        elif watermark > tail:
            epoch, peek = self._epoch, self.cache.peek

            def followed(lead_id: str) -> list[Message] | None:
                entry = peek(lead_id)
                return entry.pending if entry is not None and entry.tail_epoch == epoch else None

            for pending, msg in log.messages_between(tail, watermark, followed):
                pending.append(msg)
        self._tail = watermark
        return self._epoch

    def _evaluate_chunk(self, following: bool) -> int:
        epoch: int | None = None
        with self.store.read() as conn:
            log = EventLog(conn)
            queued = log.queue(self.chunk)
            if not queued:
                return 0
            ids = [lead for lead, _, _ in queued]
            rebuild = {lead for lead, _, flag in queued if flag}
            watermark = log.next_id() - 1
            activation, active = self.active_in(conn)
            if following:
                oldest = min((since for _, since, _ in queued if since > 0), default=watermark)
                epoch = self._follow(log, watermark, oldest)
            # In-memory states are taken on trust here: the write below checks every lead's token.
            changes = prepare(
                conn, ids, active.agreement, rebuild, self.cache, self.new_token(), verify=False, tail_epoch=epoch
            )
        with self.store.write(durable=False) as conn:
            log = EventLog(conn)
            if self.active_in(conn)[0] != activation:
                return len(ids)  # a new agreement was activated meanwhile: evaluate again
            tokens = LeadStates(conn).tokens(ids)
            valid = [c for c in changes if tokens.get(c.lead_id) == c.token_seen]
            newer = log.first_events_after(ids, watermark)
            moved = newer.keys() | _moved_away(log, valid, rebuild, watermark)
            write(conn, [c for c in valid if not c.unchanged], active.agreement, round_robin_now=False)
            settled = {c.lead_id for c in valid} - moved
            log.requeue_from({c.lead_id: newer[c.lead_id] for c in valid if c.lead_id in newer})
            log.clear_dirty(sorted(settled & rebuild))  # replayed from the start
            # A lead whose identity was re-linked since the snapshot stays queued with its flag,
            # so its next evaluation replays it (its in-memory state is then not used).
            log.clear_dirty(sorted(settled - rebuild), unless_rebuild=True)
        kept = valid
        if epoch is not None:
            for change in kept:
                if change.cache is not None:  # it holds every message up to the watermark
                    change.cache.pending = []
                    change.cache.tail_epoch = epoch
        self._keep(kept)
        return len(ids)

    def settle_round_robin(self) -> None:
        """Renumber the round robin from every deferred start, and update the owners it moved."""
        with self.store.read() as conn:
            if not RoundRobinRepo(conn).pending():
                return  # nothing deferred: no write transaction
        with self.store.write(durable=False) as conn:
            rr = RoundRobinRepo(conn)
            if not rr.pending():
                return
            states = LeadStates(conn)
            affected = settle(rr, {}, self.active_in(conn)[1].agreement)
            if affected:
                states.set_owners(states.last_owners(sorted(affected)))

    def gather_wait(self, now: int, gather: float) -> float:
        """Seconds until the longest-waiting queued lead has waited ``gather`` seconds (0:
        it has, or nothing waits); ``now`` in µs on the clock ingestion stamps events with."""
        with self.store.read() as conn:
            oldest = EventLog(conn).oldest_queued_received_at()
        if oldest is None:
            return 0.0
        return max(0.0, gather - (now - oldest) / US_PER_SECOND)

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
        with self.store.read() as conn:
            state = AgreementsRepo(conn).latest_activation_state()
        if state is None or state[1]:
            return None  # checked in a snapshot first: no write transaction when idle
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
