"""The flow engine: a pure function of (a lead's messages, the agreement, the flows, a time).

For each lead the engine walks time forward — through the lead's messages, its stage changes
(from :func:`~leadpact.domain.replay.replay_lead`) and the moments its runs are due — and
decides entries, waits, sends, branches, emits and exits, exactly as a live scheduler would
have decided them at those moments. Rules, at one instant: messages first, then stage changes,
then runs due (in flow order, then run number).

* Nothing after ``now`` is seen, so re-evaluating later never changes a decision taken on
  the same events: keys of side effects are stable (late events are the one exception, and
  the outbox still never sends a key twice).
* The engine's own emits are replayed as messages (their messageId is the effect key), so an
  emitted ``Nurture Goal Reached`` scores, moves stages, triggers other flows and takes
  branches like any event — and, once the runner has written it to the log, it is the same
  message, not a second one.
* With ``assume_sent`` (simulation) every send is also replayed as an ``Email Sent`` event at
  its due time, since no runner records them.

A branch or ``exit_when`` sees events *after the run's entry* in log order (timestamp, then
arrival) and at or after its ``since`` moment, up to its deadline inclusive.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final
from zoneinfo import ZoneInfo

from leadpact.domain.agreement import Agreement
from leadpact.domain.calendar import BusinessCalendar
from leadpact.domain.conditions import Condition, EventPredicate, compile_event
from leadpact.domain.flow_events import emit_event, sent_event
from leadpact.domain.flow_runs import ActiveFlow, Emit, FlowRun, LeadFlows, SendEmail, StepRecord, effect_key
from leadpact.domain.flow_timing import lead_language, lead_zone, next_send_slot, wait_end
from leadpact.domain.flows import (
    EMAIL_CLICKED,
    EMAIL_OPENED,
    EXIT,
    LEAVE_ALL_STAGES,
    NEXT,
    UNSUBSCRIBED,
    BranchStep,
    ClickedTest,
    EmitStep,
    EventTest,
    EventTrigger,
    ExitStep,
    Flow,
    OpenedTest,
    RecycleTrigger,
    SendStep,
    StageTest,
    StageTrigger,
    Test,
    WaitStep,
    step_kind,
)
from leadpact.domain.messages import Message, parse_message
from leadpact.domain.replay import compiled, dedupe, group_by_lead, link_identities, replay_lead
from leadpact.domain.results import LeadResult, StageEntry
from leadpact.domain.timeutil import US_PER_DAY

SYNTHETIC_SEQ: Final = 1 << 60
"""Arrival numbers of the engine's own messages: after every real message at the same instant."""

_NURTURABLE: Final = frozenset({"lead", "mal", "mql"})
_RECYCLED_FROM: Final = frozenset({"mql", "sal", "sql", "lost"})


def evaluate_flows(
    messages: Iterable[Message],
    agreement: Agreement,
    flows: Sequence[ActiveFlow],
    now: int,
    *,
    assume_sent: bool = False,
) -> dict[str, LeadFlows]:
    """Every lead's runs and intended side effects as of ``now``, sorted by lead id.

    Messages are deduplicated and identities linked exactly as in the replay.
    """
    unique, _ = dedupe(messages)
    kept = [m for m in unique if m.ts <= now]
    groups, _ = group_by_lead(kept, link_identities(kept))
    return {
        lead_id: evaluate_lead(lead_id, groups[lead_id], agreement, flows, now, assume_sent=assume_sent)
        for lead_id in sorted(groups)
    }


def evaluate_lead(
    lead_id: str,
    messages: Iterable[Message],
    agreement: Agreement,
    flows: Sequence[ActiveFlow],
    now: int,
    *,
    assume_sent: bool = False,
) -> LeadFlows:
    """One lead's runs and intended side effects as of ``now`` (messages in any order)."""
    unique, _ = dedupe(messages)
    engine = _LeadEngine(lead_id, [m for m in unique if m.ts <= now], agreement, flows, now, assume_sent)
    return engine.run()


@dataclass(slots=True)
class _Run:
    record: FlowRun
    flow: Flow
    mark: tuple[int, int]
    """(timestamp, arrival) of what caused the entry: only later events count for the run."""
    index: int = 0
    since: int = 0
    waiting: bool = False
    done: dict[str, int] = field(default_factory=dict)


