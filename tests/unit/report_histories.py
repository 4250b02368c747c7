"""Small hand-made lead histories for the report tests, with every number computable by hand.

All times are Asia/Tokyo. January 2026: Mon 12th is a public holiday (Coming of Age Day).
The cohort (leads entering the funnel in January):

* A — marketing; MQL 6th 09:00, accepted (SAL) 15:00, SQL 8th 09:00, opportunity 12th 09:00,
  customer 2 Feb 09:00.
* B — marketing; fast-tracked from MAL to SQL on 7th 10:00 (MQL and SAL skipped).
* C — marketing; MQL 9th 09:00, rejected back to MAL at 12:00 ("no budget").
* D — marketing; MQL 10th 09:00, still waiting; its first-contact SLA is neglected.
* E — marketing; disqualified at the gate on 8th.
* F — sales-generated (SGL) at SQL 9th 09:00; opportunity 13th; lost 20th ("price").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from leadpact.domain.calendar import BusinessCalendar
from leadpact.domain.results import Assignment, LeadResult, SlaClock, StageEntry
from leadpact.domain.timeutil import to_us
from leadpact.service.reports import ReportScope

TOKYO = ZoneInfo("Asia/Tokyo")
SLAS = (("handoff", "marketing"), ("first_contact", "inside_sales"), ("meeting", "field_sales"))


def at(text: str) -> int:
    """``"01-06 09:00"`` (January 2026) or ``"2026-02-02 09:00"``, Tokyo time, as µs."""
    if len(text) == len("01-06 09:00"):
        text = "2026-" + text
    return to_us(datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=TOKYO))


def end_of(day: str) -> int:
    """23:59:59.999999 of a January 2026 day: how business-day deadlines end."""
    return at(f"{day} 23:59") + 59_999_999


def scope(as_of: str = "01-20 12:00", start: str | None = None, end: str | None = None) -> ReportScope:
    return ReportScope(
        as_of=at(as_of),
        zone=TOKYO,
        calendar=BusinessCalendar("JP"),
        start=at(start) if start else None,
        end=at(end) if end else None,
        agreement_name="test",
        agreement_version="t1",
        slas=SLAS,
    )


def clock(sla: str, started: str, deadline: int, stopped: str | None = None, *, cancelled: bool = False) -> SlaClock:
    owner = dict(SLAS)[sla]
    return SlaClock(sla, owner, at(started), deadline, at(stopped) if stopped else None, cancelled=cancelled)


def lead(
    lead_id: str,
    entries: list[tuple[Any, ...]],
    *,
    origin: str = "marketing",
    owner: str | None = None,
    assigned: list[tuple[str, str]] = (),  # type: ignore[assignment]
    **fields: Any,
) -> LeadResult:
    """``entries``: (stage, time[, fast_track[, reason]]) in order; from_stage is chained."""
    history = []
    previous: str | None = None
    for stage, when, *rest in entries:
        fast = bool(rest[0]) if rest else False
        reason = rest[1] if len(rest) > 1 else None
        cause = f"m-{lead_id}-{len(history)}"
        history.append(
            StageEntry(
                stage, at(when), cause, fast, previous, "x", "inside_sales" if reason else "system", "t1", reason
            )
        )
        previous = stage
    assignments = [Assignment(at(when), "cause", "team", person, "system", "system") for when, person in assigned]
    return LeadResult(
        lead_id=lead_id,
        stage=previous or "lead",
        origin=origin,
        created_at=history[0].at,
        owner=owner or (assignments[-1].owner if assignments else None),
        history=history,
        assignments=assignments,
        **fields,
    )


def january_cohort() -> list[LeadResult]:
    a = lead(
        "A",
        [("lead", "01-05 09:00"), ("mal", "01-05 09:00"), ("mql", "01-06 09:00"), ("sal", "01-06 15:00"),
         ("sql", "01-08 09:00"), ("opportunity", "01-12 09:00"), ("customer", "2026-02-02 09:00")],
        assigned=[("01-06 09:00", "is_sato")],
        traits={"source": "webinar", "campaign": "spring", "industry": "software", "employees": 1200},
        company={"industry": "manufacturing"},
        touches={"event:Webinar Attended": 1, "page:/pricing": 2},
        sla=[clock("handoff", "01-06 09:00", at("01-07 09:00"), "01-06 09:00"),
             clock("first_contact", "01-06 09:00", end_of("01-09"), "01-07 11:00"),
             clock("meeting", "01-08 09:00", end_of("01-15"), "01-12 09:00")],
    )  # fmt: skip
    b = lead(
        "B",
        [("lead", "01-05 10:00"), ("mal", "01-05 10:00"), ("mql", "01-07 10:00", True),
         ("sal", "01-07 10:00", True), ("sql", "01-07 10:00")],
        assigned=[("01-07 10:00", "is_kato")],
        traits={"source": "webinar"},
        company={"industry": "manufacturing", "employees": "300"},
        touches={"event:Webinar Attended": 1, "event:Demo Requested": 1},
        sla=[clock("meeting", "01-07 10:00", end_of("01-14"))],
    )  # fmt: skip
    c = lead(
        "C",
        [("lead", "01-06 09:00"), ("mal", "01-06 09:00"), ("mql", "01-09 09:00"),
         ("mal", "01-09 12:00", False, "no budget")],
        assigned=[("01-09 09:00", "is_sato")],
        traits={"source": "seo", "employees": 49},
        touches={"page:/blog": 3},
        sla=[clock("handoff", "01-09 09:00", at("01-10 09:00"), "01-09 09:00"),
             clock("first_contact", "01-09 09:00", end_of("01-14"), "01-09 12:00")],
    )  # fmt: skip
    d = lead(
        "D",
        [("lead", "01-07 09:00"), ("mal", "01-07 09:00"), ("mql", "01-10 09:00")],
        assigned=[("01-10 09:00", "is_ito")],
        traits={"employees": 50, "campaign": "spring"},
        touches={"page:/pricing": 1},
        sla=[clock("handoff", "01-10 09:00", at("01-11 09:00"), "01-10 09:00"),
             clock("first_contact", "01-10 09:00", end_of("01-15"))],
    )  # fmt: skip
    e = lead(
        "E",
        [("lead", "01-08 09:00"), ("disqualified", "01-08 09:00")],
        traits={"source": "seo", "job_level": "student"},
    )
    f = lead(
        "F",
        [("sql", "01-09 09:00"), ("opportunity", "01-13 09:00"), ("lost", "01-20 09:00", False, "price"),
         ("mal", "01-20 09:00", False, "price")],
        origin="sales",
        owner="fs_yamada",
        traits={"source": "referral"},
        company={"employees": 999},
        sla=[clock("meeting", "01-09 09:00", end_of("01-16"), "01-13 09:00")],
    )  # fmt: skip
    return [a, b, c, d, e, f]


def february_lead() -> LeadResult:
    """G: enters in February, outside the January cohort."""
    return lead(
        "G",
        [("lead", "2026-02-02 09:00"), ("mal", "2026-02-02 09:00"), ("mql", "2026-02-03 09:00"),
         ("sal", "2026-02-04 09:00"), ("sql", "2026-02-05 09:00")],
        assigned=[("2026-02-03 09:00", "is_ito")],
        traits={"source": "seo"},
    )  # fmt: skip
