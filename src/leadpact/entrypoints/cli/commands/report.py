"""``leadpact report waterfall|sla|neglected|attribution|trend [EVENTS]``: the SPEC §6 reports.

Parse → get the leads → compute → render. The leads come from an event file
(:func:`leads_from_events`: scored by the batch engine, the reference replay below 16 MB of JSONL or
2 MB of Parquet and the embedded engine above, or as ``--engine`` says) or, without one, from the store
(:func:`leads_from_the_store`, see :mod:`leadpact.service.reports.store_source`).
"""

from __future__ import annotations

import json
import shutil
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.adapters.jsonl import read_messages
from leadpact.domain.agreement import Agreement
from leadpact.domain.messages import Message
from leadpact.domain.results import LeadResult
from leadpact.domain.timeutil import iso
from leadpact.entrypoints.cli.commands._moments import parse_as_of, parse_bound
from leadpact.entrypoints.cli.commands.agreement import load_agreement_or_exit
from leadpact.entrypoints.cli.output import echo_bad_rows, fail, progress
from leadpact.service.labels import Lang
from leadpact.service.reports import ReportKind, ReportScope, compute, report_json
from leadpact.service.reports.chart_words import chart_words
from leadpact.service.reports.render_csv import report_csv
from leadpact.service.reports.render_text import report_text

if TYPE_CHECKING:
    from leadpact.service.batch import BatchScore


class Language(StrEnum):
    ja = "ja"
    en = "en"


class TableFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class Segment(StrEnum):
    source = "source"
    industry = "industry"
    size = "size"
    campaign = "campaign"
    content = "content"
    month = "month"


class Target(StrEnum):
    mql = "mql"
    sal = "sal"
    sql = "sql"
    opportunity = "opportunity"
    customer = "customer"


# --- options shared by every report (and by ``backtest``) --------------------------------

EventsArg = Annotated[
    str, typer.Argument(help="Events as JSONL (one message per line) or Parquet; - for JSONL on stdin.")
]
StoreOrEventsArg = Annotated[
    str | None,
    typer.Argument(
        help="Events as JSONL (one message per line) or Parquet; - for JSONL on stdin. Omitted: the store"
        " (LEADPACT_DATABASE_URL)."
    ),
]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="For an events file: replay (reference), duckdb (embedded, large files), spark, or auto (the"
        " default): replay below 16 MB of JSONL or 2 MB of Parquet.",
    ),
]
AgreementOpt = Annotated[
    str | None, typer.Option("--agreement", "-a", help="Agreement YAML. Default: the shipped default agreement.")
]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Report as of this moment (ISO 8601 with offset). Default: the newest event's time."),
]
ReportAgreementOpt = Annotated[
    str | None,
    typer.Option(
        "--agreement",
        "-a",
        help="Agreement YAML. Default: the shipped default agreement (with the store: its active agreement).",
    ),
]
ReportAsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Report as of this moment (ISO 8601 with offset). Default: the newest event's time (the store: now).",
    ),
]
FromOpt = Annotated[
    str | None,
    typer.Option("--from", help="Period start, inclusive: a date (local midnight) or ISO 8601 with offset."),
]
ToOpt = Annotated[
    str | None, typer.Option("--to", help="Period end, exclusive: a date (local midnight) or ISO 8601 with offset.")
]
FormatOpt = Annotated[TableFormat, typer.Option("--format", "-f", help="table (text), csv or json.")]
ChartOpt = Annotated[Path | None, typer.Option("--chart", help="Also write the chart to this file (.png or .svg).")]
LangOpt = Annotated[Language, typer.Option("--lang", help="Language of tables and charts.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Exit 2 on any bad event line, before any output.")]


