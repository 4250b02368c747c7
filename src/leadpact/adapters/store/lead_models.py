"""Each lead's current state, as the online engine last evaluated it.

These tables are derived from the event log by the domain replay (never edited by hand):
``leads`` holds the snapshot as of the lead's last event; ``stage_changes``, ``sla_clocks``,
``refused_actions`` and ``assignments`` hold its lists, one row per entry, keyed by
(lead_id, ordinal) so the engine can rewrite just the tail that changed. ``notes`` are the
only rows people write directly.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadpact.adapters.store.base import Base
from leadpact.adapters.store.log_models import ID_LENGTH
from leadpact.adapters.store.types import ID, LEAD_ID


class LeadRow(Base):
    __tablename__ = "leads"

    lead_id: Mapped[str] = mapped_column(LEAD_ID, primary_key=True)
    stage: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[int] = mapped_column(BigInteger)
    owner: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    fit: Mapped[float] = mapped_column(Float)
    engagement: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    hot: Mapped[bool] = mapped_column(Boolean)
    last_event_at: Mapped[int] = mapped_column(BigInteger)
    last_event_id: Mapped[int] = mapped_column(BigInteger)
    next_sla_deadline: Mapped[int | None] = mapped_column(BigInteger, index=True)
    traits: Mapped[str] = mapped_column(Text)
    company: Mapped[str] = mapped_column(Text)
    bant: Mapped[str] = mapped_column(Text)
    agreement_version: Mapped[str] = mapped_column(String(64))
    eval_token: Mapped[str] = mapped_column(String(32))
    """Who wrote this state last; an in-memory copy is trusted only while it matches."""

    # lists filter by stage or owner and page by lead id (keyset): one index range each
    __table_args__ = (
        Index("ix_leads_stage_lead_id", "stage", "lead_id"),
        Index("ix_leads_owner_lead_id", "owner", "lead_id"),
    )


class StageChangeRow(Base):
    __tablename__ = "stage_changes"

    lead_id: Mapped[str] = mapped_column(LEAD_ID, primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage: Mapped[str] = mapped_column(String(16))
    from_stage: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[int] = mapped_column(BigInteger, index=True)
    cause: Mapped[str] = mapped_column(String(ID_LENGTH))
    fast_track: Mapped[bool] = mapped_column(Boolean)
    actor_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    actor_role: Mapped[str] = mapped_column(String(32))
    agreement_version: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)


class SlaClockRow(Base):
    __tablename__ = "sla_clocks"

    lead_id: Mapped[str] = mapped_column(LEAD_ID, primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    sla_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    owner: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[int] = mapped_column(BigInteger)
    deadline: Mapped[int] = mapped_column(BigInteger)
    stopped_at: Mapped[int | None] = mapped_column(BigInteger)
    stop_cause: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    cancelled: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (Index("ix_sla_clocks_stopped_at_deadline", "stopped_at", "deadline"),)


class RefusedActionRow(Base):
    __tablename__ = "refused_actions"

    lead_id: Mapped[str] = mapped_column(LEAD_ID, primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    action: Mapped[str] = mapped_column(String(32))
    at: Mapped[int] = mapped_column(BigInteger)
    actor_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    actor_role: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)


class AssignmentRow(Base):
    """An ``assign`` of the lead. System rows (``team`` set) take their owner from the global
    round robin: ``turn`` is their rank within the team in (rr_at, lead_id, ordinal) order."""

    __tablename__ = "assignments"

    lead_id: Mapped[str] = mapped_column(LEAD_ID, primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[int] = mapped_column(BigInteger)
    cause: Mapped[str] = mapped_column(String(ID_LENGTH))
    team: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    owner: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    actor_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    actor_role: Mapped[str] = mapped_column(String(32))
    mql_at: Mapped[int | None] = mapped_column(BigInteger)
    rr_at: Mapped[int] = mapped_column(BigInteger)
    turn: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_assignments_team_rr_at_lead_id_ordinal", "team", "rr_at", "lead_id", "ordinal"),)


class NoteRow(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    lead_id: Mapped[str] = mapped_column(LEAD_ID, index=True)
    author: Mapped[str] = mapped_column(String(ID_LENGTH))
    author_role: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)


class RoundRobinPendingRow(Base):
    """The earliest request of a team whose turn is not yet re-numbered (a backlog of the
    online engine renumbers once, not per chunk). Durable, so a crash loses nothing."""

    __tablename__ = "round_robin_pending"

    team: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    rr_at: Mapped[int] = mapped_column(BigInteger)
    lead_id: Mapped[str] = mapped_column(LEAD_ID)
    ordinal: Mapped[int] = mapped_column(Integer)
