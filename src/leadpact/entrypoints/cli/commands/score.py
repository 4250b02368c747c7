"""``leadpact score AGREEMENT EVENTS --as-of T [--json] [--out RESULTS] [--engine E]`` (SPEC §7)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from leadpact.adapters.agreement_yaml import load_agreement
from leadpact.domain.agreement import AgreementError
from leadpact.domain.timeutil import iso
from leadpact.entrypoints.cli.commands._moments import parse_as_of
from leadpact.entrypoints.cli.output import echo_bad_rows, fail, progress
from leadpact.service.batch import ENGINES, BatchError, BatchScore, score_file


def score(
    agreement: Annotated[Path, typer.Argument(help="The agreement YAML file.")],
    events: Annotated[str, typer.Argument(help="Events as JSONL or Parquet; - for JSONL on stdin.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Evaluation time, ISO 8601 with offset. Default: the newest event's timestamp."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print one JSON object per lead (sorted by lead_id) instead of a table (also with --out)."
        ),
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 2 on any bad event line, before printing any result.")
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="replay (reference), duckdb (embedded, large files), spark (cluster), or auto: replay below"
            " 16 MB of JSONL or 2 MB of Parquet.",
        ),
    ] = "auto",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="RESULTS",
            help="Write RESULTS.jsonl (the --json objects) or RESULTS.parquet (typed) instead of a table.",
        ),
    ] = None,
    spark_master: Annotated[
        str | None,
        typer.Option(
            "--spark-master", metavar="URL", help="Spark master; only with --engine spark. Default: local[*]."
        ),
    ] = None,
) -> None:
    """Score EVENTS under AGREEMENT: every lead's score, stage, history and SLA clocks."""
    if engine not in ENGINES:
        fail(f"--engine: expected one of {', '.join(ENGINES)}, found {engine!r}")
    if spark_master is not None and engine != "spark":
        fail(f"--spark-master: only with --engine spark, found --engine {engine}")
    if out is not None:
        _check_out(out)
    try:
        parsed_agreement = load_agreement(agreement)
    except AgreementError as exc:
        fail(str(exc))
    as_of_us: int | None = None
    if as_of is not None:
        as_of_us = parse_as_of(as_of)
    with progress("scoring", None) as bar:
        task = bar.task_ids[0]
        try:
            run = score_file(
                parsed_agreement,
                events,
                as_of_us,
                engine=engine,
                spark_master=spark_master,
                progress=lambda step: bar.update(task, description=step),
            )
        except BatchError as exc:
            fail(str(exc))
    echo_bad_rows(run.bad_rows, strict=strict, source=events, outcome="nothing scored")
    for lead_id, refused in run.unknown_lead_actions:
        typer.echo(f"refused {refused.action} on {lead_id!r} ({refused.message_id}): {refused.reason}", err=True)
    if out is not None:
        try:
            run.write(out)
        except OSError as exc:
            fail(f"--out {out}: cannot write: {exc.strerror or exc}")
        typer.echo(f"{run.results.num_rows} leads → {out} ({run.engine})", err=True)
        if not as_json:
            return
    if as_json:
        write = sys.stdout.write
        for obj in run.json_objects():
            write(json.dumps(obj, ensure_ascii=False) + "\n")
        return
    _print_table(run, as_of_given=as_of_us is not None)


def _check_out(out: Path) -> None:
    """Refuse a target the results could not be written to before scoring, not after."""
    from leadpact.adapters.batch.writer import OutputError, check_target

    try:
        check_target(out)
    except OutputError as exc:
        fail(f"--out {exc.path}: {exc.problem}")


def _print_table(run: BatchScore, *, as_of_given: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    zone = run.agreement.zone
    # Without --as-of and without a valid event there is no evaluation time to show.
    moment = f"as of {iso(run.as_of, zone)}" if as_of_given or run.stats.rows > len(run.bad_rows) else "no valid events"
    table = Table(title=f"{run.agreement.name} v{run.agreement.version} — {moment}")
    for column in ("lead", "stage", "score", "fit", "engagement", "hot", "owner", "origin", "SLA", "refused"):
        table.add_column(column, justify="right" if column in ("score", "fit", "engagement") else "left")
    obj: dict[str, Any]
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
