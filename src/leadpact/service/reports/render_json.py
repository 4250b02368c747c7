"""Reports as JSON-ready dicts. These keys are a contract (docs/reports.md): the dashboard, the
API and ``leadpact report ... --format json`` all show these same numbers.

Times are ISO 8601 in the agreement's timezone; durations are hours (3 decimals); rates are
fractions 0–1 (6 decimals) and null when their denominator is 0.
"""

from __future__ import annotations

from typing import Any

from leadpact.domain.lifecycle import STAGE_ORDER
from leadpact.domain.timeutil import iso
from leadpact.service.reports.attribution import AttributionReport, AttributionRow
from leadpact.service.reports.neglected import NeglectedReport
from leadpact.service.reports.scope import ReportScope
from leadpact.service.reports.sla import NeglectedLead, SlaReport, SlaRow
from leadpact.service.reports.sla_tally import SlaTally
from leadpact.service.reports.stats import DurationSummary, hours
from leadpact.service.reports.trend import TrendReport
from leadpact.service.reports.waterfall import Funnel, Responsibility, Transition, WaterfallReport

Report = WaterfallReport | SlaReport | NeglectedReport | AttributionReport | TrendReport
Json = dict[str, Any]


def report_json(report: Report) -> Json:
    if isinstance(report, WaterfallReport):
        return waterfall_json(report)
    if isinstance(report, SlaReport):
        return sla_json(report)
    if isinstance(report, NeglectedReport):
        return _head("neglected", report.scope) | {
            "neglected": [_neglected(row, report.scope) for row in report.neglected]
        }
    if isinstance(report, AttributionReport):
        return attribution_json(report)
    return trend_json(report)


def _head(kind: str, scope: ReportScope) -> Json:
    return {"report": kind, **scope.header()}


def duration_json(summary: DurationSummary) -> Json:
    return {"n": summary.n, "median": hours(summary.median_us), "p90": hours(summary.p90_us)}


def tally_json(tally: SlaTally) -> Json:
    return {
        "met": tally.met,
        "breached": tally.breached,
        "running": tally.running,
        "cancelled": tally.cancelled,
        "total": tally.total,
        "compliance": tally.compliance,
    }


# --- waterfall ---------------------------------------------------------------------------


def waterfall_json(report: WaterfallReport) -> Json:
    return _head("waterfall", report.scope) | {
        "stages": list(STAGE_ORDER),
        "overall": funnel_json(report.overall),
        "by_origin": {origin: funnel_json(f) for origin, f in report.by_origin},
        "segment_by": report.segment_kind,
        "segments": [{"segment": s.value, **funnel_json(s.funnel)} for s in report.segments],
        "responsibility": [_responsibility(r) for r in report.responsibility],
    }


def funnel_json(funnel: Funnel) -> Json:
    return {
        "leads": funnel.leads,
        "disqualified": funnel.disqualified,
        "lost": funnel.lost,
        "stages": [{"stage": s.stage, "reached": s.reached, "fast_tracked": s.fast_tracked} for s in funnel.stages],
        "transitions": [_transition(t) for t in funnel.transitions],
    }


def _transition(t: Transition) -> Json:
    return {
        "from": t.from_stage,
        "to": t.to_stage,
        "entered": t.entered,
        "converted": t.converted,
        "waiting": t.waiting,
        "exited": t.exited,
        "conversion": t.conversion,
        "lead_time_hours": duration_json(t.lead_time),
    }


def _responsibility(r: Responsibility) -> Json:
    t = r.transition
    return {
        "from": t.from_stage,
        "to": t.to_stage,
        "owner": r.owner,
        "entered": t.entered,
        "converted": t.converted,
        "waiting": t.waiting,
        "exited": t.exited,
        "conversion": t.conversion,
        "sla_ids": list(r.sla_ids),
        "sla": tally_json(r.sla),
        "exit_reasons": [{"reason": e.reason, "rule": e.rule, "count": e.count} for e in r.exit_reasons],
    }


# --- SLA ---------------------------------------------------------------------------------


def sla_json(report: SlaReport) -> Json:
    return _head("sla", report.scope) | {
        "by_sla": [_sla_row(row) for row in report.by_sla],
        "by_person": [_sla_row(row) for row in report.by_person],
        "neglected": [_neglected(row, report.scope) for row in report.neglected],
    }


def _sla_row(row: SlaRow) -> Json:
    person = {"person": row.person} if row.person is not None else {}
    return {"sla": row.sla_id, "owner": row.owner, **person, **tally_json(row.tally)}


def _neglected(row: NeglectedLead, scope: ReportScope) -> Json:
    return {
        "lead_id": row.lead_id,
        "sla": row.sla_id,
        "owner": row.owner,
        "person": row.person,
        "stage": row.stage,
        "started_at": iso(row.started_at, scope.zone),
        "deadline": iso(row.deadline, scope.zone),
        "late_hours": hours(row.late_us),
        "late_business_days": row.late_business_days,
    }


# --- attribution and trend ---------------------------------------------------------------


def attribution_json(report: AttributionReport) -> Json:
    return _head("attribution", report.scope) | {
        "target": report.target,
        "leads": report.leads,
        "converted": report.converted,
        "not_converted": report.other,
        "content": [_attribution_row(row) for row in report.content],
        "sources": [_attribution_row(row) for row in report.sources],
    }


def _attribution_row(row: AttributionRow) -> Json:
    return {
        "value": row.value,
        "kind": row.kind,
        "converted": row.converted,
        "not_converted": row.other,
        "share_converted": row.share_converted,
        "share_not_converted": row.share_other,
        "lift": row.lift,
        "conversion": row.conversion,
    }


def trend_json(report: TrendReport) -> Json:
    return _head("trend", report.scope) | {
        "months": [
            {
                "month": m.month,
                "mql": m.mql,
                "converted_to_sql": m.converted_to_sql,
                "mql_to_sql": m.conversion,
                "lead_time_hours": duration_json(m.lead_time),
            }
            for m in report.months
        ]
    }
