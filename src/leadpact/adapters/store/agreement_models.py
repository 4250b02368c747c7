"""Agreement versions (the YAML text as uploaded) and each activation of one.

The active agreement is the one named by the newest activation; re-activating an older
version is a rollback and gets its own activation row. An activation tracks the
re-evaluation of every lead (``leads_done`` of ``leads_total``, resumable by ``cursor``).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadpact.adapters.store.base import Base
from leadpact.adapters.store.log_models import ID_LENGTH
from leadpact.adapters.store.types import ID


class AgreementRow(Base):
    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    yaml_text: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(String(ID_LENGTH))
    uploaded_at: Mapped[int] = mapped_column(BigInteger)


class ActivationRow(Base):
    __tablename__ = "agreement_activations"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    activated_by: Mapped[str] = mapped_column(String(ID_LENGTH))
    activated_at: Mapped[int] = mapped_column(BigInteger)
    leads_total: Mapped[int] = mapped_column(Integer)
    leads_done: Mapped[int] = mapped_column(Integer)
    cursor: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    finished_at: Mapped[int | None] = mapped_column(BigInteger)
