"""``leadpact agreement check|render``: validate the agreement file; render the signed document."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from leadpact.adapters.agreement_yaml import load_agreement, load_agreement_text
from leadpact.domain.agreement import Agreement, AgreementError
from leadpact.entrypoints.cli.output import fail

STDIN = "-"


class Language(StrEnum):
    ja = "ja"
    en = "en"


class DocumentFormat(StrEnum):
    md = "md"
    html = "html"


def load_agreement_or_exit(file: str) -> Agreement:
    """The agreement at ``file`` (``-``: stdin), or exit 2 printing every problem as
    ``FILE:LINE: path: message``. Other commands taking an agreement use this too."""
    try:
        if file == STDIN:
            return load_agreement_text(_read_stdin(), "<stdin>")
        path = Path(file)
        if not path.exists():
            fail(f"{file}: no such file")
        if path.is_dir():
            fail(f"{file}: is a directory, expected an agreement YAML file")
        return load_agreement(path)
    except AgreementError as exc:
        fail(str(exc))


def _read_stdin() -> str:
    try:
        return sys.stdin.read()
    except UnicodeDecodeError as exc:
        fail(f"<stdin>: cannot read the agreement: not UTF-8 text ({exc.reason} at byte {exc.start})")


def _summary(file: str, agreement: Agreement) -> str:
    calendar = agreement.business_calendar or "none (weekends only)"
    if agreement.company_holidays:
        calendar += f" + {_count(len(agreement.company_holidays), 'company holiday')}"
    stages = ["mql"] + [name for name in ("sql", "hot") if getattr(agreement.stages, name)]
    return "\n".join(
        (
            f"{file}: OK — {agreement.name!r} version {agreement.version}",
            f"  fit rules:         {len(agreement.fit)}",
            f"  engagement rules:  {len(agreement.engagement)}",
            f"  exclusions:        {len(agreement.exclusions)}",
            f"  stage criteria:    {', '.join(stages)}",
            f"  assignment rules:  {len(agreement.assignment)}",
            f"  SLAs:              {len(agreement.sla)}",
            f"  timezone:          {agreement.timezone}",
            f"  business calendar: {calendar}",
        )
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


FileArgument = Annotated[str, typer.Argument(metavar="FILE", help="The agreement YAML file ('-' for stdin).")]


def check(file: FileArgument) -> None:
    """Validate an agreement file.

    Prints a short summary and exits 0 when the file is valid. Otherwise prints every problem
    to stderr as FILE:LINE: path: message and exits 2.
    """
    agreement = load_agreement_or_exit(file)
    typer.echo(_summary(file, agreement))


def render(
    file: FileArgument,
    lang: Annotated[Language, typer.Option("--lang", help="Language of the document.")] = Language.ja,
    fmt: Annotated[
        DocumentFormat | None,
        typer.Option(
            "--format",
            help="md, or html (a self-contained, printable page). Default: from --out's extension, else md.",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", metavar="PATH", help="Write the document here instead of to stdout.")
    ] = None,
) -> None:
    """Render the MQL/SQL definition agreement (MQL/SQL定義合意書) both departments sign.

    The document is generated from the same file the engine runs, in Japanese or English.
    """
    from leadpact.service.agreement_render import render_agreement  # Jinja2: only when rendering

    agreement = load_agreement_or_exit(file)
    chosen = fmt or _format_from_suffix(out)
    document = render_agreement(agreement, lang.value, chosen.value)
    if out is None:
        typer.echo(document, nl=False)
        return
    try:
        out.write_text(document, encoding="utf-8")
    except OSError as exc:
        fail(f"{out}: cannot write the document: {exc.strerror or exc}")
    typer.echo(f"Wrote {out} ({lang.value}, {chosen.value})", err=True)


def _format_from_suffix(out: Path | None) -> DocumentFormat:
    if out is not None and out.suffix.lower() in (".html", ".htm"):
        return DocumentFormat.html
    return DocumentFormat.md


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="agreement",
        help="Validate the agreement file and render the signed MQL/SQL definition agreement.",
        no_args_is_help=True,
    )
    group.command("check")(check)
    group.command("render")(render)
    from leadpact.entrypoints.cli.commands.agreement_activate import add_activate

    add_activate(group)  # the store's command, kept in its own module
    app.add_typer(group, name="agreement")
