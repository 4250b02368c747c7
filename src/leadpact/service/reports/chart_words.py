"""The words a chart shows (titles, axes, stage and status names) in one flat mapping, so the
chart adapter draws from plain data and never imports the service layer.

Keys: ``title.<report>``, ``axis.<name>``, ``stage.<stage>``, ``status.<status>``,
``owner.<department>``, ``series.<name>``, ``subtitle.<name>`` (a ``str.format`` template).
"""

from __future__ import annotations

from typing import Final

from leadpact.domain.lifecycle import STAGE_ORDER
from leadpact.service.labels import Lang, role_label, sla_status_label, stage_label
from leadpact.service.reports.sla_tally import SLA_STATUS_ORDER

_WORDS: Final[dict[Lang, dict[str, str]]] = {
    "en": {
        "title.waterfall": "Demand waterfall",
        "title.sla": "SLA compliance",
        "title.trend": "Monthly MQL trend",
        "title.attribution": "Content touched by converted vs other leads",
        "title.backtest": "Agreement back-test",
        "title.backtest_mql": "MQL per week",
        "title.backtest_sla": "SLA clocks started per week",
        "axis.stage": "Stage",
        "axis.leads": "Leads",
        "axis.sla": "SLA",
        "axis.clocks": "SLA clocks",
        "axis.month": "Month",
        "axis.mql": "MQL",
        "axis.mql_to_sql": "MQL→SQL conversion",
        "axis.content": "Content",
        "axis.share": "Share of leads that touched it",
        "axis.week": "Week starting",
        "axis.part": "Entry",
        "series.direct": "Entered",
        "series.fast_tracked": "Fast-tracked (skipped)",
        "series.converted": "Converted",
        "series.not_converted": "Not converted",
        "series.current": "Current",
        "series.proposed": "Proposed",
        "series.agreement": "Agreement",
        "series.status": "Status",
        "series.group": "Leads",
        "subtitle.cohort": "{leads} leads, entered {period}; as of {as_of}",
        "subtitle.as_of": "As of {as_of}",
        "subtitle.backtest": "{current} vs {proposed}",
        "subtitle.target": "Converted = reached {target}",
        "period.all": "at any time",
    },
    "ja": {
        "title.waterfall": "デマンドウォーターフォール",
        "title.sla": "SLA遵守状況",
        "title.trend": "MQL月次推移",
        "title.attribution": "転換リードと非転換リードの接触コンテンツ",
        "title.backtest": "合意のバックテスト",
        "title.backtest_mql": "週別MQL数",
        "title.backtest_sla": "週別SLA発生件数",
        "axis.stage": "ステージ",
        "axis.leads": "リード数",
        "axis.sla": "SLA",
        "axis.clocks": "SLA件数",
        "axis.month": "月",
        "axis.mql": "MQL数",
        "axis.mql_to_sql": "MQL→SQL転換率",
        "axis.content": "コンテンツ",
        "axis.share": "接触したリードの割合",
        "axis.week": "週の開始日",
        "axis.part": "到達の仕方",
        "series.direct": "到達",
        "series.fast_tracked": "スキップ(ファストトラック)",
        "series.converted": "転換",
        "series.not_converted": "非転換",
        "series.current": "現行",
        "series.proposed": "提案",
        "series.agreement": "合意",
        "series.status": "状態",
        "series.group": "リード",
        "subtitle.cohort": "{period}にファネルに入った{leads}件(基準時点 {as_of})",
        "subtitle.as_of": "基準時点 {as_of}",
        "subtitle.backtest": "{current} 対 {proposed}",
        "subtitle.target": "転換 = {target}到達",
        "period.all": "全期間",
    },
}


def chart_words(lang: Lang) -> dict[str, str]:
    words = dict(_WORDS[lang])
    for stage in (*STAGE_ORDER, "disqualified", "lost"):
        words[f"stage.{stage}"] = stage_label(stage, lang)
    for status in SLA_STATUS_ORDER:
        words[f"status.{status}"] = sla_status_label(status, lang)
    for owner in ("marketing", "inside_sales", "field_sales"):
        words[f"owner.{owner}"] = role_label(owner, lang)
    return words
