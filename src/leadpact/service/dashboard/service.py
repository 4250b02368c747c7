"""What the dashboard and the report endpoints read: the SPEC §6 reports and the work queue
over the store, fast enough for a page (docs/dashboard.md has the figures).

* Leads come from :class:`~leadpact.service.dashboard.snapshot.LeadSnapshot` (the stored
  states, refreshed incrementally).
* Reports are computed by the same ``compute`` + ``report_json`` as ``leadpact report``. The API
  gets the report as of the current minute. A page gets the newest figures for the current
  store state, recomputed in the background once they are five minutes old (their as-of time
  is on the page); when the store has just changed, the page waits briefly for the new
  figures and otherwise shows the previous ones marked as updating, and refreshes itself.
* A warmer thread recomputes the views people used in the last minutes when the store
  changes (shortly after an action, so the action's own page is not slowed) or when they
  age; it stops by itself when nobody has asked for a while.
* A report as of a moment before the newest stored event cannot come from the stored states
  (they are as of each lead's last event): the log is replayed as of that moment instead.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Final

from leadpact.adapters.agreement_yaml import load_agreement_text
from leadpact.adapters.store.event_log import EventLog
from leadpact.domain.replay import replay
from leadpact.domain.results import LeadResult
from leadpact.domain.timeutil import US_PER_SECOND
from leadpact.service.agreements import ActiveAgreement
from leadpact.service.clock import Clock
from leadpact.service.container import Services
from leadpact.service.dashboard.jobs import Job, Jobs
from leadpact.service.dashboard.queue import QueueFilter, WorkQueue, work_queue
from leadpact.service.dashboard.segments import SegmentFilter, facets
from leadpact.service.dashboard.snapshot import LeadSnapshot, Snapshot
from leadpact.service.dashboard.store_reads import StoreReads
from leadpact.service.dashboard.store_runs import backtest_store, calibrate_store
from leadpact.service.reports import ReportKind, ReportScope, compute, report_json

_log = logging.getLogger(__name__)
US_PER_MINUTE: Final = 60 * US_PER_SECOND
FRESH_US: Final = 5 * US_PER_MINUTE
"""A page's figures for an unchanged store are recomputed (in the background) once this old:
only SLA clocks passing their deadline change them, and the page shows their as-of time."""
STALE_LIMIT_US: Final = 30 * US_PER_MINUTE
"""Older figures for an unchanged store are recomputed before the page shows them."""
PAGE_WAIT_SECONDS: Final = 0.15
"""How long a page waits for figures being computed before showing the previous ones (or
saying they are being prepared)."""
WARM_REPORTS_AT_MOST: Final = 3
"""Report views recomputed per turn of the warmer (the most recently used): each costs up to
a second of CPU on the demo dataset, which every page being served shares."""
YIELD_SECONDS: Final = 0.05
"""The warmer's pause between two views, so that requests waiting for the GIL get through."""
WARM_INTERVAL_SECONDS: Final = 5.0
POKE_DELAY_SECONDS: Final = 1.0
"""After an action the warmer waits this long, so the page the action leads to renders first."""
RECENT_SECONDS: Final = 180.0
"""Views used within this time are kept warm."""
IDLE_SECONDS: Final = 600.0
"""The warmer stops after this long without a page asking for anything."""
WARM_AT_MOST: Final = 8
"""Distinct report and queue views kept warm (the most recently used)."""


@dataclass(frozen=True, slots=True)
class ReportRequest:
    kind: ReportKind
    start: int | None = None
    end: int | None = None
    by: str | None = None
    target: str = "customer"
    segments: SegmentFilter = field(default_factory=SegmentFilter)

    @property
    def needs_touches(self) -> bool:
        return self.kind == "attribution" or self.by == "content"


ANY_CLOCK: Final = QueueFilter()


@dataclass(frozen=True, slots=True)
class _Figures:
    """A report computed for one store state (``generation``) as of ``at``."""

    data: dict[str, Any]
    at: int
    generation: int
    seconds: float
    """How long computing it took: a page does not wait for figures that take longer."""


@dataclass(frozen=True, slots=True)
class ReportView:
    data: dict[str, Any]
    fresh: bool
    """False: the store changed and these are the previous figures (being recomputed)."""
    pending: bool = False
    """True: a first question still being computed (``data`` is empty); ask again shortly."""


