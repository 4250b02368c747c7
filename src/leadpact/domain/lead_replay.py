"""One lead's history replayed in order (SPEC §4.3–§4.5, §5).

:class:`LeadMachine` consumes a lead's messages sorted by (timestamp, arrival) and keeps its
traits, scores, stage, SLA clocks and refused actions. After every message it evaluates, at
that message's timestamp: the exclusion gate (before SAL), the MQL criteria (from MAL), the SQL
criteria (before SQL, fast-tracking skipped stages). Owners of system assignments are left for
the global round robin (:func:`leadpact.domain.replay.assign_owners`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadpact.domain.calendar import deadline
from leadpact.domain.compiled import CompiledAgreement
from leadpact.domain.lifecycle import (
    BEFORE_SAL,
    BEFORE_SQL,
    REASON_REQUIRED,
    permission_problem,
)
from leadpact.domain.messages import BANT_ITEMS, Message
from leadpact.domain.results import (
    Assignment,
    LeadResult,
    Reason,
    RefusedAction,
    SlaClock,
    StageEntry,
    round_score,
)
from leadpact.domain.scoring import Engagement, fit_score, fit_value

SYSTEM = "system"
_CLOSING_STAGES = frozenset({"mal", "disqualified", "customer"})
"""Entering these closes every clock still running as ``cancelled`` (SPEC §4.5)."""


class LeadMachine:
    """The replay state of one lead. Feed messages in (ts, seq) order with :meth:`apply`."""

    def __init__(self, lead_id: str, compiled: CompiledAgreement) -> None:
        self.lead_id = lead_id
        self.c = compiled
        self.version = compiled.agreement.version
        self.traits: dict[str, Any] = {}
        self.company_traits: dict[str, Any] = {}
        self.engagement = Engagement(compiled)
        self.bant: set[str] = set()
        self.seen: set[str] = set()
        self.touches: dict[str, int] = {}
        self.stage: str | None = None  # None: not known by userId yet
        self.origin = "marketing"
        self.created_at = 0
        self.history: list[StageEntry] = []
        self.clocks: list[SlaClock] = []
        self._running: dict[str, SlaClock] = {}
        self.errors: list[RefusedAction] = []
        self.assignments: list[Assignment] = []
        self.owner: str | None = None
        self.last_ts: int | None = None
        self._now = 0
        self._fit = 0.0
        self._fit_dirty = True
        self._traits_dirty = True

    # --- the criteria context (leadpact.domain.conditions.CriteriaContext) ----------------
    def trait_values(self) -> Mapping[str, Any]:
        return self.traits

    def company_values(self) -> Mapping[str, Any]:
        return self.company_traits

    def score_value(self, kind: str) -> float:
        if kind == "engagement":
            return round_score(self.engagement.value_at(self._now))
        fit = self._current_fit() if self._fit_dirty else self._fit
        if kind == "fit":
            return round_score(fit)
        return round_score(fit + self.engagement.value_at(self._now))

    def bant_count(self) -> int:
        return len(self.bant)

    def seen_any(self, names: frozenset[str]) -> bool:
        return not self.seen.isdisjoint(names)

    # --- feeding messages --------------------------------------------------------------------
    def apply(self, msg: Message) -> None:
        self._now = msg.ts
        self.last_ts = msg.ts
        if msg.type == "action":
            self._action(msg)
            return
        self._absorb(msg)
        stage = self.stage
        if stage is None:
            if msg.user_id is None:
                return  # anonymous, before the lead is known: counts, but nothing to evaluate
            self._create(msg)
        elif stage not in BEFORE_SQL:
            return  # from SQL on (and when disqualified) only people move the lead
        self._evaluate(msg.message_id)

    def _absorb(self, msg: Message) -> None:
        """Merge traits and score the event; no stage decisions."""
        kind = msg.type
        if kind == "track" or kind == "page":
            if kind == "track":
                name = msg.event or ""
                key = "event:" + name
                if name in self.c.watched_events:
                    self.seen.add(name)
            else:
                key = "page:" + (msg.path or "")
            touches = self.touches
            touches[key] = touches.get(key, 0) + 1
            matched = self.c.matching_rules(msg, key)
            if matched:
                add = self.engagement.add
                for index in matched:
                    add(index, msg.ts)
        elif kind == "identify":
            self._merge(self.traits, msg.traits)
        elif kind == "group":
            self._merge(self.company_traits, msg.traits)

    def _merge(self, target: dict[str, Any], traits: Mapping[str, Any]) -> None:
        """Newest value per trait wins; messages arrive in timestamp order, so overwrite."""
        if not traits:
            return
        for key, value in traits.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value
        if target is self.traits and "email" in traits:
            email = traits.get("email")
            if isinstance(email, str) and "@" in email:
                target["email_domain"] = email.rsplit("@", 1)[1].strip().lower()
            else:
                target.pop("email_domain", None)
        self._fit_dirty = True
        self._traits_dirty = True

    def _current_fit(self) -> float:
        if self._fit_dirty:
            self._fit = fit_value(self.c, self.traits, self.company_traits)
            self._fit_dirty = False
        return self._fit

    # --- lifecycle -----------------------------------------------------------------------------
    def _create(self, msg: Message) -> None:
        self.created_at = msg.ts
        self._record("lead", msg.message_id, SYSTEM, SYSTEM, fast_track=False)  # from nowhere
        self.stage = "lead"

    def _evaluate(self, cause: str) -> None:
        stage = self.stage
        if stage in BEFORE_SAL:
            # Exclusions read traits only, so they need re-checking only when traits changed.
            if self._traits_dirty:
                self._traits_dirty = False
                for rule_id, pred in self.c.exclusions:
                    if pred(self.traits, self.company_traits):
                        # The exclusion's id is the reason, so reports can say which gate closed.
                        self._enter("disqualified", cause, SYSTEM, SYSTEM, reason=rule_id)
                        return
            if stage == "lead":
                self._enter("mal", cause, SYSTEM, SYSTEM)
        if self.stage == "mal" and self.c.mql(self):
            self._enter("mql", cause, SYSTEM, SYSTEM)
        sql = self.c.sql
        if sql is not None and self.stage in BEFORE_SQL and sql(self):
            self._fast_track_to_sql(cause)

    def _fast_track_to_sql(self, cause: str) -> None:
        order = ("mal", "mql", "sal")
        start = order.index(self.stage) + 1 if self.stage in order else 0
        for skipped in order[start:]:
            self._enter(skipped, cause, SYSTEM, SYSTEM, fast_track=True)
        self._enter("sql", cause, SYSTEM, SYSTEM)

    def _enter(
        self,
        stage: str,
        cause: str,
        actor_id: str,
        role: str,
        *,
        fast_track: bool = False,
        reason: str | None = None,
    ) -> None:
        self._record(stage, cause, actor_id, role, fast_track=fast_track, reason=reason)
        self.stage = stage
        # The clock calls are guarded here: most stages start and stop no clock.
        if self._running and stage in self.c.sla_stops:
            self._stop_clocks(stage, cause)
        if stage in _CLOSING_STAGES and self._running:
            self._cancel_clocks()
        if stage in self.c.sla_starts:
            self._start_clocks(stage)
        if stage == "mql":
            self._system_assign(cause)

    def _record(
        self,
        stage: str,
        cause: str,
        actor_id: str,
        role: str,
        *,
        fast_track: bool,
        reason: str | None = None,
    ) -> None:
        # Positional (stage, at, cause, fast_track, from_stage, actor_id, actor_role,
        # agreement_version, reason): one entry per stage change of every lead.
        self.history.append(
            StageEntry(stage, self._now, cause, fast_track, self.stage, actor_id, role, self.version, reason)
        )

    def _system_assign(self, cause: str) -> None:
        """SPEC §4.4: the first matching rule picks the team; the owner comes from the global
        round robin, which needs every lead's MQL entries."""
        for rule, pred in self.c.assignment:
            if pred is None or pred(self.traits, self.company_traits):
                self.assignments.append(
                    Assignment(
                        at=self._now,
                        cause=cause,
                        team=rule.team,
                        owner=None,
                        actor_id=SYSTEM,
                        actor_role=SYSTEM,
                        mql_at=self._now,
                    )
                )
                self._stop_clocks("assign", cause)
                self._start_clocks("assign")
                return

    # --- SLA clocks --------------------------------------------------------------------------
    def _start_clocks(self, trigger: str) -> None:
        rules = self.c.sla_starts.get(trigger)
        if not rules:
            return
        for rule in rules:
            if rule.id in self._running:
                continue  # a clock already running is not restarted (docs/semantics.md)
            clock = SlaClock(
                id=rule.id,
                owner=rule.owner,
                started_at=self._now,
                deadline=deadline(self._now, rule.within, self.c.agreement.zone, self.c.calendar),
            )
            self.clocks.append(clock)
            self._running[rule.id] = clock

    def _stop_clocks(self, trigger: str, cause: str) -> None:
        rules = self.c.sla_stops.get(trigger)
        if not rules or not self._running:
            return
        for rule in rules:
            clock = self._running.pop(rule.id, None)
            if clock is not None:
                clock.stopped_at = self._now
                clock.stop_cause = cause

    def _cancel_clocks(self) -> None:
        for clock in self._running.values():
            clock.stopped_at = self._now
            clock.cancelled = True
        self._running.clear()

    # --- actions (SPEC §5) -------------------------------------------------------------------
    def _refuse(self, msg: Message, reason: str) -> None:
        assert msg.action is not None and msg.actor_id is not None and msg.actor_role is not None
        self.errors.append(RefusedAction(msg.message_id, msg.action, msg.ts, msg.actor_id, msg.actor_role, reason))

    def _action(self, msg: Message) -> None:
        action, role, actor = msg.action, msg.actor_role, msg.actor_id
        assert action is not None and role is not None and actor is not None
        problem = permission_problem(role, action, self.stage) or self._field_problem(msg)
        if problem is not None:
            self._refuse(msg, problem)
            return
        cause = msg.message_id
        reason = msg.reason
        if action == "create_sgl":
            self._merge(self.traits, msg.traits)
            self._traits_dirty = False  # an SGL starts at SQL: past the exclusion gate
            self.created_at = msg.ts
            self.origin = "sales"
            self._enter("sql", cause, actor, role)
            self._start_clocks(action)
            return
        if self._running and action in self.c.sla_stops:
            self._stop_clocks(action, cause)
        if action == "assign":
            owner = msg.properties.get("owner")
            assert isinstance(owner, str)
            self.assignments.append(Assignment(msg.ts, cause, None, owner, actor, role))
            self.owner = owner
        elif action == "accept":
            self._enter("sal", cause, actor, role)
        elif action == "confirm_bant":
            self.bant.update(msg.properties.get("items") or ())
        elif action == "open_opportunity":
            self._enter("opportunity", cause, actor, role)
        elif action == "win":
            self._enter("customer", cause, actor, role)
        elif action == "disqualify":
            self._enter("disqualified", cause, actor, role, reason=reason)
        elif action in ("reject", "recycle", "lose"):
            if action == "lose":
                self._record("lost", cause, actor, role, fast_track=False, reason=reason)
                self.stage = "lost"
            self._enter("mal", cause, actor, role, reason=reason)
            self._reset()
        if action in self.c.sla_starts:
            self._start_clocks(action)
        if action in ("assign", "accept", "contact", "confirm_bant", "open_opportunity"):
            self._evaluate(cause)

    def _field_problem(self, msg: Message) -> str | None:
        action = msg.action
        if action in REASON_REQUIRED and msg.reason is None:
            return f"{action} needs a reason (properties.reason)"
        if action == "assign":
            owner = msg.properties.get("owner")
            if not isinstance(owner, str) or not owner.strip():
                return "assign needs the new owner (properties.owner)"
        if action == "confirm_bant":
            items = msg.properties.get("items")
            if not items:
                return f"confirm_bant needs items, a non-empty subset of {', '.join(BANT_ITEMS)}"
            unknown = [i for i in items if i not in BANT_ITEMS]
            if unknown:
                return f"unknown BANT item(s) {', '.join(unknown)}; expected a subset of {', '.join(BANT_ITEMS)}"
        return None

    def _reset(self) -> None:
        """Recycling: BANT and purchase signals start over; engagement too if agreed."""
        self.bant.clear()
        self.seen.clear()
        self._traits_dirty = True  # back before SAL: the exclusion gate looks again at the next message
        if self.c.agreement.recycle.reset_engagement:
            self.engagement.reset()

    # --- the result ----------------------------------------------------------------------------
    def result(self, as_of: int) -> LeadResult:
        """The lead as of ``as_of`` (≥ its last message), with the reasons behind its score."""
        assert self.stage is not None
        fit, fit_reasons = fit_score(self.c, self.traits, self.company_traits)
        engagement, engagement_reasons = self.engagement.explain(as_of)
        return self._result(as_of, fit, engagement, fit_reasons + engagement_reasons)

    def state(self, as_of: int) -> LeadResult:
        """:meth:`result` without ``reasons`` (empty): the same numbers to the last bit, for
        callers that store the state but not its explanation (the online engine)."""
        assert self.stage is not None
        return self._result(as_of, self._current_fit(), self.engagement.total_at(as_of), [])

    def _result(self, as_of: int, fit: float, engagement: float, reasons: list[Reason]) -> LeadResult:
        assert self.stage is not None
        self._now = as_of
        self._fit, self._fit_dirty = fit, False
        hot_pred = self.c.hot
        hot = bool(hot_pred is not None and hot_pred(self))
        return LeadResult(
            lead_id=self.lead_id,
            stage=self.stage,
            origin=self.origin,
            created_at=self.created_at,
            score=fit + engagement,
            fit=fit,
            engagement=engagement,
            hot=hot,
            owner=self.owner,
            reasons=reasons,
            history=self.history,
            sla=self.clocks,
            errors=self.errors,
            assignments=self.assignments,
            traits=dict(self.traits),
            company=dict(self.company_traits),
            bant=tuple(sorted(self.bant)),
            last_event_at=self.last_ts,
            touches=self.touches,
        )
