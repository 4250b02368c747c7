"""Flow versions and their activations (see :mod:`~leadpact.adapters.store.flow_models`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Connection, Table, select, update

from leadpact.adapters.store.flow_models import FlowActivationRow, FlowVersionRow

_V = cast(Table, FlowVersionRow.__table__)
_A = cast(Table, FlowActivationRow.__table__)


@dataclass(frozen=True, slots=True)
class FlowVersionRecord:
    id: int
    flow_id: str
    version: str
    name: str | None
    yaml_text: str
    uploaded_by: str
    uploaded_at: int


@dataclass(frozen=True, slots=True)
class FlowActivationRecord:
    id: int
    flow_version_id: int
    flow_id: str
    version: str
    activated_by: str
    activated_at: int
    deactivated_by: str | None
    deactivated_at: int | None


_V_COLUMNS = (_V.c.id, _V.c.flow_id, _V.c.version, _V.c.name, _V.c.yaml_text, _V.c.uploaded_by, _V.c.uploaded_at)
_A_COLUMNS = (
    _A.c.id,
    _A.c.flow_version_id,
    _A.c.flow_id,
    _V.c.version,
    _A.c.activated_by,
    _A.c.activated_at,
    _A.c.deactivated_by,
    _A.c.deactivated_at,
)


class FlowsRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- versions ---------------------------------------------------------------------------
    def by_version(self, flow_id: str, version: str) -> FlowVersionRecord | None:
        row = self.conn.execute(select(*_V_COLUMNS).where(_V.c.flow_id == flow_id, _V.c.version == version)).first()
        return FlowVersionRecord(*row) if row else None

    def version_by_id(self, version_id: int) -> FlowVersionRecord | None:
        row = self.conn.execute(select(*_V_COLUMNS).where(_V.c.id == version_id)).first()
        return FlowVersionRecord(*row) if row else None

    def versions(self) -> list[FlowVersionRecord]:
        rows = self.conn.execute(select(*_V_COLUMNS).order_by(_V.c.flow_id, _V.c.id))
        return [FlowVersionRecord(*row) for row in rows]

    def add(self, flow_id: str, version: str, name: str | None, yaml_text: str, by: str, at: int) -> FlowVersionRecord:
        result = self.conn.execute(
            _V.insert().values(
                flow_id=flow_id, version=version, name=name, yaml_text=yaml_text, uploaded_by=by, uploaded_at=at
            )
        )
        new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return FlowVersionRecord(new_id, flow_id, version, name, yaml_text, by, at)

    # --- activations --------------------------------------------------------------------------
    def activations(self, flow_id: str | None = None) -> list[FlowActivationRecord]:
        """Activations in the order they were recorded (of one flow, or of all)."""
        stmt = select(*_A_COLUMNS).join(_V, _V.c.id == _A.c.flow_version_id)
        if flow_id is not None:
            stmt = stmt.where(_A.c.flow_id == flow_id)
        return [FlowActivationRecord(*row) for row in self.conn.execute(stmt.order_by(_A.c.id))]

    def activation(self, activation_id: int) -> FlowActivationRecord | None:
        stmt = select(*_A_COLUMNS).join(_V, _V.c.id == _A.c.flow_version_id).where(_A.c.id == activation_id)
        row = self.conn.execute(stmt).first()
        return FlowActivationRecord(*row) if row else None

    def latest_activation(self, flow_id: str) -> FlowActivationRecord | None:
        stmt = (
            select(*_A_COLUMNS)
            .join(_V, _V.c.id == _A.c.flow_version_id)
            .where(_A.c.flow_id == flow_id)
            .order_by(_A.c.id.desc())
            .limit(1)
        )
        row = self.conn.execute(stmt).first()
        return FlowActivationRecord(*row) if row else None

    def activate(self, version: FlowVersionRecord, by: str, at: int) -> FlowActivationRecord:
        result = self.conn.execute(
            _A.insert().values(flow_version_id=version.id, flow_id=version.flow_id, activated_by=by, activated_at=at)
        )
        new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return FlowActivationRecord(new_id, version.id, version.flow_id, version.version, by, at, None, None)

    def deactivate(self, activation_id: int, by: str, at: int) -> None:
        self.conn.execute(
            update(_A)
            .where(_A.c.id == activation_id, _A.c.deactivated_at.is_(None))
            .values(deactivated_by=by, deactivated_at=at)
        )
