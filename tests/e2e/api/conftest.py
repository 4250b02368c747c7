"""Fixtures: a module-wide ``leadpact serve`` (SQLite) and webhook receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_server import Hooks, Server, make_server


@pytest.fixture(scope="module")
def hooks() -> Iterator[Hooks]:
    receiver = Hooks()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, hooks: Hooks) -> Iterator[Server]:
    running = make_server(tmp_path_factory.mktemp("serve"), hooks)
    running.start()
    try:
        yield running
    finally:
        running.stop()