def leads_from_events(
    events: str, agreement: Agreement, as_of: str | None, *, strict: bool, engine: str | None = None
) -> tuple[list[LeadResult], int]:
    """The source of the reports' leads: an event file scored by the batch engine (SPEC §7:
    large histories run on the embedded engine). Returns the leads and the as-of moment used
    (the newest event's time when none was given)."""
    run = score_events(events, agreement, parse_as_of(as_of) if as_of is not None else None, strict, engine)
    return list(run.lead_results()), run.as_of


def score_events(
    events: str, agreement: Agreement, as_of_us: int | None, strict: bool, engine: str | None
) -> BatchScore:
    """``events`` (JSONL, Parquet or ``-``) scored under ``agreement`` with its leads' traits and
    touched content, bad lines reported; exits 2 when nothing valid was read (with none there
    is no moment to report as of, and an empty report would look like a quiet period rather
    than the wrong file), on ``--strict`` with a bad line, or when the file cannot be read."""
    run = score_events_quietly(events, agreement, as_of_us, engine)
    bad = run.bad_rows
    echo_bad_rows(bad, strict=strict, source=_events_name(events), outcome="no report produced")
    unit = bad[0].unit if bad else "line"
    if run.stats.rows <= len(bad):
        skipped = f"1 {unit}" if len(bad) == 1 else f"{len(bad)} {unit}s"
        fail(f"{_events_name(events)}: no valid events ({skipped} skipped); nothing to report")
    return run


def score_events_quietly(events: str, agreement: Agreement, as_of_us: int | None, engine: str | None) -> BatchScore:
    """``events`` scored with the details the reports read; bad lines are left to the caller."""
    from leadpact.service.batch import BatchError, score_file

    with progress("Scoring events", total=None) as bar:
        task = bar.task_ids[0]
        try:
            return score_file(
                agreement,
                events,
                as_of_us,
                engine=engine or "auto",
                detail=True,
                progress=lambda step: bar.update(task, description=step),
            )
        except BatchError as exc:
            fail(str(exc))


def leads_from_the_store(
    agreement_path: str | None, as_of: str | None, *, touches: bool
) -> tuple[list[LeadResult], Agreement, int]:
    """The store's leads (stored states when current, else the stored log replayed), the
    agreement they were evaluated under, and the as-of moment (default: now)."""
    from leadpact.entrypoints.cli.commands.db import open_services
    from leadpact.service.clock import SystemClock
    from leadpact.service.reports.store_source import leads_from_store

    chosen = load_agreement_or_exit(agreement_path) if agreement_path is not None else None
    as_of_us = parse_as_of(as_of) if as_of is not None else None
    services = open_services()
    try:
        with progress("Reading the store", total=None):
            found = leads_from_store(
                services, SystemClock().now_us(), agreement=chosen, as_of=as_of_us, touches=touches
            )
    finally:
        services.close()
    if found.source == "replayed":
        typer.echo(f"(replayed the stored events as of {iso(found.as_of, found.agreement.zone)})", err=True)
    return found.leads, found.agreement, found.as_of


def read_events(events: str, *, strict: bool) -> list[Message]:
    """The valid messages of ``events``; none is only a warning (see :func:`read_events_to_report`)."""
    messages, _ = _read_valid_messages(events, strict=strict)
    if not messages:
        typer.echo(f"warning: {events} has no valid events; the report is empty", err=True)
    return messages


def read_events_to_report(events: str, *, strict: bool) -> list[Message]:
    """The valid messages of ``events``, at least one: with none there is no moment to report
    as of, and an empty report would look like a quiet period rather than the wrong file."""
    messages, skipped = _read_valid_messages(events, strict=strict)
    if not messages:
        lines = "1 line" if skipped == 1 else f"{skipped} lines"
        fail(f"{_events_name(events)}: no valid events ({lines} skipped); nothing to report")
    return messages


