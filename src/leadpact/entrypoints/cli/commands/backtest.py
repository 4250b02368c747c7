"""``leadpact backtest CURRENT.yaml PROPOSED.yaml EVENTS``: what the history would have looked
like under the proposed agreement, side by side with the current one (SPEC §6)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from leadpact.domain.results import LeadResult
from leadpact.entrypoints.cli.commands._moments import parse_as_of
from leadpact.entrypoints.cli.commands.agreement import load_agreement_or_exit
from leadpact.entrypoints.cli.commands.report import (
    AsOfOpt,
    ChartOpt,
    EngineOpt,
    EventsArg,
    FromOpt,
    LangOpt,
    Language,
    StrictOpt,
    ToOpt,
    check_chart,
    emit,
    period_bounds,
    score_events,
    score_events_quietly,
    terminal_width,
    write_chart,
)
from leadpact.service.backtest import Window, compare
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
    engine: EngineOpt = None,
) -> None:
    """Score EVENTS under CURRENT and PROPOSED and compare: MQL per week, MQL→SQL and
    MQL→customer rates (with the outcomes that actually happened), SLA load per owner per
    week, the leads handed over earlier, later, newly or not at all, and the recorded actions
    the proposal would refuse."""
    current_agreement = load_agreement_or_exit(current)
    proposed_agreement = load_agreement_or_exit(proposed)
    start_us, end_us = period_bounds(start, end, current_agreement.zone)
    check_chart(chart)
    requested = parse_as_of(as_of) if as_of is not None else None
    current_run = score_events(events, current_agreement, requested, strict, engine)
    # The proposal is evaluated at the same moment (the first run found it when none was given);
    # its bad lines are the same ones, reported once.
    proposed_run = score_events_quietly(events, proposed_agreement, current_run.as_of, engine)
    window = Window(current_run.as_of, current_agreement.zone, start_us, end_us)
    report = compare(
        _by_id(current_run.lead_results()),
        _by_id(proposed_run.lead_results()),
        current_agreement,
        proposed_agreement,
        window,
    )
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


def _by_id(leads: Iterable[LeadResult]) -> dict[str, LeadResult]:
    return {lead.lead_id: lead for lead in leads}


def register(app: typer.Typer) -> None:
    app.command("backtest")(backtest)
