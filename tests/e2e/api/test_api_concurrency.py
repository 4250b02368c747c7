"""Several client processes ingesting and acting at once lose no update, and the server ends
in the state a serial replay of its log gives."""

from __future__ import annotations

import multiprocessing
import random
import time
from typing import Any

import httpx
import pytest
from api_checks import assert_server_matches_replay, stream
from api_server import Server


def _send(url: str, key: str, batches: list[list[dict[str, Any]]], out: Any) -> None:
    acknowledged = []
    with httpx.Client(base_url=url, auth=(key, ""), timeout=30) as client:
        for batch in batches:
            if client.post("/v1/batch", json={"batch": batch}).status_code == 200:
                acknowledged.extend(m["messageId"] for m in batch)
    out.put(acknowledged)


def _first_mql(client: httpx.Client) -> str:
    """A lead the server lists as MQL, once ingestion has made one (a deadline, not a timing
    check: the senders run beside this process)."""
    deadline = time.monotonic() + 120
    while not (listed := client.get("/v1/leads", params={"stage": "mql", "limit": 1}).json()["items"]):
        assert time.monotonic() < deadline, "no lead became an MQL"
        time.sleep(0.05)
    lead: str = listed[0]["lead_id"]
    return lead


def _act(url: str, key: str, leads: list[str], seed: int, out: Any) -> None:
    rng = random.Random(seed)
    stored = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        # One action sure to be accepted while the others race ingestion: `contact` is allowed
        # in every stage these actions and this stream can move an MQL to.
        first = client.post(f"/v1/leads/{_first_mql(client)}/actions", json={"action": "contact"})
        assert first.status_code == 200, first.text
        stored.append(first.json()["message_id"])
        for n in range(30):
            action = rng.choice(
                [
                    {"action": "accept"},
                    {"action": "contact"},
                    {"action": "confirm_bant", "properties": {"items": ["budget", "need"]}},
                ]
            )
            response = client.post(
                f"/v1/leads/{rng.choice(leads)}/actions", json={**action, "messageId": f"act-{seed}-{n}"}
            )
            assert response.status_code in (200, 404, 409), response.text
            if response.status_code == 200:
                stored.append(response.json()["message_id"])
    out.put(stored)


@pytest.mark.slow
def test_parallel_clients_lose_no_update_and_match_a_serial_replay(server: Server) -> None:
    messages = stream(leads=40, per_lead=10, prefix="para")
    batches = [messages[i : i + 25] for i in range(0, len(messages), 25)]
    leads = sorted({m["userId"] for m in messages})
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [
        context.Process(target=_send, args=(server.url, server.keys["write"], batches[i::3], results)) for i in range(3)
    ] + [
        context.Process(target=_act, args=(server.url, server.keys["inside_sales"], leads, seed, results))
        for seed in (1, 2)
    ]
    for worker in workers:
        worker.start()
    acknowledged = [message_id for _ in workers for message_id in results.get(timeout=120)]
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    server.settle()
    stored = [m.message_id for m in assert_server_matches_replay(server)]
    assert len(stored) == len(set(stored))
    assert set(acknowledged) <= set(stored)
    assert len(acknowledged) > len(messages)  # every batch, plus accepted actions
