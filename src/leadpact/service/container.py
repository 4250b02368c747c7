"""Build the services once from :class:`~leadpact.config.Settings` (the composition root)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from leadpact.adapters.store.engine import Store, create_store_engine
from leadpact.adapters.store.schema import upgrade
from leadpact.adapters.webhooks import post_json
from leadpact.config import Settings
from leadpact.service.actions import ActionService
from leadpact.service.agreements import AgreementService
from leadpact.service.auth import AccessService
from leadpact.service.clock import SystemClock
from leadpact.service.evaluation import OnlineEngine
from leadpact.service.flows import FlowService
from leadpact.service.ingest import IngestService
from leadpact.service.lead_cache import LeadCache
from leadpact.service.leads import LeadService
from leadpact.service.nurture.scheduler import NurtureConfig, NurtureScheduler, template_library
from leadpact.service.sla_watch import Poster, SlaWatch


@dataclass(slots=True)
class Services:
    settings: Settings
    store: Store
    agreements: AgreementService
    engine: OnlineEngine
    ingest: IngestService
    leads: LeadService
    actions: ActionService
    access: AccessService
    sla_watch: SlaWatch
    flows: FlowService
    nurture: NurtureScheduler

    def close(self) -> None:
        self.ingest.close()
        self.store.dispose()


def build_services(settings: Settings, *, poster: Poster | None = None) -> Services:
    store = Store(create_store_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous))
    if settings.auto_migrate:
        upgrade(store)
    agreements = AgreementService(store)
    engine = OnlineEngine(
        store, agreements, chunk=settings.evaluation_chunk, cache=LeadCache(settings.machine_cache_size)
    )
    if poster is None:
        poster = partial(_post, timeout=settings.webhook_timeout_seconds)
    flows = FlowService(store, template_library(settings))
    ingest = IngestService(store, engine.notify)

    def events_stored() -> None:
        """Whoever wakes the engine now (``serve`` replaces ``on_stored`` after building)."""
        if ingest.on_stored is not None:
            ingest.on_stored()

    return Services(
        settings=settings,
        store=store,
        agreements=agreements,
        engine=engine,
        ingest=ingest,
        leads=LeadService(store, engine, agreements),
        actions=ActionService(engine),
        access=AccessService(store),
        sla_watch=SlaWatch(
            store, agreements, settings.webhook_urls, poster, max_attempts=settings.webhook_max_attempts
        ),
        flows=flows,
        nurture=NurtureScheduler(
            store,
            flows,
            agreements,
            NurtureConfig.from_settings(settings),
            limiter_clock=SystemClock(),  # rate-limit buckets refill with real time
            on_stored=events_stored,
        ),
    )


def _post(url: str, payload: dict[str, object], *, timeout: float) -> None:
    post_json(url, payload, timeout)
