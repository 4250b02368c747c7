"""``leadpact ingest FILE``: JSONL events into the store — streaming, batched, resumable."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from leadpact.entrypoints.cli.commands.db import open_services
from leadpact.entrypoints.cli.output import fail, progress
from leadpact.service.clock import SystemClock
from leadpact.service.container import Services
from leadpact.service.file_ingest import FileIngest, FileIngestReport, validate_file


def ingest(
    file: str = typer.Argument(
        ..., help="Events as JSONL (one Segment-shaped message per line); - for stdin (read once, no saved position)."
    ),
    batch: int = typer.Option(1000, min=1, max=100_000, help="Messages per transaction."),
    strict: bool = typer.Option(False, "--strict", help="Exit 2 on any bad line, before storing anything."),
    restart: bool = typer.Option(False, "--restart", help="Ignore the saved position and read from the start."),
) -> None:
    """Append FILE's events to the store (repeats ignored by messageId) and re-evaluate the
    leads they touch. An interrupted run resumes where it stopped, as long as FILE only grew
    since; a last line without its newline is left for the next run."""
    path = None if file == "-" else _events_file(file)
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


def _events_file(file: str) -> Path:
    """FILE as a path to read, or exit 2 saying why it cannot be one."""
    path = Path(file)
    if path.is_dir():
        fail(f"{file}: is a directory, not an events file")
    if not path.exists():
        fail(f"{file}: no such events file")
    if not path.is_file():  # a FIFO or device has no position to resume from
        fail(f"{file}: not a regular file (pipe it to `leadpact ingest -` instead)")
    return path


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
    _print_report(file, report)


def _print_report(file: str, report: FileIngestReport) -> None:
    for line in report.bad:
        typer.echo(f"{file}:{line.line}: {line.reason} (line skipped)", err=True)
    if report.incomplete_line is not None:
        unfinished = f"{file}:{report.incomplete_line}: incomplete last line (no newline yet), left for the next run"
        typer.echo(unfinished, err=True)
    resumed = f", resumed after line {report.resumed_from_line}" if report.resumed_from_line else ""
    restarted = (
        ", read from the start as the file changed since the saved position (events already stored count as repeats)"
        if report.restarted
        else ""
    )
    typer.echo(
        f"{file}: {report.stored} event(s) stored, {report.duplicates} repeat(s) ignored, "
        f"{len(report.bad)} bad line(s){resumed}{restarted}"
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
