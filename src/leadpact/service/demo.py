"""``leadpact demo``: a realistic dataset through the production path, and what it shows.

The steps are the ones a company would take on its own data: generate (here) or export the
event log, ingest it through the same :class:`FileIngest` and online engine as ``leadpact
ingest``, then read the reports from the store. Each step reports its time so the demo's
one-minute promise is measured, not assumed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from leadpact.adapters.synthetic.generator import GenerationStats, GeneratorConfig
from leadpact.adapters.synthetic.run import generate_to_file
from leadpact.domain.agreement import Agreement
from leadpact.domain.results import LeadResult
from leadpact.service.container import Services
from leadpact.service.file_ingest import FileIngest, FileIngestReport
from leadpact.service.reports import Report, ReportKind, ReportScope, compute

REPORTS: tuple[ReportKind, ...] = ("waterfall", "sla", "neglected", "trend")

DEMO_USERS: tuple[tuple[str, str], ...] = (
    ("is_tanaka", "inside_sales"),
    ("fs_kimura", "field_sales"),
    ("mkt_yamada", "marketing"),
    ("exec_viewer", "viewer"),
)
"""Who can sign in to the demo dashboard (is_tanaka is one of the default agreement's assignees)."""


@dataclass(frozen=True, slots=True)
class DemoPlan:
    directory: Path
    leads: int
    days: int
    seed: int
    end: date
    """The last day of generated history (the CLI passes today in the agreement's timezone)."""


@dataclass(slots=True)
class DemoResult:
    events_file: Path
    database: Path
    generated: GenerationStats
    ingested: FileIngestReport
    evaluated: int
    leads: list[LeadResult]
    reports: dict[str, Report]
    keys: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@contextmanager
def _timed(seconds: dict[str, float], step: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    seconds[step] = time.perf_counter() - start


def demo_files(directory: Path) -> tuple[Path, Path]:
    """(events file, SQLite database) of a demo directory."""
    return directory / "events.jsonl", directory / "leadpact.db"


def reset_demo_directory(directory: Path) -> None:
    """Remove what an earlier demo left (only the files the demo itself writes)."""
    events, database = demo_files(directory)
    for path in (events, database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.unlink(missing_ok=True)
    for chart in directory.glob("*.png"):
        chart.unlink()


def run_demo(
    plan: DemoPlan,
    services: Services,
    agreement: Agreement,
    now: int,
    on_step: Callable[[str], None] = lambda _: None,
    on_progress: Callable[[str, int, int | None], None] = lambda *_: None,
) -> DemoResult:
    """Generate → ingest → evaluate → report. ``now`` (µs) is the evaluation time."""
    events_file, database = demo_files(plan.directory)
    seconds: dict[str, float] = {}
    start = plan.end - timedelta(days=plan.days - 1)

    on_step("generate")
    with _timed(seconds, "generate"):
        config = GeneratorConfig(leads=plan.leads, start=start, days=plan.days, seed=plan.seed, agreement=agreement)
        generated = generate_to_file(config, events_file, "jsonl", lambda n: on_progress("generate", n, None))

    on_step("ingest")
    size = events_file.stat().st_size
    with _timed(seconds, "ingest"), events_file.open("rb") as stream:
        ingested = FileIngest(services.store, batch_size=2000).run(
            stream, now, source=str(events_file.resolve()), on_batch=lambda offset: on_progress("ingest", offset, size)
        )

    on_step("evaluate")
    evaluated = 0
    pending = services.engine.pending()
    with _timed(seconds, "evaluate"):
        while (done := services.engine.run_pending(max_chunks=1)) > 0:
            evaluated += done
            on_progress("evaluate", evaluated, pending)

    on_step("report")
    with _timed(seconds, "report"):
        # The dashboard's reader turns stored lead states into LeadResults (the same objects a
        # replay yields), so these figures are the store's, not a second computation.
        from leadpact.service.dashboard.snapshot import LeadSnapshot

        leads = list(LeadSnapshot(services.store).current().leads)
        scope = ReportScope.for_agreement(agreement, now)
        reports: dict[str, Report] = {kind: compute(kind, leads, scope) for kind in REPORTS}
    return DemoResult(events_file, database, generated, ingested, evaluated, leads, reports, seconds=seconds)


def create_demo_keys(services: Services, now: int) -> dict[str, str]:
    """One API key per demo user (printed once by the CLI, like ``leadpact keys create``)."""
    return {user: services.access.create_user_key(user, role, now) for user, role in DEMO_USERS}
