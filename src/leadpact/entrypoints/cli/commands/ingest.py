"""``leadpact ingest FILE``: JSONL events into the store — streaming, batched, resumable."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from leadpact.entrypoints.cli.commands.db import open_services
from leadpact.entrypoints.cli.output import fail, progress
from leadpact.service.clock import SystemClock
from leadpact.service.container import Services
from leadpact.service.file_ingest import FileIngest, validate_file


def ingest(
    file: str = typer.Argument(..., help="Events as JSONL (one Segment-shaped message per line); - for stdin."),
    batch: int = typer.Option(1000, min=1, max=100_000, help="Messages per transaction."),
    strict: bool = typer.Option(False, "--strict", help="Exit 2 on any bad line, before storing anything."),
    restart: bool = typer.Option(False, "--restart", help="Ignore the saved position and read from the start."),
) -> None:
    """Append FILE's events to the store (repeats ignored by messageId) and re-evaluate the
    leads they touch. An interrupted run resumes where it stopped."""
    path = None if file == "-" else Path(file)
    if path is not None and not path.is_file():
        fail(f"{file}: no such events file")
    if strict:
        if path is None:
            fail("--strict needs a file (stdin cannot be read twice)")
        with path.open("rb") as stream:
            bad = validate_file(stream)
        for line in bad:
            typer.echo(f"{file}:{line.line}: {line.reason}", err=True)
        if bad:
            fail(f"{len(bad)} bad line(s) in {file}; nothing stored (--strict)")
    services = open_services()
    try:
        _ingest(services, file, path, batch, restart)
        _evaluate(services)
    finally:
        services.close()


def _ingest(services: Services, file: str, path: Path | None, batch: int, restart: bool) -> None:
    runner = FileIngest(services.store, batch)
    now = SystemClock().now_us()
    if path is None:
        report = runner.run(sys.stdin.buffer, now, source=None)
    else:
        with path.open("rb") as stream, progress("ingesting", path.stat().st_size) as bar:
            task = bar.task_ids[0]
            report = runner.run(
                stream,
                now,
                source=str(path.resolve()),
                resume=not restart,
                on_batch=lambda offset: bar.update(task, completed=offset),
            )
    for line in report.bad:
        typer.echo(f"{file}:{line.line}: {line.reason} (line skipped)", err=True)
    resumed = f", resumed after line {report.resumed_from_line}" if report.resumed_from_line else ""
    typer.echo(
        f"{file}: {report.stored} event(s) stored, {report.duplicates} repeat(s) ignored, "
        f"{len(report.bad)} bad line(s){resumed}"
    )


def _evaluate(services: Services) -> None:
    pending = services.engine.pending()
    with progress("evaluating leads", pending) as bar:
        task = bar.task_ids[0]
        done = 0
        while True:
            evaluated = services.engine.run_pending(max_chunks=1)
            if evaluated == 0:
                break
            done += evaluated
            bar.update(task, completed=done)
    typer.echo(f"{done} lead(s) re-evaluated")


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
