"""Offline scoring use case: events + agreement → each lead's state as of a time (no store)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from leadpact.domain.agreement import Agreement
from leadpact.domain.messages import Message
from leadpact.domain.replay import ReplayResult, newest_ts, replay
from leadpact.domain.results import lead_to_json


@dataclass(frozen=True, slots=True)
class ScoreRun:
    result: ReplayResult
    agreement: Agreement

    def json_objects(self) -> Iterator[dict[str, Any]]:
        """The SPEC §7 objects, sorted by ``lead_id``."""
        zone = self.agreement.zone
        for lead_id in sorted(self.result.leads):
            yield lead_to_json(self.result.leads[lead_id], self.result.as_of, zone)


def default_as_of(messages: Sequence[Message]) -> int | None:
    """Without ``--as-of`` the evaluation time is the newest event's (never the clock). A
    later copy of a ``messageId`` is ignored (SPEC §3), its timestamp too."""
    return newest_ts(messages)


def score_messages(messages: Sequence[Message], agreement: Agreement, as_of: int) -> ScoreRun:
    return ScoreRun(replay(messages, agreement, as_of), agreement)
