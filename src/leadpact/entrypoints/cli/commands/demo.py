"""``leadpact demo``: sample data in, waterfall out, dashboard up — on the embedded defaults."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from leadpact.entrypoints.cli.output import fail

DEFAULT_DIR = Path("leadpact-demo")
NEGLECTED_LINES = 25


def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo's store, events and charts go.")
    ] = DEFAULT_DIR,
    leads: Annotated[int, typer.Option(min=10, max=2_000_000, help="Leads to generate (~20 events each).")] = 15_000,
    days: Annotated[int, typer.Option(min=7, max=3650, help="Days of history.")] = 365,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and end date give the same data.")] = 42,
    end: Annotated[str | None, typer.Option(help="Last day of history, YYYY-MM-DD (default: today in Japan).")] = None,
    lang: Annotated[str, typer.Option(help="Language of tables, charts and the dashboard: ja or en.")] = "ja",
    host: Annotated[str, typer.Option(help="Dashboard interface.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Dashboard port.")] = 8000,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the dashboard at the end.")] = True,
) -> None:
    """Generate a realistic Japanese B2B history, ingest it through the production path into a
    local SQLite store, print the waterfall, the responsibility view and the neglected leads,
    write the charts, and start the dashboard with sign-in keys printed."""
    if lang not in ("ja", "en"):
        fail(f"--lang: expected ja or en, found {lang!r}")
    started = time.perf_counter()
    from zoneinfo import ZoneInfo

    from leadpact.adapters.agreement_yaml import default_agreement
    from leadpact.config import Settings
    from leadpact.entrypoints.cli.commands.db import open_services
    from leadpact.entrypoints.cli.commands.report import write_chart
    from leadpact.entrypoints.cli.output import progress
    from leadpact.service.clock import SystemClock
    from leadpact.service.demo import DemoPlan, create_demo_keys, demo_files, reset_demo_directory, run_demo
    from leadpact.service.reports import render, report_json

    agreement = default_agreement()
    now = SystemClock().now_us()  # the entrypoint is where the clock is read
    today = datetime.now(ZoneInfo(agreement.timezone)).date()
    try:
        last_day = datetime.strptime(end, "%Y-%m-%d").date() if end else today
    except ValueError:
        fail(f"--end: expected a date YYYY-MM-DD, found {end!r}")
    directory.mkdir(parents=True, exist_ok=True)
    reset_demo_directory(directory)
    _, database = demo_files(directory)
    database_url = f"sqlite:///{database.resolve()}"
    services = open_services(Settings.model_validate({"database_url": database_url}))
    plan = DemoPlan(directory=directory, leads=leads, days=days, seed=seed, end=last_day)
    labels = {"generate": "generating events", "ingest": "ingesting", "evaluate": "evaluating leads"}
    try:
        with progress("leadpact demo", None) as bar:
            task = bar.task_ids[0]

            def on_progress(step: str, done: int, total: int | None) -> None:
                bar.update(task, description=labels.get(step, step), completed=done, total=total)

            result = run_demo(
                plan,
                services,
                agreement,
                now,
                on_step=lambda s: typer.echo(f"==> {s}", err=True),
                on_progress=on_progress,
            )
        keys = create_demo_keys(services, now)
    finally:
        services.close()

    typer.echo(
        f"{result.generated.messages:,} events for {result.generated.leads:,} leads → "
        f"{result.ingested.stored:,} stored, {result.evaluated:,} leads evaluated"
    )
    typer.echo("")
    typer.echo(str(render(result.reports["waterfall"], "table", lang)))  # type: ignore[arg-type]
    typer.echo("")
    neglected = str(render(result.reports["neglected"], "table", lang)).splitlines()  # type: ignore[arg-type]
    shown = neglected[:NEGLECTED_LINES]
    if len(neglected) > NEGLECTED_LINES:
        shown.append(f"… (leadpact report neglected, or the dashboard's work queue, lists all {len(neglected)} lines)")
    typer.echo("\n".join(shown))
    charts = []
    for kind in ("waterfall", "sla", "trend"):
        path = directory / f"{kind}.png"
        write_chart(report_json(result.reports[kind]), path, lang)  # type: ignore[arg-type]
        charts.append(str(path))
    typer.echo("")
    typer.echo(f"charts: {', '.join(charts)}")
    typer.echo(f"events: {result.events_file}   store: {database_url}")
    steps = ", ".join(f"{step} {seconds:.1f}s" for step, seconds in result.seconds.items())
    typer.echo(f"ready in {time.perf_counter() - started:.1f}s ({steps})")
    typer.echo("sign-in keys (shown once):")
    for user, key in keys.items():
        typer.echo(f"  {user:<12} {key}")
    if not serve:
        return
    typer.echo(f"dashboard: http://{host}:{port}/   — sign in as is_tanaka with the key above (Ctrl+C stops)")
    from leadpact.entrypoints.cli.commands.serve import serve as serve_command

    os.environ["LEADPACT_DATABASE_URL"] = database_url  # serve reads Settings like any start-up
    serve_command(host=host, port=port, evaluator="thread", log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
