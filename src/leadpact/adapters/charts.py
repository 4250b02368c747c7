"""Report charts as PNG or SVG: Vega-Lite specs built with Altair, rendered by vl-convert
(no browser, no network).

Charts are drawn from a report's JSON (the documented contract in docs/reports.md and
docs/backtest.md) and a flat mapping of display words (``title.waterfall``, ``stage.mql`` …)
supplied by the caller in the reader's language, so this adapter knows nothing of the service
layer. Japanese needs a CJK font on the machine: :func:`japanese_font` finds one.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import altair as alt

Words = Mapping[str, str]
Data = Mapping[str, Any]
Chart = Any
"""An Altair chart; Altair's fluent API is only partly typed, so charts travel as Any."""

WIDTH: Final = 560
BAR_STEP: Final = 34
PNG_SCALE: Final = 2
"""PNG at twice the CSS size stays sharp when pasted into slides or documents."""

STATUS_COLORS: Final = {"met": "#2e7d32", "breached": "#c62828", "running": "#f9a825", "cancelled": "#9e9e9e"}
BLUE, LIGHT_BLUE, ORANGE, GREY = "#1f5fa8", "#9ecae1", "#e6550d", "#6b6b6b"
_PREFERRED_JA_FONTS: Final = ("Noto Sans CJK JP", "Noto Sans JP", "IPAexGothic", "IPAGothic", "TakaoGothic")


class ChartError(ValueError):
    """The chart cannot be drawn or written (unknown format, report without a chart)."""


def build_chart(data: Data, words: Words, font: str | None = None) -> Chart:
    """The chart for a report's JSON (``data["report"]`` picks the kind)."""
    kind = data.get("report")
    builders: dict[str, Callable[[Data, Words], Chart]] = {
        "waterfall": waterfall_chart,
        "sla": sla_chart,
        "trend": trend_chart,
        "attribution": attribution_chart,
        "backtest": backtest_chart,
    }
    builder = builders.get(str(kind))
    if builder is None:
        raise ChartError(f"no chart for the {kind} report; charts exist for {', '.join(builders)}")
    chart = builder(data, words)
    configured = chart.configure(font=font) if font else chart.configure()
    return configured.configure_title(fontSize=16, anchor="start", subtitleFontSize=12, subtitleColor=GREY)


def save_chart(chart: Chart, path: str | Path) -> None:
    """Write ``chart`` as PNG or SVG, chosen by the file's suffix."""
    import vl_convert  # imported here: only commands that write charts pay for the renderer

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ChartError(f"{target}: unsupported chart format {suffix or '(none)'!r}; expected .png or .svg")
    spec = chart.to_dict()
    try:
        if suffix == ".svg":
            target.write_text(vl_convert.vegalite_to_svg(spec), encoding="utf-8")
        else:
            target.write_bytes(vl_convert.vegalite_to_png(spec, scale=PNG_SCALE))
    except OSError as exc:
        raise ChartError(f"{target}: cannot write the chart: {exc.strerror or exc}") from None


