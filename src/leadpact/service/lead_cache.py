"""In-memory lead states, so an event appended in time order costs one step of the replay.

An entry is the domain's own :class:`~leadpact.domain.lead_replay.LeadMachine` after the
lead's messages up to ``last_key`` (ts, seq), plus the rows the engine last wrote for it.
It is trusted only while the store still carries the ``token`` it wrote (another process may
have re-evaluated the lead) and the agreement is the one it was built with; otherwise the
engine replays the lead from its stored messages, which is always correct.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from leadpact.adapters.store.lead_rows import JsonMemo, Row
from leadpact.domain.compiled import CompiledAgreement
from leadpact.domain.lead_replay import LeadMachine
from leadpact.domain.messages import Message


@dataclass(slots=True)
class CachedLead:
    machine: LeadMachine
    compiled: CompiledAgreement
    last_key: tuple[int, int]
    last_id: int
    token: str
    lists: dict[str, list[Row]]
    json_memo: JsonMemo
    row: list[Any] | None
    """The ``leads`` row written from this state (None until it is computed)."""
    tail_epoch: int = -1
    """The engine's log-following epoch in which :attr:`pending` holds every newer message of
    the lead (-1: it does not; the engine reads them from the store)."""
    pending: list[Message] = field(default_factory=list)
    """Messages of the lead appended since this state, as the engine read them off the log."""


class LeadCache:
    """A bounded LRU of :class:`CachedLead` (``capacity`` 0 disables it)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, CachedLead] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, lead_id: str) -> CachedLead | None:
        with self._lock:
            entry = self._entries.get(lead_id)
            if entry is not None:
                self._entries.move_to_end(lead_id)
            return entry

    def peek(self, lead_id: str) -> CachedLead | None:
        """The entry, without marking it used or locking (one dictionary read, atomic in
        CPython; the engine peeks at every appended message)."""
        return self._entries.get(lead_id)

    def take(self, lead_id: str) -> CachedLead | None:
        """Remove and return the entry: whoever extends a lead state owns it until it is put
        back after its transaction commits, so two evaluations never share one."""
        with self._lock:
            return self._entries.pop(lead_id, None)

    def put(self, lead_id: str, entry: CachedLead) -> None:
        if self.capacity <= 0:
            return
        with self._lock:
            self._entries[lead_id] = entry
            self._entries.move_to_end(lead_id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def evict(self, lead_ids: Iterable[str]) -> None:
        with self._lock:
            for lead_id in lead_ids:
                self._entries.pop(lead_id, None)

    def entries(self) -> list[CachedLead]:
        with self._lock:
            return list(self._entries.values())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
