"""Counting SLA clocks by status, shared by the SLA report and the responsibility view."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from leadpact.domain.results import SlaClock
from leadpact.service.reports.stats import rate

SLA_STATUS_ORDER = ("met", "breached", "running", "cancelled")


@dataclass(frozen=True, slots=True)
class SlaTally:
    met: int = 0
    breached: int = 0
    running: int = 0
    cancelled: int = 0

    @classmethod
    def of(cls, clocks: Iterable[SlaClock], as_of: int) -> SlaTally:
        counts = dict.fromkeys(SLA_STATUS_ORDER, 0)
        for clock in clocks:
            counts[clock.status(as_of)] += 1
        return cls(**counts)

    @property
    def total(self) -> int:
        return self.met + self.breached + self.running + self.cancelled

    @property
    def compliance(self) -> float | None:
        """met / (met + breached): the share of *decided* clocks that were met. Running clocks
        may still go either way and cancelled ones were never due, so neither counts."""
        return rate(self.met, self.met + self.breached)
