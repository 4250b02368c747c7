"""From the event log to one record per lead: what marketing knew before sales touched it.

Calibration must only learn from what was known when the MQL decision was made. So each lead's
traits and events are cut off at its first *sales* action (``accept``, ``contact``,
``confirm_bant``... by inside or field sales), and at most a window after its creation (see
:func:`build_records`): anything later could encode the outcome. Leads created by sales
(``create_sgl``) never went through marketing scoring and are left out.

The outcome (did the lead reach the target stage?) comes from the ``outcome`` trait written by
``leadpact import-csv`` and from the stages the real engine reached on replay.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from leadpact.domain.messages import Message
from leadpact.domain.replay import dedupe, group_by_lead, link_identities
from leadpact.domain.timeutil import US_PER_DAY

SALES_ROLES: Final = frozenset({"inside_sales", "field_sales", "admin"})
DEFAULT_OUTCOME_TRAIT: Final = "outcome"
TARGETS: Final = ("customer", "sql")
MIN_CONTACTED_FOR_WINDOW: Final = 10
_POSITIVE_OUTCOMES: Final = {"customer": frozenset({"customer"}), "sql": frozenset({"customer", "sql"})}
_NEGATIVE_OUTCOMES: Final = {"customer": frozenset({"sql", "not_converted"}), "sql": frozenset({"not_converted"})}


@dataclass(slots=True)
class LeadRecord:
    """One lead as seen before ``horizon`` (None: its whole history is used)."""

    lead_id: str
    created_at: int
    horizon: int | None
    traits: dict[str, Any] = field(default_factory=dict)
    company: dict[str, Any] = field(default_factory=dict)
    events: list[Message] = field(default_factory=list)
    outcome: str | None = None
    sales_generated: bool = False
    last_at: int = 0  # the lead's last message, whether before the horizon or not

    @property
    def complete(self) -> bool:
        """Nothing of the lead's history was cut off by the horizon."""
        return self.horizon is None or self.last_at < self.horizon

    def effective_traits(self) -> dict[str, Any]:
        """A plain trait name reads the lead's own value, else the company's (SPEC §3)."""
        return {**self.company, **self.traits}


@dataclass(slots=True)
class EventLog:
    """The records plus what the log declared about itself."""

    records: list[LeadRecord]
    outcome_trait: str
    post_contact_traits: frozenset[str]
    dropped_after_contact: int
    sales_generated: int
    window_days: float | None


def build_records(messages: Iterable[Message], window_days: float | None = None) -> EventLog:
    """One record per lead. Features stop at the lead's first sales action, and at most
    ``window_days`` after it was created — by default the time within which 90 % of contacted
    leads were contacted. The window gives leads sales never touched the same exposure as the
    others: without it they would keep collecting newsletter opens for a year while contacted
    leads stop at contact, and calibration would learn that engagement predicts *losing*."""
    unique, _ = dedupe(messages)
    groups, _ = group_by_lead(unique, link_identities(unique))
    outcome_trait, post_contact = _declarations(unique)
    for bucket in groups.values():
        bucket.sort(key=lambda m: (m.ts, m.seq))
    contacts = {lead_id: _first_sales_action(bucket) for lead_id, bucket in groups.items()}
    window = window_days if window_days is not None else _default_window(groups, contacts)
    records: list[LeadRecord] = []
    dropped = 0
    sales_generated = 0
    for lead_id in sorted(groups):
        record, lead_dropped = _record(lead_id, groups[lead_id], outcome_trait, contacts[lead_id], window)
        if record is None:
            continue
        if record.sales_generated:
            sales_generated += 1
            continue
        dropped += lead_dropped
        records.append(record)
    return EventLog(records, outcome_trait, frozenset(post_contact), dropped, sales_generated, window)


def _declarations(messages: Iterable[Message]) -> tuple[str, set[str]]:
    """The outcome trait and the post-contact traits an import declared on its identifies."""
    outcome_trait = DEFAULT_OUTCOME_TRAIT
    post_contact: set[str] = set()
    for msg in messages:
        if msg.type == "identify" and msg.properties:
            declared = msg.properties.get("outcome_trait")
            if isinstance(declared, str) and declared:
                outcome_trait = declared
            names = msg.properties.get("post_contact_traits")
            if isinstance(names, list):
                post_contact.update(n for n in names if isinstance(n, str))
    return outcome_trait, post_contact


