"""``leadpact flows activate|deactivate|list|tick``: nurture flows on the store
(``LEADPACT_DATABASE_URL``), as ``leadpact serve`` runs them.

The ``flows`` group lives in ``flows.py``; it adds these commands with
:func:`add_store_commands`, so this module's ``register`` does nothing. The store is opened
inside each command, so ``flows check`` never loads the database layer.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leadpact.domain.timeutil import US_PER_SECOND, iso
from leadpact.entrypoints.cli.commands._moments import parse_as_of
from leadpact.entrypoints.cli.output import fail

if TYPE_CHECKING:  # the store's modules load only when a store command runs
    from leadpact.service.container import Services


class ListFormat(StrEnum):
    table = "table"
    json = "json"


def _now(text: str | None, option: str = "--now") -> int:
    from leadpact.service.clock import SystemClock

    return SystemClock().now_us() if text is None else parse_as_of(text, option)


def activate(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A flow YAML file, or a directory of them.")],
    by: Annotated[str, typer.Option("--by", help="Who activates (recorded with the activation).")] = "cli",
    now: Annotated[str | None, typer.Option("--now", help="Activate as of this moment (ISO 8601).")] = None,
) -> None:
    """Store the flow(s) in FILE as versions and make them active: leads enter them from now on
    and `leadpact serve` sends their mail. Every file is validated (and every template rendered,
    with LEADPACT_NURTURE_TEMPLATES) before anything is stored."""
    from leadpact.adapters.flow_yaml import flow_files
    from leadpact.domain.flows import FlowError
    from leadpact.entrypoints.cli.commands.db import open_services
    from leadpact.service.agreements import VersionConflictError

    if not file.exists():
        fail(f"{file}: no such flow file or directory")
    files = flow_files(file)
    if not files:
        fail(f"{file}: no flow files (*.yaml, *.yml) in this directory")
    texts: list[tuple[Path, str]] = []
    for path in files:
        try:
            texts.append((path, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{path}: cannot read the file: {exc}")
    at = _now(now)
    services = open_services()
    try:
        errors: list[str] = []
        seen: dict[str, Path] = {}
        for path, text in texts:  # everything valid first: nothing is stored half
            try:
                flow = services.flows.check(text, str(path))
            except FlowError as exc:
                errors.append(str(exc))
                continue
            if flow.id in seen:
                errors.append(f"{path}: id: flow {flow.id!r} is already defined in {seen[flow.id]}")
            seen[flow.id] = path
        if errors:
            fail("\n".join(errors))
        lines = []
        for path, text in texts:
            try:
                uploaded = services.flows.upload(text, str(path), by, at)
            except VersionConflictError as exc:
                fail(str(exc))
            record = uploaded.record
            done = services.flows.activate(record.flow_id, record.version, by, at)
            state = "is active" if done.changed else "was already active"
            since = _shown(done.activation.activated_at, services)
            lines.append(f"flow {record.flow_id} version {record.version} {state} (since {since})")
        reason = services.nurture.idle_reason(at)
    finally:
        services.close()
    for line in lines:
        typer.echo(line)
    if reason is not None:
        typer.echo(f"note: `leadpact serve` sends no nurture mail yet: {reason}", err=True)


def deactivate(
    flow_id: Annotated[str, typer.Argument(metavar="FLOW_ID", help="The flow's id.")],
    by: Annotated[str, typer.Option("--by", help="Who deactivates (recorded).")] = "cli",
    now: Annotated[str | None, typer.Option("--now", help="Deactivate as of this moment (ISO 8601).")] = None,
) -> None:
    """Stop a flow: no lead enters it, its runs send no more mail and record no more goals, and
    mail queued for it is cancelled. `flows activate` starts it again."""
    from leadpact.entrypoints.cli.commands.db import open_services
    from leadpact.service.flows import UnknownFlowError

    at = _now(now)
    services = open_services()
    try:
        try:
            done = services.flows.deactivate(flow_id, by, at)
        except UnknownFlowError as exc:
            fail(str(exc))
        stopped = _shown(at, services)
    finally:
        services.close()
    activation = done.activation
    if not done.changed:
        typer.echo(f"flow {flow_id} was not active")
        return
    typer.echo(
        f"flow {flow_id} (version {activation.version}) stopped at {stopped}; {done.cancelled} queued mail(s) cancelled"
    )


def list_command(
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="table (text) or json.")] = ListFormat.table,
    now: Annotated[str | None, typer.Option("--now", help="As of this moment (ISO 8601).")] = None,
) -> None:
    """The flows in the store: versions, the active one, and every (de)activation."""
    from leadpact.entrypoints.cli.commands.db import open_services

    at = _now(now)
    services = open_services()
    try:
        statuses = services.flows.status(at)
        reason = services.nurture.idle_reason(at)
        zone = services.agreements.active().agreement.zone
    finally:
        services.close()
    data: list[dict[str, Any]] = [
        {
            "flow_id": s.flow_id,
            "active_version": s.current.version if s.current is not None else None,
            "active_since": iso(s.current.activated_at, zone) if s.current is not None else None,
            "versions": [
                {
                    "version": v.version,
                    "name": v.name,
                    "uploaded_by": v.uploaded_by,
                    "uploaded_at": iso(v.uploaded_at, zone),
                }
                for v in s.versions
            ],
            "activations": [
                {
                    "version": a.version,
                    "activated_by": a.activated_by,
                    "activated_at": iso(a.activated_at, zone),
                    "deactivated_by": a.deactivated_by,
                    "deactivated_at": iso(a.deactivated_at, zone) if a.deactivated_at is not None else None,
                }
                for a in s.activations
            ],
        }
        for s in statuses
    ]
    if fmt is ListFormat.json:
        typer.echo(
            json.dumps({"flows": data, "sending": reason is None, "reason": reason}, ensure_ascii=False, indent=2)
        )
        return
    if not data:
        typer.echo("no flows in the store (leadpact flows activate FILE)")
    for flow in data:
        state = (
            f"active: version {flow['active_version']} since {flow['active_since']}"
            if flow["active_version"]
            else "not active"
        )
        versions = ", ".join(v["version"] for v in flow["versions"])
        typer.echo(f"{flow['flow_id']}  {state}  (versions: {versions})")
    typer.echo(f"scheduler: {'sending' if reason is None else 'not sending — ' + reason}")


def tick(
    now: Annotated[
        str | None, typer.Option("--now", help="Evaluate and send as of this moment (ISO 8601). Default: the clock.")
    ] = None,
) -> None:
    """Run one nurture tick on the store, as `leadpact serve` does every
    LEADPACT_NURTURE_INTERVAL_SECONDS: evaluate the leads with new events or due timers, queue
    due mail, record goals, send through LEADPACT_SMTP_HOST. Safe to run from cron beside
    `serve` (ticks exclude each other)."""
    from leadpact.entrypoints.cli.commands.db import open_services
    from leadpact.service.nurture.delivery import TransportConfigError

    at = _now(now)
    services = open_services()
    try:
        try:
            report = services.nurture.tick(at)
        except TransportConfigError as exc:
            fail(f"SMTP: {exc}", code=1)
        if report.ran:
            services.engine.run_pending()  # the lead states include what the tick recorded
        configured = services.nurture.config.problem is None
    finally:
        services.close()
    typer.echo(report.summary(), err=True)
    for key in report.run.recovered_unconfirmed:
        typer.echo(f"check delivery of {key}: a crash hid the server's reply (taken as sent, not resent)", err=True)
    if not configured:
        raise typer.Exit(1)
    if report.run.problems:
        fail("\n".join(report.run.problems), code=1)


def add_store_commands(group: typer.Typer) -> None:
    """Add the store's commands to the ``flows`` group."""
    group.command("activate")(activate)
    group.command("deactivate")(deactivate)
    group.command("list")(list_command)
    group.command("tick")(tick)


def _shown(at: int, services: Services) -> str:
    """A moment for people: the agreement's timezone, to the second (as the reports show it)."""
    return iso(at - at % US_PER_SECOND, services.agreements.active().agreement.zone)
