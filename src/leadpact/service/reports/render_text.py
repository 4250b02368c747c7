"""Reports as text tables (rich), in Japanese or English, for a terminal or a plain file."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Final

from rich.console import Console
from rich.table import Table

from leadpact.domain.timeutil import US_PER_HOUR, US_PER_SECOND, iso
from leadpact.service.labels import (
    ORIGINS,
    Lang,
    event_label,
    label,
    role_label,
    sla_status_label,
    stage_label,
)
from leadpact.service.reports.attribution import AttributionReport, AttributionRow
from leadpact.service.reports.headings import SEGMENT_NAMES, heading
from leadpact.service.reports.neglected import NeglectedReport
from leadpact.service.reports.render_json import Report
from leadpact.service.reports.scope import ReportScope
from leadpact.service.reports.sla import UNASSIGNED, NeglectedLead, SlaReport, SlaRow
from leadpact.service.reports.trend import TrendReport
from leadpact.service.reports.waterfall import EXCLUDED, NO_REASON, ExitReason, Funnel, WaterfallReport

DASH = "—"


def report_text(report: Report, lang: Lang = "en", width: int = 160) -> str:
    """Tables of ``report``; ``width`` is the terminal's when printing to one."""
    tables: list[Table | str]
    if isinstance(report, WaterfallReport):
        tables = _waterfall(report, lang)
    elif isinstance(report, SlaReport):
        tables = _sla(report, lang)
    elif isinstance(report, NeglectedReport):
        tables = [_neglected(report.neglected, report.scope, lang)]
    elif isinstance(report, AttributionReport):
        tables = _attribution(report, lang)
    else:
        tables = [_trend(report, lang)]
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    for table in tables:
        console.print(table)
    return buffer.getvalue()


# --- formatting --------------------------------------------------------------------------


def percent(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.1f}%"


def duration(us: float | None, lang: Lang) -> str:
    """Seconds under a minute, minutes under an hour, hours under two days, days beyond."""
    if us is None:
        return DASH
    hours = us / US_PER_HOUR
    if 0 < us < 60 * US_PER_SECOND:
        return f"{us / US_PER_SECOND:.0f} {heading('seconds_unit', lang)}"
    if hours < 1:
        return f"{hours * 60:.0f} {heading('minutes_unit', lang)}"
    if hours < 48:
        return f"{hours:.1f} {heading('hours_unit', lang)}"
    return f"{hours / 24:.1f} {heading('days_unit', lang)}"


def _table(title: str, columns: Sequence[str], numeric_from: int = 1) -> Table:
    table = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        table.add_column(column, justify="right" if index >= numeric_from else "left")
    return table


def _period(scope: ReportScope, lang: Lang) -> str:
    if scope.start is None and scope.end is None:
        return heading("all_time", lang)
    start = iso(scope.start, scope.zone)[:10] if scope.start is not None else "…"
    end = iso(scope.end, scope.zone)[:10] if scope.end is not None else "…"
    return heading("period", lang, start=start, end=end)


def _as_of(scope: ReportScope) -> str:
    return iso(scope.as_of, scope.zone)[:16].replace("T", " ")


# --- waterfall ---------------------------------------------------------------------------


def _waterfall(report: WaterfallReport, lang: Lang) -> list[Table | str]:
    scope = report.scope
    caption = heading("cohort", lang, leads=report.overall.leads, period=_period(scope, lang), as_of=_as_of(scope))
    parts: list[Table | str] = [caption, _funnel_table(report.overall, lang)]
    origins = _table(
        heading("by_origin", lang),
        [heading("stage", lang), *(label(ORIGINS, origin, lang) for origin, _ in report.by_origin)],
    )
    for index, stage in enumerate(report.overall.stages):
        counts = [str(f.stages[index].reached) for _, f in report.by_origin]
        origins.add_row(stage_label(stage.stage, lang), *counts)
    parts += [origins, _responsibility_table(report, lang), _exit_reasons_table(report, lang)]
    if report.segment_kind is not None:
        parts.append(_segments_table(report, lang))
    return parts


def _funnel_table(funnel: Funnel, lang: Lang) -> Table:
    words = ("stage", "reached", "fast_tracked", "conversion_in", "median", "p90")
    table = _table(heading("waterfall", lang), [heading(w, lang) for w in words])
    for index, stage in enumerate(funnel.stages):
        into = funnel.transitions[index - 1] if index else None
        table.add_row(
            stage_label(stage.stage, lang),
            str(stage.reached),
            str(stage.fast_tracked) if stage.fast_tracked else "",
            percent(into.conversion) if into else "",
            duration(into.lead_time.median_us, lang) if into else "",
            duration(into.lead_time.p90_us, lang) if into else "",
        )
    return table


def _responsibility_table(report: WaterfallReport, lang: Lang) -> Table:
    words = (
        "step", "owner", "entered", "converted", "waiting", "exited", "conversion",
        "sla_met_breached_running", "compliance",
    )  # fmt: skip
    table = _table(heading("responsibility", lang), [heading(w, lang) for w in words], 2)
    for row in report.responsibility:
        t = row.transition
        table.add_row(
            f"{stage_label(t.from_stage, lang)}→{stage_label(t.to_stage, lang)}",
            role_label(row.owner, lang),
            str(t.entered),
            str(t.converted),
            str(t.waiting),
            str(t.exited),
            percent(t.conversion),
            f"{row.sla.met}/{row.sla.breached}/{row.sla.running}",
            percent(row.sla.compliance),
        )
    return table


