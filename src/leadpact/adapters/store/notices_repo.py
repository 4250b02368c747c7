"""SLA breach notices and their webhook deliveries (an outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Connection, Table, and_, or_, select, tuple_, update

from leadpact.adapters.store.dialect import upsert
from leadpact.adapters.store.lead_models import LeadRow, SlaClockRow
from leadpact.adapters.store.notice_models import SlaNoticeRow, WebhookDeliveryRow

_N = cast(Table, SlaNoticeRow.__table__)
_D = cast(Table, WebhookDeliveryRow.__table__)
_S = cast(Table, SlaClockRow.__table__)
_L = cast(Table, LeadRow.__table__)


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    lead_id: str
    sla_id: str
    started_at: int
    deadline: int
    sla_owner: str
    lead_owner: str | None
    detected_at: int


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    url: str
    attempts: int
    notice: Notice


_NOTICE_COLUMNS = (
    _N.c.id,
    _N.c.lead_id,
    _N.c.sla_id,
    _N.c.started_at,
    _N.c.deadline,
    _N.c.sla_owner,
    _N.c.lead_owner,
    _N.c.detected_at,
)


class NoticesRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def record_new_breaches(self, as_of: int, limit: int = 1000) -> list[Notice]:
        """Notices for clocks running past their deadline that have none yet."""
        noticed = and_(_N.c.lead_id == _S.c.lead_id, _N.c.sla_id == _S.c.sla_id, _N.c.started_at == _S.c.started_at)
        rows = self.conn.execute(
            select(_S.c.lead_id, _S.c.sla_id, _S.c.started_at, _S.c.deadline, _S.c.owner, _L.c.owner)
            .join(_L, _L.c.lead_id == _S.c.lead_id)
            .outerjoin(_N, noticed)
            .where(_S.c.stopped_at.is_(None), _S.c.deadline < as_of, _N.c.id.is_(None))
            .order_by(_S.c.deadline)
            .limit(limit)
        ).all()
        if not rows:
            return []
        values = [
            {
                "lead_id": r[0],
                "sla_id": r[1],
                "started_at": r[2],
                "deadline": r[3],
                "sla_owner": r[4],
                "lead_owner": r[5],
                "detected_at": as_of,
            }
            for r in rows
        ]
        self.conn.execute(
            upsert(self.conn, _N).on_conflict_do_nothing(index_elements=["lead_id", "sla_id", "started_at"]), values
        )
        keys = [(r[0], r[1], r[2]) for r in rows]
        created = self.conn.execute(
            select(*_NOTICE_COLUMNS).where(tuple_(_N.c.lead_id, _N.c.sla_id, _N.c.started_at).in_(keys))
        ).all()
        return [Notice(*row) for row in created]

    def add_deliveries(self, notices: Sequence[Notice], urls: Sequence[str], at: int) -> None:
        values = [
            {"notice_id": n.id, "url": url, "attempts": 0, "next_attempt_at": at} for n in notices for url in urls
        ]
        if values:
            self.conn.execute(upsert(self.conn, _D).on_conflict_do_nothing(index_elements=["notice_id", "url"]), values)

    def claim_due(self, now: int, lease_until: int, limit: int) -> list[Delivery]:
        due = and_(
            _D.c.delivered_at.is_(None),
            _D.c.gave_up_at.is_(None),
            _D.c.next_attempt_at <= now,
            or_(_D.c.lease_until.is_(None), _D.c.lease_until < now),
        )
        rows = self.conn.execute(
            select(_D.c.id, _D.c.url, _D.c.attempts, *_NOTICE_COLUMNS)
            .join(_N, _N.c.id == _D.c.notice_id)
            .where(due)
            .order_by(_D.c.next_attempt_at, _D.c.id)
            .limit(limit)
        ).all()
        if rows:
            self.conn.execute(update(_D).where(_D.c.id.in_([r[0] for r in rows])).values(lease_until=lease_until))
        return [Delivery(r[0], r[1], r[2], Notice(*r[3:])) for r in rows]

    def delivered(self, delivery_id: int, at: int, attempts: int) -> None:
        self.conn.execute(
            update(_D)
            .where(_D.c.id == delivery_id)
            .values(delivered_at=at, attempts=attempts, lease_until=None, last_error=None)
        )

    def failed(self, delivery_id: int, attempts: int, next_attempt_at: int, error: str, gave_up_at: int | None) -> None:
        self.conn.execute(
            update(_D)
            .where(_D.c.id == delivery_id)
            .values(
                attempts=attempts,
                next_attempt_at=next_attempt_at,
                last_error=error[:1000],
                lease_until=None,
                gave_up_at=gave_up_at,
            )
        )
