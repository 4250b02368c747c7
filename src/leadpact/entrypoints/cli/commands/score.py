"""``leadpact score AGREEMENT EVENTS --as-of T [--json]`` (SPEC §7): offline, no database."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from leadpact.adapters.agreement_yaml import load_agreement
from leadpact.adapters.jsonl import read_messages
from leadpact.domain.agreement import AgreementError
from leadpact.domain.timeutil import iso, parse_iso, to_us
from leadpact.entrypoints.cli.output import fail
from leadpact.service.scoring import ScoreRun, default_as_of, score_messages


def score(
    agreement: Annotated[Path, typer.Argument(help="The agreement YAML file.")],
    events: Annotated[str, typer.Argument(help="Events as JSONL (one message per line); - for stdin.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Evaluation time, ISO 8601 with offset. Default: the newest event's timestamp."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per lead (sorted by lead_id) instead of a table.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 2 on any bad event line, before printing any result.")
    ] = False,
) -> None:
    """Replay EVENTS under AGREEMENT and print every lead's score, stage, history and SLA clocks."""
    try:
        parsed_agreement = load_agreement(agreement)
    except AgreementError as exc:
        fail(str(exc))
    as_of_us: int | None = None
    if as_of is not None:
        try:
            as_of_us = to_us(parse_iso(as_of))
        except ValueError as exc:
            fail(f"--as-of: expected ISO 8601 with offset (e.g. 2026-03-31T23:59:59+09:00), found {as_of!r} ({exc})")
    if events != "-" and not Path(events).is_file():
        fail(f"{events}: no such events file")
    messages, bad = read_messages(events)
    for line in bad:
        typer.echo(f"{line.render()} (line skipped)", err=True)
    if bad and strict:
        fail(f"{len(bad)} bad line(s) in {events}; nothing scored (--strict)")
    if as_of_us is None:
        as_of_us = default_as_of(messages)
        if as_of_us is None:
            as_of_us = 0
    run = score_messages(messages, parsed_agreement, as_of_us)
    for unknown in run.result.unknown_lead_actions:
        refused = unknown.refused
        typer.echo(
            f"refused {refused.action} on {unknown.lead_id!r} ({refused.message_id}): {refused.reason}", err=True
        )
    if as_json:
        out = sys.stdout
        for obj in run.json_objects():
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        return
    _print_table(run)


def _print_table(run: ScoreRun) -> None:
    from rich.console import Console
    from rich.table import Table

    zone = run.agreement.zone
    table = Table(title=f"{run.agreement.name} v{run.agreement.version} — as of {iso(run.result.as_of, zone)}")
    for column in ("lead", "stage", "score", "fit", "engagement", "hot", "owner", "origin", "SLA", "refused"):
        table.add_column(column, justify="right" if column in ("score", "fit", "engagement") else "left")
    for obj in run.json_objects():
        clocks = ", ".join(f"{c['id']}:{c['status']}" for c in obj["sla"]) or "-"
        table.add_row(
            obj["lead_id"],
            obj["stage"],
            f"{obj['score']:g}",
            f"{obj['fit']:g}",
            f"{obj['engagement']:g}",
            "yes" if obj["hot"] else "",
            obj["owner"] or "-",
            obj["origin"],
            clocks,
            str(len(obj["errors"])) if obj["errors"] else "",
        )
    Console(width=160).print(table)


def register(app: typer.Typer) -> None:
    app.command("score")(score)
