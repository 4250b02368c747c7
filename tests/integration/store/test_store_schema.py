"""Migrations: they build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from leadpact.adapters.store.engine import Store, create_store_engine
from leadpact.adapters.store.models import metadata
from leadpact.adapters.store.schema import current_revision, head_revision, upgrade
from leadpact.config import Settings


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    store = Store(create_store_engine(Settings.model_validate({"database_url": database_url}).database_url))
    try:
        assert current_revision(store) == head_revision()
        with store.read() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        store.dispose()


def test_upgrading_an_up_to_date_store_changes_nothing(database_url: str) -> None:
    store = Store(create_store_engine(Settings.model_validate({"database_url": database_url}).database_url))
    try:
        upgrade(store)
        upgrade(store)
        assert current_revision(store) == head_revision()
    finally:
        store.dispose()


def test_postgres_urls_select_psycopg_3() -> None:
    settings = Settings.model_validate({"database_url": "postgres://u@db/leads"})
    assert settings.database_url == "postgresql+psycopg://u@db/leads"
    assert Settings.model_validate({"database_url": "sqlite:///x.db"}).database_url == "sqlite:///x.db"
