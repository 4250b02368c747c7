"""One nurture tick at a time per store, across threads and processes.

A tick treats every outbox row it finds in ``sending`` as left by a crashed tick and recovers
it; that is only true if no other tick is sending at that moment. So ticks exclude each other
with a lock that dies with its holder — a crash can never leave it taken:

* PostgreSQL: a session-level advisory lock on a connection held for the tick;
* SQLite: ``flock`` on a file beside the database (released by the kernel when the process
  ends); an in-memory database (one process) uses a thread lock.

The lock is tried, never waited for: a tick that finds another one running simply skips.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from sqlalchemy import text

from leadpact.adapters.store.engine import Store
from leadpact.config import sqlite_path

_ADVISORY_KEY: Final = 0x1EADAC8
_MEMORY_LOCK = threading.Lock()


@contextmanager
def tick_lock(store: Store) -> Iterator[bool]:
    """Yields True with the lock held, or False if another tick holds it."""
    if store.is_postgres:
        with _postgres_lock(store) as acquired:
            yield acquired
        return
    path = sqlite_path(store.engine.url.render_as_string(hide_password=False))
    if path is None:
        if not _MEMORY_LOCK.acquire(blocking=False):
            yield False
            return
        try:
            yield True
        finally:
            _MEMORY_LOCK.release()
        return
    with _file_lock(path.with_name(path.name + ".nurture-lock")) as acquired:
        yield acquired


@contextmanager
def _postgres_lock(store: Store) -> Iterator[bool]:
    with store.engine.connect() as conn:
        acquired = bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": _ADVISORY_KEY}).scalar())
        conn.commit()  # session-level: the lock outlives the transaction, not the connection
        try:
            yield acquired
        finally:
            if acquired:
                with contextlib.suppress(Exception):  # a broken connection has released it anyway
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _ADVISORY_KEY})
                    conn.commit()


@contextmanager
def _file_lock(path: os.PathLike[str] | str) -> Iterator[bool]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
