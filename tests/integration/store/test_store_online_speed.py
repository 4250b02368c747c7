"""The online engine's fast paths (issue #3 "Speed") keep the stored state equal to the
reference replay: states extended from the followed log, a follow that starts afresh, writes
of only the columns that changed; and ingestion paces itself on the engine's backlog."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from store_checks import assert_store_matches, ingest, make_services, reference
from store_histories import history

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.adapters.store.event_log import EventLog
from leadpact.config import Settings
from leadpact.domain.messages import Message
from leadpact.service import evaluation
from leadpact.service.clock import FixedClock
from leadpact.service.container import Services
from leadpact.service.ingest import message_size, validate

US = 1_000_000


def _as_of(objects: list[dict[str, object]]) -> int:
    return max(validate(o, default_timestamp=None, allow_actions=True).ts for o in objects)


def test_states_extended_from_the_followed_log_equal_replay(services: Services) -> None:
    objects = history(41, leads=10)
    for start in range(0, len(objects), 6):
        ingest(services, objects[start : start + 6])
        services.engine.run_pending()
    entries = services.engine.cache.entries()
    assert entries, "the in-order stream keeps lead states in memory"
    # every state kept by the last chunks follows the log: its lead's next messages reach it
    # without a lookup of the lead's own events
    assert all(entry.tail_epoch == services.engine._epoch for entry in entries)
    assert all(not entry.pending for entry in entries), "everything appended has been evaluated"
    assert_store_matches(services, reference(objects, default_agreement(), _as_of(objects)))


def test_messages_appended_before_evaluation_wait_in_the_followed_states(services: Services) -> None:
    objects = history(42, leads=6)
    half = len(objects) // 2
    ingest(services, objects[:half])
    services.engine.run_pending()
    ingest(services, objects[half:])
    with services.store.read() as conn:
        log = EventLog(conn)
        services.engine._follow(log, log.next_id() - 1, log.next_id() - 1)
    waiting = sum(len(entry.pending) for entry in services.engine.cache.entries())
    assert waiting > 0, "the second half's messages of known leads are handed to their states"
    services.engine.run_pending()
    assert_store_matches(services, reference(objects, default_agreement(), _as_of(objects)))


def test_following_afresh_when_the_backlog_is_large_still_equals_replay(services: Services) -> None:
    services.engine.FOLLOW_LIMIT = 4  # every chunk sees a larger backlog: states read their messages
    objects = history(43, leads=9)
    first_epoch = services.engine._epoch
    for start in range(0, len(objects), 11):
        ingest(services, objects[start : start + 11])
        services.engine.run_pending(max_chunks=1)
    services.engine.run_pending()
    assert services.engine._epoch > first_epoch + 1
    assert_store_matches(services, reference(objects, default_agreement(), _as_of(objects)))


def test_oldest_queued_event_paces_ingestion(services: Services) -> None:
    objects = history(44, leads=3)
    with services.store.read() as conn:
        assert EventLog(conn).oldest_queued_received_at() is None
    ingest(services, objects[:5], received_at=7 * US)
    ingest(services, objects[5:10], received_at=9 * US)
    with services.store.read() as conn:
        assert EventLog(conn).oldest_queued_received_at() == 7 * US
    services.engine.run_pending()
    with services.store.read() as conn:
        assert EventLog(conn).oldest_queued_received_at() is None


def test_a_lagging_engine_holds_ingestion_back_but_never_stops_it(services: Services) -> None:
    objects = history(45, leads=3)
    ingest(services, objects[:5], received_at=0)  # queued, and nobody evaluates it
    services.ingest.MAX_HOLD = 0.05
    services.ingest.limit_lag(0.5, FixedClock(3600 * US))
    messages: list[Message] = [validate(o, default_timestamp=None, allow_actions=True) for o in objects[5:12]]
    result = services.ingest.submit(messages, 3600 * US).result(timeout=30)
    assert result.stored == len(messages)


def test_writers_in_other_processes_wait_on_the_sqlite_write_lock(sqlite_template: Path, tmp_path: Path) -> None:
    database = tmp_path / "leadpact.db"
    shutil.copy(sqlite_template, database)
    services = make_services(f"sqlite:///{database}")
    path = f"{database}.write-lock"
    try:
        _held_while_writing(services, path)
    finally:
        services.close()


def _held_while_writing(services: Services, path: str) -> None:
    with services.store.write():
        assert Path(path).exists()
        other = os.open(path, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(other)
    other = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again once the write committed
        fcntl.flock(other, fcntl.LOCK_UN)
    finally:
        os.close(other)


def test_message_size_counts_utf8_bytes_even_beyond_orjson() -> None:
    assert message_size({"name": "伊藤"}) == len('{"name":"伊藤"}'.encode())
    huge = 2**70  # orjson refuses integers beyond 64 bits; the standard library measures it
    assert message_size({"n": huge}) == len(f'{{"n":{huge}}}')


def test_a_lead_with_events_after_its_evaluation_waits_from_the_first_of_them(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingestion paces itself on the age of what the engine has not evaluated: a lead given
    new events between the engine's snapshot and its write stays queued, waiting since the
    first new one — not since the events it was just evaluated up to."""
    objects = history(46, leads=1)
    first, later = objects[:4], objects[4:8]
    ingest(services, first, received_at=7 * US)
    real_prepare = evaluation.prepare
    interleaved: list[int] = []

    def prepare_then_ingest(*args: Any, **kwargs: Any) -> Any:
        changes = real_prepare(*args, **kwargs)
        if not interleaved:
            with services.store.read() as conn:
                interleaved.append(EventLog(conn).next_id())
            ingest(services, later, received_at=9 * US)  # commits between the snapshot and the write
        return changes

    monkeypatch.setattr(evaluation, "prepare", prepare_then_ingest)
    services.engine.run_pending(max_chunks=1)
    assert interleaved, "new events were ingested during the evaluation"
    with services.store.read() as conn:
        log = EventLog(conn)
        assert [since for _, since, _ in log.queue(10)] == [interleaved[0]]
        assert log.oldest_queued_received_at() == 9 * US
    services.engine.run_pending()
    assert_store_matches(services, reference(first + later, default_agreement(), _as_of(first + later)))


def test_the_engine_gathers_events_until_the_oldest_queued_lead_has_waited(services: Services) -> None:
    assert services.engine.gather_wait(5 * US, 0.3) == 0.0, "nothing queued: no wait"
    ingest(services, history(50, leads=1)[:3], received_at=7 * US)
    assert services.engine.gather_wait(7 * US + 100_000, 0.3) == pytest.approx(0.2)
    assert services.engine.gather_wait(8 * US, 0.3) == 0.0


@pytest.mark.parametrize(("gather", "limit", "valid"), [(0.3, 0.75, True), (0.75, 0.75, False), (2.0, 0.0, True)])
def test_the_gathering_time_stays_below_the_lag_limit(gather: float, limit: float, valid: bool) -> None:
    values = {"evaluation_gather_seconds": gather, "evaluation_lag_limit": limit}
    if valid:
        assert Settings.model_validate(values).evaluation_gather_seconds == gather
    else:
        with pytest.raises(ValidationError, match="evaluation_gather_seconds"):
            Settings.model_validate(values)
