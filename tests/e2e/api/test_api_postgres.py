"""The same server on PostgreSQL: only ``LEADPACT_DATABASE_URL`` changes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from api_server import Hooks, Server, create_keys
from segment.analytics.client import Client as SegmentClient

from leadpact.adapters.store.engine import Store, create_store_engine
from leadpact.adapters.store.schema import upgrade
from leadpact.config import Settings


@pytest.fixture(scope="module")
def pg_server(hooks: Hooks) -> Iterator[Server]:
    with serve_on_postgres(hooks) as server:
        yield server


@contextmanager
def serve_on_postgres(hooks: Hooks) -> Iterator[Server]:
    """``leadpact serve`` over a fresh schema, dropped afterwards (skips if PostgreSQL is
    unreachable, except in CI)."""
    import psycopg

    base = os.environ.get("LEADPACT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        psycopg.connect(base, connect_timeout=3).close()
    except psycopg.Error as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL at {base} is unreachable in CI: {exc}")
        pytest.skip(f"PostgreSQL at {base} is unreachable ({exc}); set LEADPACT_TEST_POSTGRES_URL")
    schema = f"leadpact_e2e_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    try:
        store = Store(create_store_engine(Settings.model_validate({"database_url": url}).database_url))
        upgrade(store)
        store.dispose()
        server = Server(
            url,
            {
                **os.environ,
                "LEADPACT_DATABASE_URL": url,
                "LEADPACT_SLA_CHECK_SECONDS": "0.3",
                "LEADPACT_WEBHOOK_URLS": hooks.url,
            },
        )
        server.keys = create_keys(url)
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.mark.postgres
def test_events_from_an_sdk_qualify_assign_and_go_overdue_on_postgres(pg_server: Server, tmp_path: Path) -> None:
    two_weeks_ago = datetime.now(UTC) - timedelta(days=14)
    segment = SegmentClient(pg_server.keys["write"], host=pg_server.url, sync_mode=True)
    segment.identify(
        "pg-1", {"job_level": "director", "industry": "software", "employees": 1500}, timestamp=two_weeks_ago
    )
    segment.track("pg-1", "Contact Form Submitted", timestamp=two_weeks_ago + timedelta(minutes=1))
    segment.track("pg-1", "Webinar Attended", timestamp=two_weeks_ago + timedelta(minutes=2))
    pg_server.settle()
    with pg_server.client("inside_sales") as client:
        lead = client.get("/v1/leads/pg-1").json()
        overdue = client.get("/v1/sla/overdue").json()["items"]
    assert lead["stage"] == "mql" and lead["owner"] == "is_tanaka"  # enterprise team, first in turn
    assert [(i["lead_id"], i["sla_id"]) for i in overdue] == [("pg-1", "first_contact")]
