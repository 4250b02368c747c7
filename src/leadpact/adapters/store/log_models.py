"""The append-only event log and what ingestion keeps beside it.

``events.id`` is assigned by ingestion under the store's write lock, so it is the arrival
order (``Message.seq``) and ties at equal timestamps replay in arrival order. Traits and
properties are JSON text: the engine decodes them itself, which is faster than a JSON type.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from leadpact.adapters.store.base import Base
from leadpact.adapters.store.types import ID, LEAD_ID

ID_LENGTH = 255


class EventRow(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=False)
    message_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    type: Mapped[str] = mapped_column(String(16))
    ts: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    anonymous_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    lead_id: Mapped[str | None] = mapped_column(LEAD_ID)
    traits: Mapped[str | None] = mapped_column(Text)
    event: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    properties: Mapped[str | None] = mapped_column(Text)
    group_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    action: Mapped[str | None] = mapped_column(String(32))
    actor_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_events_lead_id_id", "lead_id", "id"),
        # only anonymous-only events are ever looked up by anonymousId (identity linking)
        Index(
            "ix_events_anonymous_id",
            "anonymous_id",
            sqlite_where=text("user_id IS NULL"),
            postgresql_where=text("user_id IS NULL"),
        ),
    )


class IdentityRow(Base):
    """anonymousId → userId: the earliest (ts, seq) link wins (SPEC §3)."""

    __tablename__ = "identities"

    anonymous_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    ts: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)


class DirtyLeadRow(Base):
    """A lead whose events changed since it was last evaluated (the engine's work queue).

    ``rebuild`` is set when events moved to or from the lead (identity linking), so an
    in-memory lead state cannot simply be extended.
    """

    __tablename__ = "dirty_leads"

    lead_id: Mapped[str] = mapped_column(LEAD_ID, primary_key=True)
    since_id: Mapped[int] = mapped_column(BigInteger, index=True)
    rebuild: Mapped[bool] = mapped_column(Boolean, default=False)


class IngestCheckpointRow(Base):
    """How far ``leadpact ingest FILE`` got in a file, so that a re-run resumes instead of re-reading.

    ``fingerprint`` hashes the file's start (up to 64 KB of what was ingested): a re-run resumes
    only if the file still starts the same way, i.e. it grew rather than was replaced.
    """

    __tablename__ = "ingest_checkpoints"

    source: Mapped[str] = mapped_column(String(1024), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    offset: Mapped[int] = mapped_column(BigInteger)
    line: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
