"""The nurture scheduler's rows: the outbox, suppressed addresses, per-lead timers, the tick cursor.

Every method runs inside a transaction opened by :class:`~leadpact.adapters.store.engine.Store`.
Outbox state changes are guarded by the state they leave (``WHERE key = ? AND state = ?``):
a transition that does not apply raises :class:`OutboxStateError` (the caller's transaction is
then rolled back), and :meth:`NurtureRepo.claim` — the one transition two workers could race
for — reports whether it won instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, func, select, update

from leadpact.adapters import fastjson
from leadpact.adapters.outbox_sqlite import OutboxStateError
from leadpact.adapters.store.dialect import upsert
from leadpact.adapters.store.lead_models import LeadRow
from leadpact.adapters.store.log_models import EventRow
from leadpact.adapters.store.nurture_models import NurtureLeadRow, NurtureMailRow, NurtureSuppressionRow, NurtureTickRow
from leadpact.adapters.store.raw import chunks
from leadpact.service.nurture.outbox import MailState, OutboxMail

_O = cast(Table, NurtureMailRow.__table__)
_S = cast(Table, NurtureSuppressionRow.__table__)
_T = cast(Table, NurtureLeadRow.__table__)
_K = cast(Table, NurtureTickRow.__table__)
_E = cast(Table, EventRow.__table__)
_L = cast(Table, LeadRow.__table__)

_MAIL_COLUMNS = (
    _O.c.key,
    _O.c.lead_id,
    _O.c.flow_id,
    _O.c.flow_version,
    _O.c.run,
    _O.c.step_id,
    _O.c.template,
    _O.c.language,
    _O.c.zone,
    _O.c.due_at,
    _O.c.recipient,
    _O.c.message_id,
    _O.c.content,
    _O.c.state,
    _O.c.attempts,
    _O.c.next_attempt_at,
    _O.c.end_of_data_at,
    _O.c.sent_at,
    _O.c.confirmed,
    _O.c.last_error,
)
_TICK_ROW = 1


def normalise_address(address: str) -> str:
    return address.strip().lower()


def _mail(row: Sequence[Any]) -> OutboxMail:
    values = list(row)
    values[12] = bytes(values[12])
    values[13] = MailState(values[13])
    confirmed = values[18]
    values[18] = None if confirmed is None else bool(confirmed)
    return OutboxMail(*values)


class NurtureRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- the outbox: reading ----------------------------------------------------------------
    def get(self, key: str) -> OutboxMail | None:
        row = self.conn.execute(select(*_MAIL_COLUMNS).where(_O.c.key == key)).first()
        return _mail(row) if row is not None else None

    def existing_keys(self, keys: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for part in chunks(sorted(set(keys))):
            found.update(self.conn.scalars(select(_O.c.key).where(_O.c.key.in_(part))))
        return found

    def due(self, now: int, limit: int) -> list[OutboxMail]:
        stmt = (
            select(*_MAIL_COLUMNS)
            .where(_O.c.state == MailState.pending.value, _O.c.next_attempt_at <= now)
            .order_by(_O.c.next_attempt_at, _O.c.key)
            .limit(limit)
        )
        return [_mail(row) for row in self.conn.execute(stmt)]

    def in_state(self, state: MailState) -> list[OutboxMail]:
        stmt = select(*_MAIL_COLUMNS).where(_O.c.state == state.value).order_by(_O.c.key)
        return [_mail(row) for row in self.conn.execute(stmt)]

    def pending_for_lead(self, lead_id: str) -> list[OutboxMail]:
        stmt = (
            select(*_MAIL_COLUMNS)
            .where(_O.c.lead_id == lead_id, _O.c.state == MailState.pending.value)
            .order_by(_O.c.key)
        )
        return [_mail(row) for row in self.conn.execute(stmt)]

    def all(self, lead_id: str | None = None) -> list[OutboxMail]:
        stmt = select(*_MAIL_COLUMNS).order_by(_O.c.due_at, _O.c.key)
        if lead_id is not None:
            stmt = stmt.where(_O.c.lead_id == lead_id)
        return [_mail(row) for row in self.conn.execute(stmt)]

    # --- the outbox: writing ----------------------------------------------------------------
    def enqueue(self, mail: OutboxMail) -> bool:
        """Insert unless the key exists; False when it did (at most once per key)."""
        stmt = (
            upsert(self.conn, _O)
            .values(
                key=mail.key,
                lead_id=mail.lead_id,
                flow_id=mail.flow_id,
                flow_version=mail.flow_version,
                run=mail.run,
                step_id=mail.step_id,
                template=mail.template,
                language=mail.language,
                zone=mail.zone,
                due_at=mail.due_at,
                recipient=mail.recipient,
                message_id=mail.message_id,
                content=mail.content,
                state=mail.state.value,
                attempts=mail.attempts,
                next_attempt_at=mail.next_attempt_at,
                end_of_data_at=mail.end_of_data_at,
                sent_at=mail.sent_at,
                confirmed=mail.confirmed,
                last_error=mail.last_error,
            )
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(_O.c.key)  # rowcount of an upsert is not reported by every driver
        )
        return self.conn.execute(stmt).first() is not None

    def claim(self, key: str, now: int) -> bool:
        """pending → sending (attempts + 1); False if the row was not pending."""
        stmt = (
            update(_O)
            .where(_O.c.key == key, _O.c.state == MailState.pending.value)
            .values(state=MailState.sending.value, attempts=_O.c.attempts + 1, end_of_data_at=None, last_attempt_at=now)
        )
        return self.conn.execute(stmt).rowcount == 1

    def transition(self, key: str, from_state: MailState, **values: Any) -> None:
        """Apply ``values`` to the row if it is in ``from_state``; OutboxStateError otherwise."""
        stmt = update(_O).where(_O.c.key == key, _O.c.state == from_state.value).values(**values)
        if self.conn.execute(stmt).rowcount != 1:
            raise OutboxStateError(f"outbox row {key!r} is not {from_state.value}")

    def requeue(self, key: str, now: int, *, count_attempt: bool) -> None:
        attempts: Any = _O.c.attempts
        if not count_attempt:  # a scalar MAX is spelt GREATEST on PostgreSQL
            at_least = func.greatest if self.conn.dialect.name == "postgresql" else func.max
            attempts = at_least(_O.c.attempts - 1, 0)
        self.transition(key, MailState.sending, state=MailState.pending.value, attempts=attempts, next_attempt_at=now)

    def suppress_pending_of_flow(self, flow_id: str, reason: str) -> int:
        stmt = (
            update(_O)
            .where(_O.c.flow_id == flow_id, _O.c.state == MailState.pending.value)
            .values(state=MailState.suppressed.value, last_error=reason)
        )
        return int(self.conn.execute(stmt).rowcount)

    def suppress_pending_of_lead(self, lead_id: str, reason: str) -> int:
        stmt = (
            update(_O)
            .where(_O.c.lead_id == lead_id, _O.c.state == MailState.pending.value)
            .values(state=MailState.suppressed.value, last_error=reason)
        )
        return int(self.conn.execute(stmt).rowcount)

    def forget_cancelled_of_flow(self, flow_id: str, reason: str) -> int:
        """Delete the flow's rows suppressed for ``reason`` (never sent): a flow started afresh
        may queue those keys again."""
        stmt = delete(_O).where(
            _O.c.flow_id == flow_id, _O.c.state == MailState.suppressed.value, _O.c.last_error == reason
        )
        return int(self.conn.execute(stmt).rowcount)

    # --- suppressed addresses -----------------------------------------------------------------
    def suppress_address(self, address: str, lead_id: str, reason: str, at: int) -> bool:
        """Suppress ``address`` for good; False if it already was."""
        normal = normalise_address(address)
        if not normal:
            return False
        stmt = (
            upsert(self.conn, _S)
            .values(address=normal, lead_id=lead_id, reason=reason, at=at)
            .on_conflict_do_nothing(index_elements=["address"])
            .returning(_S.c.address)
        )
        return self.conn.execute(stmt).first() is not None

    def is_suppressed(self, address: str) -> bool:
        row = self.conn.execute(select(_S.c.address).where(_S.c.address == normalise_address(address))).first()
        return row is not None

    def suppressions(self) -> list[tuple[str, str, str, int]]:
        rows = self.conn.execute(select(_S.c.address, _S.c.lead_id, _S.c.reason, _S.c.at).order_by(_S.c.address))
        return [(str(a), str(lead), str(reason), int(at)) for a, lead, reason, at in rows]

    def lead_email(self, lead_id: str) -> str | None:
        """The ``email`` trait of the lead's stored state, if any."""
        traits = self.conn.scalar(select(_L.c.traits).where(_L.c.lead_id == lead_id))
        if not traits:
            return None
        value = fastjson.loads(traits).get("email")
        return value.strip() if isinstance(value, str) and value.strip() else None

    # --- lead selection: timers and the event cursor ----------------------------------------------
    def set_timers(self, timers: Mapping[str, int | None]) -> None:
        """Each lead's next timer (None: none; its row is removed)."""
        cleared = sorted(lead for lead, at in timers.items() if at is None)
        for part in chunks(cleared):
            self.conn.execute(delete(_T).where(_T.c.lead_id.in_(part)))
        for lead, at in sorted((lead, at) for lead, at in timers.items() if at is not None):
            stmt = upsert(self.conn, _T).values(lead_id=lead, next_at=at)
            self.conn.execute(stmt.on_conflict_do_update(index_elements=["lead_id"], set_={"next_at": at}))

    def due_timers(self, now: int) -> list[str]:
        return list(self.conn.scalars(select(_T.c.lead_id).where(_T.c.next_at <= now).order_by(_T.c.lead_id)))

    def timers(self) -> dict[str, int]:
        return {str(lead): int(at) for lead, at in self.conn.execute(select(_T.c.lead_id, _T.c.next_at))}

    def max_event_id(self) -> int:
        return int(self.conn.scalar(select(func.coalesce(func.max(_E.c.id), 0))) or 0)

    def leads_with_events(self, after_id: int, up_to_id: int) -> list[str]:
        """Leads with an event whose id is in ``(after_id, up_to_id]`` (the primary key range)."""
        stmt = select(_E.c.lead_id).where(_E.c.id > after_id, _E.c.id <= up_to_id, _E.c.lead_id.is_not(None)).distinct()
        return sorted(str(lead) for lead in self.conn.scalars(stmt))

    def tick_state(self) -> tuple[int, str] | None:
        """(the newest event id the last tick had seen, its configuration fingerprint)."""
        row = self.conn.execute(select(_K.c.last_event_id, _K.c.fingerprint).where(_K.c.id == _TICK_ROW)).first()
        return (int(row[0]), str(row[1])) if row else None

    def set_tick_state(self, last_event_id: int, fingerprint: str, at: int) -> None:
        stmt = upsert(self.conn, _K).values(
            id=_TICK_ROW, last_event_id=last_event_id, fingerprint=fingerprint, ticked_at=at
        )
        self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["id"],
                set_={"last_event_id": last_event_id, "fingerprint": fingerprint, "ticked_at": at},
            )
        )