def _first_sales_action(messages: list[Message]) -> int | None:
    return next(
        (m.ts for m in messages if m.type == "action" and m.actor_role in SALES_ROLES and m.action != "create_sgl"),
        None,
    )


def _created(messages: list[Message]) -> int | None:
    return next((m.ts for m in messages if m.user_id is not None), None)


def _default_window(groups: Mapping[str, list[Message]], contacts: Mapping[str, int | None]) -> float | None:
    delays = []
    for lead_id, contact in contacts.items():
        created = _created(groups[lead_id])
        if contact is not None and created is not None:
            delays.append((contact - created) / US_PER_DAY)
    if len(delays) < MIN_CONTACTED_FOR_WINDOW:
        return None
    return float(max(1, math.ceil(float(np.quantile(delays, 0.9)))))


def _record(
    lead_id: str, messages: list[Message], outcome_trait: str, contact: int | None, window: float | None
) -> tuple[LeadRecord | None, int]:
    created = _created(messages)
    if created is None:
        return None, 0
    first = next(m for m in messages if m.user_id is not None)
    horizon = contact
    if window is not None:
        end = created + round(window * US_PER_DAY)
        horizon = end if horizon is None else min(horizon, end)
    record = LeadRecord(
        lead_id,
        created,
        horizon,
        sales_generated=first.type == "action" and first.action == "create_sgl",
        last_at=messages[-1].ts,
    )
    dropped = 0
    for msg in messages:
        if msg.type == "identify" and outcome_trait in msg.traits:
            value = msg.traits[outcome_trait]
            record.outcome = value if isinstance(value, str) else None
        if horizon is not None and msg.ts >= horizon:
            dropped += msg.type in ("identify", "group", "page", "track")
            continue
        if msg.type == "identify":
            _merge_traits(record.traits, msg.traits)
        elif msg.type == "group":
            record.company.update(msg.traits)
        elif msg.type in ("page", "track"):
            record.events.append(msg)
    record.traits.pop(outcome_trait, None)
    return record, dropped


def _merge_traits(target: dict[str, Any], traits: Mapping[str, Any]) -> None:
    target.update(traits)
    email = target.get("email")
    if isinstance(email, str) and "@" in email:
        target["email_domain"] = email.rsplit("@", 1)[1].strip().lower()


@dataclass(frozen=True, slots=True)
class Labels:
    """``values[i]`` is 1 if lead i reached the target, 0 if not; unlabelled leads are absent."""

    lead_ids: tuple[str, ...]
    values: tuple[int, ...]
    unlabelled: int
    from_traits: int  # labels decided by an imported outcome trait rather than by stages


def label_records(records: list[LeadRecord], target: str, reached: Mapping[str, frozenset[str]]) -> Labels:
    """The label of each lead for ``target`` (``customer`` or ``sql``).

    ``reached`` maps lead id → stages the real engine recorded on replay. When the log carries
    outcome traits (a history import), a lead with neither an outcome trait nor a recorded
    target stage has no label: it is left out rather than guessed to be a loss.
    """
    positive_stages = {"customer"} if target == "customer" else {"sql", "opportunity", "customer"}
    uses_traits = any(r.outcome is not None for r in records)
    ids: list[str] = []
    values: list[int] = []
    unlabelled = 0
    from_traits = 0
    for record in records:
        stages = reached.get(record.lead_id, frozenset())
        if record.outcome in _POSITIVE_OUTCOMES[target] or stages & positive_stages:
            label = 1
        elif record.outcome in _NEGATIVE_OUTCOMES[target] or not uses_traits:
            label = 0
        else:
            unlabelled += 1
            continue
        ids.append(record.lead_id)
        values.append(label)
        from_traits += record.outcome is not None
    return Labels(tuple(ids), tuple(values), unlabelled, from_traits)
