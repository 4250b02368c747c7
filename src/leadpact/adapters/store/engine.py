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
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

from leadpact.config import sqlite_path

log = logging.getLogger("leadpact.store")

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


class WalCheckpoints:
    """Copies SQLite's write-ahead log back into the database from a thread of its own.

    SQLite otherwise does it inside the commit that takes the log past ``wal_autocheckpoint``
    pages — copying the whole log and syncing the database file while that writer holds the
    write lock, so every other writer waits (measured under sustained ingestion: 40–60 % of
    the commit time of the server and of the online engine).

    Every ``interval`` seconds after writes, this thread first copies the log without any
    lock (a PASSIVE checkpoint: writers go on appending meanwhile). Copying alone does not
    shorten the log: SQLite starts it again from the beginning only when a writer finds every
    frame already copied. So once the log is ``restart_frames`` long, the thread then takes
    the write lock for a second, short pass over the few frames committed during the first,
    and the next writer starts the log afresh. The automatic checkpoint stays as the safety
    net (readers still on old frames can keep a pass from finishing)."""

    def __init__(
        self, engine: Engine, lock: Callable[[], AbstractContextManager[None]], interval: float, restart_frames: int
    ) -> None:
        self.engine = engine
        self.lock = lock
        self.interval = interval
        self.restart_frames = restart_frames
        self._written = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="leadpact-wal-checkpoints", daemon=True)
        self._thread.start()

    def written(self) -> None:
        self._written.set()

    @property
    def pending(self) -> bool:
        """Whether writes happened since the last round started."""
        return self._written.is_set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stopping.wait(self.interval):
            if not self._written.is_set():
                continue
            self._written.clear()
            try:
                self.run_once()
            except Exception:  # the automatic checkpoint still bounds the log
                log.exception("background WAL checkpoint failed; SQLite's own checkpoints still run")

    def run_once(self) -> tuple[int, int, int]:
        """One round: (busy, frames in the log, frames copied) after its last pass."""
        outcome = self._pass()
        if outcome[1] >= self.restart_frames:
            with self.lock():
                outcome = self._pass()
        return outcome

    def _pass(self) -> tuple[int, int, int]:
        conn = self.engine.raw_connection()
        try:
            cursor = conn.cursor()
            try:
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                row = cursor.fetchone()
                assert row is not None  # the pragma always answers one row
                busy, frames, copied = row
            finally:
                cursor.close()
        finally:
            conn.close()
        return int(busy), int(frames), int(copied)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(10)


class Store:
    """The database plus the write lock; repositories work on the connections it hands out."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._lock = threading.Lock()
        database = engine.url.database if self.dialect == "sqlite" else None
        self._file = database if database and database != ":memory:" else None
        self._process_lock: _FileLock | _NoLock = (
            _FileLock(f"{self._file}.write-lock") if self._file is not None else _NoLock()
        )
        self.wal_checkpoints: WalCheckpoints | None = None

    def checkpoint_in_background(self, interval: float = 0.2, restart_frames: int = 2000) -> None:
        """SQLite file: checkpoint the write-ahead log from a thread of this process instead
        of inside commits (see :class:`WalCheckpoints`); for a long-running writer (``serve``).
        Nothing to do on PostgreSQL or an in-memory database."""
        if self._file is not None and self.wal_checkpoints is None:
            self.wal_checkpoints = WalCheckpoints(self.engine, self._write_lock, interval, restart_frames)

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        """The write lock alone, without a transaction."""
        with self._lock, self._process_lock:
            yield

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
        if self.wal_checkpoints is not None:
            self.wal_checkpoints.written()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A consistent read-only snapshot (never blocks or is blocked by writers)."""
        options: dict[str, Any] = {}
        if self.is_postgres:
            options["isolation_level"] = "REPEATABLE READ"
        with self.engine.connect().execution_options(**options) as conn, conn.begin():
            yield conn

    def stop_background_checkpoints(self) -> None:
        if self.wal_checkpoints is not None:
            self.wal_checkpoints.stop()
            self.wal_checkpoints = None

    def dispose(self) -> None:
        self.stop_background_checkpoints()
        self.engine.dispose()
        if isinstance(self._process_lock, _FileLock):
            self._process_lock.close()
