"""``leadpact backtest CURRENT.yaml PROPOSED.yaml EVENTS``: what the history would have looked
like under the proposed agreement, side by side with the current one (SPEC §6)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from leadpact.entrypoints.cli.commands.agreement import load_agreement_or_exit
from leadpact.entrypoints.cli.commands.report import (
    AsOfOpt,
    ChartOpt,
    EventsArg,
    FromOpt,
    LangOpt,
    Language,
    StrictOpt,
    ToOpt,
    as_of_or_newest_event,
    emit,
    period_bounds,
    read_events_to_report,
    terminal_width,
    write_chart,
)
from leadpact.entrypoints.cli.output import fail, progress
from leadpact.service.backtest import backtest as run_backtest
from leadpact.service.reports.render_backtest import backtest_json, backtest_markdown, backtest_text
from leadpact.service.reports.render_backtest_csv import backtest_csv


class BacktestFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    md = "md"


def backtest(
    current: Annotated[str, typer.Argument(help="The agreement in force (YAML).")],
    proposed: Annotated[str, typer.Argument(help="The proposed agreement (YAML).")],
    events: EventsArg,
    as_of: AsOfOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    fmt: Annotated[
        BacktestFormat, typer.Option("--format", "-f", help="table (text), csv, json, or md (Markdown for a proposal).")
    ] = BacktestFormat.table,
    chart: ChartOpt = None,
    lang: LangOpt = Language.ja,
    strict: StrictOpt = False,
) -> None:
    """Replay EVENTS under CURRENT and PROPOSED and compare: MQL per week, MQL→SQL and
    MQL→customer rates (with the outcomes that actually happened), SLA load per owner per
    week, the leads handed over earlier, later, newly or not at all, and the recorded actions
    the proposal would refuse."""
    current_agreement = load_agreement_or_exit(current)
    proposed_agreement = load_agreement_or_exit(proposed)
    start_us, end_us = period_bounds(start, end, current_agreement.zone)
    if chart is not None and chart.suffix.lower() not in (".png", ".svg"):
        fail(f"--chart {chart}: expected a .png or .svg file name")
    messages = read_events_to_report(events, strict=strict)
    as_of_us = as_of_or_newest_event(as_of, messages)
    with progress("Replaying under both agreements", total=None):
        report = run_backtest(messages, current_agreement, proposed_agreement, as_of_us, start_us, end_us)
    data = backtest_json(report)
    if fmt is BacktestFormat.json:
        emit(data)
    elif fmt is BacktestFormat.csv:
        emit(backtest_csv(report))
    elif fmt is BacktestFormat.md:
        emit(backtest_markdown(report, lang.value))
    else:
        emit(backtest_text(report, lang.value, terminal_width()))
    if chart is not None:
        write_chart(data, Path(chart), lang.value)


def register(app: typer.Typer) -> None:
    app.command("backtest")(backtest)
