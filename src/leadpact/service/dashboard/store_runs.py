"""Back-tests and calibration over the store's whole event log (not a file).

Both need every message: the back-test replays the history twice (docs/backtest.md), the
calibration learns from its outcomes (docs/calibration). The log is read in one consistent
snapshot together with the agreement active at that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadpact.adapters.store.event_log import EventLog
from leadpact.domain.agreement import Agreement
from leadpact.domain.messages import Message
from leadpact.service.backtest import backtest
from leadpact.service.calibration import CalibrationOptions, CalibrationReport, calibrate
from leadpact.service.container import Services
from leadpact.service.reports.render_backtest import backtest_json


@dataclass(frozen=True, slots=True)
class History:
    messages: list[Message]
    current: Agreement
    current_text: str


def read_history(services: Services) -> History:
    with services.store.read() as conn:
        messages = list(EventLog(conn).all_messages())
        active = services.agreements.active_in(conn)
    text = (
        active.record.yaml_text if active.record is not None else services.agreements.text_of(active.agreement.version)
    )
    return History(messages, active.agreement, text)


def backtest_store(
    services: Services, proposed: Agreement, as_of: int, start: int | None, end: int | None
) -> dict[str, Any]:
    """The back-test JSON (docs/backtest.md) of ``proposed`` against the active agreement."""
    history = read_history(services)
    return backtest_json(backtest(history.messages, history.current, proposed, as_of, start, end))


def calibrate_store(services: Services, as_of: int, target: str = "customer") -> CalibrationReport:
    """Calibrate on the store's outcomes (``customer`` or ``sql``), with the active agreement
    as the base."""
    history = read_history(services)
    options = CalibrationOptions(target=target, as_of=as_of)
    return calibrate(history.messages, options, agreement=history.current, agreement_text=history.current_text)
