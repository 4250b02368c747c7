"""The engine factory and the store's two kinds of transaction.

Writes are serialised: one process-wide lock (threads hand over without polling), plus a
lock between processes (``leadpact serve``'s engine process, ``leadpact ingest`` beside it)
— on SQLite an ``flock`` on ``<database>.write-lock`` (waiters wake as soon as it is free;
``BEGIN IMMEDIATE`` then takes SQLite's own lock, which alone is polled with sleeps), on
PostgreSQL a transaction-scoped advisory lock. Serial writes are what make event ids commit
in arrival order and keep the round robin and the lead states free of lost updates; each
write is short (one batch, one chunk of leads), so the lock is never held for long.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

from leadpact.config import sqlite_path

_WRITE = "leadpact_write"
_ADVISORY_LOCK_KEY = 0x1EADAC7  # any constant shared by every leadpact process
_LOCK_SQL = f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK_KEY})"

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=60000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA cache_size=-65536",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA wal_autocheckpoint=10000",
)


def create_store_engine(url: str, *, sqlite_synchronous: str = "NORMAL") -> Engine:
    """An engine for ``url`` (already normalised by Settings), SQLite pragmas applied.

    ``sqlite_synchronous``: NORMAL (WAL: a committed transaction survives a crash of the
    process, not necessarily of the machine) or FULL (fsync at every commit: survives power
    loss too, at a cost per commit)."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 60}, pool_size=8, max_overflow=16
        )
        _sqlite_transactions(engine, (*SQLITE_PRAGMAS, f"PRAGMA synchronous={sqlite_synchronous}"))
        return engine
    # psycopg prepares a statement server-side after five runs; PostgreSQL may then switch to
    # a generic plan, which for `column = ANY(array)` is a sequential scan (measured: 40 ms
    # instead of 0.3 ms on 20 000 events). Planning each statement is far cheaper.
    return create_engine(
        url, pool_size=8, max_overflow=16, pool_pre_ping=True, connect_args={"prepare_threshold": None}
    )


def _sqlite_transactions(engine: Engine, pragmas: tuple[str, ...]) -> None:
    """Take over BEGIN from the sqlite3 module so writes can start with ``BEGIN IMMEDIATE``."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE, False)
        # On the driver directly: every transaction starts here, and the statement path of
        # SQLAlchemy costs more than SQLite's BEGIN itself.
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")  # type: ignore[union-attr]


class _FileLock:
    """An exclusive lock between processes on one SQLite file (``flock`` on a file beside it).

    SQLite's own lock is polled: a writer that finds it taken sleeps 1, 2, 5 … 100 ms and
    tries again, so two busy processes (the server's ingest writer and the online engine)
    lost a fifth of their time sleeping while the other had long finished. Waiting in
    ``flock`` wakes the waiter as soon as the holder is done; SQLite's lock is then free
    (``BEGIN IMMEDIATE`` still takes it, and still waits for any writer that does not use
    this lock). The lock is released by the kernel if the process dies."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._pid = 0

    def __enter__(self) -> None:
        if self._fd is None or self._pid != os.getpid():  # not the descriptor of a parent
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            self._pid = os.getpid()
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *_: object) -> None:
        assert self._fd is not None
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


class Store:
    """The database plus the write lock; repositories work on the connections it hands out."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._lock = threading.Lock()
        database = engine.url.database if self.dialect == "sqlite" else None
        self._process_lock: _FileLock | _NoLock = (
            _FileLock(f"{database}.write-lock") if database and database != ":memory:" else _NoLock()
        )

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @contextmanager
    def write(self, *, durable: bool = True) -> Iterator[Connection]:
        """One serialised read-write transaction; committed on exit, rolled back on error.

        ``durable`` False is for derived state only (lead evaluations, recomputable from the
        log and committed atomically with their dequeue): on PostgreSQL its commit does not
        wait for the WAL flush. A crash may then lose the transaction — whole, never half.
        """
        with (
            self._lock,
            self._process_lock,
            self.engine.connect().execution_options(**{_WRITE: True}) as conn,
            conn.begin(),
        ):
            if self.is_postgres:
                # One round trip: the lock, and for derived state the asynchronous commit.
                cursor = conn.connection.cursor()
                try:
                    cursor.execute(_LOCK_SQL if durable else _LOCK_SQL + "; SET LOCAL synchronous_commit TO OFF")
                finally:
                    cursor.close()
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A consistent read-only snapshot (never blocks or is blocked by writers)."""
        options: dict[str, Any] = {}
        if self.is_postgres:
            options["isolation_level"] = "REPEATABLE READ"
        with self.engine.connect().execution_options(**options) as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()
        if isinstance(self._process_lock, _FileLock):
            self._process_lock.close()