@lru_cache(maxsize=1)
def japanese_font() -> str | None:
    """A font family with Japanese glyphs installed on this machine, or None.

    Asks fontconfig (``fc-list :lang=ja``), which sees the same system font folders that
    vl-convert loads; without fontconfig we cannot tell, and say so by returning None.
    """
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listing = subprocess.run(
            [fc_list, ":lang=ja", "family"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families = {name.strip() for line in listing.splitlines() for name in line.split(",") if name.strip()}
    for preferred in _PREFERRED_JA_FONTS:
        if preferred in families:
            return preferred
    return min(families) if families else None


# --- the charts ----------------------------------------------------------------------------


_COUNT_AXIS: Final = alt.Axis(tickMinStep=1, format="d")
"""Counts are whole numbers: no 0.5-lead ticks on small histories."""


def _inline(rows: list[dict[str, Any]]) -> Any:
    return alt.Data(values=rows)  # type: ignore[no-untyped-call]


def _title(text: str, subtitle: str | None = None) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=subtitle or "")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _period(data: Data, words: Words) -> str:
    start, end = data.get("from"), data.get("to")
    if start is None and end is None:
        return words["period.all"]
    return f"{(start or '…')[:10]} – {(end or '…')[:10]}"


def _as_of(data: Data) -> str:
    return str(data.get("as_of", ""))[:16].replace("T", " ")


def waterfall_chart(data: Data, words: Words) -> Chart:
    """Horizontal bars per stage (fast-tracked part lighter), labelled with the count and the
    conversion from the previous stage."""
    overall = data["overall"]
    stages = [words.get(f"stage.{s['stage']}", s["stage"]) for s in overall["stages"]]
    direct, fast = words["series.direct"], words["series.fast_tracked"]
    parts, labels = [], []
    for index, stage in enumerate(overall["stages"]):
        name = stages[index]
        parts.append({"stage": name, "part": direct, "order": 0, "count": stage["reached"] - stage["fast_tracked"]})
        parts.append({"stage": name, "part": fast, "order": 1, "count": stage["fast_tracked"]})
        conversion = overall["transitions"][index - 1]["conversion"] if index else None
        suffix = f" ({_percent(conversion)})" if index and conversion is not None else ""
        labels.append({"stage": name, "reached": stage["reached"], "label": f"{stage['reached']:,}{suffix}"})
    y = alt.Y("stage:N", sort=stages, title=None)
    bars = (
        alt.Chart(_inline(parts))
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("count:Q", stack="zero", title=words["axis.leads"], axis=_COUNT_AXIS),
            color=alt.Color(
                "part:N",
                scale=alt.Scale(domain=[direct, fast], range=[BLUE, LIGHT_BLUE]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            order=alt.Order("order:Q"),
        )
    )
    text = alt.Chart(_inline(labels)).mark_text(align="left", dx=4).encode(y=y, x="reached:Q", text="label:N")
    subtitle = words["subtitle.cohort"].format(
        leads=f"{overall['leads']:,}", period=_period(data, words), as_of=_as_of(data)
    )
    return alt.layer(bars, text).properties(
        title=_title(words["title.waterfall"], subtitle), width=WIDTH, height=alt.Step(BAR_STEP)
    )


def sla_chart(data: Data, words: Words) -> Chart:
    """Stacked bars per SLA by status, with the compliance rate at the end of each bar."""
    statuses = list(STATUS_COLORS)
    names = [words.get(f"status.{s}", s) for s in statuses]
    rows, labels, order = [], [], []
    for row in data["by_sla"]:
        name = f"{row['sla']} ({words.get('owner.' + row['owner'], row['owner'])})"
        order.append(name)
        rows += [{"sla": name, "status": names[i], "rank": i, "count": row[s]} for i, s in enumerate(statuses)]
        labels.append({"sla": name, "total": row["total"], "label": _percent(row["compliance"])})
    y = alt.Y("sla:N", sort=order, title=None)
    bars = (
        alt.Chart(_inline(rows))
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("count:Q", stack="zero", title=words["axis.clocks"], axis=_COUNT_AXIS),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=names, range=list(STATUS_COLORS.values())),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            order=alt.Order("rank:Q"),
        )
    )
    text = alt.Chart(_inline(labels)).mark_text(align="left", dx=4).encode(y=y, x="total:Q", text="label:N")
    subtitle = words["subtitle.as_of"].format(as_of=_as_of(data))
    return alt.layer(bars, text).properties(
        title=_title(words["title.sla"], subtitle), width=WIDTH, height=alt.Step(BAR_STEP)
    )