WarmHook = Callable[[ReportRequest, dict[str, Any]], None]


class _Lru:
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class DashboardService:
    def __init__(
        self,
        services: Services,
        clock: Clock,
        *,
        warm: bool = True,
        cache_size: int = 64,
        recheck_seconds: float = 30.0,
    ) -> None:
        self.services = services
        self.clock = clock
        self.snapshot = LeadSnapshot(services.store, recheck_seconds=recheck_seconds)
        self.jobs = Jobs()
        self.warm_hooks: list[WarmHook] = []
        self._warm = warm
        self._cache = _Lru(cache_size)
        self._latest = _Lru(cache_size)
        """The newest figures of each (agreement, question) for the pages and the API."""
        self._compute_lock = threading.Lock()
        self._recent: OrderedDict[ReportRequest | QueueFilter, float] = OrderedDict()
        self._recent_lock = threading.Lock()
        self._wake = threading.Event()
        self._urgent = threading.Event()
        self._closed = False
        self._warmer: threading.Thread | None = None
        self._last_use = time.monotonic()
        self.computed = 0
        """Reports computed (not served from the cache), for tests and the benchmark."""

    # --- reading ----------------------------------------------------------------------------
    def now(self) -> int:
        return self.clock.now_us()

    def active(self) -> ActiveAgreement:
        return self.services.agreements.active()

    def leads(self, *, touches: bool = False) -> Snapshot:
        return self.snapshot.current(touches=touches)

    def report(self, request: ReportRequest, as_of: int | None = None) -> dict[str, Any]:
        """The report's JSON (docs/reports.md) as of now (to the minute), or as of ``as_of``."""
        now = self.now()
        active = self.active()
        snapshot = self.leads(touches=request.needs_touches)
        if as_of is not None and as_of < now and self._before_newest_event(snapshot, as_of):
            return self._replayed_report(request, active, snapshot, as_of)
        if as_of is not None:
            key = ("at", snapshot.generation, _agreement_key(active), as_of, request)
            cached = self._cache.get(key)
            if cached is None:
                cached = self._compute(request, snapshot.leads, active, as_of)
                self._cache.put(key, cached)
            return dict(cached)
        self._used(request)
        latest = self._latest_for(request, active, snapshot)
        if latest is not None and latest.at // US_PER_MINUTE == now // US_PER_MINUTE:
            return dict(latest.data)
        return dict(self._compute_latest(request, active, snapshot, now).data)

    def report_view(self, request: ReportRequest, wait_seconds: float = PAGE_WAIT_SECONDS) -> ReportView:
        """The report for a page, answered within about ``wait_seconds`` when the warmer runs.

        Figures for the current store state are shown as they are (their as-of time is on the
        page) and recomputed in the background once :data:`FRESH_US` old. When the store has
        changed since the last figures, the page waits for the warmer and otherwise shows the
        previous figures as not fresh; a question never asked before is computed by the warmer
        and the page answers ``pending`` if it takes longer. Without the warmer everything is
        computed at once."""
        self._used(request)
        now = self.now()
        active = self.active()
        snapshot = self.leads(touches=request.needs_touches)
        latest = self._latest.get((_agreement_key(active), request))
        current = latest is not None and latest.generation == snapshot.generation
        if latest is not None and current:
            age = now - latest.at
            if age < FRESH_US:
                return ReportView(dict(latest.data), fresh=True)
            if self._warm and age < STALE_LIMIT_US:
                self._urge()
                return ReportView(dict(latest.data), fresh=True)
        if not self._warm or current:
            return ReportView(dict(self._compute_latest(request, active, snapshot, now).data), fresh=True)
        self._urge()
        if latest is not None and latest.seconds > wait_seconds:
            return ReportView(dict(latest.data), fresh=False)  # it will not be ready in time
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            time.sleep(0.01)
            newer = self._latest_for(request, active, snapshot)
            if newer is not None:
                return ReportView(dict(newer.data), fresh=True)
        if latest is None:
            return ReportView({}, fresh=False, pending=True)
        return ReportView(dict(latest.data), fresh=False)

    def queue(self, flt: QueueFilter = ANY_CLOCK, *, remember: bool = True) -> WorkQueue:
        if remember:
            self._used(flt)
        now = self.now()
        active = self.active()
        snapshot = self.leads()
        key = ("queue", snapshot.generation, _agreement_key(active), now // US_PER_MINUTE, flt)
        cached = self._cache.get(key)
        if cached is None:
            cached = work_queue(snapshot.leads, now, active.agreement, flt)
            self._cache.put(key, cached)
        assert isinstance(cached, WorkQueue)
        return cached

    def facets(self) -> dict[str, list[tuple[str, int]]]:
        """Values of the segment filters, with lead counts (for the filter menus)."""
        active = self.active()
        snapshot = self.leads()
        key = ("facets", snapshot.generation)
        cached = self._cache.get(key)
        if cached is None:
            cached = facets(snapshot.leads, active.agreement.zone)
            self._cache.put(key, cached)
        assert isinstance(cached, dict)
        return cached

    def log_position(self) -> int:
        """The newest stored event's id: what a back-test's answer depends on."""
        with self.services.store.read() as conn:
            return StoreReads(conn).fingerprint()[0]

    def backtest(
        self,
        proposed_text: str,
        start: int | None,
        end: int | None,
        as_of: int | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Job:
        """Start (or find) the back-test of ``proposed_text`` against the active agreement over
        the stored history (raises AgreementError first if the text is invalid). The answer
        is shared by everyone asking the same question: same log, agreements, period and
        moment ("now" to the minute)."""
        proposed = load_agreement_text(proposed_text, "proposed agreement")
        now = self.now()
        digest = hashlib.sha256(proposed_text.encode("utf-8")).hexdigest()
        moment = ("now", now // US_PER_MINUTE) if as_of is None else ("at", as_of)
        version = self.active().agreement.version
        key = ("backtest", self.log_position(), version, digest, start, end, moment)
        when = now if as_of is None else as_of
        about = {"version": proposed.version, "name": proposed.name, "current": version, "start": start, "end": end}
        return self.jobs.submit(
            key, lambda: backtest_store(self.services, proposed, when, start, end), {**about, **(meta or {})}
        )

    def calibrate(self, target: str = "customer") -> Job:
        """Start (or find) a calibration on the stored outcomes (``target``: leads that became
        customers, or reached SQL), based on the active agreement."""
        now = self.now()
        version = self.active().agreement.version
        key = ("calibration", self.log_position(), version, target)
        return self.jobs.submit(
            key, lambda: calibrate_store(self.services, now, target), {"current": version, "target": target}
        )

    def prepare(self) -> None:
        """Someone is about to sign in: read the leads and compute the views every role starts
        from (the waterfall, the whole queue) in the background now."""
        with self._recent_lock:
            for view in (QueueFilter(), ReportRequest("waterfall")):
                self._recent.setdefault(view, time.monotonic())
        self._touch()
        self._wake.set()

    def poke(self) -> None:
        """Something changed the store (an action, an activation): recompute the views soon."""
        self._wake.set()

    def close(self) -> None:
        """Stop the warmer (it also stops by itself when idle)."""
        self._closed = True
        self._urgent.set()
        self._wake.set()
        if self._warmer is not None:
            self._warmer.join(10)

    def _urge(self) -> None:
        """A page is waiting: recompute the views now."""
        self._touch()
        self._urgent.set()
        self._wake.set()

    # --- computing --------------------------------------------------------------------------
    def _compute(
        self, request: ReportRequest, leads: tuple[LeadResult, ...], active: ActiveAgreement, as_of: int
    ) -> dict[str, Any]:
        agreement = active.agreement
        chosen = request.segments.apply(leads, agreement.zone)
        scope = ReportScope.for_agreement(agreement, as_of, request.start, request.end)
        report = compute(request.kind, chosen, scope, by=request.by, target=request.target)
        self.computed += 1
        data = report_json(report)
        if request.segments.active():
            data["segments_filter"] = request.segments.active()
        return data

    def _latest_for(self, request: ReportRequest, active: ActiveAgreement, snapshot: Snapshot) -> _Figures | None:
        """The newest figures of ``request`` if they are for this store state."""
        latest: _Figures | None = self._latest.get((_agreement_key(active), request))
        return latest if latest is not None and latest.generation == snapshot.generation else None

    def _compute_latest(
        self, request: ReportRequest, active: ActiveAgreement, snapshot: Snapshot, now: int
    ) -> _Figures:
        with self._compute_lock:
            latest = self._latest_for(request, active, snapshot)
            if latest is not None and latest.at // US_PER_MINUTE == now // US_PER_MINUTE:
                return latest  # computed meanwhile by another thread
            started = time.perf_counter()
            data = self._compute(request, snapshot.leads, active, now)
            figures = _Figures(data, now, snapshot.generation, time.perf_counter() - started)
            self._latest.put((_agreement_key(active), request), figures)
            return figures

    def _before_newest_event(self, snapshot: Snapshot, as_of: int) -> bool:
        key = ("newest", snapshot.fingerprint[0])
        newest = self._cache.get(key)
        if newest is None:
            with self.services.store.read() as conn:
                newest = StoreReads(conn).newest_event_ts() or 0
            self._cache.put(key, newest)
        return bool(as_of < newest)

    def _replayed_report(
        self, request: ReportRequest, active: ActiveAgreement, snapshot: Snapshot, as_of: int
    ) -> dict[str, Any]:
        key = ("replay", snapshot.fingerprint[0], _agreement_key(active), as_of)
        leads = self._cache.get(key)
        if leads is None:
            with self.services.store.read() as conn:
                messages = list(EventLog(conn).all_messages())
            leads = tuple(replay(messages, active.agreement, as_of).leads.values())
            self._cache.put(key, leads)
        report_key = (*key, request)
        cached = self._cache.get(report_key)
        if cached is None:
            cached = self._compute(request, leads, active, as_of)
            self._cache.put(report_key, cached)
        return dict(cached)

    # --- keeping views warm -------------------------------------------------------------------
    def _touch(self) -> None:
        self._last_use = time.monotonic()
        if self._warm and not self._closed and (self._warmer is None or not self._warmer.is_alive()):
            self._warmer = threading.Thread(target=self._warm_loop, name="leadpact-dashboard-warmer", daemon=True)
            self._warmer.start()

    def _used(self, request: ReportRequest | QueueFilter) -> None:
        with self._recent_lock:
            self._recent[request] = time.monotonic()
            self._recent.move_to_end(request)
            while len(self._recent) > WARM_AT_MOST:
                self._recent.popitem(last=False)
        self._touch()

    def warm_once(self) -> None:
        """Bring the views used in the last minutes up to date (the warmer's turn): reports
        whose figures are for an older store state or a minute old, queues, filter values."""
        horizon = time.monotonic() - RECENT_SECONDS
        with self._recent_lock:
            views = [view for view, used in reversed(self._recent.items()) if used >= horizon]
        now = self.now()
        reports = 0
        for view in views:
            if not isinstance(view, QueueFilter):
                reports += 1
                if reports > WARM_REPORTS_AT_MOST:
                    continue
            try:
                self._warm_view(view, now)
            except Exception:  # one view that cannot be computed must not keep the others stale
                _log.exception("dashboard: warming %r failed; it is no longer kept warm", view)
                with self._recent_lock:
                    self._recent.pop(view, None)
        self.facets()

    def _warm_view(self, view: ReportRequest | QueueFilter, now: int) -> None:
        if isinstance(view, QueueFilter):
            self.queue(view, remember=False)
            return
        active = self.active()
        snapshot = self.leads(touches=view.needs_touches)
        latest = self._latest_for(view, active, snapshot)
        if latest is None or now - latest.at >= FRESH_US:
            time.sleep(YIELD_SECONDS)
            figures = self._compute_latest(view, active, snapshot, now)
            for hook in self.warm_hooks:
                hook(view, figures.data)

    def _warm_loop(self) -> None:
        while time.monotonic() - self._last_use < IDLE_SECONDS:
            woken = self._wake.wait(WARM_INTERVAL_SECONDS)
            self._wake.clear()
            if woken and not self._urgent.is_set():
                self._urgent.wait(POKE_DELAY_SECONDS)  # let the page an action leads to render first
            self._urgent.clear()
            if self._closed:
                return
            try:
                self.warm_once()
            except Exception:  # a failed warm-up must not kill the thread; the page computes itself
                _log.exception("dashboard: warming the views failed; pages will compute them")
                time.sleep(WARM_INTERVAL_SECONDS)


def _agreement_key(active: ActiveAgreement) -> tuple[str, int | None]:
    return (active.agreement.version, active.activation.id if active.activation else None)
