"""Long computations beside the server: one answer per question, failures reported and retried."""

from __future__ import annotations

import threading

import pytest

from leadpact.service.dashboard.jobs import JobFailedError, Jobs


def test_the_same_question_is_computed_once() -> None:
    jobs = Jobs()
    calls: list[int] = []
    first = jobs.submit(("backtest", 1), lambda: calls.append(1) or "answer", {"version": "v2"})
    again = jobs.submit(("backtest", 1), lambda: calls.append(2) or "other")
    assert again is first
    assert jobs.wait(first) == "answer"
    assert calls == [1]
    found = jobs.by_id(first.id)
    assert found is not None and found.id == first.id and found.result == "answer"
    assert first.meta == {"version": "v2"}


def test_a_failure_is_reported_and_the_next_submission_runs_again() -> None:
    jobs = Jobs()

    def boom() -> str:
        raise ValueError("no history")

    failed = jobs.submit(("calibration", 1), boom)
    with pytest.raises(JobFailedError, match="no history"):
        jobs.wait(failed)
    assert failed.state == "failed"
    retried = jobs.submit(("calibration", 1), lambda: "ok")
    assert retried is not failed
    assert jobs.wait(retried) == "ok"


def test_jobs_run_one_at_a_time_and_are_listed_newest_first() -> None:
    jobs = Jobs()
    gate = threading.Event()
    running = jobs.submit(("backtest", 1), gate.wait)
    waiting = jobs.submit(("backtest", 2), lambda: "second")
    assert not waiting.done.wait(0.2), "the second waits for the first"
    gate.set()
    assert jobs.wait(waiting) == "second"
    assert running.state == "done"
    assert [job.key for job in jobs.recent("backtest")] == [("backtest", 2), ("backtest", 1)]
    assert jobs.latest("calibration") is None


def test_only_the_newest_jobs_are_kept() -> None:
    jobs = Jobs(keep=2)
    for n in range(3):
        jobs.wait(jobs.submit(("backtest", n), lambda n=n: n))
    assert [job.key for job in jobs.recent("backtest")] == [("backtest", 2), ("backtest", 1)]


def test_a_reader_gets_a_snapshot_that_a_finishing_job_does_not_change() -> None:
    """A page reads the state several times while rendering (refresh or not, which branch);
    the job finishing in between must not give it a finished page that reloads itself."""
    jobs = Jobs()
    gate = threading.Event()
    live = jobs.submit(("backtest", 1), lambda: gate.wait() and "answer")
    while (seen := jobs.by_id(live.id)) is not None and seen.state == "queued":
        live.done.wait(0.01)  # the worker thread marks it running; no timing is asserted
    assert seen is not None and seen.state == "running"
    gate.set()
    assert jobs.wait(live) == "answer"
    assert (seen.state, seen.result) == ("running", None)
    assert jobs.wait(seen) == "answer"  # waiting on a snapshot gives the finished result
    finished = jobs.by_id(live.id)
    assert finished is not None and (finished.state, finished.result) == ("done", "answer")
    assert finished.finished is not None
