"""The background work of ``leadpact serve``: the online engine's queue and agreement
re-evaluations (:class:`EvaluatorLoop`), the SLA watch, and the nurture scheduler (one tick
every ``nurture_interval_seconds``). The clock is read here, at the loop, and passed to the
services."""

from __future__ import annotations

import logging
import threading

from leadpact.service.clock import Clock
from leadpact.service.evaluation import OnlineEngine
from leadpact.service.nurture.delivery import TransportConfigError
from leadpact.service.nurture.scheduler import NurtureScheduler
from leadpact.service.sla_watch import SlaWatch

log = logging.getLogger("leadpact.worker")

POLL_SECONDS = 0.25
"""How often an idle evaluator looks for work it was not told about (``leadpact ingest`` in
another process); work queued by the server wakes it at once."""


class EvaluatorLoop:
    """Evaluate queued leads and finish agreement activations until stopped."""

    def __init__(self, engine: OnlineEngine, clock: Clock, poll: float = POLL_SECONDS, gather: float = 0.0) -> None:
        self.engine = engine
        self.clock = clock
        self.poll = poll
        self.gather = gather
        """Seconds the oldest queued lead waits before the queue is evaluated, so that events
        arriving close together are evaluated together (``evaluation_gather_seconds``)."""
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                progressed = self.engine.reevaluate_step(self.clock.now_us()) is not None
                if self.gather > 0 and self.stopping.wait(self.engine.gather_wait(self.clock.now_us(), self.gather)):
                    break
                progressed = self.engine.run_pending(max_chunks=8) > 0 or progressed
            except Exception:
                log.exception("evaluation failed; retrying in a second")
                self.stopping.wait(1.0)
                continue
            if not progressed:
                self.engine.wait_for_work(self.poll)

    def stop(self) -> None:
        self.stopping.set()
        self.engine.notify()


class NurtureLoop:
    """One nurture tick every ``interval`` seconds until stopped. When a tick cannot run (no
    SMTP server configured, no active flow, ...) the reason is logged once, not every tick."""

    def __init__(self, scheduler: NurtureScheduler, clock: Clock, interval: float) -> None:
        self.scheduler = scheduler
        self.clock = clock
        self.interval = interval
        self.stopping = threading.Event()
        self._last_reason: str | None = None

    def run(self) -> None:
        while not self.stopping.is_set():
            self.tick_once()
            self.stopping.wait(self.interval)

    def tick_once(self) -> None:
        try:
            report = self.scheduler.tick(self.clock.now_us())
        except TransportConfigError as exc:  # a refused login: every tick would say the same
            self._idle(f"SMTP: {exc}")
            return
        except Exception:
            log.exception("nurture tick failed; retrying at the next interval")
            self._last_reason = None
            return
        if not report.ran:
            self._idle(report.reason or "")
            return
        if self._last_reason is not None:
            log.warning("nurture: sending again")
        self._last_reason = None
        run = report.run
        if run.problems:
            log.error("nurture: %d mail(s) could not be composed, e.g. %s", len(run.problems), run.problems[0])
        for key in run.recovered_unconfirmed:
            log.warning("nurture: check delivery of %s: a crash hid the server's reply (taken as sent)", key)
        if run.sent or run.enqueued or run.emitted or run.failed or run.bounced or report.full:
            log.info("%s", report.summary())

    def _idle(self, reason: str) -> None:
        if reason != self._last_reason:
            log.warning("nurture: no mail is being sent: %s", reason)
        self._last_reason = reason

    def stop(self) -> None:
        self.stopping.set()


class BackgroundWorker:
    """Threads in the server process: the SLA watch, the nurture scheduler (when given), and
    the evaluator unless it runs in a process of its own (``evaluate`` False)."""

    def __init__(
        self,
        engine: OnlineEngine,
        sla_watch: SlaWatch,
        clock: Clock,
        sla_interval: float,
        *,
        evaluate: bool = True,
        nurture: NurtureScheduler | None = None,
        nurture_interval: float = 60.0,
        gather: float = 0.0,
    ) -> None:
        self.sla_watch = sla_watch
        self.clock = clock
        self.sla_interval = sla_interval
        self.evaluator = EvaluatorLoop(engine, clock, gather=gather) if evaluate else None
        self.nurture = NurtureLoop(nurture, clock, nurture_interval) if nurture is not None else None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        targets = [("leadpact-sla-watch", self._sla_loop)]
        if self.evaluator is not None:
            targets.append(("leadpact-evaluator", self.evaluator.run))
        if self.nurture is not None:
            targets.append(("leadpact-nurture", self.nurture.run))
        for name, target in targets:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self.evaluator is not None:
            self.evaluator.stop()
        if self.nurture is not None:
            self.nurture.stop()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def _sla_loop(self) -> None:
        while not self._stop.is_set():
            try:
                now = self.clock.now_us()
                self.sla_watch.check(now)
                delivery = self.sla_watch.deliver(now)
                if delivery.failed:
                    log.warning(
                        "SLA webhooks: %d post(s) failed (%d given up after the last attempt); see webhook_deliveries",
                        delivery.failed,
                        delivery.gave_up,
                    )
            except Exception:
                log.exception("SLA check failed; retrying at the next interval")
            self._stop.wait(self.sla_interval)