def trend_chart(data: Data, words: Words) -> Chart:
    """MQL per month as bars (left axis) and MQL→SQL conversion as a line (right axis)."""
    rows = [{"month": m["month"], "mql": m["mql"], "conversion": m["mql_to_sql"]} for m in data["months"]]
    base = alt.Chart(_inline(rows)).encode(x=alt.X("month:O", title=words["axis.month"], axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar(color=BLUE).encode(y=alt.Y("mql:Q", title=words["axis.mql"], axis=_COUNT_AXIS))
    line = base.mark_line(color=ORANGE, point=alt.OverlayMarkDef(color=ORANGE)).encode(
        y=alt.Y("conversion:Q", title=words["axis.mql_to_sql"], axis=alt.Axis(format="%", orient="right")),
    )
    subtitle = words["subtitle.as_of"].format(as_of=_as_of(data))
    return (
        alt.layer(bars, line)
        .resolve_scale(y="independent")
        .properties(title=_title(words["title.trend"], subtitle), width=WIDTH, height=300)
    )


def attribution_chart(data: Data, words: Words, top: int = 15) -> Chart:
    """For the ``top`` content most touched by converters: share of converted vs other leads."""
    converted, other = words["series.converted"], words["series.not_converted"]
    content = list(data["content"])[:top]
    order = [row["value"] for row in content]
    rows = []
    for row in content:
        rows.append({"content": row["value"], "group": converted, "share": row["share_converted"] or 0.0})
        rows.append({"content": row["value"], "group": other, "share": row["share_not_converted"] or 0.0})
    target = words.get(f"stage.{data['target']}", data["target"])
    return (
        alt.Chart(_inline(rows))
        .mark_bar()
        .encode(
            y=alt.Y("content:N", sort=order, title=None),
            yOffset=alt.YOffset("group:N", sort=[converted, other]),
            x=alt.X("share:Q", title=words["axis.share"], axis=alt.Axis(format="%")),
            color=alt.Color(
                "group:N",
                scale=alt.Scale(domain=[converted, other], range=[BLUE, LIGHT_BLUE]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
        )
        .properties(
            title=_title(words["title.attribution"], words["subtitle.target"].format(target=target)),
            width=WIDTH,
            height=alt.Step(14),
        )
    )


def backtest_chart(data: Data, words: Words) -> Chart:
    """Weekly MQL volume under both agreements, then the weekly SLA load, one panel per owner.
    Current is solid grey, proposed dashed orange throughout (one legend)."""
    current, proposed = words["series.current"], words["series.proposed"]
    sides = ((current, "current"), (proposed, "proposed"))
    mql = [{"week": w["week"], "agreement": name, "count": w[key]} for w in data["weeks"] for name, key in sides]
    load = [
        {"week": s["week"], "agreement": name, "owner": words.get(f"owner.{s['owner']}", s["owner"]), "count": s[key]}
        for s in data["sla_load"]
        for name, key in sides
    ]
    # weeks are labelled by their Monday as written (ordinal): a time axis would tick on Sundays
    x = alt.X("week:O", title=words["axis.week"], axis=alt.Axis(labelAngle=-45, labelOverlap=True))
    legend = alt.Legend(title=words["series.agreement"], orient="bottom")
    domain = [current, proposed]
    color = alt.Color("agreement:N", scale=alt.Scale(domain=domain, range=[GREY, ORANGE]), legend=legend)
    dash = alt.StrokeDash("agreement:N", scale=alt.Scale(domain=domain, range=[[1, 0], [6, 3]]), legend=legend)
    volume = (
        alt.Chart(_inline(mql), title=words["title.backtest_mql"])
        .mark_line(point=True)
        .encode(x=x, y=alt.Y("count:Q", title=words["axis.mql"], axis=_COUNT_AXIS), color=color, strokeDash=dash)
        .properties(width=WIDTH, height=220)
    )
    sla = (
        alt.Chart(_inline(load))
        .mark_line(point=True)
        .encode(x=x, y=alt.Y("count:Q", title=words["axis.clocks"], axis=_COUNT_AXIS), color=color, strokeDash=dash)
        .properties(width=WIDTH, height=110)
        .facet(
            row=alt.Row("owner:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left", labelOrient="top")),
            title=words["title.backtest_sla"],
        )
    )
    cur, prop = data["current"], data["proposed"]
    subtitle = words["subtitle.backtest"].format(
        current=f"{cur['agreement']} {cur['version']}", proposed=f"{prop['agreement']} {prop['version']}"
    )
    return alt.vconcat(volume, sla).properties(title=_title(words["title.backtest"], subtitle))


def chart_titles(words: Words, kind: str) -> Sequence[str]:
    """The titles a chart of ``kind`` shows (what a test or a caption looks for)."""
    if kind == "backtest":
        return (words["title.backtest"], words["title.backtest_mql"], words["title.backtest_sla"])
    return (words[f"title.{kind}"],)
