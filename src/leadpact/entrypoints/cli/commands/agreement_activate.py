"""``leadpact agreement activate FILE``: upload, activate and re-evaluate every lead.

The ``agreement`` group lives in ``agreement.py``; it adds this command with
:func:`add_activate`, so this module's ``register`` does nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadpact.domain.agreement import AgreementError
from leadpact.entrypoints.cli.commands.db import open_services
from leadpact.entrypoints.cli.output import fail, progress
from leadpact.service.agreements import VersionConflictError
from leadpact.service.clock import SystemClock


def activate(
    file: Annotated[Path, typer.Argument(help="The agreement YAML to activate.")],
    by: str = typer.Option("cli", "--by", help="Who activates it (recorded with the activation)."),
) -> None:
    """Store FILE as a new agreement version, make it active and re-evaluate every lead under it."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{file}: cannot read the file: {exc}")
    services = open_services()
    clock = SystemClock()
    try:
        try:
            uploaded = services.agreements.upload(text, str(file), by, clock.now_us())
        except (AgreementError, VersionConflictError) as exc:
            fail(str(exc))
        version = uploaded.record.version
        activation = services.agreements.activate(version, by, clock.now_us())
        with progress(f"re-evaluating leads under {version}", activation.leads_total) as bar:
            task = bar.task_ids[0]
            while True:
                step = services.engine.reevaluate_step(clock.now_us())
                if step is None or step.id != activation.id:
                    break
                bar.update(task, completed=step.leads_done)
                if step.finished_at is not None:
                    break
        # as stored: a running `leadpact serve` may have done (some of) the work itself
        activation = next(a for a in services.agreements.activations() if a.id == activation.id)
    finally:
        services.close()
    done = f"{activation.leads_done} lead(s) re-evaluated"
    if activation.finished_at is None:
        done = f"re-evaluation in progress ({activation.leads_done} of {activation.leads_total} leads so far)"
    typer.echo(f"agreement {version} ({uploaded.record.name}) is active; {done}")


def add_activate(agreement_app: typer.Typer) -> None:
    """Add ``activate`` to the ``agreement`` command group."""
    agreement_app.command("activate")(activate)


def register(app: typer.Typer) -> None:
    """Nothing: ``agreement.py`` calls :func:`add_activate` on its group."""
