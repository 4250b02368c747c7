"""``leadpact keys create``: API keys for people (a user with a role) and ingestion write keys.

The key is printed once, alone on the last line, and only its hash is stored.
"""

from __future__ import annotations

import typer

from leadpact.domain.messages import ROLES
from leadpact.entrypoints.cli.commands.db import open_services
from leadpact.entrypoints.cli.output import fail
from leadpact.service.auth import KeyCreationError
from leadpact.service.clock import SystemClock


def create(
    user: str | None = typer.Option(None, "--user", help="The user the API key acts as (created if new)."),
    role: str | None = typer.Option(
        None, "--role", help=f"The user's role (required with --user): {', '.join(ROLES)}."
    ),
    write: bool = typer.Option(False, "--write", help="Create a write key (ingestion only) instead."),
    label: str | None = typer.Option(None, "--label", help="A note on what a write key is for."),
) -> None:
    """Create an API key (--user U --role R) or a write key (--write); print it once."""
    if write == (user is not None):
        fail("give either --write, or --user U --role R")
    if user is not None and role is None:
        fail("--role: required with --user (one of " + ", ".join(ROLES) + ")")
    if write and role is not None:
        fail("--role: only with --user (a write key has no role: it can only send events)")
    if label is not None and not write:
        fail("--label: only with --write (it notes what a write key is for)")
    services = open_services()
    now = SystemClock().now_us()
    try:
        if write:
            key = services.access.create_write_key(label, now)
            typer.echo("New write key (send it as the HTTP Basic user name, like a Segment write key).")
        else:
            assert user is not None and role is not None
            key = services.access.create_user_key(user, role, now)
            typer.echo(f"New API key for {user} ({role}); send it as 'Authorization: Bearer <key>'.")
    except KeyCreationError as exc:
        fail(str(exc))
    finally:
        services.close()
    typer.echo("It is shown only this once; store it now.")
    typer.echo(key)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="API keys and write keys.", no_args_is_help=True)
    group.command("create")(create)
    app.add_typer(group, name="keys")
