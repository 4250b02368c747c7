"""Ingestion: validate messages, append them to the log once, queue their leads.

A message is checked whole before anything is written (SPEC §3: never half-applied); a
repeated ``messageId`` is acknowledged and ignored. Appending is one short serialised
transaction per batch: duplicate check, arrival numbers, identity links, one bulk insert,
and the touched leads queued for the online engine (:mod:`leadpact.service.evaluation`).
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import orjson
from sqlalchemy import Connection

from leadpact.adapters import fastjson
from leadpact.adapters.store.engine import Store
from leadpact.adapters.store.event_log import EventLog, Link, event_row
from leadpact.domain.messages import Message, MessageError, describe, parse_message
from leadpact.domain.timeutil import US_PER_SECOND
from leadpact.service.clock import Clock

log = logging.getLogger("leadpact.ingest")

MAX_MESSAGE_BYTES: Final = 32 * 1024
MAX_BATCH_BYTES: Final = 500 * 1024
MAX_ID_LENGTH: Final = 255
_SUSPICIOUS = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


@dataclass(frozen=True, slots=True)
class Rejected:
    index: int
    field: str
    reason: str


@dataclass(slots=True)
class IngestResult:
    stored: int = 0
    duplicates: int = 0
    lead_ids: set[str] = field(default_factory=set)
    seqs: dict[str, int] = field(default_factory=dict)
    """messageId → arrival number of each message stored by this call."""


def suspicious(raw: bytes) -> bool:
    """Whether JSON text may hold strings no database stores (NUL, lone surrogates)."""
    return _SUSPICIOUS.search(raw) is not None


def text_problem(value: Any, path: str) -> MessageError | None:
    if isinstance(value, str):
        if "\x00" in value:
            return MessageError(path, "contains a NUL character (\\u0000), which cannot be stored")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return MessageError(path, "contains an unpaired UTF-16 surrogate; expected valid Unicode text")
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            problem = text_problem(key, child) or text_problem(item, child)
            if problem is not None:
                return problem
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problem = text_problem(item, f"{path}[{index}]")
            if problem is not None:
                return problem
    return None


def _check_ids(msg: Message) -> None:
    limit = MAX_ID_LENGTH
    if (
        len(msg.message_id) <= limit
        and (msg.user_id is None or len(msg.user_id) <= limit)
        and (msg.anonymous_id is None or len(msg.anonymous_id) <= limit)
        and (msg.group_id is None or len(msg.group_id) <= limit)
        and (msg.actor_id is None or len(msg.actor_id) <= limit)
    ):
        return  # the common case, without building the list below
    for name, value in (
        ("messageId", msg.message_id),
        ("userId", msg.user_id),
        ("anonymousId", msg.anonymous_id),
        ("groupId", msg.group_id),
        ("actor.id", msg.actor_id),
    ):
        if value is not None and len(value) > MAX_ID_LENGTH:
            raise MessageError(name, f"expected at most {MAX_ID_LENGTH} characters, found {len(value)}")


def message_size(obj: Any) -> int:
    """Bytes of the message as compact UTF-8 JSON (what Segment's 32 KB limit counts)."""
    try:
        return len(orjson.dumps(obj))  # already UTF-8: no decoding and encoding again
    except TypeError:  # beyond orjson (huge integers, lone surrogates)
        return len(fastjson.dumps(obj).encode("utf-8", "replace"))


def validate(
    obj: Any,
    *,
    default_timestamp: datetime | None,
    allow_actions: bool,
    deep: bool = True,
    expected_type: str | None = None,
) -> Message:
    """One decoded JSON value as a storable message, or MessageError naming the field.

    ``expected_type`` is the type implied by a single-message endpoint (``/v1/track``):
    a missing ``type`` takes it, a different one is an error. ``deep`` scans every string
    for NUL and unpaired surrogates (callers skip it when the raw text cannot hold them).
    """
    if expected_type is not None and isinstance(obj, dict):
        found = obj.get("type")
        if found is None:
            obj = {**obj, "type": expected_type}
        elif found != expected_type:
            raise MessageError("type", f"expected {expected_type!r} at /v1/{expected_type}, found {describe(found)}")
    msg = parse_message(obj, default_timestamp=default_timestamp)
    if msg.type == "action" and not allow_actions:
        raise MessageError(
            "type",
            "action messages are recorded with POST /v1/leads/{id}/actions (or sent by an admin or system key)",
        )
    _check_ids(msg)
    if deep:
        problem = text_problem(obj, "")
        if problem is not None:
            raise problem
    return msg


@dataclass(slots=True)
class _Job:
    messages: Sequence[Message]
    received_at: int
    done: Future[IngestResult] = field(default_factory=Future)


class IngestService:
    """Appends batches; :meth:`submit` queues them for one writer thread that commits every
    batch waiting at that moment in one transaction (group commit): under load, requests
    share transactions instead of queueing on the write lock one by one.

    With :meth:`limit_lag` (``leadpact serve``) the writer also keeps ingestion from running
    ahead of the online engine: while the oldest queued lead has waited longer than the limit,
    it holds the next group back (at most :attr:`MAX_HOLD` seconds at a time), so a lead's new
    stage stays readable within about that limit and, under a load the machine cannot
    evaluate as fast as it can store, senders wait a little longer instead.
    """

    GROUP_LIMIT = 5000  # messages per group transaction
    MAX_HOLD = 1.0
    """Seconds a group is held back at most: a stuck or restarting engine slows ingestion,
    never stops it."""
    LAG_CHECK_SECONDS = 0.05

    def __init__(self, store: Store, on_stored: Callable[[], None] | None = None) -> None:
        self.store = store
        self.on_stored = on_stored
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._lag_limit_us: int | None = None
        self._clock: Clock | None = None
        self._lag_checked = 0.0

    def limit_lag(self, seconds: float, clock: Clock) -> None:
        """Hold ingestion back while the engine's oldest queued lead waits over ``seconds``
        (0: never). Only for a process where an engine is running (``leadpact serve``)."""
        self._lag_limit_us = round(seconds * US_PER_SECOND) if seconds > 0 else None
        self._clock = clock

    def ingest(self, messages: Sequence[Message], received_at: int) -> IngestResult:
        """Append validated messages (in arrival order) in one transaction, now."""
        if not messages:
            return IngestResult()
        with self.store.write() as conn:
            result = append(conn, messages, received_at)
        if result.stored and self.on_stored is not None:
            self.on_stored()
        return result

    def submit(self, messages: Sequence[Message], received_at: int) -> Future[IngestResult]:
        """Queue a batch for the writer thread; the future resolves once it is committed."""
        job = _Job(messages, received_at)
        if not messages:
            job.done.set_result(IngestResult())
            return job.done
        with self._start_lock:
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, name="leadpact-ingest-writer", daemon=True)
                self._writer.start()
        self._jobs.put(job)
        return job.done

    def close(self) -> None:
        if self._writer is not None:
            self._jobs.put(None)
            self._writer.join(30)
            self._writer = None

    def _write_loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            group = [job]
            size = len(job.messages)
            while size < self.GROUP_LIMIT:
                try:
                    more = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._jobs.put(None)  # stop after this group
                    break
                group.append(more)
                size += len(more.messages)
            try:
                self._hold_while_engine_lags()
            except Exception:  # pacing is best effort: never lose the writer over it
                log.exception("could not read the online engine's backlog; storing without waiting")
            self._commit(group)

    def _hold_while_engine_lags(self) -> None:
        limit, clock = self._lag_limit_us, self._clock
        if limit is None or clock is None:
            return
        started = time.monotonic()
        if started - self._lag_checked < self.LAG_CHECK_SECONDS:
            return
        while True:
            with self.store.read() as conn:
                oldest = EventLog(conn).oldest_queued_received_at()
            now = time.monotonic()
            if oldest is None or clock.now_us() - oldest <= limit or now - started >= self.MAX_HOLD:
                break
            time.sleep(0.005)
        self._lag_checked = time.monotonic()

    def _commit(self, group: list[_Job]) -> None:
        try:
            with self.store.write() as conn:
                results = [append(conn, job.messages, job.received_at) for job in group]
        except Exception as exc:  # the whole group is rolled back: every request fails alike
            for job in group:
                job.done.set_exception(exc)
            return
        for job, result in zip(group, results, strict=True):
            job.done.set_result(result)
        if any(result.stored for result in results) and self.on_stored is not None:
            self.on_stored()


