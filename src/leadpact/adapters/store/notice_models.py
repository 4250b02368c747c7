"""SLA breach notices (放置検知) and their webhook deliveries: an outbox.

A notice is unique per breach (lead, SLA, clock start), so a breach is noticed once however
often the clocks are checked or the lead is re-evaluated; a delivery is unique per notice and
webhook, and is marked delivered after the receiver's 2xx, so retries never double-post.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadpact.adapters.store.base import Base
from leadpact.adapters.store.log_models import ID_LENGTH
from leadpact.adapters.store.types import ID, LEAD_ID


class SlaNoticeRow(Base):
    __tablename__ = "sla_notices"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    lead_id: Mapped[str] = mapped_column(LEAD_ID)
    sla_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    started_at: Mapped[int] = mapped_column(BigInteger)
    deadline: Mapped[int] = mapped_column(BigInteger)
    sla_owner: Mapped[str] = mapped_column(String(32))
    lead_owner: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    detected_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("lead_id", "sla_id", "started_at"),)


class WebhookDeliveryRow(Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("sla_notices.id"))
    url: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger)
    lease_until: Mapped[int | None] = mapped_column(BigInteger)
    delivered_at: Mapped[int | None] = mapped_column(BigInteger)
    gave_up_at: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("notice_id", "url"),
        Index("ix_webhook_deliveries_next_attempt_at", "next_attempt_at"),
    )
