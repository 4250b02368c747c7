"""The calibration charts as Altair (Vega-Lite) specs: the lift curve, the calibration plot and
precision/recall by threshold. Writing them to PNG/SVG is the chart adapter's job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import altair as alt

from leadpact.service.calibration.evaluation import CalibrationBin
from leadpact.service.calibration.thresholds import ThresholdRow

Chart = Any
"""An Altair chart (Altair's fluent API is only partly typed)."""

WIDTH: Final = 520
HEIGHT: Final = 320
_COLORS: Final = {
    "model": "#1f5fa8",
    "points": "#e6550d",
    "current": "#6b6b6b",
    "random": "#bdbdbd",
    "ideal": "#2e7d32",
}


def _data(rows: list[dict[str, Any]]) -> Any:
    return alt.Data(values=rows)  # type: ignore[no-untyped-call]


def _color(words: Mapping[str, str], series: list[str]) -> Any:
    return alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=[words[f"series.{s}"] for s in series], range=[_COLORS[s] for s in series]),
        legend=alt.Legend(orient="bottom-right"),
    )


def lift_chart(lifts: Mapping[str, list[tuple[float, float]]], base_rate: float, words: Mapping[str, str]) -> Chart:
    """Share of converters captured (y) in the top x of leads by each score, with the random
    diagonal and the best possible curve for reference."""
    series = [name for name in ("model", "points", "current") if name in lifts]
    rows = [{"series": words[f"series.{name}"], "x": 0.0, "y": 0.0} for name in [*series, "random", "ideal"]]
    for name in series:
        rows.extend({"series": words[f"series.{name}"], "x": x, "y": y} for x, y in lifts[name])
    steps = [x for x, _ in lifts[series[0]]]
    rows.extend({"series": words["series.random"], "x": x, "y": x} for x in steps)
    rows.extend(
        {"series": words["series.ideal"], "x": x, "y": min(1.0, x / base_rate) if base_rate else 1.0} for x in steps
    )
    order = [*series, "random", "ideal"]
    return (
        alt.Chart(_data(rows), title=words["chart.lift"], width=WIDTH, height=HEIGHT)
        .mark_line(point=alt.OverlayMarkDef(size=18))
        .encode(
            x=alt.X("x:Q", title=words["axis.top_share"], axis=alt.Axis(format="%")),
            y=alt.Y("y:Q", title=words["axis.captured"], axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=_color(words, order),
            strokeDash=alt.condition(
                alt.FieldOneOfPredicate(field="series", oneOf=[words["series.random"], words["series.ideal"]]),
                alt.value([4, 4]),
                alt.value([1, 0]),
            ),
        )
    )


def calibration_chart(bins: Mapping[str, list[CalibrationBin]], words: Mapping[str, str]) -> Chart:
    """Predicted vs observed conversion per decile; on the diagonal = well calibrated."""
    rows = [
        {"series": words[f"series.{name}"], "predicted": b.predicted, "observed": b.observed, "leads": b.leads}
        for name, found in bins.items()
        for b in found
    ]
    diagonal = [{"predicted": 0.0, "observed": 0.0}, {"predicted": 1.0, "observed": 1.0}]
    lines = (
        alt.Chart(_data(rows))
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "predicted:Q", title=words["axis.predicted"], axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])
            ),
            y=alt.Y(
                "observed:Q", title=words["axis.observed"], axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])
            ),
            color=_color(words, list(bins)),
            tooltip=[
                "series:N",
                alt.Tooltip("predicted:Q", format=".1%"),
                alt.Tooltip("observed:Q", format=".1%"),
                "leads:Q",
            ],
        )
    )
    ideal = (
        alt.Chart(_data(diagonal))
        .mark_line(color=_COLORS["random"], strokeDash=[4, 4])
        .encode(x="predicted:Q", y="observed:Q")
    )
    return alt.layer(ideal, lines, title=words["chart.calibration"], width=WIDTH, height=HEIGHT)


def threshold_chart(rows: list[ThresholdRow], suggested: float, words: Mapping[str, str]) -> Chart:
    """Precision, recall and MQL share against the MQL threshold; the rule marks the suggestion."""
    data = [
        {"threshold": r.threshold, "measure": words[f"measure.{name}"], "value": value}
        for r in rows
        for name, value in (("precision", r.precision), ("recall", r.recall), ("share", r.share))
    ]
    lines = (
        alt.Chart(_data(data))
        .mark_line(point=True)
        .encode(
            x=alt.X("threshold:Q", title=words["axis.threshold"]),
            y=alt.Y("value:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom-left")),
        )
    )
    rule = (
        alt.Chart(_data([{"threshold": suggested}]))
        .mark_rule(color=_COLORS["ideal"], strokeDash=[6, 3])
        .encode(x="threshold:Q")
    )
    return alt.layer(lines, rule, title=words["chart.thresholds"], width=WIDTH, height=HEIGHT)
