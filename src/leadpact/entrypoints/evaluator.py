"""The online engine in a process of its own, started and supervised by ``leadpact serve``.

Python runs one thread at a time per process; putting the engine's replay work beside the
server (which parses HTTP and appends events) lets both use a core. The child reads a byte
on stdin whenever the server stores events, so it wakes at once; it polls the queue anyway
(work from ``leadpact ingest``), and exits when its parent dies or closes the pipe.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO

from leadpact.config import Settings
from leadpact.service.clock import SystemClock
from leadpact.service.container import build_services
from leadpact.service.worker import EvaluatorLoop

log = logging.getLogger("leadpact.evaluator")


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this process when its parent dies (even by SIGKILL)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _watch_pipe(stream: IO[bytes], wake: Callable[[], None], stop: Callable[[], None]) -> None:
    while True:
        data = stream.read1(4096) if hasattr(stream, "read1") else stream.read(1)
        if not data:  # the server closed the pipe or died
            stop()
            return
        wake()


def tune_gc() -> None:
    """Collect cycles less often: a long-running process holding tens of thousands of lead
    states otherwise spends a tenth of its time in the cyclic garbage collector (measured).
    Lead states hold no reference cycles worth collecting early."""
    gc.set_threshold(50_000, 50, 100)


FREEZE_SECONDS = 1.0
FULL_COLLECT_SECONDS = 3600.0


def _freeze_survivors(stopping: threading.Event) -> None:
    """Keep the lead states out of the collector's way: every second, whatever survived
    until then is moved to the permanent generation (``gc.freeze``), so collections only
    look at the last second's objects instead of every cached lead state again and again.
    Freezing does not stop reference counting from freeing anything; only a reference cycle
    that was frozen stays until the next full collection (measured: ten objects per 100 000
    events), done once an hour."""
    last_full = time.monotonic()
    while not stopping.wait(FREEZE_SECONDS):
        if time.monotonic() - last_full >= FULL_COLLECT_SECONDS:
            gc.unfreeze()
            gc.collect()
            last_full = time.monotonic()
        gc.freeze()


def main() -> None:
    tune_gc()
    parent = os.getppid()
    _die_with_parent()
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>` prints every thread's stack
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s [evaluator] %(message)s")
    services = build_services(Settings.model_validate({"auto_migrate": False}))
    loop = EvaluatorLoop(services.engine, SystemClock(), poll=0.1, gather=services.settings.evaluation_gather_seconds)

    def stop() -> None:
        """Stop after the current chunk; if that hangs (a stuck database), exit anyway: every
        write is a transaction, so leaving mid-way loses nothing."""
        loop.stop()
        timer = threading.Timer(10.0, os._exit, (0,))
        timer.daemon = True
        timer.start()

    signal.signal(signal.SIGTERM, lambda *_: stop())
    threading.Thread(target=_watch_pipe, args=(sys.stdin.buffer, services.engine.notify, stop), daemon=True).start()

    def orphan_check() -> None:
        while not loop.stopping.wait(1.0):
            if os.getppid() != parent:
                stop()

    threading.Thread(target=orphan_check, daemon=True).start()
    threading.Thread(target=_freeze_survivors, args=(loop.stopping,), daemon=True).start()
    try:
        loop.run()
    finally:
        services.close()


class EvaluatorProcess:
    """The server's handle on the child: start, wake, restart if it dies, stop."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None
        self._notified = 0.0

    def start(self) -> None:
        self._spawn()
        self._monitor = threading.Thread(target=self._supervise, name="leadpact-evaluator-supervisor", daemon=True)
        self._monitor.start()

    def _spawn(self) -> None:
        with self._lock:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", "from leadpact.entrypoints.evaluator import main; main()"],
                stdin=subprocess.PIPE,
            )
            assert self._proc.stdin is not None
            os.set_blocking(self._proc.stdin.fileno(), False)

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            proc = self._proc
            if proc is not None and proc.poll() is not None and not self._stopping.is_set():
                log.warning("the evaluator process exited (%s); restarting it", proc.returncode)
                self._spawn()
            self._stopping.wait(1.0)

    NOTIFY_INTERVAL = 0.005
    """Seconds between two wake-ups at most: under load the server stores a batch every
    millisecond or two, and a busy child needs no wake-up (it looks for more work before it
    waits; an idle one is woken by the next batch, or finds it within its 0.1 s poll)."""

    def notify(self) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            return
        now = time.monotonic()
        if now - self._notified < self.NOTIFY_INTERVAL:
            return
        self._notified = now
        with contextlib.suppress(OSError, ValueError):  # full pipe: it is awake anyway; dead: restarted
            os.write(proc.stdin.fileno(), b"\n")

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        with self._lock:
            proc = self._proc
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
