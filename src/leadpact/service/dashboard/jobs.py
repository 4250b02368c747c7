"""Long computations (back-tests, calibration) run beside the web server, one at a time.

A page that needs one starts it and shows its progress; the result is kept under its key so a
reload, another user or the API asking the same question gets it at once. Threads are daemons:
a stopping server never waits for a back-test nobody will read.

Readers get snapshots: a page reads a job's state several times while rendering (whether to
refresh itself, which template branch), and a job finishing half-way through used to give a
finished page that still reloaded itself.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

State = Literal["queued", "running", "done", "failed"]
KEEP: Final = 16


@dataclass(slots=True)
class Job:
    key: tuple[Any, ...]
    """``key[0]`` names the kind of job (``backtest``, ``calibration``)."""
    id: str = field(default_factory=lambda: secrets.token_hex(8))
    state: State = "queued"
    submitted: float = field(default_factory=time.monotonic)
    finished: float | None = None
    result: Any = None
    error: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    """What the job is about, for the pages that list it (e.g. the proposed version)."""
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.submitted


class Jobs:
    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self._jobs: OrderedDict[tuple[Any, ...], Job] = OrderedDict()
        self._lock = threading.Lock()
        self._one_at_a_time = threading.Semaphore(1)

    def get(self, key: tuple[Any, ...]) -> Job | None:
        with self._lock:
            job = self._jobs.get(key)
            return None if job is None else replace(job)

    def by_id(self, job_id: str) -> Job | None:
        with self._lock:
            return next((replace(job) for job in self._jobs.values() if job.id == job_id), None)

    def latest(self, kind: str) -> Job | None:
        """The most recently submitted job of ``kind``."""
        return next(iter(self.recent(kind)), None)

    def recent(self, kind: str) -> list[Job]:
        """Jobs of ``kind``, most recently submitted first."""
        with self._lock:
            return [replace(job) for job in reversed(self._jobs.values()) if job.key[0] == kind]

    def submit(self, key: tuple[Any, ...], work: Callable[[], Any], meta: dict[str, Any] | None = None) -> Job:
        """The job under ``key``: the existing one (queued, running or finished well), or a new
        one started for ``work``. A failed job is started again."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.state != "failed":
                self._jobs.move_to_end(key)
                return job
            job = Job(key, meta=dict(meta or {}))
            self._jobs[key] = job
            while len(self._jobs) > self.keep:
                self._jobs.popitem(last=False)
        threading.Thread(target=self._run, args=(job, work), name="leadpact-dashboard-job", daemon=True).start()
        return job

    def run(self, key: tuple[Any, ...], work: Callable[[], Any]) -> Any:
        """Submit and wait (the API's synchronous back-test); raises what ``work`` raised."""
        return self.wait(self.submit(key, work))

    def wait(self, job: Job) -> Any:
        """The job's result once it has finished (``job`` may be a snapshot taken earlier)."""
        job.done.wait()
        finished = self.by_id(job.id) or job  # a snapshot's fields are as they were when taken
        if finished.state == "failed":
            raise JobFailedError(finished.error or "failed")
        return finished.result

    def _run(self, job: Job, work: Callable[[], Any]) -> None:
        with self._one_at_a_time:
            with self._lock:
                job.state = "running"
            try:
                result = work()
            except Exception as exc:  # the page shows the failure; the server keeps running
                self._finish(job, "failed", None, str(exc) or type(exc).__name__)
            else:
                self._finish(job, "done", result, None)

    def _finish(self, job: Job, state: State, result: Any, error: str | None) -> None:
        with self._lock:  # one step, so a snapshot never sees "done" without its result
            job.result, job.error, job.state, job.finished = result, error, state, time.monotonic()
        job.done.set()


class JobFailedError(RuntimeError):
    pass