class _LeadEngine:
    def __init__(
        self,
        lead_id: str,
        messages: list[Message],
        agreement: Agreement,
        flows: Sequence[ActiveFlow],
        now: int,
        assume_sent: bool,
    ) -> None:
        self.lead_id = lead_id
        self.agreement = agreement
        self.flows = flows
        self.flow_ids = list(dict.fromkeys(active.flow.id for active in flows))
        self.now = now
        self.assume_sent = assume_sent
        self.compiled = compiled(agreement)
        self.calendar: BusinessCalendar = self.compiled.calendar
        self.messages = sorted(messages, key=_order)
        self.by_id = {m.message_id: m for m in self.messages}
        self.predicates: dict[int, EventPredicate] = {}
        self.lead: LeadResult | None = replay_lead(lead_id, self.messages, agreement, now)
        self.history: list[StageEntry] = self.lead.history if self.lead is not None else []
        traits = self.lead.traits if self.lead is not None else {}
        self.zone: ZoneInfo = lead_zone(traits, agreement.zone)
        self.traits = traits
        self.has_address = _has_address(traits.get("email"))
        self.out = LeadFlows(lead_id, zone=self.zone.key)
        self.active: list[_Run] = []
        self.entries: dict[str, list[int]] = {}
        self.synthetic = 0

    # --- the time walk ------------------------------------------------------------------------
    def run(self) -> LeadFlows:
        if self.lead is None:
            return self.out
        mi = hi = 0
        while True:
            t = self._next_time(mi, hi)
            if t is None or t > self.now:
                break
            while mi < len(self.messages) and self.messages[mi].ts == t:
                self._on_message(self.messages[mi])
                mi += 1
            while hi < len(self.history) and self.history[hi].at == t:
                self._on_stage(self.history[hi])
                hi += 1
            for run in [r for r in self.active if r.record.next_at == t]:
                if run.record.active and run.record.next_at == t:
                    self._due(run, t)
        self.out.lead = self.lead
        return self.out

    def _next_time(self, mi: int, hi: int) -> int | None:
        candidates = [r.record.next_at for r in self.active if r.record.next_at is not None]
        if mi < len(self.messages):
            candidates.append(self.messages[mi].ts)
        if hi < len(self.history):
            candidates.append(self.history[hi].at)
        return min(candidates) if candidates else None

    # --- what happens to the lead ------------------------------------------------------------
    def _on_message(self, msg: Message) -> None:
        at = msg.ts
        if msg.type == "track" and msg.event == UNSUBSCRIBED and self.out.suppressed_at is None:
            self.out.suppressed_at = at
            self._leave_all(at, "unsubscribed")
        if msg.type not in ("track", "page"):
            return
        for run in list(self.active):
            if self._counts(run, msg.ts, msg.seq) and any(
                self._message_matches(t, msg, run) for t in run.flow.exit_when
            ):
                self._end(run, at, "exit_when")
            elif run.waiting and self._branch_test_message(run, msg):
                self._decide(run, at, yes=True)
        for flow_id in self.flow_ids:
            flow = self._flow_at(flow_id, at)
            trigger = flow.trigger if flow is not None else None
            if flow is not None and isinstance(trigger, EventTrigger) and self._predicate(trigger.condition)(msg):
                self._enter(flow, at, msg.message_id, (msg.ts, msg.seq))

    def _on_stage(self, entry: StageEntry) -> None:
        at = entry.at
        if entry.stage == "disqualified":
            self._leave_all(at, "disqualified")
        elif entry.stage in LEAVE_ALL_STAGES:
            self._leave_all(at, "reached_sal")
        mark = (at, self._seq_of(entry.cause))
        for run in list(self.active):
            if self._counts(run, *mark) and any(_stage_matches(t, entry) for t in run.flow.exit_when):
                self._end(run, at, "exit_when")
            elif run.waiting and self._counts(run, *mark) and _stage_matches(self._branch(run).test, entry):
                self._decide(run, at, yes=True)
        for flow_id in self.flow_ids:
            flow = self._flow_at(flow_id, at)
            if flow is not None and self._stage_triggers(flow, entry):
                self._enter(flow, at, entry.cause, mark)

    def _stage_triggers(self, flow: Flow, entry: StageEntry) -> bool:
        trigger = flow.trigger
        if isinstance(trigger, StageTrigger):
            return entry.stage == trigger.stage
        if isinstance(trigger, RecycleTrigger):
            if entry.stage != "mal" or entry.from_stage not in _RECYCLED_FROM:
                return False
            cause = self.by_id.get(entry.cause)
            if cause is None or cause.action not in trigger.actions:
                return False
            return not trigger.reasons or entry.reason in trigger.reasons
        return False

    # --- entering and leaving ----------------------------------------------------------------
    def _flow_at(self, flow_id: str, at: int) -> Flow | None:
        """The version of ``flow_id`` that accepts entries at ``at`` (the latest activated)."""
        chosen: ActiveFlow | None = None
        for active in self.flows:
            later = chosen is None or (active.active_from or 0) >= (chosen.active_from or 0)
            if active.flow.id == flow_id and active.accepts(at) and later:
                chosen = active
        return chosen.flow if chosen is not None else None

    def _enter(self, flow: Flow, at: int, cause: str, mark: tuple[int, int]) -> None:
        if self.out.suppressed_at is not None or self._stage_at(at) not in _NURTURABLE:
            return
        if any(run.flow.id == flow.id for run in self.active):
            return  # never two runs of one flow for one lead at once
        previous = self.entries.setdefault(flow.id, [])
        if previous:
            after_days = flow.reentry.after_days
            if after_days is None or at < previous[-1] + after_days * US_PER_DAY:
                return
        previous.append(at)
        record = FlowRun(flow.id, flow.version, self.lead_id, len(previous), at, cause)
        run = _Run(record, flow, mark)
        self.out.runs.append(record)
        self.active.append(run)
        self._start_step(run, 0, at)

    def _end(self, run: _Run, at: int, reason: str) -> None:
        run.record.ended_at = at
        run.record.end_reason = reason
        run.record.next_at = None
        run.record.current_step = None
        run.waiting = False
        self.active.remove(run)

    def _leave_all(self, at: int, reason: str) -> None:
        """The lead leaves every flow: its active runs end, and the moment is kept for the
        runner, which must also hold back mail queued for runs that ended before it."""
        self.out.left.append((at, reason))
        for run in list(self.active):
            self._end(run, at, reason)

    # --- steps ------------------------------------------------------------------------------
    def _start_step(self, run: _Run, index: int, at: int) -> None:
        """Reach step ``index`` at ``at``; instantaneous steps run now, others set ``next_at``."""
        steps = run.flow.steps
        if index >= len(steps):
            self._end(run, at, "completed")
            return
        step = steps[index]
        run.index = index
        run.record.current_step = step.id
        run.record.steps.append(StepRecord(step.id, step_kind(step), at))
        if isinstance(step, WaitStep):
            run.record.next_at = wait_end(at, step.duration, self.agreement.zone, self.calendar)
        elif isinstance(step, SendStep):
            run.record.next_at = next_send_slot(at, run.flow.send_window, self.zone, self.calendar)
        elif isinstance(step, BranchStep):
            self._start_branch(run, step, at)
        elif isinstance(step, EmitStep):
            self._emit(run, step, at)
        elif isinstance(step, ExitStep):
            self._finish_step(run, at, "exit")
            self._end(run, at, "exit_step")

    def _due(self, run: _Run, at: int) -> None:
        step = run.flow.steps[run.index]
        if isinstance(step, WaitStep):
            self._finish_step(run, at, "waited")
            self._start_step(run, run.index + 1, at)
        elif isinstance(step, SendStep):
            self._send(run, step, at)
        elif isinstance(step, BranchStep):
            self._decide(run, at, yes=False)

    def _finish_step(self, run: _Run, at: int, outcome: str) -> None:
        record = run.record.steps[-1]
        record.done_at = at
        record.outcome = outcome
        run.done[record.step_id] = at

    def _send(self, run: _Run, step: SendStep, at: int) -> None:
        if not self.has_address:
            self._finish_step(run, at, "no_address")
            self._start_step(run, run.index + 1, at)
            return
        record = run.record
        effect = SendEmail(
            key=effect_key(record.flow_id, record.flow_version, self.lead_id, record.run, step.id),
            lead_id=self.lead_id,
            flow_id=record.flow_id,
            flow_version=record.flow_version,
            run=record.run,
            step_id=step.id,
            template=step.template,
            data=step.data,
            language=lead_language(self.traits, run.flow.language),
            zone=self.zone.key,
            due_at=at,
        )
        self.out.effects.append(effect)
        self._finish_step(run, at, "sent")
        if self.assume_sent:
            self._add_message(sent_event(effect, at))
        self._start_step(run, run.index + 1, at)

    def _emit(self, run: _Run, step: EmitStep, at: int) -> None:
        record = run.record
        effect = Emit(
            key=effect_key(record.flow_id, record.flow_version, self.lead_id, record.run, step.id),
            lead_id=self.lead_id,
            flow_id=record.flow_id,
            flow_version=record.flow_version,
            run=record.run,
            step_id=step.id,
            event=step.event,
            properties=step.properties,
            at=at,
            goal=step.goal,
        )
        self.out.effects.append(effect)
        if step.goal and record.goal_at is None:
            record.goal_at = at
        self._finish_step(run, at, "emitted")
        self._add_message(emit_event(effect))
        self._start_step(run, run.index + 1, at)

    # --- branches -----------------------------------------------------------------------------
    def _branch(self, run: _Run) -> BranchStep:
        step = run.flow.steps[run.index]
        assert isinstance(step, BranchStep)
        return step

    def _start_branch(self, run: _Run, step: BranchStep, at: int) -> None:
        run.since = at if step.since is None else run.done.get(step.since, run.record.entered_at)
        if self._already_happened(run, step.test, at):
            self._decide(run, at, yes=True)
        elif step.within is None:
            self._decide(run, at, yes=False)
        else:
            run.waiting = True
            run.record.next_at = wait_end(at, step.within, self.agreement.zone, self.calendar)

    def _already_happened(self, run: _Run, test: Test, at: int) -> bool:
        if isinstance(test, StageTest):
            return any(
                run.since <= e.at <= at and self._counts(run, e.at, self._seq_of(e.cause)) and _stage_matches(test, e)
                for e in self.history
            )
        return any(
            run.since <= m.ts <= at and self._counts(run, m.ts, m.seq) and self._message_matches(test, m, run)
            for m in self.messages
            if m.type in ("track", "page")
        )

    def _branch_test_message(self, run: _Run, msg: Message) -> bool:
        test = self._branch(run).test
        return msg.ts >= run.since and self._counts(run, msg.ts, msg.seq) and self._message_matches(test, msg, run)

    def _decide(self, run: _Run, at: int, *, yes: bool) -> None:
        step = self._branch(run)
        run.waiting = False
        run.record.next_at = None
        self._finish_step(run, at, "yes" if yes else "no")
        target = step.then if yes else step.otherwise
        if target == EXIT:
            self._end(run, at, "branch")
        elif target == NEXT:
            self._start_step(run, run.index + 1, at)
        else:
            self._start_step(run, run.flow.index_of(target), at)

    # --- matching -------------------------------------------------------------------------------
    def _counts(self, run: _Run, ts: int, seq: int) -> bool:
        """Only what happened after the run's entry (in log order) concerns the run."""
        return (ts, seq) > run.mark

    def _message_matches(self, test: Test, msg: Message, run: _Run) -> bool:
        if isinstance(test, EventTest):
            return msg.type in ("track", "page") and self._predicate(test.condition)(msg)
        if isinstance(test, OpenedTest | ClickedTest):
            wanted = EMAIL_OPENED if isinstance(test, OpenedTest) else EMAIL_CLICKED
            props = msg.properties
            return (
                msg.type == "track"
                and msg.event == wanted
                and props.get("flow") == run.record.flow_id
                and str(props.get("flow_version")) == run.record.flow_version
                and props.get("run") == run.record.run
                and props.get("step") == test.step
            )
        return False

    def _predicate(self, condition: Condition) -> EventPredicate:
        key = id(condition)  # conditions live as long as the flows, which outlive this engine
        pred = self.predicates.get(key)
        if pred is None:
            pred = compile_event(condition)
            self.predicates[key] = pred
        return pred

    # --- the lead's state -----------------------------------------------------------------------
    def _stage_at(self, at: int) -> str | None:
        stage = None
        for entry in self.history:
            if entry.at > at:
                break
            stage = entry.stage
        return stage

    def _seq_of(self, message_id: str) -> int:
        msg = self.by_id.get(message_id)
        return msg.seq if msg is not None else -1

    def _add_message(self, obj: dict[str, object]) -> None:
        """Replay one of the engine's own events as part of the lead's log."""
        if obj["messageId"] in self.by_id:
            return  # already recorded by a runner: the same message
        self.synthetic += 1
        msg = parse_message(obj, seq=SYNTHETIC_SEQ + self.synthetic)
        self.by_id[msg.message_id] = msg
        bisect.insort(self.messages, msg, key=_order)
        if self._may_change_stages(msg):
            self.lead = replay_lead(self.lead_id, self.messages, self.agreement, self.now)
            self.history = self.lead.history if self.lead is not None else []

    def _may_change_stages(self, msg: Message) -> bool:
        return bool(self.compiled.matching_rules(msg)) or (msg.event or "") in self.compiled.watched_events


def _order(msg: Message) -> tuple[int, int]:
    return msg.ts, msg.seq


def _stage_matches(test: Test, entry: StageEntry) -> bool:
    return isinstance(test, StageTest) and entry.stage == test.stage


def _has_address(value: object) -> bool:
    return isinstance(value, str) and "@" in value.strip()
