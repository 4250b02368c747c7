"""The reports' leads from the store, for ``leadpact report KIND`` without an event file.

The store keeps every lead's state as the online engine last evaluated it, which equals the
reference replay of the stored events (the store's invariant). Those states are used as they
are when they answer the question: the active agreement, a moment at or after the newest
stored event, and nothing waiting to be evaluated. Otherwise — another agreement, an earlier
moment, leads still queued, an activation still re-evaluating — the stored log is replayed,
which is slower but never stale, and never writes to the store (a report is a read).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from leadpact.adapters.store.event_log import EventLog
from leadpact.domain.agreement import Agreement
from leadpact.domain.replay import replay
from leadpact.domain.results import LeadResult
from leadpact.service.container import Services
from leadpact.service.dashboard.store_reads import StoreReads

Source = Literal["stored", "replayed"]


@dataclass(frozen=True, slots=True)
class StoreLeads:
    leads: list[LeadResult]
    agreement: Agreement
    as_of: int
    source: Source
    """``stored``: the engine's stored states; ``replayed``: the stored log replayed."""


def leads_from_store(
    services: Services, now: int, *, agreement: Agreement | None = None, as_of: int | None = None, touches: bool
) -> StoreLeads:
    """The store's leads as of ``as_of`` (default ``now``) under ``agreement`` (default: the
    active one). ``touches``: also count the content each lead touched (attribution, content
    segments)."""
    active = services.agreements.active().agreement
    chosen = agreement if agreement is not None else active
    moment = now if as_of is None else as_of
    with services.store.read() as conn:
        reads = StoreReads(conn)
        fingerprint = reads.fingerprint()
        newest = reads.newest_event_ts() or 0
        settled = fingerprint[1] == 0 and fingerprint[2] == 0 and (fingerprint[3] == 0 or fingerprint[5] == 1)
        if agreement is None and moment >= newest and settled:
            stored = reads.leads()
            found = reads.touches() if touches else {}
            leads = [
                dataclasses.replace(lead, touches=found.get(lead_id, {})) if touches else lead
                for lead_id, lead in sorted(stored.items())
            ]
            return StoreLeads(leads, chosen, moment, "stored")
        messages = list(EventLog(conn).all_messages())
    result = replay(messages, chosen, moment)
    return StoreLeads([result.leads[k] for k in sorted(result.leads)], chosen, moment, "replayed")
