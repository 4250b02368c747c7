"""One lead's whole history: marketing first, then sales reacting to the real engine.

The lead's marketing messages are fed, in (timestamp, arrival) order, to the engine's own
per-lead state machine (:class:`leadpact.domain.lead_replay.LeadMachine`) under the agreement.
Whenever the engine records a stage change (MQL, SQL, ...), the :class:`SalesTeam` plans its
reaction; planned actions are interleaved with the remaining marketing messages by time and
fed to the same machine. So every sales action is decided against the stage the engine will
compute when the file is replayed, whatever the agreement.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from leadpact.adapters.synthetic.journey import marketing_history
from leadpact.adapters.synthetic.messagelog import Entry, LeadLog
from leadpact.adapters.synthetic.persona import Persona
from leadpact.adapters.synthetic.programs import Programmes
from leadpact.adapters.synthetic.sales import SalesTeam
from leadpact.adapters.synthetic.timeline import Timeline
from leadpact.domain.agreement import Agreement
from leadpact.domain.compiled import CompiledAgreement
from leadpact.domain.lead_replay import LeadMachine
from leadpact.domain.timeutil import US_PER_SECOND

_FINAL = frozenset({"customer", "disqualified"})
"""Stages only an action can leave (SPEC §4.3, §5): marketing events change nothing there."""


@dataclass(slots=True)
class LeadOutcome:
    """What the engine saw for the lead by the window's end (for the run's summary)."""

    stages: frozenset[str]
    refused: int
    actions: int


class _Driver:
    """Feeds messages to the machine and tells the sales team about new stage entries."""

    def __init__(self, machine: LeadMachine) -> None:
        self.machine = machine
        self.team: SalesTeam | None = None
        self._seen = 0
        self._seq = 0
        self.actions = 0

    def apply(self, entry: Entry) -> None:
        self._seq += 1
        message = entry.message
        message.seq = self._seq
        if message.type == "action":
            self.actions += 1
        machine = self.machine
        machine.apply(message)
        history = machine.history
        if len(history) == self._seen or self.team is None:
            self._seen = len(history)
            return
        team_name = machine.assignments[-1].team if machine.assignments else None
        stage = machine.stage or "lead"
        while self._seen < len(history):
            stage_entry = history[self._seen]
            self._seen += 1
            self.team.observe(stage_entry, stage, team_name)


def simulate_lead(
    persona: Persona,
    log: LeadLog,
    rng: random.Random,
    timeline: Timeline,
    programmes: Programmes,
    agreement: Agreement,
    compiled: CompiledAgreement,
) -> LeadOutcome:
    created_at = _creation_moment(persona, rng, timeline)
    driver = _Driver(LeadMachine(persona.user_id, compiled))
    team = SalesTeam(persona, log, rng, timeline, agreement, driver.apply)
    driver.team = team
    if persona.sgl:
        team.register_sgl(created_at)
    marketing_start = len(log.entries)
    marketing_history(persona, log, rng, timeline, programmes, created_at)
    pending = sorted(log.entries[marketing_start:], key=lambda e: (e.ts, e.n))
    index = 0
    machine = driver.machine
    while True:
        due = team.next_at()
        if due is None and machine.stage in _FINAL:
            break  # no message can move the lead any more; the rest is written unreplayed
        if index < len(pending) and (due is None or pending[index].ts <= due):
            driver.apply(pending[index])
            index += 1
        elif due is not None:
            team.run_next()
        else:
            break
    stages = frozenset(entry.stage for entry in machine.history)
    return LeadOutcome(stages=stages, refused=len(machine.errors), actions=driver.actions)


def _creation_moment(persona: Persona, rng: random.Random, timeline: Timeline) -> int:
    day = persona.created_day
    if persona.sgl or persona.source == "trade_show":
        # Booth scans and sales registrations happen in business hours.
        return timeline.midnight(day) + rng.randint(10 * 3600, 17 * 3600) * US_PER_SECOND
    return timeline.moment(day, rng)
