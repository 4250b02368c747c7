"""The nurture loop of ``leadpact serve``: one tick per interval, and when it cannot send, the
reason is logged once rather than every minute."""

from __future__ import annotations

import logging

import pytest

from leadpact.service.clock import FixedClock
from leadpact.service.nurture.delivery import TransportConfigError
from leadpact.service.nurture.runner import RunReport
from leadpact.service.nurture.scheduler import TickReport
from leadpact.service.worker import NurtureLoop


class FakeScheduler:
    def __init__(self, reports: list[TickReport | Exception]) -> None:
        self.reports = reports
        self.ticked_at: list[int] = []

    def tick(self, now: int) -> TickReport:
        self.ticked_at.append(now)
        report = self.reports.pop(0)
        if isinstance(report, Exception):
            raise report
        return report


def idle(reason: str) -> TickReport:
    return TickReport(0, ran=False, reason=reason)


def test_the_reason_for_not_sending_is_logged_once_per_change(caplog: pytest.LogCaptureFixture) -> None:
    no_smtp = "no SMTP server configured (set LEADPACT_SMTP_HOST)"
    scheduler = FakeScheduler(
        [
            idle(no_smtp),
            idle(no_smtp),
            idle(no_smtp),
            idle("no active flow"),
            TickReport(0, ran=True, run=RunReport(sent=2)),
        ]
    )
    loop = NurtureLoop(scheduler, FixedClock(42), interval=60)  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="leadpact.worker"):
        for _ in range(5):
            loop.tick_once()
    messages = [r.getMessage() for r in caplog.records]
    assert messages[:3] == [
        f"nurture: no mail is being sent: {no_smtp}",
        "nurture: no mail is being sent: no active flow",
        "nurture: sending again",
    ]
    assert "sent 2" in messages[3]
    assert scheduler.ticked_at == [42] * 5


def test_a_failing_tick_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    refused = TransportConfigError("SMTP login as 'mailer' refused: 535")
    scheduler = FakeScheduler([RuntimeError("database down"), idle("no active flow"), refused, refused])
    loop = NurtureLoop(scheduler, FixedClock(1), interval=60)  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="leadpact.worker"):
        for _ in range(4):
            loop.tick_once()
    assert [r.levelname for r in caplog.records] == ["ERROR", "WARNING", "WARNING"]
    assert "nurture tick failed" in caplog.records[0].getMessage()
    assert caplog.records[2].getMessage() == "nurture: no mail is being sent: SMTP: SMTP login as 'mailer' refused: 535"


def test_the_loop_stops_between_ticks() -> None:
    scheduler = FakeScheduler([idle("no active flow")])
    loop = NurtureLoop(scheduler, FixedClock(1), interval=3600)  # type: ignore[arg-type]
    loop.stop()
    loop.run()  # returns at once: stopped before the first tick
    assert scheduler.ticked_at == []
