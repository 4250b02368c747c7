"""``generate``: a deterministic stream of synthetic B2B histories, one lead at a time.

Each lead (and each anonymous-only visitor) has its own random stream seeded from
``(seed, index)``, so the output is a pure function of the configuration and memory stays
constant: a lead's messages are produced, handed to the writer and forgotten.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from leadpact.adapters.synthetic.companies import CompanyPool
from leadpact.adapters.synthetic.journey import anonymous_visitor
from leadpact.adapters.synthetic.messagelog import Entry, LeadLog
from leadpact.adapters.synthetic.persona import make_persona
from leadpact.adapters.synthetic.programs import build_programmes
from leadpact.adapters.synthetic.simulation import simulate_lead
from leadpact.adapters.synthetic.timeline import Timeline
from leadpact.domain.agreement import Agreement
from leadpact.domain.replay import compiled

ANONYMOUS_VISITORS_PER_10_LEADS = 3
LEADS_PER_COMPANY = 3


@dataclass(frozen=True, slots=True)
class GeneratorConfig:
    leads: int
    start: date
    days: int
    seed: int
    agreement: Agreement


@dataclass(slots=True)
class GenerationStats:
    """Counts gathered while generating (the engine's per-lead view; owners aside, the same
    as a replay of the output)."""

    leads: int = 0
    messages: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    reached: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    sgl: int = 0
    actions: int = 0
    refused: int = 0

    def rate(self, stage: str, of: str | None = None) -> float:
        base = self.leads if of is None else self.reached[of]
        return self.reached[stage] / base if base else 0.0


Block = list[Entry]
"""One lead's (or one anonymous visitor's) messages, sorted by time."""


class Generator:
    def __init__(self, config: GeneratorConfig) -> None:
        if config.leads < 1:
            raise ValueError("leads must be at least 1")
        self.config = config
        self.timeline = Timeline(config.start, config.days)
        self.programmes = build_programmes(self.timeline)
        self.pool = CompanyPool(config.seed, max(20, config.leads // LEADS_PER_COMPANY))
        self.compiled = compiled(config.agreement)
        self.stats = GenerationStats()

    def messages(self) -> Iterator[list[dict[str, Any]]]:
        """The messages as SPEC §3 dicts, one list per lead or visitor (treat as read-only:
        nested objects are shared between messages)."""
        for block in self.blocks():
            yield [entry.obj for entry in block]

    def blocks(self) -> Iterator[Block]:
        """One block per lead, and one per anonymous-only visitor, each sorted by time."""
        for index in range(self.config.leads):
            yield self.lead(index)
            if index % 10 < ANONYMOUS_VISITORS_PER_10_LEADS:
                block = self.visitor(index)
                if block:
                    yield block

    def lead(self, index: int) -> Block:
        cfg = self.config
        rng = random.Random(f"{cfg.seed}:lead:{index}")
        persona = make_persona(
            index, rng, seed=cfg.seed, pool=self.pool, programmes=self.programmes, timeline=self.timeline
        )
        log = LeadLog(self.timeline, f"m{cfg.seed}-{index}-", persona.user_id, persona.anonymous_id)
        outcome = simulate_lead(persona, log, rng, self.timeline, self.programmes, cfg.agreement, self.compiled)
        messages = log.sorted_entries()
        stats = self.stats
        stats.leads += 1
        stats.kinds[persona.kind] += 1
        stats.sgl += persona.sgl
        stats.reached.update(outcome.stages)
        stats.actions += outcome.actions
        stats.refused += outcome.refused
        self._count(messages)
        return messages

    def visitor(self, index: int) -> Block:
        cfg = self.config
        rng = random.Random(f"{cfg.seed}:visitor:{index}")
        anonymous_id = f"v{cfg.seed}-{index}-{rng.getrandbits(64):016x}"
        log = LeadLog(self.timeline, f"v{cfg.seed}-{index}-", "", anonymous_id)
        anonymous_visitor(log, rng, self.timeline)
        messages = log.sorted_entries()
        self._count(messages)
        return messages

    def _count(self, messages: Block) -> None:
        self.stats.messages += len(messages)
        by_type = self.stats.by_type
        for entry in messages:
            by_type[entry.message.type] += 1
