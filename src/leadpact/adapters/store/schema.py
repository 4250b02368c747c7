"""Run the Alembic migrations programmatically (``leadpact db upgrade`` and start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from leadpact.adapters.store.engine import Store

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(store: Store) -> str | None:
    with store.read() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(store: Store, revision: str = "head") -> None:
    """Upgrade under the store's write lock, so concurrent start-ups migrate once."""
    if revision == "head" and current_revision(store) == head_revision():
        return
    config = alembic_config()
    with store.write() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
