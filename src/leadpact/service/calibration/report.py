"""The calibration report as Markdown and HTML, from one list of blocks (so both say the same).

The report is the evidence a marketing-ops user takes to the sign-off meeting: how well the
scores rank leads (cross-validated), what the leakage guard removed, the suggested threshold
with precision at that volume, the threshold table, the lift and calibration charts, the point
table, and the back-test of the proposal.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leadpact.service.calibration.points import POINTS_PER_DOUBLING, PointRule
from leadpact.service.calibration.results import CalibrationReport
from leadpact.service.calibration.thresholds import ThresholdRow
from leadpact.service.calibration.words import words_for
from leadpact.service.labels import Lang, stage_label


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str  # may hold **bold** and `code`


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Code:
    text: str


@dataclass(frozen=True, slots=True)
class Image:
    alt: str
    file: str  # linked from Markdown
    data_uri: str | None = None  # embedded in HTML when given, so the page travels alone


Block = Heading | Paragraph | Table | Code | Image


@dataclass(frozen=True, slots=True)
class ReportInputs:
    """What the report shows besides the calibration itself."""

    events_file: str
    proposed_file: str
    backtest_command: str
    images: Sequence[Image] = ()
    backtest: Mapping[str, Any] | None = None
    current_file: str | None = None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _threshold_rows(rows: Sequence[ThresholdRow], suggested: float | None) -> tuple[tuple[str, ...], ...]:
    return tuple(
        (
            f"**{_num(r.threshold)}**" if suggested is not None and r.threshold == suggested else _num(r.threshold),
            str(r.mqls),
            _pct(r.share),
            "—" if r.per_week is None else f"{r.per_week:.1f}",
            _pct(r.precision),
            _pct(r.recall),
            f"{r.lift:.2f}",
        )
        for r in rows
    )


def build(report: CalibrationReport, inputs: ReportInputs, lang: Lang) -> list[Block]:
    w = words_for(lang)
    target = stage_label(report.target, lang)
    blocks: list[Block] = [Heading(w["title"], 1), Heading(w["h.data"])]
    blocks.append(
        Paragraph(
            w["data.leads"].format(
                leads=report.leads, positives=report.positives, target=target, rate=_pct(report.base_rate)
            )
        )
    )
    for key, count in (
        ("data.unlabelled", report.unlabelled),
        ("data.sgl", report.sales_generated),
        ("data.dropped", report.dropped_after_contact),
    ):
        if count:
            blocks.append(Paragraph(w[key].format(n=count)))
    if report.weeks is not None:
        blocks.append(Paragraph(w["data.weeks"].format(weeks=report.weeks)))
    if report.window_days is not None:
        blocks.append(Paragraph(w["data.window"].format(days=report.window_days)))
    if report.small_sample:
        blocks.append(Paragraph(w["data.small"].format(n=report.minority)))
    blocks += _headline(report, w)
    blocks += _leakage(report, w)
    blocks += _suggestion(report, w)
    header = (
        w["col.threshold"],
        w["col.mqls"],
        w["col.share"],
        w["col.per_week"],
        w["col.precision"],
        w["col.recall"],
        w["col.lift"],
    )
    blocks += [
        Heading(w["h.thresholds"]),
        Table(header, _threshold_rows(report.threshold_table, report.suggestion.row.threshold)),
    ]
    if report.current is not None:
        blocks.append(Heading(w["h.current"]))
        if report.current.at_threshold is not None:
            at = report.current.at_threshold
            blocks.append(
                Paragraph(
                    w["current.at"].format(
                        threshold=_num(at.threshold), mqls=at.mqls, precision=_pct(at.precision), recall=_pct(at.recall)
                    )
                )
            )
        else:
            blocks.append(Paragraph(w["current.other"]))
        blocks.append(Table(header, _threshold_rows(report.current.table, None)))
    if inputs.images:
        blocks.append(Heading(w["h.charts"]))
        blocks.extend(inputs.images)
    blocks += _points(report, w)
    blocks += _backtest(inputs, w)
    blocks += [Heading(w["h.method"]), Paragraph(w["method.text"])]
    blocks.append(Paragraph(w["method.features"].format(features=", ".join(f"`{f}`" for f in report.features))))
    if report.notes:
        blocks.append(Paragraph(w["method.notes"].format(notes="; ".join(report.notes))))
    return blocks


def _headline(report: CalibrationReport, w: Mapping[str, str]) -> list[Block]:
    rows = [
        (
            w["series.model"],
            f"{report.model.auc:.3f}",
            f"{report.model.top20_capture:.3f}",
            f"{report.model.brier:.3f}",
        ),
        (
            w["series.points"],
            f"{report.points.auc:.3f}",
            f"{report.points.top20_capture:.3f}",
            f"{report.points.brier:.3f}",
        ),
    ]
    if report.current is not None:
        rows.append((w["series.current"], f"{report.current.auc:.3f}", f"{report.current.top20_capture:.3f}", "—"))
    ceiling = min(1.0, 0.2 / report.base_rate) if report.base_rate else 1.0
    blocks: list[Block] = [
        Heading(w["h.headline"]),
        Table((w["col.score"], w["col.auc"], w["col.top20"], w["col.brier"]), tuple(rows)),
        Paragraph(
            w["headline.note"].format(
                folds=report.folds, seed=report.seed, rate=_pct(report.base_rate), ceiling=f"{ceiling:.3f}"
            )
        ),
    ]
    if report.time_split is not None:
        t = report.time_split
        blocks += [
            Heading(w["h.time"], 3),
            Table(
                (
                    w["col.train"],
                    w["col.test"],
                    f"{w['col.auc']} ({w['series.model']})",
                    f"{w['col.auc']} ({w['series.points']})",
                ),
                ((str(t.train_leads), str(t.test_leads), f"{t.model_auc:.3f}", f"{t.points_auc:.3f}"),),
            ),
            Paragraph(w["time.note"].format(model=f"{t.model_auc:.3f}", points=f"{t.points_auc:.3f}")),
        ]
    return blocks


def _leakage(report: CalibrationReport, w: Mapping[str, str]) -> list[Block]:
    blocks: list[Block] = [Heading(w["h.leakage"])]
    if not report.leakage:
        return [*blocks, Paragraph(w["leakage.none"])]
    rows = tuple(
        (
            f"`{f.feature}`",
            w[f"leakage.{f.reason}"] + (f" (AUC {f.auc:.3f})" if f.auc is not None else ""),
            w["yes"] if f.excluded else w["no"],
        )
        for f in report.leakage
    )
    return [*blocks, Table((w["col.feature"], w["col.reason"], w["col.excluded"]), rows), Paragraph(w["leakage.note"])]


def _suggestion(report: CalibrationReport, w: Mapping[str, str]) -> list[Block]:
    s = report.suggestion
    row = s.row
    if s.rule == "precision":
        why = w["suggest.precision"].format(target=s.target or 0.0)
    elif s.rule == "capacity":
        why = w["suggest.capacity"].format(target=s.target or 0.0)
    else:
        why = w["suggest.f1"]
    blocks: list[Block] = [Heading(w["h.suggestion"]), Paragraph(why)]
    if not s.met:
        blocks.append(Paragraph(w["suggest.unmet"]))
    blocks.append(
        Paragraph(
            w["suggest.line"].format(
                threshold=_num(row.threshold),
                mqls=row.mqls,
                share=_pct(row.share),
                precision=_pct(row.precision),
                recall=_pct(row.recall),
                lift=f"{row.lift:.2f}",
            )
        )
    )
    if report.hot_threshold is not None and report.hot_threshold > row.threshold:
        blocks.append(Paragraph(w["suggest.hot"].format(hot=_num(report.hot_threshold))))
    return blocks


def _points(report: CalibrationReport, w: Mapping[str, str]) -> list[Block]:
    fit = [r for r in report.point_rules if r.candidate.kind == "fit"]
    engagement = [r for r in report.point_rules if r.candidate.kind == "engagement"]
    blocks: list[Block] = [
        Heading(w["h.points"]),
        Paragraph(w["points.note"].format(per_doubling=POINTS_PER_DOUBLING, leads=report.leads)),
        Paragraph(w["points.engine"].format(agree=report.engine_agrees[0], total=report.engine_agrees[1])),
        *([Paragraph(w["points.decay"])] if report.proposed.decay is not None else []),
        Heading(w["h.fit"], 3),
        Table(
            (w["col.id"], w["col.rule"], w["col.points"]),
            tuple((f"`{r.candidate.rule_id}`", r.candidate.label, f"{r.points:+d}") for r in fit),
        ),
    ]
    if engagement:
        effective = _effective_by_count(engagement)
        blocks += [
            Heading(w["h.engagement"], 3),
            Table(
                (w["col.id"], w["col.rule"], w["col.points"], w["col.effective"]),
                tuple(
                    (f"`{r.candidate.rule_id}`", r.candidate.label, f"{r.points:+d}", effective[r.group])
                    for r in engagement
                ),
            ),
            Paragraph(w["points.effective"]),
        ]
    return blocks


def _effective_by_count(rules: Sequence[PointRule]) -> dict[str, str]:
    """Per event type, the total points at each count where the sum changes ("1: +4, 3: +9")."""
    by_group: dict[str, list[PointRule]] = {}
    for rule in rules:
        by_group.setdefault(rule.group, []).append(rule)
    shown: dict[str, str] = {}
    for group, members in by_group.items():
        caps = sorted({r.candidate.max_count or 1 for r in members})
        uncapped = any(r.candidate.max_count is None for r in members)

        def total(n: int, members: list[PointRule] = members) -> int:
            return sum(r.points * (min(n, r.candidate.max_count) if r.candidate.max_count else n) for r in members)

        parts = [f"{n}: {total(n):+d}" for n in caps]
        shown[group] = ", ".join(parts) + (" (+ each further)" if uncapped else f"; {caps[-1]}+: {total(caps[-1]):+d}")
    return shown


def _backtest(inputs: ReportInputs, w: Mapping[str, str]) -> list[Block]:
    blocks: list[Block] = [Heading(w["h.backtest"]), Paragraph(w["backtest.command"]), Code(inputs.backtest_command)]
    summary = inputs.backtest
    if summary is None:
        return [*blocks, Paragraph(w["backtest.none"])]
    current, proposed = summary["current"], summary["proposed"]
    rows = [
        (w["backtest.mqls"], str(current["mql"]), str(proposed["mql"])),
        (w["backtest.mql_leads"], str(current["mql_leads"]), str(proposed["mql_leads"])),
        (w["backtest.to_sql"], _pct(current["mql_to_sql"]), _pct(proposed["mql_to_sql"])),
        (w["backtest.to_customer"], _pct(current["mql_to_customer"]), _pct(proposed["mql_to_customer"])),
        (w["backtest.reached"], _reached(current), _reached(proposed)),
    ]
    changes = ", ".join(f"{kind} {count}" for kind, count in summary["changes"].items() if count) or "0"
    blocks += [
        Table(("", w["col.current"], w["col.proposed"]), tuple(rows)),
        Paragraph(w["backtest.changes"].format(changes=changes)),
        Paragraph(w["backtest.in_sample"]),
    ]
    if summary.get("outcomes_as_traits"):
        blocks.append(Paragraph(w["backtest.outcome_note"]))
    return blocks


def _reached(side: Mapping[str, Any]) -> str:
    return f"{side['mql_reached_target']} ({_pct(side['mql_target_rate'])})"


# --- rendering --------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Paragraph):
            out.append(block.text)
        elif isinstance(block, Code):
            out.append(f"```\n{block.text}\n```")
        elif isinstance(block, Image):
            out.append(f"![{block.alt}]({block.file})")
        else:
            lines = [
                "| " + " | ".join(_md_cell(h) for h in block.header) + " |",
                "|" + "|".join("---" for _ in block.header) + "|",
            ]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def _inline_html(text: str) -> str:
    """**bold** and `code` in escaped text."""
    escaped = html.escape(text)
    parts = escaped.split("**")
    escaped = "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))
    parts = escaped.split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


_STYLE = """body{font-family:system-ui,'Noto Sans JP',sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
th{background:#f3f3f3}code{background:#f3f3f3;padding:0 .2rem}pre{background:#f6f6f6;padding:.8rem;overflow:auto}
img{max-width:100%;display:block;margin:1rem 0}"""


def to_html(blocks: Sequence[Block], lang: Lang) -> str:
    title = next((b.text for b in blocks if isinstance(b, Heading)), "")
    out = [
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>',
        f"<style>{_STYLE}</style></head><body>",
    ]
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            out.append(f"<p>{_inline_html(block.text)}</p>")
        elif isinstance(block, Code):
            out.append(f"<pre><code>{html.escape(block.text)}</code></pre>")
        elif isinstance(block, Image):
            source = block.data_uri or block.file
            out.append(f'<img alt="{html.escape(block.alt)}" src="{html.escape(source)}">')
        else:
            head = "".join(f"<th>{_inline_html(h)}</th>" for h in block.header)
            body = "".join("<tr>" + "".join(f"<td>{_inline_html(c)}</td>" for c in row) + "</tr>" for row in block.rows)
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
