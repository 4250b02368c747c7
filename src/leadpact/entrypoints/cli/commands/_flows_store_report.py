"""``leadpact flows report`` without FLOW and EVENTS: the report over the store.

The flow versions activated in the store (``LEADPACT_DATABASE_URL``; a flow deactivated since,
up to its stop, marked as stopped), the active agreement and the stored event log, as of
``--as-of`` (default: now) — the JSON is exactly what ``GET /v1/reports/flows`` answers for the
same moment.
"""

from __future__ import annotations

import json
from typing import Final

import typer
from rich.table import Table

from leadpact.domain.messages import MessageError
from leadpact.domain.timeutil import US_PER_SECOND, iso
from leadpact.entrypoints.cli.commands._moments import parse_as_of
from leadpact.entrypoints.cli.commands.db import open_services
from leadpact.entrypoints.cli.commands.report import terminal_width
from leadpact.entrypoints.cli.output import fail, progress
from leadpact.service.clock import SystemClock
from leadpact.service.labels import Lang
from leadpact.service.nurture.render_text import render, stats_tables
from leadpact.service.nurture.store_report import FlowReportService

_WORDS: Final[dict[Lang, dict[str, str]]] = {
    "en": {
        "head": "Nurture flows in the store as of {as_of} (agreement {version})",
        "none": "No flow version is active in the store (upload and activate one first).",
        "stopped": "Stopped at {when} by {by}: the figures are its runs up to the stop "
        "(opens, clicks and MQLs recorded since included).",
    },
    "ja": {
        "head": "ストアのナーチャリングフロー({as_of} 時点、合意書 {version})",
        "none": "ストアで有効なフローのバージョンはありません(先にアップロードして有効化してください)。",
        "stopped": "停止: {when}({by})。数値は停止までの実行で、その後に記録された開封・クリックとMQL到達を含みます。",
    },
}


def report_from_store(as_of: str | None, flow_id: str | None, as_json: bool, lang: Lang) -> None:
    moment = parse_as_of(as_of) if as_of is not None else SystemClock().now_us()
    services = open_services()
    try:
        reports = FlowReportService(
            services.store, services.agreements, services.flows.reported_flows, background=False
        )
        with progress("Evaluating flows", total=None):
            report = reports.at(moment, flow_id)
    except MessageError as exc:
        fail(f"--flow: {exc.problem}")
    finally:
        services.close()
    if as_json:
        typer.echo(json.dumps(report.to_json(lang), ensure_ascii=False, indent=2))
        return
    words = _WORDS[lang]
    zone = report.agreement.zone
    head = words["head"].format(as_of=iso(_to_second(report.as_of), zone), version=report.agreement.version)
    parts: list[Table | str] = [head]
    for stats in report.stats:
        parts += stats_tables([stats], lang)
        stop = report.stop(stats)
        if stop is not None:
            parts.append(words["stopped"].format(when=iso(_to_second(stop[0]), zone), by=stop[1] or "-"))
    if not report.stats:
        parts.append(words["none"])
    typer.echo(render(parts, terminal_width()), nl=False)


def _to_second(moment: int) -> int:
    """Moments to the second on a terminal."""
    return moment - moment % US_PER_SECOND
