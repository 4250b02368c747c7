"""SQLite's write-ahead log is checkpointed by a thread of ``serve`` instead of inside the
commits of the ingest writer and the online engine (issue #3 "Speed"), and still starts
afresh instead of growing without bound."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from store_checks import assert_store_matches, ingest, make_services, reference
from store_histories import history

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.adapters.store.engine import WalCheckpoints
from leadpact.service.container import Services
from leadpact.service.ingest import validate

NEVER = 3600.0  # the thread's own timer does not fire during a test: rounds are run directly


def _sqlite_services(sqlite_template: Path, tmp_path: Path) -> Services:
    database = tmp_path / "leadpact.db"
    shutil.copy(sqlite_template, database)
    return make_services(f"sqlite:///{database}")


def _checkpoints(services: Services) -> WalCheckpoints:
    checkpoints = services.store.wal_checkpoints
    assert checkpoints is not None
    return checkpoints


def test_a_round_copies_the_whole_log_so_the_next_writer_starts_it_afresh(
    sqlite_template: Path, tmp_path: Path
) -> None:
    services = _sqlite_services(sqlite_template, tmp_path)
    try:
        services.store.checkpoint_in_background(NEVER, restart_frames=1)
        checkpoints = _checkpoints(services)
        objects = history(47, leads=20)
        more = history(49, leads=2)
        ingest(services, objects)
        unlocked = checkpoints.lock

        @contextmanager
        def a_commit_between_the_passes() -> Iterator[None]:
            ingest(services, more[:3])  # commits after the first pass copied the log
            with unlocked():
                yield

        checkpoints.lock = a_commit_between_the_passes
        busy, frames, copied = checkpoints.run_once()
        assert busy == 0 and frames > 0
        assert copied == frames, "the pass under the write lock copied what was committed meanwhile"
        checkpoints.lock = unlocked
        ingest(services, more[3:6])  # the next writer finds every frame copied: the log starts afresh
        _, after, _ = checkpoints.run_once()
        assert 0 < after < frames
        services.engine.run_pending()
        everything = objects + more[:6]
        as_of = max(validate(o, default_timestamp=None, allow_actions=True).ts for o in everything)
        assert_store_matches(services, reference(everything, default_agreement(), as_of))
    finally:
        services.close()


def test_writes_wake_the_thread_and_closing_the_store_stops_it(sqlite_template: Path, tmp_path: Path) -> None:
    services = _sqlite_services(sqlite_template, tmp_path)
    try:
        services.store.checkpoint_in_background(NEVER)
        checkpoints = _checkpoints(services)
        assert checkpoints.running and not checkpoints.pending
        ingest(services, history(48, leads=1)[:3])
        assert checkpoints.pending, "a write asks for a round"
    finally:
        services.close()
    assert services.store.wal_checkpoints is None
    assert not checkpoints.running


def test_only_a_sqlite_file_is_checkpointed_by_the_thread(database_url: str) -> None:
    services = make_services(database_url)
    try:
        services.store.checkpoint_in_background(NEVER)
        assert (services.store.wal_checkpoints is None) is database_url.startswith("postgresql")
    finally:
        services.close()
