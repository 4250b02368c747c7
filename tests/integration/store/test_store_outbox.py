"""The outbox contract, on every implementation: the SQLite file of ``flows run`` and the store's
outbox (SQLite and PostgreSQL) of the ``serve`` scheduler.

At most once per key, guarded transitions, due rows only, in-flight rows found after a restart,
events journalled with the state change and published once, suppressed addresses whatever
their case. The store's outbox publishes by appending to the event log in the same
transaction, so "published" is read from the log there.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from leadpact.adapters.outbox_sqlite import OutboxStateError, SqliteOutbox
from leadpact.adapters.store.engine import Store, create_store_engine
from leadpact.adapters.store.event_log import EventLog
from leadpact.adapters.store.models import metadata
from leadpact.config import Settings
from leadpact.service.nurture.outbox import MailState, Outbox, OutboxMail
from leadpact.service.nurture.store_outbox import StoreOutbox

Json = dict[str, Any]


def mail(key: str = "nurture:f:1:u1:1:s", **overrides: object) -> OutboxMail:
    fields: dict[str, object] = {
        "key": key,
        "lead_id": "u1",
        "flow_id": "f",
        "flow_version": "1",
        "run": 1,
        "step_id": "s",
        "template": "t",
        "language": "ja",
        "zone": "Asia/Tokyo",
        "due_at": 100,
        "recipient": "taro@buyer.example",
        "message_id": "<m@seller.example>",
        "content": b"Subject: x\r\n\r\nbody\r\n",
        "next_attempt_at": 100,
    }
    fields.update(overrides)
    return OutboxMail(**fields)  # type: ignore[arg-type]


def event(message_id: str, name: str = "Email Sent") -> Json:
    return {
        "type": "track",
        "messageId": message_id,
        "timestamp": "2026-02-10T10:00:00+09:00",
        "userId": "u1",
        "event": name,
        "properties": {"flow": "f", "flow_version": "1", "run": 1, "step": "s"},
    }


@dataclass
class Harness:
    """One outbox implementation: open it (again: the same durable state), publish what it
    journalled, and read what reached the event log."""

    open: Callable[[], Outbox]
    read_log: Callable[[], list[str]]
    published: list[str] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)

    def publish(self, outbox: Outbox) -> None:
        events = outbox.unpublished_events()
        self.published += [e["messageId"] for e in events]
        outbox.mark_published([e["messageId"] for e in events])

    def logged(self) -> list[str]:
        return self.published + self.read_log()


def _store(url: str, closers: list[Callable[[], None]]) -> Store:
    store = Store(create_store_engine(Settings.model_validate({"database_url": url}).database_url))
    closers.append(store.dispose)
    return store


def _log(url: str, closers: list[Callable[[], None]]) -> Callable[[], list[str]]:
    def read() -> list[str]:
        with _store(url, closers).read() as conn:
            return [m.message_id for m in EventLog(conn).all_messages()]

    return read


@pytest.fixture(params=["file", "store-sqlite", pytest.param("store-postgresql", marks=pytest.mark.postgres)])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    closers: list[Callable[[], None]] = []
    if request.param == "file":
        opened: list[SqliteOutbox] = []

        def open_file() -> Outbox:
            outbox = SqliteOutbox(tmp_path / "outbox.db")
            opened.append(outbox)
            return outbox

        made = Harness(open_file, list, closers=closers)
        closers.append(lambda: [o.close() for o in opened] and None)
    else:
        if request.param == "store-sqlite":
            path = tmp_path / "leadpact.db"
            shutil.copy(request.getfixturevalue("sqlite_template"), path)
            url = f"sqlite:///{path}"
        else:
            url = request.getfixturevalue("postgres_schema_url")
            with _store(url, closers).write() as conn:
                conn.execute(text(f"TRUNCATE {', '.join(t.name for t in metadata.sorted_tables)} CASCADE"))
        made = Harness(lambda: StoreOutbox(_store(url, closers)), _log(url, closers), closers=closers)
    try:
        yield made
    finally:
        for close in closers:
            close()


# --- the contract ---------------------------------------------------------------------------------


def test_a_key_is_queued_once_whatever_happens_to_it(harness: Harness) -> None:
    outbox = harness.open()
    assert outbox.enqueue(mail()) is True
    assert outbox.enqueue(mail(recipient="other@x.example")) is False
    assert outbox.claim(mail().key, 200)
    outbox.mark_sent(mail().key, 201, confirmed=True, event=event("e1"))
    assert outbox.enqueue(mail()) is False
    stored = outbox.get(mail().key)
    assert stored is not None
    assert (stored.state, stored.attempts, stored.sent_at, stored.recipient, stored.confirmed) == (
        MailState.sent,
        1,
        201,
        "taro@buyer.example",
        True,
    )
    assert stored.content == mail().content


def test_only_due_pending_rows_are_offered(harness: Harness) -> None:
    outbox = harness.open()
    outbox.enqueue(mail("k1", next_attempt_at=100))
    outbox.enqueue(mail("k2", next_attempt_at=300))
    outbox.enqueue(mail("k3", next_attempt_at=50, state=MailState.suppressed))
    assert [m.key for m in outbox.due(200, 10)] == ["k1"]
    outbox.defer("k1", 400, "quiet hours")
    assert [m.key for m in outbox.due(350, 10)] == ["k2"]
    assert [m.key for m in outbox.due(1000, 1)] == ["k2"]  # oldest first, within the limit
    assert [m.key for m in outbox.pending_for_lead("u1")] == ["k1", "k2"]


def test_transitions_from_the_wrong_state_fail_loudly(harness: Harness) -> None:
    outbox = harness.open()
    outbox.enqueue(mail())
    with pytest.raises(OutboxStateError, match="is not sending"):
        outbox.mark_sent(mail().key, 1, confirmed=True, event=event("e"))
    assert outbox.claim(mail().key, 1)
    assert outbox.claim(mail().key, 1) is False  # a second worker cannot take it
    with pytest.raises(OutboxStateError, match="is not pending"):
        outbox.suppress(mail().key, "no")
    harness.publish(outbox)
    assert harness.logged() == []  # the failed mark_sent journalled nothing


def test_state_survives_reopening_and_in_flight_rows_are_found(harness: Harness) -> None:
    outbox = harness.open()
    outbox.enqueue(mail())
    outbox.claim(mail().key, 5)
    outbox.mark_end_of_data(mail().key, 6)
    reopened = harness.open()
    (flying,) = reopened.in_flight()
    assert (flying.state, flying.end_of_data_at, flying.attempts) == (MailState.sending, 6, 1)
    reopened.requeue(flying.key, 7, count_attempt=False)
    again = reopened.get(flying.key)
    assert again is not None and (again.state, again.attempts, again.next_attempt_at) == (MailState.pending, 0, 7)
    assert reopened.claim(flying.key, 8)
    reopened.requeue(flying.key, 9)  # a crash before the end of the data: the attempt counts
    counted = reopened.get(flying.key)
    assert counted is not None and (counted.state, counted.attempts) == (MailState.pending, 1)


def test_journalled_events_are_published_once(harness: Harness) -> None:
    outbox = harness.open()
    assert outbox.record_event(event("goal-1", "Nurture Goal Reached")) is True
    assert outbox.record_event(event("goal-1", "Nurture Goal Reached")) is False
    harness.publish(outbox)
    harness.publish(outbox)
    assert harness.logged() == ["goal-1"]


def test_a_failure_journals_its_event_with_the_state_change(harness: Harness) -> None:
    outbox = harness.open()
    outbox.enqueue(mail())
    outbox.claim(mail().key, 5)
    outbox.retry_later(mail().key, 500, "451 try later")
    retrying = outbox.get(mail().key)
    assert retrying is not None and (retrying.state, retrying.last_error) == (MailState.pending, "451 try later")
    assert outbox.claim(mail().key, 500)
    outbox.fail(mail().key, "550 no such user", event("k:bounced", "Email Bounced"))
    failed = outbox.get(mail().key)
    assert failed is not None and (failed.state, failed.attempts) == (MailState.failed, 2)
    harness.publish(outbox)
    assert harness.logged() == ["k:bounced"]


def test_suppressed_addresses_match_whatever_their_case(harness: Harness) -> None:
    outbox = harness.open()
    outbox.suppress_address(" Taro@Buyer.Example ", "u1", "unsubscribed", 1)
    outbox.suppress_address("taro@buyer.example", "u2", "bounced", 2)  # already: kept as it was
    assert outbox.is_suppressed("taro@buyer.example")
    assert not outbox.is_suppressed("hanako@buyer.example")


# --- the store's outbox only ---------------------------------------------------------------------


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    made = Store(create_store_engine(Settings.model_validate({"database_url": database_url}).database_url))
    yield made
    made.dispose()


def test_two_processes_racing_for_one_row_claim_it_once(database_url: str, store: Store) -> None:
    """Separate stores stand for separate processes (each has its own write lock)."""
    url = Settings.model_validate({"database_url": database_url}).database_url
    others = [Store(create_store_engine(url)) for _ in range(4)]
    try:
        StoreOutbox(store).enqueue(mail())
        barrier = threading.Barrier(len(others))
        wins: list[bool] = []

        def claim(one: Store) -> None:
            barrier.wait()
            wins.append(StoreOutbox(one).claim(mail().key, 10))

        threads = [threading.Thread(target=claim, args=(one,)) for one in others]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(wins) == [False, False, False, True]
        stored = StoreOutbox(store).get(mail().key)
        assert stored is not None and (stored.state, stored.attempts) == (MailState.sending, 1)
    finally:
        for one in others:
            one.dispose()


def test_a_recorded_event_is_in_the_log_and_queues_its_lead_for_evaluation(store: Store) -> None:
    woken: list[int] = []
    outbox = StoreOutbox(store, on_stored=lambda: woken.append(1), received_at=lambda: 777)
    outbox.enqueue(mail())
    outbox.claim(mail().key, 5)
    outbox.mark_sent(mail().key, 6, confirmed=True, event=event("k:sent"))
    with store.read() as conn:
        log = EventLog(conn)
        (sent,) = log.lead_messages(["u1"])["u1"]
        queued = log.dirty(10)
        received = conn.execute(text("SELECT received_at FROM events")).scalar()
    assert (sent.message_id, sent.event, received) == ("k:sent", "Email Sent", 777)
    assert queued == [("u1", False)]
    assert woken == [1]
    assert outbox.unpublished_events() == []
