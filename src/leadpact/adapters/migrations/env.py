"""Alembic environment: programmatic runs pass a connection; the ``alembic`` CLI (CI's
``alembic check``) connects to ``LEADPACT_DATABASE_URL``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from leadpact.adapters.store.models import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from leadpact.adapters.store.engine import Store, create_store_engine
    from leadpact.config import Settings

    url = context.config.get_main_option("sqlalchemy.url") or Settings.model_validate({}).database_url
    store = Store(create_store_engine(url))
    try:
        with store.write() as conn:
            _run(conn)
    finally:
        store.dispose()


_run_online()
