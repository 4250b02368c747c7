"""``leadpact generate``: realistic synthetic B2B histories as JSONL or Parquet (docs/generator.md)."""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Final

import typer

from leadpact.adapters.agreement_yaml import default_agreement, load_agreement
from leadpact.adapters.synthetic import (
    GenerationStats,
    GeneratorConfig,
    format_for,
    generate_to_file,
    generate_to_stream,
)
from leadpact.domain.agreement import Agreement, AgreementError
from leadpact.entrypoints.cli.output import fail, progress
from leadpact.service.labels import STAGE_SHORT

DEFAULT_END: Final = date(2026, 3, 31)
"""The last day generated when neither --start nor --end is given: the end of Japanese fiscal
year 2025. Fixed, never "today", so the same arguments always give the same bytes."""


class OutputFormat(StrEnum):
    jsonl = "jsonl"
    parquet = "parquet"


class Language(StrEnum):
    ja = "ja"
    en = "en"


_FUNNEL: Final = ("mql", "sal", "sql", "opportunity", "customer", "lost", "disqualified")
_TEXT: Final = {
    "ja": {
        "wrote": (
            "{messages:,} 件のメッセージ({leads:,} リード、SGL {sgl:,} 件)を {out} に書き出しました"
            "({seconds:.1f} 秒、{rate:,.0f} 件/秒)"
        ),
        "period": "期間: {start} 〜 {end}(JST)",
        "reached": "到達したリード",
        "refused": "拒否されたアクション: {refused:,} / {actions:,}",
        "stdout": "標準出力",
    },
    "en": {
        "wrote": (
            "Wrote {messages:,} messages ({leads:,} leads, of which {sgl:,} sales-generated) to {out} "
            "in {seconds:.1f} s ({rate:,.0f} messages/s)"
        ),
        "period": "Period: {start} to {end} (JST)",
        "reached": "Leads reaching",
        "refused": "Refused actions: {refused:,} of {actions:,}",
        "stdout": "standard output",
    },
}


def _parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: expected a date YYYY-MM-DD, found {value!r}")


def _window(start: str | None, end: str | None, days: int) -> date:
    """The first day generated. ``--start`` or ``--end`` (not both) anchors ``--days`` days."""
    if start is not None and end is not None:
        fail("give --start or --end, not both: the window is --days days from --start or up to --end")
    if start is not None:
        return _parse_date(start, "--start")
    last = _parse_date(end, "--end") if end is not None else DEFAULT_END
    return last - timedelta(days=days - 1)


def _agreement(path: Path | None) -> Agreement:
    try:
        return default_agreement() if path is None else load_agreement(path)
    except AgreementError as exc:
        fail(str(exc))


def _summary(stats: GenerationStats, out: str, seconds: float, first: date, days: int, lang: str) -> str:
    text = _TEXT[lang]
    labels = STAGE_SHORT["ja" if lang == "ja" else "en"]
    rate = stats.messages / seconds if seconds > 0 else 0.0
    lines = [
        text["wrote"].format(
            messages=stats.messages, leads=stats.leads, sgl=stats.sgl, out=out, seconds=seconds, rate=rate
        ),
        text["period"].format(start=first, end=first + timedelta(days=days - 1)),
        text["reached"] + ": " + ", ".join(f"{labels[s]} {stats.reached[s]:,} ({stats.rate(s):.1%})" for s in _FUNNEL),
        text["refused"].format(refused=stats.refused, actions=stats.actions),
    ]
    return "\n".join(lines)


def generate(
    out: Annotated[
        str,
        typer.Option(
            "--out", metavar="FILE", help="Output file (.jsonl, or .parquet for large runs); - for stdout (JSONL)."
        ),
    ],
    leads: Annotated[
        int,
        typer.Option(
            "--leads", min=1, help="Number of leads (people who identify themselves or are registered by sales)."
        ),
    ] = 10_000,
    days: Annotated[int, typer.Option("--days", min=1, max=3660, help="Length of the generated period in days.")] = 365,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same arguments always give the same bytes.")
    ] = 1,
    start: Annotated[
        str | None,
        typer.Option("--start", metavar="DATE", help="First day (YYYY-MM-DD). Default: --days days up to --end."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--end", metavar="DATE", help=f"Last day (YYYY-MM-DD) when --start is not given. Default: {DEFAULT_END}."
        ),
    ] = None,
    agreement: Annotated[
        Path | None,
        typer.Option(
            "--agreement",
            metavar="FILE",
            help="Agreement whose MQL/SQL decisions sales react to. Default: the shipped default agreement.",
        ),
    ] = None,
    fmt: Annotated[
        OutputFormat | None, typer.Option("--format", help="jsonl or parquet. Default: from --out's extension.")
    ] = None,
    lang: Annotated[Language, typer.Option("--lang", help="Language of the summary.")] = Language.ja,
) -> None:
    """Generate realistic synthetic B2B marketing and sales histories (deterministic by seed).

    Companies and leads with Japanese names, anonymous visits that identify later, page views,
    downloads, webinars, trade shows, e-mails, forms and purchase actions with Japanese
    seasonality; inside and field sales accepting, rejecting, qualifying, winning and losing,
    reacting to the engine's own MQL/SQL decisions under the agreement.
    """
    first = _window(start, end, days)
    config = GeneratorConfig(leads=leads, start=first, days=days, seed=seed, agreement=_agreement(agreement))
    chosen = fmt.value if fmt is not None else format_for(out)
    if out == "-" and chosen != "jsonl":
        fail("--out -: only JSONL can be written to stdout")
    target = Path(out)
    if out != "-" and (target.is_dir() or not target.parent.is_dir()):
        fail(f"{out}: cannot write here (is a directory, or its folder does not exist)")
    began = time.perf_counter()
    with progress("generate", total=leads) as bar:
        task = bar.tasks[0].id

        def advance(done: int) -> None:
            bar.update(task, completed=done)

        try:
            if out == "-":
                stats = generate_to_stream(config, sys.stdout, advance)
            else:
                stats = generate_to_file(config, target, chosen, advance)
        except OSError as exc:
            fail(f"{out}: cannot write: {exc.strerror or exc}")
    seconds = time.perf_counter() - began
    shown = out if out != "-" else _TEXT[lang.value]["stdout"]
    typer.echo(_summary(stats, shown, seconds, first, days, lang.value), err=out == "-")


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)
