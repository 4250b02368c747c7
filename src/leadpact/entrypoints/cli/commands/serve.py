"""``leadpact serve``: the HTTP API plus the online engine, SLA watch and webhooks, and the
nurture scheduler."""

from __future__ import annotations

from typing import Annotated

import typer

from leadpact.entrypoints.cli.commands.db import open_services, shown_url
from leadpact.entrypoints.cli.output import fail
from leadpact.service.clock import SystemClock
from leadpact.service.container import Services


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    evaluator: Annotated[
        str,
        typer.Option(
            help="process: the online engine runs in a process of its own (uses another core); thread: inside this one."
        ),
    ] = "process",
    log_level: Annotated[str, typer.Option(help="uvicorn log level: critical, error, warning, info, debug.")] = "info",
) -> None:
    """Serve the API (OpenAPI at /docs) and the dashboard on HOST:PORT; the store comes from
    LEADPACT_DATABASE_URL.

    Neglected leads: clocks are checked every LEADPACT_SLA_CHECK_SECONDS (60) and each new
    breach is posted to LEADPACT_WEBHOOK_URLS (comma-separated, Slack-compatible). Nurture
    mail: LEADPACT_SMTP_* and LEADPACT_NURTURE_INTERVAL_SECONDS. Every setting: docs/store.md.
    """
    if evaluator not in ("process", "thread"):
        fail(f"--evaluator: expected process or thread, found {evaluator!r}")
    import uvicorn

    from leadpact.entrypoints.api.app import create_app
    from leadpact.entrypoints.evaluator import EvaluatorProcess, tune_gc

    tune_gc()
    services = open_services()
    typer.echo(f"leadpact: store {shown_url(services.settings.database_url)}", err=True)
    typer.echo(f"leadpact: API on http://{host}:{port} (docs: http://{host}:{port}/docs)", err=True)
    typer.echo(f"leadpact: dashboard on http://{host}:{port}/", err=True)
    typer.echo(f"leadpact: nurture scheduler {_nurture_state(services)}", err=True)
    services.ingest.limit_lag(services.settings.evaluation_lag_limit, SystemClock())
    child = EvaluatorProcess() if evaluator == "process" else None
    if child is not None:
        in_process = services.ingest.on_stored

        def wake() -> None:
            if in_process is not None:
                in_process()
            child.notify()

        services.ingest.on_stored = wake
    app = create_app(
        services, background=True, evaluate_in_thread=child is None, companions=[child] if child is not None else []
    )
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
    services.close()  # reached on a clean exit only: uvicorn re-raises the signal that stopped it


def _nurture_state(services: Services) -> str:
    settings = services.settings
    smtp = services.nurture.config.smtp
    reason = services.nurture.idle_reason(SystemClock().now_us())
    if reason is not None:
        return f"idle: {reason}"
    assert smtp is not None
    return f"every {settings.nurture_interval_seconds:g} s, mail through {smtp.host}:{smtp.port}"


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