def _read_valid_messages(events: str, *, strict: bool) -> tuple[list[Message], int]:
    """The valid messages and how many bad lines were skipped (each reported on stderr)."""
    if events != "-" and Path(events).is_dir():
        fail(f"{events}: is a directory, expected an events file (JSONL)")
    if events != "-" and not Path(events).is_file():
        fail(f"{events}: no such events file")
    with progress("Reading events", total=None):
        try:
            messages, bad = read_messages(events)
        except OSError as exc:
            fail(f"{events}: cannot read the file ({exc.strerror or exc})")
    for line in bad:
        typer.echo(line.render() if strict else f"{line.render()} (line skipped)", err=True)
    if bad and strict:
        fail(f"{len(bad)} bad line(s) in {events}; no report produced (--strict)")
    return messages, len(bad)


def _events_name(events: str) -> str:
    return "<stdin>" if events == "-" else events


def agreement_or_default(path: str | None) -> Agreement:
    return default_agreement() if path is None else load_agreement_or_exit(path)


def period_bounds(start: str | None, end: str | None, zone: ZoneInfo) -> tuple[int | None, int | None]:
    start_us, end_us = parse_bound(start, "--from", zone), parse_bound(end, "--to", zone)
    if start_us is not None and end_us is not None and start_us >= end_us:
        fail(f"--from {start} is not before --to {end}; the period would be empty")
    return start_us, end_us


def emit(text_or_data: str | dict[str, Any]) -> None:
    if isinstance(text_or_data, dict):
        typer.echo(json.dumps(text_or_data, ensure_ascii=False, indent=2))
    else:
        typer.echo(text_or_data, nl=not text_or_data.endswith("\n"))


def terminal_width() -> int:
    return shutil.get_terminal_size((160, 24)).columns if sys.stdout.isatty() else 160


def write_chart(data: dict[str, Any], path: Path, lang: Lang) -> None:
    """Write the chart; Japanese falls back to English labels (with a warning) when the
    machine has no Japanese font, rather than drawing empty boxes."""
    # Altair is imported only when a chart is asked for: it would add ~0.2 s to every command.
    from leadpact.adapters.charts import ChartError, build_chart, japanese_font, save_chart

    font = None
    if lang == "ja":
        font = japanese_font()
        if font is None:
            typer.echo(
                "warning: no Japanese font found (install one, e.g. apt-get install fonts-noto-cjk); "
                "the chart is labelled in English",
                err=True,
            )
            lang = "en"
    try:
        save_chart(build_chart(data, chart_words(lang), font), path)
    except ChartError as exc:
        fail(str(exc))
    typer.echo(f"Wrote {path}", err=True)


# --- the commands ------------------------------------------------------------------------


def check_chart(chart: Path | None) -> None:
    """Refuse a --chart target that cannot be written before any work, not after the report."""
    if chart is None:
        return
    if chart.suffix.lower() not in (".png", ".svg"):
        fail(f"--chart {chart}: expected a .png or .svg file name")
    if chart.is_dir():
        fail(f"--chart {chart}: is a directory, expected a .png or .svg file name")
    parent = chart.parent if str(chart.parent) else Path()
    if not parent.is_dir():
        fail(f"--chart {chart}: no such directory {parent}")


def _run(
    kind: ReportKind,
    events: str | None,
    agreement_path: str | None,
    as_of: str | None,
    start: str | None,
    end: str | None,
    fmt: TableFormat,
    chart: Path | None,
    lang: Language,
    strict: bool,
    *,
    engine: str | None = None,
    by: Segment | None = None,
    target: Target = Target.customer,
) -> None:
    check_chart(chart)
    if events is None and engine is not None:
        fail("--engine: only with an events file (the store's leads are evaluated already)")
    if events is None:
        touches = kind == "attribution" or (by is not None and by.value == "content")
        leads, agreement, as_of_us = leads_from_the_store(agreement_path, as_of, touches=touches)
        start_us, end_us = period_bounds(start, end, agreement.zone)
    else:
        agreement = agreement_or_default(agreement_path)
        start_us, end_us = period_bounds(start, end, agreement.zone)
        leads, as_of_us = leads_from_events(events, agreement, as_of, strict=strict, engine=engine)
    scope = ReportScope.for_agreement(agreement, as_of_us, start_us, end_us)
    report = compute(kind, leads, scope, by=by.value if by else None, target=target.value)
    data = report_json(report)
    if fmt is TableFormat.json:
        emit(data)
    elif fmt is TableFormat.csv:
        emit(report_csv(report))
    else:
        emit(report_text(report, lang.value, terminal_width()))
    if chart is not None:
        write_chart(data, chart, lang.value)


