"""Charts render, through the real Vega-Lite → vl-convert pipeline, to valid non-empty PNG and
SVG files with the expected titles. The data is a small history replayed for real."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from leadpact.adapters.agreement_yaml import default_agreement, default_agreement_text, load_agreement_text
from leadpact.adapters.charts import ChartError, build_chart, chart_titles, save_chart
from leadpact.domain.messages import Message, parse_message
from leadpact.domain.replay import replay
from leadpact.domain.timeutil import parse_iso, to_us
from leadpact.service.backtest import backtest
from leadpact.service.reports import ReportScope, compute, report_json
from leadpact.service.reports.chart_words import chart_words
from leadpact.service.reports.render_backtest import backtest_json

AS_OF = to_us(parse_iso("2026-03-31T00:00:00+09:00"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _messages() -> list[Message]:
    rows: list[dict[str, Any]] = []
    for index in range(6):
        user, day = f"u{index}", 5 + index
        stamp = f"2026-01-{day:02d}T10:00:00+09:00"
        traits = {"job_level": "director", "industry": "software", "employees": 500, "source": "webinar"}
        common = {"timestamp": stamp, "userId": user}
        rows.append({"type": "identify", "messageId": f"i{index}", **common, "traits": traits})
        event = "Webinar Attended" if index % 2 else "Demo Requested"
        rows.append({"type": "track", "messageId": f"t{index}", **common, "event": event})
    return [parse_message(row, seq=n) for n, row in enumerate(rows, start=1)]


def _report_data(kind: str) -> dict[str, Any]:
    agreement = default_agreement()
    if kind == "backtest":
        proposal = load_agreement_text(default_agreement_text().replace("score_gte: 50", "score_gte: 60"), "p.yaml")
        return backtest_json(backtest(_messages(), agreement, proposal, AS_OF))
    leads = replay(_messages(), agreement, AS_OF).leads.values()
    return report_json(compute(kind, leads, ReportScope.for_agreement(agreement, AS_OF)))  # type: ignore[arg-type]


def _png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk follows the signature
    return width, height


def _svg_texts(path: Path) -> str:
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    assert root.tag.endswith("svg")
    return " ".join(node.text or "" for node in root.iter() if node.tag.endswith("text"))


@pytest.mark.parametrize("kind", ["waterfall", "sla", "trend", "attribution", "backtest"])
def test_chart_renders_to_png_and_svg_with_its_title(kind, tmp_path):
    words = chart_words("en")
    chart = build_chart(_report_data(kind), words)
    png, svg = tmp_path / f"{kind}.png", tmp_path / f"{kind}.svg"
    save_chart(chart, png)
    save_chart(chart, svg)
    data = png.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = _png_size(data)
    assert width > 400 and height > 150
    texts = _svg_texts(svg)
    for title in chart_titles(words, kind):
        assert title in texts


def test_japanese_chart_carries_japanese_titles_and_stage_names(tmp_path):
    words = chart_words("ja")
    svg = tmp_path / "waterfall.svg"
    save_chart(build_chart(_report_data("waterfall"), words, font="Noto Sans CJK JP"), svg)
    texts = _svg_texts(svg)
    assert "デマンドウォーターフォール" in texts
    assert "商談" in texts and "受注" in texts


def test_waterfall_bars_are_labelled_with_counts_and_conversion(tmp_path):
    svg = tmp_path / "waterfall.svg"
    save_chart(build_chart(_report_data("waterfall"), chart_words("en")), svg)
    texts = _svg_texts(svg)
    # six leads; the three demo requests are fast-tracked to SQL: 3 of 6 MQLs reach SAL
    assert "6" in texts.split() and "3 (50.0%)" in texts


def test_unsupported_chart_format_is_refused(tmp_path):
    chart = build_chart(_report_data("trend"), chart_words("en"))
    with pytest.raises(ChartError, match=r"unsupported chart format '\.jpg'"):
        save_chart(chart, tmp_path / "trend.jpg")
    assert not (tmp_path / "trend.jpg").exists()


def test_a_report_without_a_chart_says_so():
    with pytest.raises(ChartError, match="no chart for the neglected report"):
        build_chart({"report": "neglected"}, chart_words("en"))
