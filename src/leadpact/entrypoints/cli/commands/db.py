"""``leadpact db upgrade``: bring the store's schema up to date (Alembic, programmatic).

Also the CLI's one way of opening the store (:func:`open_services`), so every command reports
an unreachable database the same way.
"""

from __future__ import annotations

import typer
from alembic.util.exc import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from leadpact.adapters.store.schema import current_revision, head_revision, upgrade
from leadpact.config import Settings
from leadpact.entrypoints.cli.output import fail
from leadpact.service.container import Services, build_services

EXIT_STORE = 3


def shown_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "(unparseable URL)"


def open_services(settings: Settings | None = None) -> Services:
    """The services over the configured store (schema upgraded); exit 3 if unreachable."""
    settings = settings or Settings.model_validate({})
    try:
        return build_services(settings)
    except (SQLAlchemyError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        fail(
            f"cannot open the store at {shown_url(settings.database_url)}: {reason}\n"
            "(set LEADPACT_DATABASE_URL; see README)",
            EXIT_STORE,
        )


def db_upgrade(
    revision: str = typer.Argument("head", help="Target revision (default: the newest)."),
) -> None:
    """Apply the store's migrations (SQLite file or PostgreSQL from LEADPACT_DATABASE_URL)."""
    settings = Settings.model_validate({"auto_migrate": False})
    services = open_services(settings)
    try:
        before = current_revision(services.store)
        upgrade(services.store, revision)
        after = current_revision(services.store)
    except CommandError as exc:  # alembic's: no such revision, a revision that cannot be reached
        fail(f"revision {revision!r}: {exc} (the newest is {head_revision()})")
    except SQLAlchemyError as exc:
        fail(f"migration failed: {exc}", EXIT_STORE)
    finally:
        services.close()
    where = shown_url(settings.database_url)
    if before == after:
        typer.echo(f"{where}: already at revision {after} (head {head_revision()})")
    else:
        typer.echo(f"{where}: upgraded {before or '(empty)'} → {after}")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The store's schema.", no_args_is_help=True)
    group.command("upgrade")(db_upgrade)
    app.add_typer(group, name="db")