def waterfall(
    events: StoreOrEventsArg = None,
    agreement: ReportAgreementOpt = None,
    as_of: ReportAsOfOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    by: Annotated[Segment | None, typer.Option("--by", help="Also split the waterfall by this segment.")] = None,
    fmt: FormatOpt = TableFormat.table,
    chart: ChartOpt = None,
    lang: LangOpt = Language.ja,
    strict: StrictOpt = False,
    engine: EngineOpt = None,
) -> None:
    """Counts per stage, conversion and lead times for the leads that entered the funnel in the
    period; origin split, the responsibility view and, with --by, one waterfall per segment."""
    _run("waterfall", events, agreement, as_of, start, end, fmt, chart, lang, strict, engine=engine, by=by)


def sla(
    events: StoreOrEventsArg = None,
    agreement: ReportAgreementOpt = None,
    as_of: ReportAsOfOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    fmt: FormatOpt = TableFormat.table,
    chart: ChartOpt = None,
    lang: LangOpt = Language.ja,
    strict: StrictOpt = False,
    engine: EngineOpt = None,
) -> None:
    """SLA compliance per SLA and per person for clocks started in the period, and the
    neglected leads (breached and still open)."""
    _run("sla", events, agreement, as_of, start, end, fmt, chart, lang, strict, engine=engine)


def neglected(
    events: StoreOrEventsArg = None,
    agreement: ReportAgreementOpt = None,
    as_of: ReportAsOfOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    fmt: FormatOpt = TableFormat.table,
    lang: LangOpt = Language.ja,
    strict: StrictOpt = False,
    engine: EngineOpt = None,
) -> None:
    """Only the neglected leads: SLA clocks past their deadline and still open, latest first."""
    _run("neglected", events, agreement, as_of, start, end, fmt, None, lang, strict, engine=engine)


def attribution(
    events: StoreOrEventsArg = None,
    agreement: ReportAgreementOpt = None,
    as_of: ReportAsOfOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    target: Annotated[Target, typer.Option("--target", help="The stage that counts as converted.")] = Target.customer,
    fmt: FormatOpt = TableFormat.table,
    chart: ChartOpt = None,
    lang: LangOpt = Language.ja,
    strict: StrictOpt = False,
    engine: EngineOpt = None,
) -> None:
    """Which content and sources the converted leads had touched, against the leads of the same
    cohort that did not convert (share of each group and lift)."""
    _run("attribution", events, agreement, as_of, start, end, fmt, chart, lang, strict, engine=engine, target=target)


def trend(
    events: StoreOrEventsArg = None,
    agreement: ReportAgreementOpt = None,
    as_of: ReportAsOfOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    fmt: FormatOpt = TableFormat.table,
    chart: ChartOpt = None,
    lang: LangOpt = Language.ja,
    strict: StrictOpt = False,
    engine: EngineOpt = None,
) -> None:
    """MQL hand-overs per month, their MQL→SQL conversion and median lead time."""
    _run("trend", events, agreement, as_of, start, end, fmt, chart, lang, strict, engine=engine)


def register(app: typer.Typer) -> None:
    reports = typer.Typer(
        name="report",
        help="Reports of SPEC §6 from an event file or the store: waterfall, sla, neglected, attribution, trend.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    for command in (waterfall, sla, neglected, attribution, trend):
        reports.command(command.__name__)(command)
    app.add_typer(reports)
