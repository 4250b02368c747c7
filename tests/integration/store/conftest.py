"""The store suite runs on SQLite and on PostgreSQL (``database_url`` is parametrised).

PostgreSQL: ``LEADPACT_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``).
Each test session migrates a fresh schema and drops it at the end; each test starts from
empty tables. Without a reachable server the PostgreSQL cases are skipped — except in CI
(``CI=true``), where an unreachable PostgreSQL fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from store_checks import make_services

from leadpact.adapters.store.engine import Store, create_store_engine
from leadpact.adapters.store.models import metadata
from leadpact.adapters.store.schema import upgrade
from leadpact.config import Settings
from leadpact.service.container import Services

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_base_url() -> str:
    return os.environ.get("LEADPACT_TEST_POSTGRES_URL", DEFAULT_POSTGRES)


def _postgres_reachable(url: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    import psycopg

    base = postgres_base_url()
    problem = _postgres_reachable(base)
    if problem is not None:
        message = f"PostgreSQL at {base} is unreachable ({problem}); set LEADPACT_TEST_POSTGRES_URL"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " — in CI PostgreSQL is required")
        pytest.skip(message)
    schema = f"leadpact_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options=-csearch_path%3D{schema}"
    store = Store(create_store_engine(Settings.model_validate({"database_url": url}).database_url))
    upgrade(store)
    store.dispose()
    try:
        yield url
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    store = Store(create_store_engine(f"sqlite:///{path}"))
    upgrade(store)
    store.dispose()  # the last connection to close checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


def _empty_postgres(url: str) -> None:
    store = Store(create_store_engine(Settings.model_validate({"database_url": url}).database_url))
    try:
        with store.write() as conn:
            names = ", ".join(table.name for table in metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        store.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "leadpact.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_schema_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def services(database_url: str) -> Iterator[Services]:
    built = make_services(database_url, evaluation_chunk=7)
    try:
        yield built
    finally:
        built.close()