def _exit_reasons_table(report: WaterfallReport, lang: Lang, top: int = 5) -> Table:
    words = ("step", "exit_reasons", "count")
    table = _table(heading("exit_reasons", lang), [heading(w, lang) for w in words], 2)
    for row in report.responsibility:
        t = row.transition
        step = f"{stage_label(t.from_stage, lang)}→{stage_label(t.to_stage, lang)}"
        for exit_reason in row.exit_reasons[:top]:
            table.add_row(step, _exit_reason(exit_reason, lang), str(exit_reason.count))
            step = ""
    return table


_REASON_WORDS: Final = {NO_REASON: "reason.none", EXCLUDED: "reason.exclusion"}
"""The engine's placeholder reasons, worded in the table's language (people's text is not)."""


def _exit_reason(exit_reason: ExitReason, lang: Lang) -> str:
    """A person's reason as written; the engine's placeholders in ``lang``, the exclusion gate
    followed by the rule that closed it: ``(exclusion rule) competitor``."""
    word = _REASON_WORDS.get(exit_reason.reason)
    text = heading(word, lang) if word else exit_reason.reason
    return f"{text} {exit_reason.rule}" if exit_reason.rule else text


def _segments_table(report: WaterfallReport, lang: Lang) -> Table:
    kind = SEGMENT_NAMES[lang].get(report.segment_kind or "", report.segment_kind or "")
    stages = [stage_label(s.stage, lang) for s in report.overall.stages]
    columns = [heading("segment", lang), heading("leads", lang), *stages]
    table = _table(heading("segments", lang, kind=kind), columns)
    for segment in report.segments:
        cells = []
        for index, stage in enumerate(segment.funnel.stages):
            into = segment.funnel.transitions[index - 1] if index else None
            rate_text = f" ({percent(into.conversion)})" if into and into.entered else ""
            cells.append(f"{stage.reached}{rate_text}")
        table.add_row(segment.value, str(segment.funnel.leads), *cells)
    return table


# --- SLA ---------------------------------------------------------------------------------


def _sla(report: SlaReport, lang: Lang) -> list[Table | str]:
    return [
        _sla_table(heading("sla", lang), report.by_sla, lang, with_person=False),
        _sla_table(heading("sla_by_person", lang), report.by_person, lang, with_person=True),
        _neglected(report.neglected, report.scope, lang),
    ]


def _sla_table(title: str, rows: Sequence[SlaRow], lang: Lang, *, with_person: bool) -> Table:
    statuses = [sla_status_label(s, lang) for s in ("met", "breached", "running", "cancelled")]
    first = [heading("sla_id", lang), heading("owner", lang)]
    if with_person:
        first.append(heading("person", lang))
    columns = [*first, *statuses, heading("total", lang), heading("compliance", lang)]
    table = _table(title, columns, len(first))
    for row in rows:
        t = row.tally
        person = [_person(row.person, lang)] if with_person else []
        table.add_row(
            row.sla_id,
            role_label(row.owner, lang),
            *person,
            str(t.met),
            str(t.breached),
            str(t.running),
            str(t.cancelled),
            str(t.total),
            percent(t.compliance),
        )
    return table


def _neglected(rows: Sequence[NeglectedLead], scope: ReportScope, lang: Lang) -> Table:
    words = ("lead", "sla_id", "owner", "person", "stage", "deadline", "late", "late_business_days")
    table = _table(heading("neglected", lang), [heading(w, lang) for w in words], 6)
    for row in rows:
        table.add_row(
            row.lead_id,
            row.sla_id,
            role_label(row.owner, lang),
            _person(row.person, lang),
            stage_label(row.stage, lang),
            iso(row.deadline, scope.zone)[:16].replace("T", " "),
            duration(row.late_us, lang),
            str(row.late_business_days),
        )
    return table


def _person(person: str | None, lang: Lang) -> str:
    """A person's id as it is; nobody responsible as the SLA report's unassigned label in ``lang``."""
    if person is None or person == UNASSIGNED:
        return heading("unassigned", lang)
    return person


# --- attribution and trend ---------------------------------------------------------------


def _attribution(report: AttributionReport, lang: Lang) -> list[Table | str]:
    target = stage_label(report.target, lang)
    return [
        _attribution_table(heading("attribution", lang, target=target), "content", report.content, lang),
        _attribution_table(heading("sources", lang, target=target), "source", report.sources, lang),
    ]


def _attribution_table(title: str, first: str, rows: Sequence[AttributionRow], lang: Lang) -> Table:
    words = (first, "converted", "share_converted", "share_other", "lift", "conversion")
    table = _table(title, [heading(w, lang) for w in words])
    for row in rows:
        table.add_row(
            _content_label(row.value, row.kind, lang),
            str(row.converted),
            percent(row.share_converted),
            percent(row.share_other),
            DASH if row.lift is None else f"{row.lift:.2f}",
            percent(row.conversion),
        )
    return table


def _content_label(value: str, kind: str, lang: Lang) -> str:
    """Track events by their display name (Japanese keeps the original name in brackets)."""
    return event_label(value.split(":", 1)[1], lang) if kind == "event" else value


def _trend(report: TrendReport, lang: Lang) -> Table:
    words = ("month", "mql", "converted", "mql_to_sql", "median_mql_to_sql")
    table = _table(heading("trend", lang), [heading(w, lang) for w in words])
    for month in report.months:
        table.add_row(
            month.month,
            str(month.mql),
            str(month.converted_to_sql),
            percent(month.conversion),
            duration(month.lead_time.median_us, lang),
        )
    return table
