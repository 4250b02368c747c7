"""Crash safety: SIGKILL in the middle of a stream of acknowledged batches loses nothing."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import httpx
import pytest
from api_checks import assert_server_matches_replay, stream
from api_server import Hooks, make_server


@pytest.mark.slow
def test_acknowledged_events_survive_sigkill_and_states_equal_a_fresh_replay(tmp_path: Path, hooks: Hooks) -> None:
    server = make_server(tmp_path, hooks)
    server.start()
    messages = stream(leads=60, per_lead=12, prefix="crash")
    batches = [messages[i : i + 20] for i in range(0, len(messages), 20)]
    acknowledged: list[list[str]] = []
    in_flight: list[list[str]] = []
    enough = threading.Event()

    def send() -> None:
        with httpx.Client(base_url=server.url, auth=(server.keys["write"], ""), timeout=10) as client:
            for batch in batches:
                ids = [m["messageId"] for m in batch]
                in_flight.append(ids)
                try:
                    response = client.post("/v1/batch", json={"batch": batch})
                except httpx.HTTPError:
                    return
                if response.status_code == 200:
                    acknowledged.append(ids)
                if len(acknowledged) >= len(batches) // 2:
                    enough.set()

    sender = threading.Thread(target=send)
    sender.start()
    assert enough.wait(60)
    server.stop(signal.SIGKILL)  # no shutdown of any kind
    sender.join(30)
    server.start()  # same store, new process
    try:
        server.settle()
        stored = [m.message_id for m in assert_server_matches_replay(server)]
        assert len(stored) == len(set(stored)), "an event was stored twice"
        for ids in acknowledged:
            assert set(ids) <= set(stored), "an acknowledged event was lost"
        for ids in in_flight[len(acknowledged) :]:
            assert set(ids) <= set(stored) or not set(ids) & set(stored), "a batch was half-applied"
        assert len(acknowledged) < len(batches)
    finally:
        server.stop()
