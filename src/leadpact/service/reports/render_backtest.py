"""The back-test as JSON (the contract in docs/backtest.md), text tables or Markdown (to paste
into the proposal that asks both departments to sign the new agreement)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from leadpact.domain.timeutil import iso
from leadpact.service.backtest import BacktestReport, RefusedRow, Side
from leadpact.service.labels import Lang, action_label, role_label, stage_label
from leadpact.service.refusals import refusal_text
from leadpact.service.reports.headings import heading
from leadpact.service.reports.render_text import DASH, duration, percent
from leadpact.service.reports.stats import hours


def backtest_json(report: BacktestReport) -> dict[str, Any]:
    window = report.window
    zone = window.zone
    return {
        "report": "backtest",
        "as_of": iso(window.as_of, zone),
        "timezone": zone.key,
        "from": iso(window.start, zone) if window.start is not None else None,
        "to": iso(window.end, zone) if window.end is not None else None,
        "current": _side_json(report.current),
        "proposed": _side_json(report.proposed),
        "identical": report.identical,
        "change_counts": report.change_counts(),
        "weeks": [
            {
                "week": w.week.isoformat(),
                "iso_week": _iso_week(w.week.isocalendar()),
                "current": w.current,
                "proposed": w.proposed,
            }
            for w in report.weeks
        ],
        "sla_load": [
            {"week": s.week.isoformat(), "owner": s.owner, "current": s.current, "proposed": s.proposed}
            for s in report.sla_load
        ],
        "lead_changes": [
            {
                "lead_id": c.lead_id,
                "change": c.change,
                "current_mql_at": iso(c.current_mql_at, zone) if c.current_mql_at is not None else None,
                "proposed_mql_at": iso(c.proposed_mql_at, zone) if c.proposed_mql_at is not None else None,
                "shift_hours": hours(c.shift_us),
                "current_stage": c.current_stage,
                "proposed_stage": c.proposed_stage,
            }
            for c in report.changes
        ],
        "refused_under_proposed_only": [_refused_json(r, report) for r in report.refused_proposed_only],
        "refused_under_current_only": [_refused_json(r, report) for r in report.refused_current_only],
    }


def _iso_week(parts: tuple[int, int, int]) -> str:
    return f"{parts[0]:04d}-W{parts[1]:02d}"


def _side_json(side: Side) -> dict[str, Any]:
    return {
        "agreement": side.name,
        "version": side.version,
        "mql": side.mql,
        "mql_leads": side.mql_leads,
        "converted_to_sql": side.converted_to_sql,
        "converted_to_customer": side.converted_to_customer,
        "mql_to_sql": side.mql_to_sql,
        "mql_to_customer": side.mql_to_customer,
        "sla_clocks": side.sla_clocks,
        "refused_actions": side.refused_actions,
    }


def _refused_json(row: RefusedRow, report: BacktestReport) -> dict[str, Any]:
    r = row.refused
    return {
        "lead_id": row.lead_id,
        "message_id": r.message_id,
        "action": r.action,
        "at": iso(r.at, report.window.zone),
        "actor": {"id": r.actor_id, "role": r.actor_role},
        "reason": r.reason,
    }


# --- text and Markdown share one layout --------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Section:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    align: str
    """One letter per column: ``l`` text, ``r`` numbers."""


def backtest_text(report: BacktestReport, lang: Lang = "en", width: int = 160) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    console.print(_headline(report, lang))
    for section in _sections(report, lang):
        table = Table(title=section.title, title_justify="left")
        for index, header in enumerate(section.headers):
            table.add_column(header, justify="right" if section.align[index] == "r" else "left")
        for row in section.rows:
            table.add_row(*row)
        console.print(table)
    return buffer.getvalue()


def backtest_markdown(report: BacktestReport, lang: Lang = "en") -> str:
    lines = [f"# {_headline(report, lang).splitlines()[0]}", "", _headline(report, lang).splitlines()[1], ""]
    for section in _sections(report, lang):
        lines += [f"## {section.title}", ""]
        lines.append("| " + " | ".join(section.headers) + " |")
        lines.append("|" + "|".join("---:" if a == "r" else ":---" for a in section.align) + "|")
        lines += ["| " + " | ".join(_md_cell(cell) for cell in row) + " |" for row in section.rows]
        lines.append("")
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|") or " "


def _headline(report: BacktestReport, lang: Lang) -> str:
    cur, prop = report.current, report.proposed
    title = heading("backtest", lang, current=f"{cur.name} {cur.version}", proposed=f"{prop.name} {prop.version}")
    window = report.window
    if window.start is None and window.end is None:
        period = heading("all_time", lang)
    else:
        start = iso(window.start, window.zone)[:10] if window.start is not None else "…"
        end = iso(window.end, window.zone)[:10] if window.end is not None else "…"
        period = heading("period", lang, start=start, end=end)
    as_of = iso(window.as_of, window.zone)[:16].replace("T", " ")
    lines = [title, heading("backtest_window", lang, period=period, as_of=as_of)]
    if report.identical:
        lines.append(heading("identical", lang))
    return "\n".join(lines)


def _sections(report: BacktestReport, lang: Lang) -> list[_Section]:
    weekly = [
        [w.week.isoformat(), str(w.current), str(w.proposed), _delta(w.proposed - w.current)] for w in report.weeks
    ]
    sections = [
        _Section(heading("metric", lang), _words(lang, "metric", "current", "proposed", "difference"),
                 _summary(report, lang), "lrrr"),
        _Section(heading("weekly_mql", lang), _words(lang, "week", "current", "proposed", "difference"), weekly,
                 "lrrr"),
        _sla_load_section(report, lang),
        _changes_section(report, lang),
    ]  # fmt: skip
    refused = (
        ("refused_proposed_only", report.refused_proposed_only),
        ("refused_current_only", report.refused_current_only),
    )
    for key, rows in refused:
        if rows:
            headers = _words(lang, "lead", "action", "actor", "at", "reason")
            cells = [_refused_row(r, report, lang) for r in rows]
            sections.append(_Section(heading(key, lang), headers, cells, "lllll"))
    return sections


def _sla_load_section(report: BacktestReport, lang: Lang) -> _Section:
    """One row per week, one column per owner: ``current → proposed (difference)``."""
    owners = sorted({row.owner for row in report.sla_load})
    cells: dict[tuple[str, str], str] = {
        (row.week.isoformat(), row.owner): f"{row.current} → {row.proposed} ({_delta(row.proposed - row.current)})"
        for row in report.sla_load
    }
    weeks = sorted({week for week, _ in cells})
    rows = [[week, *(cells.get((week, owner), "") for owner in owners)] for week in weeks]
    headers = [heading("week", lang), *(role_label(owner, lang) for owner in owners)]
    title = f"{heading('sla_load', lang)} ({heading('current', lang)} → {heading('proposed', lang)})"
    return _Section(title, headers, rows, "l" + "r" * len(owners))


def _words(lang: Lang, *keys: str) -> list[str]:
    return [heading(key, lang) for key in keys]


def _changes_section(report: BacktestReport, lang: Lang) -> _Section:
    counts = ", ".join(f"{heading('change.' + k, lang)} {v}" for k, v in report.change_counts().items())
    headers = _words(lang, "lead", "change", "current", "proposed", "shift", "current_stage", "proposed_stage")
    rows = [
        [
            c.lead_id,
            heading("change." + c.change, lang),
            _when(c.current_mql_at, report),
            _when(c.proposed_mql_at, report),
            _shift(c.shift_us, lang),
            stage_label(c.current_stage, lang) if c.current_stage else DASH,
            stage_label(c.proposed_stage, lang) if c.proposed_stage else DASH,
        ]
        for c in report.changes
    ]
    return _Section(f"{heading('lead_changes', lang)} ({counts})", headers, rows, "lllrrll")


def _summary(report: BacktestReport, lang: Lang) -> list[list[str]]:
    cur, prop = report.current, report.proposed
    counts = ("mql", "mql_leads", "converted_to_sql", "converted_to_customer", "sla_clocks", "refused_actions")
    rows = []
    for key in counts:
        before, after = getattr(cur, key), getattr(prop, key)
        rows.append([heading(key, lang), str(before), str(after), _delta(after - before)])
    rates = (
        ("mql_to_sql", cur.mql_to_sql, prop.mql_to_sql),
        ("mql_to_customer", cur.mql_to_customer, prop.mql_to_customer),
    )
    for key, before_rate, after_rate in rates:
        points = None if before_rate is None or after_rate is None else (after_rate - before_rate) * 100
        rows.append([heading(key, lang), percent(before_rate), percent(after_rate), _points(points)])
    return rows


def _points(value: float | None) -> str:
    """A difference of two rates, in percentage points."""
    return DASH if value is None else f"{value:+.1f} pt"


def _delta(value: int) -> str:
    return f"{value:+d}" if value else "0"


def _when(at: int | None, report: BacktestReport) -> str:
    return DASH if at is None else iso(at, report.window.zone)[:16].replace("T", " ")


def _shift(us: int | None, lang: Lang) -> str:
    if us is None or us == 0:
        return DASH
    return ("-" if us < 0 else "+") + duration(abs(us), lang)


def _refused_row(row: RefusedRow, report: BacktestReport, lang: Lang) -> list[str]:
    r = row.refused
    actor = f"{r.actor_id} ({role_label(r.actor_role, lang)})"
    return [row.lead_id, action_label(r.action, lang), actor, _when(r.at, report), refusal_text(r.reason, lang)]
