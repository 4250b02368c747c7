"""The nurture outbox in one SQLite file (``--state outbox.db``), for the one-shot runner.

Implements :class:`leadpact.service.nurture.outbox.Outbox`. Every method is one transaction,
committed before it returns, with ``synchronous=FULL`` so a state survives a crash of the
process and of the machine. The idempotency key is the primary key: a second enqueue of the
same key is ignored, which is what makes "at most once per lead per step" hold. Each state
change is guarded by the state it leaves (``WHERE state = 'sending'``), so a transition that
does not apply fails loudly instead of rewriting history.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from leadpact.service.nurture.outbox import MailState, OutboxMail

Json = dict[str, Any]
SCHEMA_VERSION: Final = 1

_SCHEMA: Final = (
    """
    CREATE TABLE IF NOT EXISTS outbox (
        key TEXT PRIMARY KEY,
        lead_id TEXT NOT NULL,
        flow_id TEXT NOT NULL,
        flow_version TEXT NOT NULL,
        run INTEGER NOT NULL,
        step_id TEXT NOT NULL,
        template TEXT NOT NULL,
        language TEXT NOT NULL,
        zone TEXT NOT NULL,
        due_at INTEGER NOT NULL,
        recipient TEXT NOT NULL,
        message_id TEXT NOT NULL,
        content BLOB NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'suppressed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        end_of_data_at INTEGER,
        sent_at INTEGER,
        confirmed INTEGER,
        last_error TEXT,
        last_attempt_at INTEGER
    )
    """,
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt_at)",
    "CREATE INDEX IF NOT EXISTS outbox_lead ON outbox (lead_id, state)",
    """
    CREATE TABLE IF NOT EXISTS suppressions (
        address TEXT PRIMARY KEY,
        lead_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        at INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS activations (
        flow_id TEXT NOT NULL,
        flow_version TEXT NOT NULL,
        active_from INTEGER NOT NULL,
        PRIMARY KEY (flow_id, flow_version)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS journal (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id TEXT NOT NULL UNIQUE,
        body TEXT NOT NULL,
        published INTEGER NOT NULL DEFAULT 0
    )
    """,
)

_COLUMNS: Final = (
    "key, lead_id, flow_id, flow_version, run, step_id, template, language, zone, due_at, recipient, "
    "message_id, content, state, attempts, next_attempt_at, end_of_data_at, sent_at, confirmed, last_error"
)


class OutboxStateError(RuntimeError):
    """A transition was asked for a row not in the state it leaves (a programming error)."""


class SqliteOutbox:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(str(self.path), isolation_level=None, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"{path}: outbox schema {version} is newer than this leadpact ({SCHEMA_VERSION})")
        with self._write() as db:
            for statement in _SCHEMA:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SqliteOutbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- reading ----------------------------------------------------------------------------
    def get(self, key: str) -> OutboxMail | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE key = ?", (key,)).fetchone()
        return _mail(row) if row is not None else None

    def due(self, now: int, limit: int) -> list[OutboxMail]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, key LIMIT ?",
            (now, limit),
        )
        return [_mail(row) for row in rows]

    def in_flight(self) -> list[OutboxMail]:
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE state = 'sending' ORDER BY key")
        return [_mail(row) for row in rows]

    def pending_for_lead(self, lead_id: str) -> list[OutboxMail]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE lead_id = ? AND state = 'pending' ORDER BY key", (lead_id,)
        )
        return [_mail(row) for row in rows]

    def all(self) -> list[OutboxMail]:
        return [_mail(row) for row in self._db.execute(f"SELECT {_COLUMNS} FROM outbox ORDER BY due_at, key")]

    def is_suppressed(self, address: str) -> bool:
        row = self._db.execute("SELECT 1 FROM suppressions WHERE address = ?", (address.strip().lower(),)).fetchone()
        return row is not None

    def unpublished_events(self) -> list[Json]:
        rows = self._db.execute("SELECT body FROM journal WHERE published = 0 ORDER BY seq")
        return [json.loads(body) for (body,) in rows]

    # --- writing ----------------------------------------------------------------------------
    def enqueue(self, mail: OutboxMail) -> bool:
        with self._write() as db:
            cursor = db.execute(
                f"INSERT OR IGNORE INTO outbox ({_COLUMNS}) VALUES ({', '.join('?' * 20)})",
                (
                    mail.key,
                    mail.lead_id,
                    mail.flow_id,
                    mail.flow_version,
                    mail.run,
                    mail.step_id,
                    mail.template,
                    mail.language,
                    mail.zone,
                    mail.due_at,
                    mail.recipient,
                    mail.message_id,
                    mail.content,
                    mail.state.value,
                    mail.attempts,
                    mail.next_attempt_at,
                    mail.end_of_data_at,
                    mail.sent_at,
                    None if mail.confirmed is None else int(mail.confirmed),
                    mail.last_error,
                ),
            )
            return cursor.rowcount == 1

    def claim(self, key: str, now: int) -> bool:
        with self._write() as db:
            cursor = db.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, end_of_data_at = NULL, "
                "last_attempt_at = ? WHERE key = ? AND state = 'pending'",
                (now, key),
            )
            return cursor.rowcount == 1

    def mark_end_of_data(self, key: str, now: int) -> None:
        self._transition(key, "sending", "end_of_data_at = ?", (now,))

    def mark_sent(self, key: str, now: int, *, confirmed: bool, event: Json) -> None:
        with self._write() as db:
            self._update(db, key, "sending", "state = 'sent', sent_at = ?, confirmed = ?", (now, int(confirmed)))
            _journal(db, event)

    def retry_later(self, key: str, next_attempt_at: int, error: str) -> None:
        self._transition(
            key, "sending", "state = 'pending', next_attempt_at = ?, last_error = ?", (next_attempt_at, error)
        )

    def requeue(self, key: str, now: int, *, count_attempt: bool = True) -> None:
        attempts = "attempts" if count_attempt else "MAX(attempts - 1, 0)"
        self._transition(key, "sending", f"state = 'pending', attempts = {attempts}, next_attempt_at = ?", (now,))

    def defer(self, key: str, next_attempt_at: int, reason: str) -> None:
        self._transition(key, "pending", "next_attempt_at = ?, last_error = ?", (next_attempt_at, reason))

    def fail(self, key: str, error: str, event: Json) -> None:
        with self._write() as db:
            self._update(db, key, "sending", "state = 'failed', last_error = ?", (error,))
            _journal(db, event)

    def suppress(self, key: str, reason: str) -> None:
        self._transition(key, "pending", "state = 'suppressed', last_error = ?", (reason,))

    def suppress_address(self, address: str, lead_id: str, reason: str, now: int) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO suppressions (address, lead_id, reason, at) VALUES (?, ?, ?, ?)",
                (address.strip().lower(), lead_id, reason, now),
            )

    def activate(self, flow_id: str, version: str, now: int) -> dict[str, int]:
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO activations (flow_id, flow_version, active_from) VALUES (?, ?, ?)",
                (flow_id, version, now),
            )
            rows = db.execute("SELECT flow_version, active_from FROM activations WHERE flow_id = ?", (flow_id,))
            return dict(rows.fetchall())

    def record_event(self, event: Json) -> bool:
        with self._write() as db:
            return _journal(db, event)

    def mark_published(self, message_ids: Sequence[str]) -> None:
        with self._write() as db:
            db.executemany("UPDATE journal SET published = 1 WHERE message_id = ?", [(m,) for m in message_ids])

    def _transition(self, key: str, from_state: str, assignments: str, params: tuple[Any, ...]) -> None:
        with self._write() as db:
            self._update(db, key, from_state, assignments, params)

    @staticmethod
    def _update(db: sqlite3.Connection, key: str, from_state: str, assignments: str, params: tuple[Any, ...]) -> None:
        cursor = db.execute(f"UPDATE outbox SET {assignments} WHERE key = ? AND state = ?", (*params, key, from_state))
        if cursor.rowcount != 1:
            raise OutboxStateError(f"outbox row {key!r} is not {from_state}")


def _journal(db: sqlite3.Connection, event: Json) -> bool:
    cursor = db.execute(
        "INSERT OR IGNORE INTO journal (message_id, body) VALUES (?, ?)",
        (event["messageId"], json.dumps(event, ensure_ascii=False, sort_keys=True)),
    )
    return cursor.rowcount == 1


def _mail(row: tuple[Any, ...]) -> OutboxMail:
    (
        key,
        lead_id,
        flow_id,
        flow_version,
        run,
        step_id,
        template,
        language,
        zone,
        due_at,
        recipient,
        message_id,
        content,
        state,
        attempts,
        next_attempt_at,
        end_of_data_at,
        sent_at,
        confirmed,
        last_error,
    ) = row
    return OutboxMail(
        key=key,
        lead_id=lead_id,
        flow_id=flow_id,
        flow_version=flow_version,
        run=run,
        step_id=step_id,
        template=template,
        language=language,
        zone=zone,
        due_at=due_at,
        recipient=recipient,
        message_id=message_id,
        content=bytes(content),
        state=MailState(state),
        attempts=attempts,
        next_attempt_at=next_attempt_at,
        end_of_data_at=end_of_data_at,
        sent_at=sent_at,
        confirmed=None if confirmed is None else bool(confirmed),
        last_error=last_error,
    )
