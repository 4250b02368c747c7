"""What every report is computed against: the as-of moment, the period and the calendar.

Reports are pure functions of (leads, scope). The scope carries the agreement's timezone and
business calendar so that months, weeks and "business days late" mean the same thing as the
SLA deadlines the engine computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from leadpact.domain.agreement import Agreement
from leadpact.domain.calendar import BusinessCalendar
from leadpact.domain.timeutil import iso


@dataclass(frozen=True, slots=True)
class ReportScope:
    """``start`` is inclusive, ``end`` exclusive (microseconds); None leaves that side open."""

    as_of: int
    zone: ZoneInfo
    calendar: BusinessCalendar
    start: int | None = None
    end: int | None = None
    agreement_name: str | None = None
    agreement_version: str | None = None
    slas: tuple[tuple[str, str], ...] = ()
    """(id, owner department) of the agreement's SLAs, so SLAs without clocks still show."""

    @classmethod
    def for_agreement(
        cls, agreement: Agreement, as_of: int, start: int | None = None, end: int | None = None
    ) -> ReportScope:
        calendar = BusinessCalendar(agreement.business_calendar, agreement.company_holidays)
        slas = tuple((rule.id, rule.owner) for rule in agreement.sla)
        return cls(as_of, agreement.zone, calendar, start, end, agreement.name, agreement.version, slas)

    def contains(self, at: int) -> bool:
        return (self.start is None or at >= self.start) and (self.end is None or at < self.end)

    def header(self) -> dict[str, str | None]:
        """The keys every report's JSON starts with."""
        return {
            "as_of": iso(self.as_of, self.zone),
            "timezone": self.zone.key,
            "from": iso(self.start, self.zone) if self.start is not None else None,
            "to": iso(self.end, self.zone) if self.end is not None else None,
            "agreement": self.agreement_name,
            "agreement_version": self.agreement_version,
        }
