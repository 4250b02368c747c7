"""The background work of ``leadpact serve``: the online engine's queue and agreement
re-evaluations (:class:`EvaluatorLoop`), and the SLA watch. The clock is read here, at the
loop, and passed to the services."""

from __future__ import annotations

import logging
import threading

from leadpact.service.clock import Clock
from leadpact.service.evaluation import OnlineEngine
from leadpact.service.sla_watch import SlaWatch

log = logging.getLogger("leadpact.worker")

POLL_SECONDS = 0.25
"""How often an idle evaluator looks for work it was not told about (``leadpact ingest`` in
another process); work queued by the server wakes it at once."""


class EvaluatorLoop:
    """Evaluate queued leads and finish agreement activations until stopped."""

    def __init__(self, engine: OnlineEngine, clock: Clock, poll: float = POLL_SECONDS) -> None:
        self.engine = engine
        self.clock = clock
        self.poll = poll
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                progressed = self.engine.reevaluate_step(self.clock.now_us()) is not None
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


class BackgroundWorker:
    """Threads in the server process: the SLA watch, and the evaluator unless it runs in a
    process of its own (``evaluate`` False)."""

    def __init__(
        self, engine: OnlineEngine, sla_watch: SlaWatch, clock: Clock, sla_interval: float, *, evaluate: bool = True
    ) -> None:
        self.sla_watch = sla_watch
        self.clock = clock
        self.sla_interval = sla_interval
        self.evaluator = EvaluatorLoop(engine, clock) if evaluate else None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        targets = [("leadpact-sla-watch", self._sla_loop)]
        if self.evaluator is not None:
            targets.append(("leadpact-evaluator", self.evaluator.run))
        for name, target in targets:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self.evaluator is not None:
            self.evaluator.stop()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def _sla_loop(self) -> None:
        while not self._stop.is_set():
            try:
                now = self.clock.now_us()
                self.sla_watch.check(now)
                self.sla_watch.deliver(now)
            except Exception:
                log.exception("SLA check failed; retrying at the next interval")
            self._stop.wait(self.sla_interval)
