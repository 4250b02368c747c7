"""Flow reports and simulations as text tables (rich), in Japanese or English."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from leadpact.service.labels import Lang
from leadpact.service.nurture.report import FlowStats

WORDS: Final[dict[Lang, dict[str, str]]] = {
    "en": {
        "flow": "Flow {title} (v{version})",
        "summary": (
            "{entered} entered, {active} still in the flow, {goal} reached the goal, {mql} reached MQL afterwards"
        ),
        "ended": "Ended: {reasons}",
        "step": "Step",
        "kind": "Kind",
        "detail": "Template / event",
        "reached": "Reached",
        "sent": "Sent",
        "opened": "Opened",
        "clicked": "Clicked",
        "goal": "Goal",
        "mql_after": "MQL after",
        "runs": "Runs",
        "lead": "Lead",
        "entered": "Entered",
        "mails": "Mails",
        "end": "End",
        "more": "... and {n} more runs (use --format json for all)",
        "waiting": "waiting at {step} until {at}",
        "wait": "wait",
        "send_email": "send e-mail",
        "branch": "branch",
        "emit": "emit",
        "exit": "exit",
        "completed": "completed",
        "exit_step": "exit step",
        "exit_when": "exit condition",
        "unsubscribed": "unsubscribed",
        "disqualified": "disqualified",
        "reached_sal": "reached SAL",
        "branch_end": "left at a branch",
        "stopped": "flow stopped",
    },
    "ja": {
        "flow": "フロー {title}(v{version})",
        "summary": "流入 {entered} 件、進行中 {active} 件、ゴール到達 {goal} 件、その後 MQL 到達 {mql} 件",
        "ended": "終了理由: {reasons}",
        "step": "ステップ",
        "kind": "種類",
        "detail": "テンプレート / イベント",
        "reached": "到達",
        "sent": "送信",
        "opened": "開封",
        "clicked": "クリック",
        "goal": "ゴール",
        "mql_after": "その後MQL",
        "runs": "実行一覧",
        "lead": "リード",
        "entered": "流入",
        "mails": "メール",
        "end": "終了",
        "more": "ほか {n} 件(すべて見るには --format json)",
        "waiting": "{step} で待機中({at} まで)",
        "wait": "待機",
        "send_email": "メール送信",
        "branch": "分岐",
        "emit": "イベント記録",
        "exit": "終了",
        "completed": "完了",
        "exit_step": "終了ステップ",
        "exit_when": "終了条件",
        "unsubscribed": "配信停止",
        "disqualified": "対象外",
        "reached_sal": "SAL 到達",
        "branch_end": "分岐で終了",
        "stopped": "フロー停止",
    },
}
_RUN_ROWS: Final = 50


def word(key: str, lang: Lang) -> str:
    return WORDS[lang].get(key, key)


def _reason(reason: str, lang: Lang) -> str:
    return word("branch_end" if reason == "branch" else reason, lang)


def stats_tables(stats: Sequence[FlowStats], lang: Lang) -> list[Table | str]:
    out: list[Table | str] = []
    for flow in stats:
        w = WORDS[lang]
        table = Table(title=w["flow"].format(title=flow.title, version=flow.version), title_justify="left")
        for key in ("step", "kind", "detail", "reached", "sent", "opened", "clicked", "goal", "mql_after"):
            table.add_column(w[key], justify="right" if key not in ("step", "kind", "detail") else "left")
        for step in flow.steps:
            mail = step.kind == "send_email"
            table.add_row(
                step.step_id,
                word(step.kind, lang),
                step.detail,
                str(step.reached),
                str(step.sent) if mail else "",
                str(step.opened) if mail else "",
                str(step.clicked) if mail else "",
                str(step.goal),
                str(step.mql_after),
            )
        out.append(table)
        out.append(w["summary"].format(entered=flow.entered, active=flow.active, goal=flow.goal, mql=flow.mql_after))
        if flow.ended:
            reasons = ", ".join(f"{_reason(r, lang)} {n}" for r, n in sorted(flow.ended.items()))
            out.append(w["ended"].format(reasons=reasons))
    return out


def runs_table(runs: Sequence[dict[str, Any]], lang: Lang) -> list[Table | str]:
    w = WORDS[lang]
    table = Table(title=w["runs"], title_justify="left")
    for key in ("lead", "entered", "mails", "end", "goal", "mql_after"):
        table.add_column(w[key])
    for run in runs[:_RUN_ROWS]:
        mails = "\n".join(f"{m['template']} ({m['language']}) {m['at']}" for m in run["mails"]) or "-"
        if run["end_reason"] is not None:
            end = f"{_reason(run['end_reason'], lang)} {run['ended_at']}"
        else:
            end = w["waiting"].format(step=run["waiting_at"], at=run["next_at"])
        table.add_row(run["lead_id"], run["entered_at"], mails, end, run["goal_at"] or "-", run["mql_at"] or "-")
    out: list[Table | str] = [table]
    if len(runs) > _RUN_ROWS:
        out.append(w["more"].format(n=len(runs) - _RUN_ROWS))
    return out


def render(parts: Sequence[Table | str], width: int) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    for part in parts:
        console.print(part)
    return buffer.getvalue()
