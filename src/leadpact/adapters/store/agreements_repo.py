"""Agreement versions and activations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Connection, Table, func, select, update

from leadpact.adapters.store.agreement_models import ActivationRow, AgreementRow

_AG = cast(Table, AgreementRow.__table__)
_AC = cast(Table, ActivationRow.__table__)


@dataclass(frozen=True, slots=True)
class AgreementRecord:
    id: int
    version: str
    name: str
    yaml_text: str
    uploaded_by: str
    uploaded_at: int


@dataclass(frozen=True, slots=True)
class ActivationRecord:
    id: int
    agreement_id: int
    version: str
    activated_by: str
    activated_at: int
    leads_total: int
    leads_done: int
    cursor: str | None
    finished_at: int | None


_AG_COLUMNS = (_AG.c.id, _AG.c.version, _AG.c.name, _AG.c.yaml_text, _AG.c.uploaded_by, _AG.c.uploaded_at)
_AC_COLUMNS = (
    _AC.c.id,
    _AC.c.agreement_id,
    _AG.c.version,
    _AC.c.activated_by,
    _AC.c.activated_at,
    _AC.c.leads_total,
    _AC.c.leads_done,
    _AC.c.cursor,
    _AC.c.finished_at,
)


class AgreementsRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def by_version(self, version: str) -> AgreementRecord | None:
        row = self.conn.execute(select(*_AG_COLUMNS).where(_AG.c.version == version)).first()
        return AgreementRecord(*row) if row else None

    def all(self) -> list[AgreementRecord]:
        return [AgreementRecord(*row) for row in self.conn.execute(select(*_AG_COLUMNS).order_by(_AG.c.id))]

    def add(self, version: str, name: str, yaml_text: str, uploaded_by: str, uploaded_at: int) -> AgreementRecord:
        result = self.conn.execute(
            _AG.insert().values(
                version=version, name=name, yaml_text=yaml_text, uploaded_by=uploaded_by, uploaded_at=uploaded_at
            )
        )
        new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return AgreementRecord(new_id, version, name, yaml_text, uploaded_by, uploaded_at)

    def latest_activation(self) -> ActivationRecord | None:
        stmt = select(*_AC_COLUMNS).join(_AG, _AG.c.id == _AC.c.agreement_id).order_by(_AC.c.id.desc()).limit(1)
        row = self.conn.execute(stmt).first()
        return ActivationRecord(*row) if row else None

    def latest_activation_state(self) -> tuple[tuple[int, int], bool] | None:
        """The newest activation's (id, agreement id) and whether its re-evaluation finished
        (one plain statement: the online engine asks before every chunk)."""
        cursor = self.conn.connection.cursor()
        try:
            cursor.execute("SELECT id, agreement_id, finished_at FROM agreement_activations ORDER BY id DESC LIMIT 1")
            row = cursor.fetchone()
        finally:
            cursor.close()
        return ((int(row[0]), int(row[1])), row[2] is not None) if row else None

    def activations(self) -> list[ActivationRecord]:
        stmt = select(*_AC_COLUMNS).join(_AG, _AG.c.id == _AC.c.agreement_id).order_by(_AC.c.id)
        return [ActivationRecord(*row) for row in self.conn.execute(stmt)]

    def activation(self, activation_id: int) -> ActivationRecord | None:
        stmt = select(*_AC_COLUMNS).join(_AG, _AG.c.id == _AC.c.agreement_id).where(_AC.c.id == activation_id)
        row = self.conn.execute(stmt).first()
        return ActivationRecord(*row) if row else None

    def activate(self, agreement_id: int, by: str, at: int, leads_total: int) -> int:
        result = self.conn.execute(
            _AC.insert().values(
                agreement_id=agreement_id,
                activated_by=by,
                activated_at=at,
                leads_total=leads_total,
                leads_done=0,
                cursor=None,
                finished_at=None,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def record_progress(self, activation_id: int, done: int, cursor: str | None, finished_at: int | None) -> None:
        self.conn.execute(
            update(_AC).where(_AC.c.id == activation_id).values(leads_done=done, cursor=cursor, finished_at=finished_at)
        )

    def count(self) -> int:
        return int(self.conn.scalar(select(func.count()).select_from(_AG)) or 0)
