"""Nurture flow versions (the YAML text as uploaded) and their activations (issue #8).

A version is immutable: ``(flow_id, version)`` is unique. An activation opens the entry window
of one version of a flow from ``activated_at``; the next activation of the same flow closes it
(runs already in progress keep their version until they end). ``deactivated_at`` stops the
flow: no entries, and no more mail or goals from its runs, until it is activated again.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadpact.adapters.store.base import Base
from leadpact.adapters.store.log_models import ID_LENGTH
from leadpact.adapters.store.types import ID

FLOW_ID_LENGTH = 64
"""Flow ids and versions appear in every idempotency key and event id: kept short."""


class FlowVersionRow(Base):
    __tablename__ = "flow_versions"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    flow_id: Mapped[str] = mapped_column(String(FLOW_ID_LENGTH))
    version: Mapped[str] = mapped_column(String(FLOW_ID_LENGTH))
    name: Mapped[str | None] = mapped_column(Text)
    yaml_text: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(String(ID_LENGTH))
    uploaded_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("flow_id", "version"),)


class FlowActivationRow(Base):
    __tablename__ = "flow_activations"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    flow_version_id: Mapped[int] = mapped_column(ForeignKey("flow_versions.id"), index=True)
    flow_id: Mapped[str] = mapped_column(String(FLOW_ID_LENGTH), index=True)
    activated_by: Mapped[str] = mapped_column(String(ID_LENGTH))
    activated_at: Mapped[int] = mapped_column(BigInteger)
    deactivated_by: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    deactivated_at: Mapped[int | None] = mapped_column(BigInteger)
