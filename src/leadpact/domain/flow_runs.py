"""What the flow engine yields: runs, step records and the side effects it intends.

Every side effect carries a deterministic idempotency key — flow id, version, lead, run number,
step id — so that whoever carries it out (the simulator, the one-shot runner, the scheduler)
can do it at most once however often the engine is re-evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadpact.domain.flows import Flow
from leadpact.domain.results import LeadResult


@dataclass(frozen=True, slots=True)
class ActiveFlow:
    """A flow version and when leads may *enter* it: ``active_from ≤ t < active_until``
    (None: unbounded). A run keeps the version it entered under until it ends."""

    flow: Flow
    active_from: int | None = None
    active_until: int | None = None

    def accepts(self, at: int) -> bool:
        if self.active_from is not None and at < self.active_from:
            return False
        return self.active_until is None or at < self.active_until


def effect_key(flow_id: str, version: str, lead_id: str, run: int, step_id: str) -> str:
    """``nurture:FLOW:VERSION:LEAD:RUN:STEP``. Flow ids, versions and step ids cannot contain
    ``:``, so the key is unambiguous whatever the lead id contains."""
    return f"nurture:{flow_id}:{version}:{lead_id}:{run}:{step_id}"


@dataclass(frozen=True, slots=True)
class SendEmail:
    """Send ``template`` to the lead at ``due_at`` (already inside the send window)."""

    key: str
    lead_id: str
    flow_id: str
    flow_version: str
    run: int
    step_id: str
    template: str
    data: tuple[tuple[str, Any], ...]
    language: str
    zone: str
    due_at: int


@dataclass(frozen=True, slots=True)
class Emit:
    """Record the track event ``event`` for the lead at ``at``; its messageId is ``key``."""

    key: str
    lead_id: str
    flow_id: str
    flow_version: str
    run: int
    step_id: str
    event: str
    properties: tuple[tuple[str, Any], ...]
    at: int
    goal: bool


Effect = SendEmail | Emit


@dataclass(slots=True)
class StepRecord:
    """One step of one run: reached at ``reached_at``; ``done_at``/``outcome`` once done.

    Outcomes: ``waited``, ``sent`` (the mail is due at ``done_at``), ``no_address`` (the lead
    has no e-mail address: nothing sent, the run goes on), ``yes``/``no`` (branch),
    ``emitted``, ``exit``. A step interrupted by the run's end has no outcome.
    """

    step_id: str
    kind: str
    reached_at: int
    done_at: int | None = None
    outcome: str | None = None


@dataclass(slots=True)
class FlowRun:
    """One lead's passage through one flow version.

    ``end_reason``: ``completed`` (past the last step), ``exit_step``, ``branch`` (a branch
    sent it to exit), ``exit_when``, ``unsubscribed``, ``disqualified``, ``reached_sal``.
    While active, ``current_step`` is waiting until ``next_at`` (a wait's end, a send's slot
    or a branch's deadline)."""

    flow_id: str
    flow_version: str
    lead_id: str
    run: int
    entered_at: int
    cause: str
    steps: list[StepRecord] = field(default_factory=list)
    ended_at: int | None = None
    end_reason: str | None = None
    goal_at: int | None = None
    current_step: str | None = None
    next_at: int | None = None

    @property
    def active(self) -> bool:
        return self.ended_at is None

    def step(self, step_id: str) -> StepRecord | None:
        for record in self.steps:
            if record.step_id == step_id:
                return record
        return None


@dataclass(slots=True)
class LeadFlows:
    """Everything the flow engine decided for one lead as of the evaluation time."""

    lead_id: str
    runs: list[FlowRun] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    suppressed_at: int | None = None
    """When the lead unsubscribed (no mail from any flow from then on)."""
    left: list[tuple[int, str]] = field(default_factory=list)
    """Each moment the lead left every flow, with why (``unsubscribed``, ``disqualified``,
    ``reached_sal``). Mail of a run entered before then must not go out, even when that run had
    already ended: a run ends at its last send, while the mail may still wait in the outbox."""
    zone: str | None = None
    """The lead's timezone (its ``timezone`` trait, else the agreement's): quiet hours use it."""
    lead: LeadResult | None = None
    """The lead's state replayed with the engine's own events (emits, and sends when simulating)."""
