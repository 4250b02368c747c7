"""Reports as CSV: one tidy table per report (one row per observation, English machine column
names, raw numbers), ready for a spreadsheet pivot or a BI tool.

The waterfall has one row per (segment, stage); the SLA report one row per SLA and per
(SLA, person); attribution one row per content and per source. Column names are part of the
contract documented in docs/reports.md.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from leadpact.domain.timeutil import iso
from leadpact.service.reports.attribution import AttributionReport
from leadpact.service.reports.neglected import NeglectedReport
from leadpact.service.reports.render_json import Report
from leadpact.service.reports.scope import ReportScope
from leadpact.service.reports.sla import NeglectedLead, SlaReport
from leadpact.service.reports.stats import hours
from leadpact.service.reports.trend import TrendReport
from leadpact.service.reports.waterfall import TRANSITION_OWNERS, ExitReason, Funnel, WaterfallReport

Cell = str | int | float | None

WATERFALL_COLUMNS = (
    "segment_by", "segment", "stage", "reached", "fast_tracked", "next_stage", "entered",
    "converted", "waiting", "exited", "conversion", "lead_time_n", "lead_time_median_hours",
    "lead_time_p90_hours", "owner", "exit_reasons",
)  # fmt: skip
SLA_COLUMNS = (
    "level", "sla", "owner", "person", "met", "breached", "running", "cancelled", "total",
    "compliance",
)  # fmt: skip
NEGLECTED_COLUMNS = (
    "lead_id", "sla", "owner", "person", "stage", "started_at", "deadline", "late_hours",
    "late_business_days",
)  # fmt: skip
ATTRIBUTION_COLUMNS = (
    "target", "kind", "value", "converted", "not_converted", "share_converted",
    "share_not_converted", "lift", "conversion",
)  # fmt: skip
TREND_COLUMNS = (
    "month", "mql", "converted_to_sql", "mql_to_sql", "lead_time_n", "lead_time_median_hours",
    "lead_time_p90_hours",
)  # fmt: skip


def report_csv(report: Report) -> str:
    if isinstance(report, WaterfallReport):
        return write_table(WATERFALL_COLUMNS, _waterfall_rows(report))
    if isinstance(report, SlaReport):
        return write_table(SLA_COLUMNS, _sla_rows(report))
    if isinstance(report, NeglectedReport):
        return write_table(NEGLECTED_COLUMNS, _neglected_rows(report.neglected, report.scope))
    if isinstance(report, AttributionReport):
        return write_table(ATTRIBUTION_COLUMNS, _attribution_rows(report))
    return write_table(TREND_COLUMNS, _trend_rows(report))


def write_table(columns: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """CSV text: the header, then the rows; None is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow("" if cell is None else cell for cell in row)
    return buffer.getvalue()


def _exit_reasons(reasons: Sequence[ExitReason]) -> str:
    """``reason=count`` pairs, most frequent first (the exclusion gate's with its rule:
    ``(exclusion rule) competitor=11``), language-neutral like the rest of the CSV."""
    return "; ".join(f"{r.reason}{f' {r.rule}' if r.rule else ''}={r.count}" for r in reasons)


def _waterfall_rows(report: WaterfallReport) -> Iterable[Sequence[Cell]]:
    groups: list[tuple[str, str, Funnel]] = [("all", "all", report.overall)]
    groups += [("origin", origin, funnel) for origin, funnel in report.by_origin]
    groups += [(report.segment_kind or "", s.value, s.funnel) for s in report.segments]
    # the responsibility view (and so its exit reasons) is of the whole cohort: on the all/all rows
    exits = {
        (r.transition.from_stage, r.transition.to_stage): _exit_reasons(r.exit_reasons) for r in report.responsibility
    }
    for segment_by, segment, funnel in groups:
        for index, stage in enumerate(funnel.stages):
            out = funnel.transitions[index] if index < len(funnel.transitions) else None
            if out is None:
                yield (segment_by, segment, stage.stage, stage.reached, stage.fast_tracked, *[None] * 11)
                continue
            yield (
                segment_by,
                segment,
                stage.stage,
                stage.reached,
                stage.fast_tracked,
                out.to_stage,
                out.entered,
                out.converted,
                out.waiting,
                out.exited,
                out.conversion,
                out.lead_time.n,
                hours(out.lead_time.median_us),
                hours(out.lead_time.p90_us),
                TRANSITION_OWNERS[(out.from_stage, out.to_stage)],
                exits.get((out.from_stage, out.to_stage)) if funnel is report.overall else None,
            )


def _sla_rows(report: SlaReport) -> Iterable[Sequence[Cell]]:
    for level, rows in (("sla", report.by_sla), ("person", report.by_person)):
        for row in rows:
            t = row.tally
            yield (level, row.sla_id, row.owner, row.person, t.met, t.breached, t.running,
                   t.cancelled, t.total, t.compliance)  # fmt: skip


def _neglected_rows(rows: Sequence[NeglectedLead], scope: ReportScope) -> Iterable[Sequence[Cell]]:
    for row in rows:
        yield (
            row.lead_id,
            row.sla_id,
            row.owner,
            row.person,
            row.stage,
            iso(row.started_at, scope.zone),
            iso(row.deadline, scope.zone),
            hours(row.late_us),
            row.late_business_days,
        )


def _attribution_rows(report: AttributionReport) -> Iterable[Sequence[Cell]]:
    for row in (*report.content, *report.sources):
        yield (report.target, row.kind, row.value, row.converted, row.other, row.share_converted,
               row.share_other, row.lift, row.conversion)  # fmt: skip


def _trend_rows(report: TrendReport) -> Iterable[Sequence[Cell]]:
    for m in report.months:
        yield (m.month, m.mql, m.converted_to_sql, m.conversion, m.lead_time.n,
               hours(m.lead_time.median_us), hours(m.lead_time.p90_us))  # fmt: skip
