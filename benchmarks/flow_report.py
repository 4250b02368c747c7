"""How much the per flow / per step nurture report costs over a store (issue #8, item 6).

Builds (once, cached under ``.bench-data/``) a SQLite store holding a generated history — by
default the dashboard benchmark's demo dataset, 15,000 leads and about 300,000 events —
through the real ingestion path, with the shipped ``whitepaper_webinar`` flow activated from
the history's first day, then times in-process (CPU seconds from ``time.process_time`` and
wall seconds) what the API and the dashboard page do:

* **first report** — every lead's events read and the candidates evaluated by the flow engine;
* **unchanged** — the same moment again (one ``MAX(id)`` query);
* **a minute later** — runs that fell due in that minute are evaluated again;
* **after new events** — a few leads get an event (the per-lead marks are compared, only those
  leads are read and evaluated);
* **a week later** — every run due during the week;
* **a given moment** — ``as_of`` a month earlier (every candidate evaluated as of then).

Usage::

    python benchmarks/flow_report.py [--leads 15000] [--seed 1] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.adapters.flow_yaml import example_flow_path
from leadpact.adapters.synthetic import GeneratorConfig, generate_to_file
from leadpact.config import Settings
from leadpact.domain.timeutil import US_PER_DAY, US_PER_SECOND, to_us
from leadpact.service.clock import SystemClock
from leadpact.service.container import Services, build_services
from leadpact.service.file_ingest import FileIngest
from leadpact.service.ingest import validate
from leadpact.service.nurture.store_report import FlowReportService

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".bench-data"
START = date(2025, 4, 1)
DAYS = 365


def store(leads: int, seed: int) -> tuple[Path, int]:
    """The cached store for (leads, seed) and its number of events (no lead evaluation: the
    report reads only the event log)."""
    CACHE.mkdir(exist_ok=True)
    database = CACHE / f"flow-report-store-{leads}-{seed}.db"
    events = CACHE / f"dashboard-{leads}-{seed}.jsonl"  # shared with benchmarks/dashboard_pages.py
    if not events.exists():
        print(f"generating {leads} leads …", file=sys.stderr)
        generate_to_file(GeneratorConfig(leads, START, DAYS, seed, default_agreement()), events, "jsonl")
    count = sum(1 for line in events.open("rb") if line.strip())
    if not database.exists():
        print("ingesting …", file=sys.stderr)
        partial = database.with_suffix(".partial")
        services = build_services(Settings.model_validate({"database_url": f"sqlite:///{partial}"}))
        with events.open("rb") as stream:
            FileIngest(services.store, 5000).run(stream, SystemClock().now_us(), source=str(events.resolve()))
        start = to_us(datetime.combine(START, clock_time(), tzinfo=default_agreement().zone))
        text = example_flow_path().read_text(encoding="utf-8")
        services.flows.upload(text, "whitepaper_webinar.yaml", "bench", start)
        services.flows.activate("whitepaper_webinar", "1", "bench", start)
        services.close()
        partial.replace(database)
    return database, count


def measure(label: str, call: Callable[[], Any], reports: FlowReportService, out: dict[str, Any]) -> Any:
    before, engine_before = reports.evaluated, reports.candidates
    cpu, wall = time.process_time(), time.perf_counter()
    result = call()
    row = {
        "cpu_s": round(time.process_time() - cpu, 3),
        "wall_s": round(time.perf_counter() - wall, 3),
        "leads_read": reports.evaluated - before,
        "leads_through_the_engine": reports.candidates - engine_before,
    }
    out[label] = row
    timing = f"cpu {row['cpu_s']:>7.3f} s   wall {row['wall_s']:>7.3f} s"
    print(f"{label:<22} {timing}   read {row['leads_read']:>6,}   engine {row['leads_through_the_engine']:>6,}")
    return result


def new_events(services: Services, now: int, leads: list[str]) -> None:
    objs = [
        {"type": "page", "messageId": f"bench-{now}-{lead}", "timestamp": _iso(now), "userId": lead,
         "properties": {"path": "/pricing"}}
        for lead in leads
    ]  # fmt: skip
    services.ingest.ingest([validate(obj, default_timestamp=None, allow_actions=False) for obj in objs], now)


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us / US_PER_SECOND, tz=default_agreement().zone).isoformat()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=15_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    database, count = store(args.leads, args.seed)
    work = database.with_name(database.stem + "-run.db")
    work.write_bytes(database.read_bytes())
    services = build_services(Settings.model_validate({"database_url": f"sqlite:///{work}"}))
    try:
        end = to_us(
            datetime.combine(
                date.fromordinal(START.toordinal() + DAYS), clock_time(12), tzinfo=default_agreement().zone
            )
        )
        reports = FlowReportService(services.store, services.agreements, services.flows.active_flows, background=False)
        out: dict[str, Any] = {}
        report = measure("first report", lambda: reports.current(end), reports, out)
        measure("unchanged", lambda: reports.current(end), reports, out)
        measure("a minute later", lambda: reports.current(end + 60 * US_PER_SECOND), reports, out)
        with services.store.read() as conn:
            sql = "SELECT DISTINCT lead_id FROM events WHERE lead_id IS NOT NULL ORDER BY lead_id LIMIT 10"
            some = [row[0] for row in conn.exec_driver_sql(sql)]
        new_events(services, end + 120 * US_PER_SECOND, some)
        measure("after 10 new events", lambda: reports.current(end + 180 * US_PER_SECOND), reports, out)
        measure("a week later", lambda: reports.current(end + 7 * US_PER_DAY), reports, out)
        measure("as of a month earlier", lambda: reports.at(end - 30 * US_PER_DAY), reports, out)
        (flow,) = report.stats
        summary = {
            "leads": args.leads,
            "events": count,
            "entered": flow.entered,
            "goal": flow.goal,
            "load_average": os.getloadavg(),
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "timings": out,
        }
        print(json.dumps({k: v for k, v in summary.items() if k != "timings"}))
        if args.json is not None:
            args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    finally:
        services.close()
        work.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
