"""The nurture scheduler's tables (issue #8): the outbox, suppressed addresses, per-lead timers
and the tick cursor.

* ``nurture_outbox``: one row per idempotency key (``nurture:FLOW:VERSION:LEAD:RUN:STEP``),
  the primary key — a step is queued at most once per lead — with its delivery state
  (see :mod:`leadpact.service.nurture.outbox`).
* ``nurture_suppressions``: addresses that never get nurture mail again (unsubscribed,
  bounced), lower-cased.
* ``nurture_leads``: per lead, the next moment its flows can change without a new event
  (a wait ending, a send slot opening, a branch deadline), so a tick evaluates only the
  leads with new events or a timer due.
* ``nurture_ticks``: one row: the newest event id the last tick had seen and a fingerprint of
  the configuration (active flows, agreement) it evaluated with.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadpact.adapters.store.base import Base
from leadpact.adapters.store.flow_models import FLOW_ID_LENGTH
from leadpact.adapters.store.log_models import ID_LENGTH
from leadpact.adapters.store.types import LEAD_ID

MAIL_STATES = ("pending", "sending", "sent", "failed", "suppressed")


class NurtureMailRow(Base):
    __tablename__ = "nurture_outbox"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    lead_id: Mapped[str] = mapped_column(LEAD_ID)
    flow_id: Mapped[str] = mapped_column(String(FLOW_ID_LENGTH))
    flow_version: Mapped[str] = mapped_column(String(FLOW_ID_LENGTH))
    run: Mapped[int] = mapped_column(Integer)
    step_id: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    zone: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[int] = mapped_column(BigInteger)
    recipient: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger)
    end_of_data_at: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[int | None] = mapped_column(BigInteger)
    confirmed: Mapped[bool | None] = mapped_column(Boolean)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint("state IN ('pending', 'sending', 'sent', 'failed', 'suppressed')", name="state"),
        Index("ix_nurture_outbox_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_nurture_outbox_lead_id_state", "lead_id", "state"),
        Index("ix_nurture_outbox_flow_id_state", "flow_id", "state"),
    )


class NurtureSuppressionRow(Base):
    __tablename__ = "nurture_suppressions"

    address: Mapped[str] = mapped_column(Text, primary_key=True)
    lead_id: Mapped[str] = mapped_column(LEAD_ID)
    reason: Mapped[str] = mapped_column(String(64))
    at: Mapped[int] = mapped_column(BigInteger)


class NurtureLeadRow(Base):
    __tablename__ = "nurture_leads"

    lead_id: Mapped[str] = mapped_column(LEAD_ID, primary_key=True)
    next_at: Mapped[int] = mapped_column(BigInteger, index=True)


class NurtureTickRow(Base):
    __tablename__ = "nurture_ticks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_event_id: Mapped[int] = mapped_column(BigInteger)
    fingerprint: Mapped[str] = mapped_column(String(64))
    ticked_at: Mapped[int] = mapped_column(BigInteger)
