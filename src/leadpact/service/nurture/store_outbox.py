"""The nurture outbox on the store (SQLite or PostgreSQL), for the scheduler of ``leadpact serve``.

Implements :class:`~leadpact.service.nurture.outbox.Outbox` on
:class:`~leadpact.adapters.store.nurture_repo.NurtureRepo`. Each method is one store write
transaction (serialised, as every write to the store is) and every state change is guarded by
the state it leaves, so two schedulers can never both claim a row.

The events delivery produces (``Email Sent``, ``Email Bounced``, ``Email Failed``, emitted goals)
are appended to the store's event log through the ingestion path
(:func:`leadpact.service.ingest.append`) **in the same transaction** as the state change: there
is no journal to publish later, the online engine re-evaluates the lead at once, and the
agreement scores what the flows did.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection

from leadpact.adapters.store.engine import Store
from leadpact.adapters.store.event_log import EventLog
from leadpact.adapters.store.nurture_repo import NurtureRepo
from leadpact.domain.messages import Message, MessageError
from leadpact.service.ingest import append, validate
from leadpact.service.nurture.outbox import MailState, OutboxMail

Json = dict[str, Any]
log = logging.getLogger("leadpact.nurture")


def to_message(event: Json) -> Message | None:
    """An event the runner produced, validated like any ingested message (None: unstorable,
    e.g. a messageId over 255 characters for a very long lead id — logged, never fatal: the
    state change it accompanies must still happen)."""
    try:
        return validate(event, default_timestamp=None, allow_actions=False)
    except MessageError as exc:
        log.error("cannot record %s %r in the event log: %s", event.get("event"), event.get("messageId"), exc)
        return None


class StoreOutbox:
    def __init__(
        self,
        store: Store,
        on_stored: Callable[[], None] | None = None,
        received_at: Callable[[], int] | None = None,
    ) -> None:
        """``on_stored``: called after events were appended (wakes the online engine);
        ``received_at``: the receive time stamped on them (default: each event's own time)."""
        self.store = store
        self.on_stored = on_stored
        self.received_at = received_at

    # --- reading ----------------------------------------------------------------------------
    def get(self, key: str) -> OutboxMail | None:
        with self.store.read() as conn:
            return NurtureRepo(conn).get(key)

    def due(self, now: int, limit: int) -> list[OutboxMail]:
        with self.store.read() as conn:
            return NurtureRepo(conn).due(now, limit)

    def in_flight(self) -> list[OutboxMail]:
        with self.store.read() as conn:
            return NurtureRepo(conn).in_state(MailState.sending)

    def pending_for_lead(self, lead_id: str) -> list[OutboxMail]:
        with self.store.read() as conn:
            return NurtureRepo(conn).pending_for_lead(lead_id)

    def all(self, lead_id: str | None = None) -> list[OutboxMail]:
        with self.store.read() as conn:
            return NurtureRepo(conn).all(lead_id)

    def is_suppressed(self, address: str) -> bool:
        with self.store.read() as conn:
            return NurtureRepo(conn).is_suppressed(address)

    def unpublished_events(self) -> list[Json]:
        """Always empty: events reach the log in the transaction that produced them."""
        return []

    def mark_published(self, message_ids: Sequence[str]) -> None:
        del message_ids  # nothing was left to publish

    # --- writing ----------------------------------------------------------------------------
    def enqueue(self, mail: OutboxMail) -> bool:
        with self.store.write() as conn:
            return NurtureRepo(conn).enqueue(mail)

    def claim(self, key: str, now: int) -> bool:
        with self.store.write() as conn:
            return NurtureRepo(conn).claim(key, now)

    def mark_end_of_data(self, key: str, now: int) -> None:
        with self.store.write() as conn:
            NurtureRepo(conn).transition(key, MailState.sending, end_of_data_at=now)

    def mark_sent(self, key: str, now: int, *, confirmed: bool, event: Json) -> None:
        stored = False
        with self.store.write() as conn:
            NurtureRepo(conn).transition(
                key, MailState.sending, state=MailState.sent.value, sent_at=now, confirmed=confirmed
            )
            stored = self._append(conn, event)
        self._stored(stored)

    def retry_later(self, key: str, next_attempt_at: int, error: str) -> None:
        with self.store.write() as conn:
            NurtureRepo(conn).transition(
                key, MailState.sending, state=MailState.pending.value, next_attempt_at=next_attempt_at, last_error=error
            )

    def requeue(self, key: str, now: int, *, count_attempt: bool = True) -> None:
        with self.store.write() as conn:
            NurtureRepo(conn).requeue(key, now, count_attempt=count_attempt)

    def defer(self, key: str, next_attempt_at: int, reason: str) -> None:
        with self.store.write() as conn:
            NurtureRepo(conn).transition(key, MailState.pending, next_attempt_at=next_attempt_at, last_error=reason)

    def fail(self, key: str, error: str, event: Json) -> None:
        stored = False
        with self.store.write() as conn:
            NurtureRepo(conn).transition(key, MailState.sending, state=MailState.failed.value, last_error=error)
            stored = self._append(conn, event)
        self._stored(stored)

    def suppress(self, key: str, reason: str) -> None:
        with self.store.write() as conn:
            NurtureRepo(conn).transition(key, MailState.pending, state=MailState.suppressed.value, last_error=reason)

    def suppress_address(self, address: str, lead_id: str, reason: str, now: int) -> None:
        with self.store.write() as conn:
            NurtureRepo(conn).suppress_address(address, lead_id, reason, now)

    def record_event(self, event: Json) -> bool:
        """Append ``event`` (an emitted goal) to the log; False if it is already there."""
        message = to_message(event)
        if message is None:
            return False
        with self.store.read() as conn:  # the common case, re-evaluating a lead: already recorded
            if EventLog(conn).existing_message_ids([message.message_id]):
                return False
        with self.store.write() as conn:
            stored = self._append(conn, event)
        self._stored(stored)
        return stored

    def _append(self, conn: Connection, event: Json) -> bool:
        message = to_message(event)
        if message is None:
            return False
        received_at = self.received_at() if self.received_at is not None else message.ts
        return append(conn, [message], received_at).stored == 1

    def _stored(self, stored: bool) -> None:
        if stored and self.on_stored is not None:
            self.on_stored()
