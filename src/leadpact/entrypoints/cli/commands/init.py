"""``leadpact init [DIR]``: start a project from the shipped default agreement (SPEC §4)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadpact.adapters.agreement_yaml import default_agreement_text
from leadpact.entrypoints.cli.output import fail

AGREEMENT_FILE = "agreement.yaml"


def init(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Where to write agreement.yaml (created if missing).")
    ] = Path(),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing agreement.yaml.")] = False,
) -> None:
    """Write the default agreement to DIR/agreement.yaml, ready to edit and check."""
    target = directory / AGREEMENT_FILE
    if directory.exists() and not directory.is_dir():
        fail(f"{directory}: exists and is not a directory")
    if target.is_dir():
        fail(f"{target}: is a directory")
    if target.exists() and not force:
        fail(f"{target}: already exists; use --force to overwrite it")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        target.write_text(default_agreement_text(), encoding="utf-8")
    except OSError as exc:
        fail(f"{target}: cannot write: {exc.strerror or exc}")
    typer.echo(f"Wrote {target}")
    typer.echo(f"Next: edit it, then run `leadpact agreement check {target}`")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