def append(conn: Connection, messages: Sequence[Message], received_at: int) -> IngestResult:
    """Store the messages not seen before; the caller holds a write transaction."""
    log = EventLog(conn)
    result = IngestResult()
    unique: dict[str, Message] = {}
    for msg in messages:
        if msg.message_id in unique:
            result.duplicates += 1
        else:
            unique[msg.message_id] = msg
    seen = log.existing_message_ids(list(unique))
    fresh = [msg for msg_id, msg in unique.items() if msg_id not in seen]
    result.duplicates += len(unique) - len(fresh)
    if not fresh:
        return result
    next_id = log.next_id()
    for offset, msg in enumerate(fresh):
        msg.seq = next_id + offset
        result.seqs[msg.message_id] = msg.seq

    rebuild: set[str] = set()
    links = log.links(m.anonymous_id for m in fresh if m.anonymous_id is not None)
    for msg in fresh:
        anon, user = msg.anonymous_id, msg.user_id
        if anon is None or user is None:
            continue
        current = links.get(anon)
        if current is not None and (current.ts, current.seq) <= (msg.ts, msg.seq):
            continue  # the earliest link wins (SPEC §3)
        link = Link(user, msg.ts, msg.seq)
        log.set_link(anon, link)
        links[anon] = link
        if current is None or current.user_id != user:
            moved_from = log.repoint_anonymous(anon, user)
            if moved_from is not None:
                rebuild.add(user)
                rebuild.update(lead for lead in moved_from if lead is not None)

    since: dict[str, int] = {}
    rows = []
    for msg in fresh:
        lead_id = msg.user_id
        if lead_id is None and msg.anonymous_id is not None:
            link_ = links.get(msg.anonymous_id)
            lead_id = link_.user_id if link_ is not None else None
        rows.append(event_row(msg, lead_id, received_at))
        if lead_id is not None and lead_id not in since:
            since[lead_id] = msg.seq
    log.append(rows)
    log.mark_dirty(since, rebuild)
    result.stored = len(fresh)
    result.lead_ids = set(since) | rebuild
    return result
