"""The outbox: every mail a flow decided to send, keyed by its idempotency key, with its state.

States::

    pending ──claim──▶ sending ──accepted──▶ sent
       ▲                  │ ├──temporary error──▶ pending (attempts+1, back-off)
       │                  │ └──permanent error / attempts exhausted──▶ failed
       └──────────────────┘ (restart: the end of the data was never written → retried)
    pending ──unsubscribed / left every flow / address suppressed / too late──▶ suppressed

``claim`` is recorded (and committed) *before* the SMTP transaction starts; ``mark_end_of_data``
just before the final ``.`` of the DATA command is written; ``mark_sent`` after the server's
reply. A row found in ``sending`` after a crash without the end-of-data mark was never
accepted by the server (RFC 5321 accepts a message only at the end of its data) and is sent
again with the same content and Message-ID; a row with the mark is taken as sent, unconfirmed,
and never sent again. See docs/nurture.md for the exact guarantee.

The outbox also journals the events delivery produces (``Email Sent``, ``Email Failed``,
emitted goals) in the same transaction as the state change, until they are published to the
event log: a crash never loses one, and republishing is harmless (same messageId). The
store's outbox (:mod:`leadpact.service.nurture.store_outbox`) writes them straight into the
event log in that transaction, so it has nothing left to publish.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from leadpact.domain.flow_runs import SendEmail

Json = dict[str, Any]


class MailState(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    suppressed = "suppressed"


@dataclass(frozen=True, slots=True)
class OutboxMail:
    """One outbox row. ``content`` is the complete MIME message, rendered once at enqueue."""

    key: str
    lead_id: str
    flow_id: str
    flow_version: str
    run: int
    step_id: str
    template: str
    language: str
    zone: str
    due_at: int
    recipient: str
    message_id: str
    content: bytes
    state: MailState = MailState.pending
    attempts: int = 0
    next_attempt_at: int = 0
    end_of_data_at: int | None = None
    sent_at: int | None = None
    confirmed: bool | None = None
    last_error: str | None = None

    @property
    def domain(self) -> str:
        return self.recipient.rsplit("@", 1)[-1].lower()

    def as_send(self) -> SendEmail:
        """The engine's effect this row carries out (for the events it records)."""
        return SendEmail(
            key=self.key,
            lead_id=self.lead_id,
            flow_id=self.flow_id,
            flow_version=self.flow_version,
            run=self.run,
            step_id=self.step_id,
            template=self.template,
            data=(),
            language=self.language,
            zone=self.zone,
            due_at=self.due_at,
        )


class Outbox(Protocol):
    """Durable mail state. Every method commits before it returns."""

    def get(self, key: str) -> OutboxMail | None: ...

    def enqueue(self, mail: OutboxMail) -> bool:
        """Insert ``mail`` unless its key exists; False when it did (at most once per key)."""
        ...

    def due(self, now: int, limit: int) -> list[OutboxMail]:
        """Pending rows whose next attempt is due, oldest first."""
        ...

    def in_flight(self) -> list[OutboxMail]:
        """Rows left in ``sending`` (by a crash: a clean run never leaves one)."""
        ...

    def pending_for_lead(self, lead_id: str) -> list[OutboxMail]: ...

    def claim(self, key: str, now: int) -> bool:
        """pending → sending, attempts + 1. False if the row was not pending."""
        ...

    def mark_end_of_data(self, key: str, now: int) -> None: ...

    def mark_sent(self, key: str, now: int, *, confirmed: bool, event: Json) -> None:
        """sending → sent, journalling ``event`` (``Email Sent``) in the same transaction."""
        ...

    def retry_later(self, key: str, next_attempt_at: int, error: str) -> None:
        """sending → pending after a temporary failure."""
        ...

    def requeue(self, key: str, now: int, *, count_attempt: bool = True) -> None:
        """sending → pending, due at ``now``: after a crash before the end of the data (the
        attempt counts, so a mail that crashes the runner every time still runs out of
        attempts), or after a transport configuration error (it does not: not the mail's fault)."""
        ...

    def defer(self, key: str, next_attempt_at: int, reason: str) -> None:
        """Pending stays pending until ``next_attempt_at`` (quiet hours, rate limits)."""
        ...

    def fail(self, key: str, error: str, event: Json) -> None:
        """sending → failed, journalling ``event`` (``Email Bounced`` / ``Email Failed``)."""
        ...

    def suppress(self, key: str, reason: str) -> None:
        """pending → suppressed (never sent)."""
        ...

    def suppress_address(self, address: str, lead_id: str, reason: str, now: int) -> None: ...

    def is_suppressed(self, address: str) -> bool: ...

    def record_event(self, event: Json) -> bool:
        """Journal an event to publish (e.g. an emitted goal); False if already journalled."""
        ...

    def unpublished_events(self) -> list[Json]: ...

    def mark_published(self, message_ids: Sequence[str]) -> None: ...


class ActivationLog(Protocol):
    """Where ``flows run`` remembers when it first saw each flow version (the outbox file).
    In the store, activation is explicit instead (:class:`leadpact.service.flows.FlowService`)."""

    def activate(self, flow_id: str, version: str, now: int) -> dict[str, int]:
        """Record that ``version`` of ``flow_id`` is active from ``now`` unless it already was;
        return every version of the flow seen so far with the moment it was activated."""
        ...
