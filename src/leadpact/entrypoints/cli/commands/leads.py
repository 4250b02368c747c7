"""``leadpact leads list|show``: read leads from the store (no server needed)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from leadpact.adapters.store.lead_queries import LeadFilter
from leadpact.domain.agreement import STAGES
from leadpact.domain.timeutil import parse_iso, to_us
from leadpact.entrypoints.cli.commands.db import open_services
from leadpact.entrypoints.cli.output import fail
from leadpact.service.clock import SystemClock
from leadpact.service.leads import UnknownLeadError

_STAGE_HELP = f"Only these stages ({', '.join(STAGES)}); repeatable."


def _as_of(value: str | None) -> int:
    if value is None:
        return SystemClock().now_us()
    try:
        return to_us(parse_iso(value))
    except ValueError as exc:
        fail(f"--as-of: expected ISO 8601 with offset, found {value!r} ({exc})")


def list_leads(
    stage: Annotated[list[str] | None, typer.Option("--stage", help=_STAGE_HELP)] = None,
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    hot: Annotated[bool | None, typer.Option("--hot/--not-hot")] = None,
    overdue: Annotated[
        bool | None, typer.Option("--overdue/--not-overdue", help="An SLA clock is past its deadline.")
    ] = None,
    trait: Annotated[
        list[str] | None, typer.Option("--trait", help="name:value (own trait, else the company's).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    after: Annotated[str | None, typer.Option("--after", help="Continue after this lead id.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per lead.")] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Judge SLA lateness as of this time (default: now).")
    ] = None,
) -> None:
    """Leads in lead-id order, filtered."""
    stage = stage or []
    for value in stage:
        if value not in STAGES:
            fail(f"--stage: expected one of {', '.join(STAGES)}, found {value!r}")
    traits = []
    for pair in trait or []:
        name, sep, value = pair.partition(":")
        if not sep or not name:
            fail(f"--trait: expected name:value, found {pair!r}")
        traits.append((name, value))
    services = open_services()
    try:
        page = services.leads.list(
            LeadFilter(stages=stage, owner=owner, hot=hot, overdue=overdue, traits=traits, after=after, limit=limit),
            _as_of(as_of),
        )
    finally:
        services.close()
    if as_json:
        for lead in page.items:
            typer.echo(json.dumps(lead, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for column in ("lead", "stage", "score", "hot", "owner", "next SLA deadline", "overdue"):
        table.add_column(column, justify="right" if column == "score" else "left")
    for item in page.items:
        table.add_row(
            item["lead_id"],
            item["stage"],
            f"{item['score']:g}",
            "yes" if item["hot"] else "",
            item["owner"] or "-",
            item["next_sla_deadline"] or "-",
            "OVERDUE" if item["overdue"] else "",
        )
    Console(width=160).print(table)
    if page.next_cursor:
        typer.echo(f"more: --after {page.items[-1]['lead_id']}", err=True)


def show(
    lead: str = typer.Argument(..., help="The lead's id (userId)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Evaluate as of this time (default: now)."),
    lang: str = typer.Option("en", "--lang", help="en or ja (criteria wording)."),
) -> None:
    """One lead as JSON: score breakdown, stage history, SLA clocks, owner, hand-off packet."""
    if lang not in ("en", "ja"):
        fail(f"--lang: expected en or ja, found {lang!r}")
    services = open_services()
    try:
        view = services.leads.get(lead, _as_of(as_of), "ja" if lang == "ja" else "en")
    except UnknownLeadError as exc:
        fail(str(exc), 1)
    finally:
        services.close()
    typer.echo(json.dumps(view, ensure_ascii=False, indent=2))


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Read leads from the store.", no_args_is_help=True)
    group.command("list")(list_leads)
    group.command("show")(show)
    app.add_typer(group, name="leads")
