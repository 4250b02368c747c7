"""Sales people reacting to a lead as the engine moves it: inside sales (IS) triage MQLs,
confirm BANT and recycle; field sales (FS) open, win and lose opportunities and register SGLs.

Every decision is taken when it happens, against the engine's current stage of the lead (see
:mod:`leadpact.adapters.synthetic.simulation`), so actions are valid by construction; the only
refused actions are deliberate "double clicks" (an ``accept`` sent twice), as seen in real CRMs.
Rates are documented in docs/generator.md.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from typing import Any, Final

from leadpact.adapters.synthetic import catalog
from leadpact.adapters.synthetic.messagelog import Entry, LeadLog
from leadpact.adapters.synthetic.persona import Persona
from leadpact.adapters.synthetic.timeline import US_PER_MINUTE, Timeline
from leadpact.domain.agreement import Agreement
from leadpact.domain.conditions import BantGte, walk
from leadpact.domain.lifecycle import permission_problem
from leadpact.domain.results import StageEntry
from leadpact.domain.timeutil import US_PER_SECOND

IS_NEGLECT_P: Final = 0.08
"""MQLs inside sales never touches (Japanese surveys report 25 % of handed-over leads untouched;
a team running an SLA does better)."""
IS_RESPONSE_MEDIAN_HOURS: Final = 5.0
IS_RESPONSE_SIGMA: Final = 1.4
DISQUALIFY_P: Final = 0.02
ACCEPT_P: Final = {"hot": 0.90, "warm": 0.65, "cold": 0.35}
DESK_REJECT_SHARE: Final = 0.3
"""Share of rejections made from the lead record alone, without calling the lead."""
QUALIFY_P: Final = {"hot": 0.75, "warm": 0.38, "cold": 0.10}
"""SAL → SQL: the accepted lead turns out to have enough BANT items."""
SAL_RECYCLE_P: Final = 0.6
"""An accepted lead that does not qualify is recycled (otherwise it stays in SAL, stale)."""
DOUBLE_ACCEPT_P: Final = 0.015
FS_NEGLECT_P: Final = 0.04
FS_RECYCLE_P: Final = {"hot": 0.05, "warm": 0.12, "cold": 0.25}
FS_MEETING_MEDIAN_DAYS: Final = 1.5
FS_MEETING_SIGMA: Final = 0.9
WIN_P: Final = {"hot": 0.38, "warm": 0.25, "cold": 0.12}
SGL_WIN_P: Final = 0.45
CYCLE_MEDIAN_DAYS: Final = 30.0
"""Working days from opening an opportunity to its outcome (median; lognormal, sigma 0.6)."""

_EXCLUDED_REASON: Final = {"competitor": "競合他社のため対象外", "student": "学生のため対象外"}

Intent = tuple[int, int, Callable[[], None]]


def bant_needed(agreement: Agreement) -> int:
    """Distinct BANT items the agreement's SQL criteria ask for (2 if it does not say)."""
    if agreement.stages.sql is None:
        return 2
    values = [node.value for node in walk(agreement.stages.sql) if isinstance(node, BantGte)]
    return min(values) if values else 2


