"""``leadpact import-csv FILE --mapping MAPPING``: a CRM or spreadsheet export → events, as a
JSONL file (``--out``) or into the store."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from leadpact.adapters.csv_import import (
    CsvImportError,
    CsvMapping,
    ImportResult,
    MappingError,
    import_csv_file,
    load_mapping,
    shipped_mappings,
)
from leadpact.entrypoints.cli.commands._moments import parse_bound
from leadpact.entrypoints.cli.output import fail, progress

if TYPE_CHECKING:  # the store is only opened when importing into it
    from leadpact.service.container import Services

_SHOWN_COLUMNS = 12


def parse_export_date(text: str, zone: ZoneInfo) -> int:
    """``--as-of``: a date means midnight in the mapping's time zone; a datetime needs an offset."""
    moment = parse_bound(text, "--as-of", zone)
    if moment is None:
        fail("--as-of: expected a date (2026-01-31) or ISO 8601 with offset, found nothing")
    return moment


def import_csv(
    file: Annotated[str, typer.Argument(help="The CSV export (first row: column names).")],
    mapping: Annotated[
        str,
        typer.Option(
            "--mapping",
            "-m",
            help=f"A shipped mapping ({', '.join(shipped_mappings())}) or a mapping YAML file (docs/csv-mapping.md).",
        ),
    ],
    out: Annotated[
        str | None,
        typer.Option("--out", "-o", help="Write the events to this JSONL file (- for stdout) instead of the store."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="When the export was taken (a date, or ISO 8601 with offset): the time of leads without a "
            "creation date. Required when the mapping has no created_at column.",
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="The file's encoding, e.g. cp932 for Japanese Excel. Default: the mapping's."),
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Messages per transaction when storing.")] = 1000,
) -> None:
    """Convert every row of FILE into SPEC §3 messages as MAPPING says: traits, synthetic events
    for activity columns, and the outcome as a trait. Nothing is written unless every row is
    valid; problems are listed with their line and column."""
    try:
        spec = load_mapping(mapping)
    except MappingError as exc:
        fail(str(exc))
    if not Path(file).is_file():
        fail(f"{file}: no such CSV file")
    as_of_us = parse_export_date(as_of, spec.zone) if as_of is not None else None
    try:
        with progress(f"Reading {Path(file).name}", total=None):
            result = import_csv_file(file, spec, as_of=as_of_us, encoding=encoding)
    except CsvImportError as exc:
        fail(f"{exc}\nNothing was imported.")
    _warn_about_columns(file, spec, result)
    lines = "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in result.messages)
    stored = None
    if out is None:
        stored = _store(file, lines, batch)
    elif out == "-":
        typer.echo(lines, nl=False)
    else:
        try:
            Path(out).write_text(lines, encoding="utf-8")
        except OSError as exc:
            fail(f"{out}: cannot write: {exc.strerror or exc}")
    typer.echo(_summary(file, result, out, stored), err=True)


def _warn_about_columns(file: str, spec: CsvMapping, result: ImportResult) -> None:
    if result.unmapped_columns:
        shown = ", ".join(repr(c) for c in result.unmapped_columns[:_SHOWN_COLUMNS])
        more = (
            f" and {len(result.unmapped_columns) - _SHOWN_COLUMNS} more"
            if len(result.unmapped_columns) > _SHOWN_COLUMNS
            else ""
        )
        typer.echo(
            f"warning: {file}: columns not in the mapping {spec.name!r} were not imported: {shown}{more} "
            "(list them under ignore: to silence this)",
            err=True,
        )
    if result.absent_optional_columns:
        typer.echo(
            f"note: optional columns absent from {file}: {', '.join(repr(c) for c in result.absent_optional_columns)}",
            err=True,
        )


def _summary(file: str, result: ImportResult, out: str | None, stored: tuple[int, int] | None) -> str:
    outcomes = ", ".join(f"{name} {count}" for name, count in sorted(result.outcomes.items())) or "none"
    converted = f"{file}: {result.leads} lead(s), {result.events} event(s); outcomes: {outcomes}"
    if stored is not None:
        return f"{converted}; {stored[0]} message(s) stored, {stored[1]} already there (ignored)"
    return f"{converted}; written {'to stdout' if out == '-' else f'to {out}'}"


def _store(file: str, lines: str, batch: int) -> tuple[int, int]:
    """Append the messages to the store like ``leadpact ingest`` and re-evaluate the leads;
    (messages stored, repeats ignored). Re-importing the same export stores nothing twice."""
    from leadpact.entrypoints.cli.commands.db import open_services
    from leadpact.service.clock import SystemClock
    from leadpact.service.file_ingest import FileIngest

    services = open_services()
    try:
        payload = lines.encode("utf-8")
        with progress("Storing events", len(payload)) as bar:
            task = bar.task_ids[0]
            report = FileIngest(services.store, batch).run(
                io.BytesIO(payload),
                SystemClock().now_us(),
                source=None,  # converted in memory: no file position to resume from
                on_batch=lambda offset: bar.update(task, completed=offset),
            )
        for line in report.bad:
            typer.echo(f"{file}: message {line.line}: {line.reason} (skipped)", err=True)
        _evaluate(services)
    finally:
        services.close()
    return report.stored, report.duplicates


def _evaluate(services: Services) -> None:
    pending = services.engine.pending()
    with progress("Evaluating leads", pending) as bar:
        task = bar.task_ids[0]
        done = 0
        while evaluated := services.engine.run_pending(max_chunks=1):
            done += evaluated
            bar.update(task, completed=done)


def register(app: typer.Typer) -> None:
    app.command("import-csv")(import_csv)
