"""Shared helpers for command output: errors to stderr with an exit code, progress bars."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NoReturn, Protocol

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

EXIT_USAGE = 2


class BadRowLike(Protocol):
    """A rejected input line or row (``adapters.batch.reader.BadRow``)."""

    @property
    def unit(self) -> str: ...

    def render(self) -> str: ...


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``message`` to stderr and exit with ``code`` (2: invalid input, as in SPEC §7)."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Progress]:
    """A progress bar on a terminal (stderr); silent when stderr is not a terminal."""
    bar = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
    )
    with bar:
        bar.add_task(description, total=total)
        yield bar


def echo_bad_rows(bad: Sequence[BadRowLike], *, strict: bool, source: str, outcome: str) -> None:
    """Each bad line or row on stderr ("(line skipped)" unless ``--strict``), then, with
    ``--strict`` and any, exit 2 saying ``outcome`` ("nothing scored")."""
    for row in bad:
        typer.echo(row.render() if strict else f"{row.render()} ({row.unit} skipped)", err=True)
    if bad and strict:
        fail(f"{len(bad)} bad {bad[0].unit}(s) in {source}; {outcome} (--strict)")