class SalesTeam:
    """The people acting on one lead. ``machine`` is the engine's view (stage, history)."""

    def __init__(
        self,
        persona: Persona,
        log: LeadLog,
        rng: random.Random,
        timeline: Timeline,
        agreement: Agreement,
        apply: Callable[[Entry], None],
    ) -> None:
        self.p = persona
        self.log = log
        self.rng = rng
        self.t = timeline
        self.agreement = agreement
        self._apply = apply
        self._queue: list[Intent] = []
        self._order = 0
        self._bant_needed = bant_needed(agreement)
        self.stage: str | None = None
        self.team: str | None = None
        fs_pool = catalog.FIELD_SALES_ENTERPRISE if persona.enterprise else catalog.FIELD_SALES_SMB
        self.fs = rng.choice(fs_pool)
        self.inside: str | None = None
        self.bant: list[str] = []
        self._meeting_planned = False
        self._current = 0

    # --- the intent queue -----------------------------------------------------------------------

    def next_at(self) -> int | None:
        return self._queue[0][0] if self._queue else None

    def run_next(self) -> None:
        """Run the earliest intent; it reads its own time from ``_now()``."""
        at, _, act = heapq.heappop(self._queue)
        self._current = at
        act()

    def _plan(self, at: int, act: Callable[[], None]) -> None:
        if at < self.t.end:
            self._order += 1
            heapq.heappush(self._queue, (at, self._order, act))

    def _do(self, at: int, action: str, actor: str, role: str, *, deliberate: bool = False, **properties: Any) -> None:
        """Send ``action`` at ``at`` (now or later). A person looks at the lead before acting:
        an action its current stage no longer allows is not sent, unless ``deliberate``."""

        def send() -> None:
            if not deliberate and permission_problem(role, action, self.stage) is not None:
                return
            entry = self.log.action(at, action, actor, role, properties or None)
            if entry is not None:
                self._apply(entry)

        if at <= self._current:
            send()
        else:
            self._plan(at, send)

    # --- reacting to the engine ---------------------------------------------------------------

    def observe(self, entry: StageEntry, stage_now: str, team: str | None) -> None:
        """Called for each new stage entry the engine records for the lead."""
        self.stage = stage_now
        if entry.stage == "mql" and entry.actor_role == "system":
            self._new_cycle(entry.at, team)
        elif entry.stage == "sql" and not entry.fast_track:
            self._plan_meeting(entry.at)
        elif entry.stage in ("mal", "disqualified", "customer") and entry.from_stage not in (None, "lead"):
            self._queue.clear()  # the cycle is over; what was planned no longer applies

    def _new_cycle(self, at: int, team: str | None) -> None:
        self.team = team
        self.bant = []
        self._meeting_planned = False
        members = next((r.members for r in self.agreement.assignment if r.team == team), catalog.INSIDE_SALES)
        self.inside = self.rng.choice(members)
        if self.rng.random() < IS_NEGLECT_P:
            return
        hours = self.rng.lognormvariate(0.0, IS_RESPONSE_SIGMA) * IS_RESPONSE_MEDIAN_HOURS
        self._plan(self.t.add_work_hours(at, hours), self._triage)

    def _plan_meeting(self, at: int) -> None:
        if self._meeting_planned or self.rng.random() < FS_NEGLECT_P:
            self._meeting_planned = True
            return
        self._meeting_planned = True
        days = self.rng.lognormvariate(0.0, FS_MEETING_SIGMA) * FS_MEETING_MEDIAN_DAYS
        self._plan(self.t.work_days_later(at, days, self.rng), self._meeting)

    # --- inside sales ---------------------------------------------------------------------------

    def _triage(self) -> None:
        rng, at, who = self.rng, self._now(), self.inside or catalog.INSIDE_SALES[0]
        if self.stage == "sql":  # a purchase action made it SQL before IS called: just call
            self._do(at, "contact", who, "inside_sales", channel="phone")
            return
        if self.stage != "mql":
            return
        tier = self._tier()
        if self.p.kind in _EXCLUDED_REASON:  # the agreement let one through its gate: IS does not
            self._do(at, "disqualify", who, "inside_sales", reason=_EXCLUDED_REASON[self.p.kind])
            return
        if rng.random() < DISQUALIFY_P:
            self._do(at, "disqualify", who, "inside_sales", reason=rng.choice(catalog.DISQUALIFY_REASONS))
            return
        accept = rng.random() < ACCEPT_P[tier]
        if not accept and rng.random() < DESK_REJECT_SHARE:
            self._do(at, "reject", who, "inside_sales", reason=rng.choice(catalog.REJECT_REASONS))
            return
        self._do(at, "contact", who, "inside_sales", channel="phone")
        at += rng.randint(3, 25) * US_PER_MINUTE
        if not accept:
            self._do(at, "reject", who, "inside_sales", reason=rng.choice(catalog.REJECT_REASONS))
            return
        self._do(at, "accept", who, "inside_sales")
        if rng.random() < DOUBLE_ACCEPT_P:  # a double submit: the engine refuses the second
            self._do(at + 40 * US_PER_SECOND, "accept", who, "inside_sales", deliberate=True)
        qualifies = rng.random() < QUALIFY_P[tier]
        needed = self._bant_needed
        first_items = rng.randint(1, max(1, needed - 1)) if qualifies else min(rng.randint(0, 1), needed - 1)
        self._confirm(at + rng.randint(2, 10) * US_PER_MINUTE, first_items)
        if qualifies:
            self._plan(self.t.work_days_later(at, rng.uniform(1, 8), rng), self._qualify)
        elif rng.random() < SAL_RECYCLE_P:
            self._plan(self.t.work_days_later(at, rng.uniform(8, 40), rng), self._recycle)

    def _confirm(self, at: int, count: int) -> None:
        fresh = [i for i in ("need", "timeline", "budget", "authority", "competitor") if i not in self.bant]
        self.rng.shuffle(fresh)
        items = fresh[:count]
        if items:
            self.bant.extend(items)
            self._do(at, "confirm_bant", self.inside or catalog.INSIDE_SALES[0], "inside_sales", items=items)

    def _qualify(self) -> None:
        if self.stage == "sal":
            at = self._now()
            self._do(at, "contact", self.inside or catalog.INSIDE_SALES[0], "inside_sales", channel="phone")
            self._confirm(at + 5 * US_PER_MINUTE, max(1, self._bant_needed - len(self.bant)))

    def _recycle(self) -> None:
        if self.stage == "sal":
            reason = self.rng.choice(catalog.RECYCLE_REASONS)
            self._do(self._now(), "recycle", self.inside or catalog.INSIDE_SALES[0], "inside_sales", reason=reason)

    # --- field sales ----------------------------------------------------------------------------

    def _meeting(self) -> None:
        if self.stage != "sql":
            return
        rng, at = self.rng, self._now()
        if not self.p.sgl and rng.random() < FS_RECYCLE_P[self._tier()]:
            self._do(at, "recycle", self.fs, "field_sales", reason=rng.choice(catalog.RECYCLE_REASONS))
            return
        self._do(at, "open_opportunity", self.fs, "field_sales")
        days = rng.lognormvariate(0.0, 0.6) * CYCLE_MEDIAN_DAYS
        self._plan(self.t.work_days_later(at, days, rng), self._close)

    def _close(self) -> None:
        if self.stage != "opportunity":
            return
        rng, at = self.rng, self._now()
        win_p = SGL_WIN_P if self.p.sgl else WIN_P[self._tier()]
        if rng.random() < win_p:
            self._do(at, "win", self.fs, "field_sales", amount=rng.choice((120, 240, 360, 600, 1200)) * 10_000)
        else:
            reason = rng.choices(catalog.LOSE_REASONS, catalog.LOSE_WEIGHTS)[0]
            self._do(at, "lose", self.fs, "field_sales", reason=reason)

    def register_sgl(self, at: int) -> None:
        """FS registers a referral or inbound call as a lead: it starts at SQL."""
        traits = dict(self.p.traits)
        entry = self.log.action(at, "create_sgl", self.fs, "field_sales", None, traits)
        if entry is not None:
            self._apply(entry)

    # --- helpers --------------------------------------------------------------------------------

    def _tier(self) -> str:
        return self.p.tier if self.p.tier in ACCEPT_P else "cold"

    def _now(self) -> int:
        return self._current
