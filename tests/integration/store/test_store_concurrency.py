"""Several clients ingesting and acting at once lose no update and end in the same state as a
serial replay of what was stored (threads here; processes in tests/e2e/api)."""

from __future__ import annotations

import random
import threading

from store_checks import assert_store_matches, ingest, replayed
from store_factories import us
from store_histories import history

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.adapters.store.event_log import EventLog
from leadpact.domain.messages import MessageError
from leadpact.service.actions import ActionRefusedError
from leadpact.service.container import Services
from leadpact.service.leads import UnknownLeadError


def test_concurrent_ingestion_actions_and_evaluation_equal_a_serial_replay(services: Services) -> None:
    objects = [o for o in history(41, leads=12) if o["type"] != "action"]
    unique = {o["messageId"] for o in objects}
    parts = [objects[i::3] for i in range(3)]
    leads = sorted({str(o["userId"]) for o in objects if o.get("userId")})
    done = threading.Event()
    errors: list[BaseException] = []
    accepted: list[str] = []

    def sender(part: list[dict[str, object]]) -> None:
        rng = random.Random(len(part))
        position = 0
        while position < len(part):
            size = rng.randint(1, 9)
            ingest(services, part[position : position + size])
            position += size

    def seller(seed: int) -> None:
        rng = random.Random(seed)
        for n in range(25):
            lead = rng.choice(leads)
            action, role, props = rng.choice(
                [
                    ("accept", "inside_sales", {}),
                    ("contact", "inside_sales", {}),
                    ("reject", "inside_sales", {"reason": "not now"}),
                    ("confirm_bant", "inside_sales", {"items": ["need", "budget"]}),
                ]
            )
            try:
                outcome = services.actions.act(
                    lead,
                    action,
                    actor_id=f"s{seed}",
                    actor_role=role,
                    properties=props,
                    traits={},
                    now=us(n * 7 + seed, days=60),
                )
                accepted.append(outcome.message_id)
            except (ActionRefusedError, UnknownLeadError, MessageError):
                pass

    def evaluator() -> None:
        while not done.is_set():
            services.engine.run_pending(max_chunks=2)

    def guarded(target: object, *args: object) -> threading.Thread:
        def run() -> None:
            try:
                target(*args)  # type: ignore[operator]
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        return threading.Thread(target=run)

    background = guarded(evaluator)
    workers = [guarded(sender, part) for part in parts] + [guarded(seller, seed) for seed in (1, 2)]
    background.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    done.set()
    background.join()
    assert errors == []
    services.engine.run_pending()

    with services.store.read() as conn:
        stored_messages = list(EventLog(conn).all_messages())
    ids = [m.message_id for m in stored_messages]
    assert len(ids) == len(set(ids)) == len(unique) + len(accepted)  # every update, once
    assert set(accepted) <= set(ids)
    expected = replayed(stored_messages, default_agreement(), max(m.ts for m in stored_messages))
    assert_store_matches(services, expected)
