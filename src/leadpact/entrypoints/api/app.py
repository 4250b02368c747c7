"""The FastAPI application factory (OpenAPI at /docs).

``create_app`` takes ready services and a clock, so tests pass fixed times and their own
store; ``leadpact serve`` builds both from Settings and starts the background worker (the
online engine's queue, agreement re-evaluations, the SLA watch, the nurture scheduler).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

from fastapi import Depends, FastAPI

from leadpact import __version__
from leadpact.config import Settings
from leadpact.entrypoints.api import errors
from leadpact.entrypoints.api.deps import KeyCache
from leadpact.entrypoints.api.routes import agreements, flows, ingest, leads, reports, sla, system, tracking
from leadpact.entrypoints.api.storable import reject_unstorable_parameters
from leadpact.entrypoints.web import register_web
from leadpact.service.clock import Clock, SystemClock
from leadpact.service.container import Services, build_services
from leadpact.service.worker import BackgroundWorker


class Companion(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


DESCRIPTION = """\
leadpact's HTTP API. Send events with any Segment or RudderStack SDK pointed at this host
(the write key is the HTTP Basic user name); read and act on leads with an API key
(`Authorization: Bearer lpk_…`). See docs/api.md.
"""


def create_app(
    services: Services | None = None,
    *,
    settings: Settings | None = None,
    clock: Clock | None = None,
    background: bool = False,
    evaluate_in_thread: bool = True,
    companions: Sequence[Companion] = (),
    web: bool = True,
    warm_dashboard: bool = True,
) -> FastAPI:
    """An app over ``services`` (built from ``settings`` if not given). With ``background``
    the worker threads run while the app is up (``leadpact serve``): the SLA watch, and the
    online engine unless ``evaluate_in_thread`` is False (it runs in its own process).
    ``companions`` (the evaluator process) start and stop with the app: uvicorn re-raises the
    signal that stopped it, so only the lifespan is sure to run on shutdown."""
    if services is None:
        services = build_services(settings or Settings.model_validate({}))
    clock = clock or SystemClock()
    worker = (
        BackgroundWorker(
            services.engine,
            services.sla_watch,
            clock,
            services.settings.sla_check_seconds,
            evaluate=evaluate_in_thread,
            nurture=services.nurture,
            nurture_interval=services.settings.nurture_interval_seconds,
            gather=services.settings.evaluation_gather_seconds,
        )
        if background
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for companion in companions:
            companion.start()
        if worker is not None:
            services.store.checkpoint_in_background()  # the long-running writer of `serve`
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
                services.store.stop_background_checkpoints()
            for companion in companions:
                companion.stop()
            dashboard = getattr(app.state, "dashboard", None)
            if dashboard is not None:
                dashboard.close()

    app = FastAPI(title="leadpact", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.services = services
    app.state.clock = clock
    app.state.key_cache = KeyCache()
    errors.install(app)
    app.include_router(ingest.router)  # reads no parameters; validates its messages itself
    for module in (leads, agreements, flows, sla, system, reports):
        app.include_router(module.router, dependencies=[Depends(reject_unstorable_parameters)])
    app.include_router(tracking.router)  # a token that does not verify stays a 404 revealing nothing
    if web:  # the dashboard for people, on the same services and roles
        register_web(app, warm=warm_dashboard)
    else:
        app.state.dashboard_warm = warm_dashboard
    return app
