"""People act on leads (SPEC §5): the action is checked against the lead as it stands, then
recorded as an ``action`` message in the log, so a replay reproduces it.

An action the lifecycle refuses (wrong stage) is answered with the reason and stores
nothing: it is replayed on the lead's current history plus the action before anything is
written, under the store's write lock so nothing can change in between. The actor is the
caller's own user; the time is the request's receive time — but never earlier than an action
already recorded on the lead: two requests racing for the lock (two people accepting the same
lead) are decided in the order they were recorded, so an action answered "done" is never
turned into a refusal by one that was received a moment earlier and recorded after it.

A retry with the same ``messageId`` is answered as done without storing anything again; a
``messageId`` that already names a different message (another lead, another action) is
refused instead of silently ignored.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leadpact.adapters.store.event_log import EventLog
from leadpact.adapters.store.lead_queries import LeadQueries
from leadpact.domain.lifecycle import ACTION_RULES, REASON_REQUIRED, UNKNOWN_LEAD
from leadpact.domain.messages import BANT_ITEMS, Message, MessageError
from leadpact.service.evaluation import OnlineEngine
from leadpact.service.handoff import run_machine
from leadpact.service.ingest import MAX_ID_LENGTH, append, text_problem
from leadpact.service.leads import UnknownLeadError


class ActionRefusedError(Exception):
    """The lifecycle does not allow the action now; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    message_id: str
    stored: bool  # False when the messageId was already recorded (an idempotent retry)


def check_fields(action: str, properties: Mapping[str, Any]) -> None:
    """The action's own required fields (MessageError names the field)."""
    if action not in ACTION_RULES:
        raise MessageError("action", f"expected one of {', '.join(ACTION_RULES)}, found {action!r}")
    reason = properties.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise MessageError("properties.reason", "expected a string")
    if action in REASON_REQUIRED and not (isinstance(reason, str) and reason.strip()):
        raise MessageError("properties.reason", f"{action} needs a reason")
    if action == "assign":
        owner = properties.get("owner")
        if not isinstance(owner, str) or not owner.strip() or len(owner) > MAX_ID_LENGTH:
            raise MessageError("properties.owner", "assign needs the new owner's id (a non-empty string)")
    if action == "confirm_bant":
        items = properties.get("items")
        if not isinstance(items, list) or not items:
            raise MessageError("properties.items", f"expected a non-empty list drawn from {', '.join(BANT_ITEMS)}")
        unknown = [item for item in items if item not in BANT_ITEMS]
        if unknown:
            raise MessageError(
                "properties.items",
                f"expected items drawn from {', '.join(BANT_ITEMS)}, found {', '.join(map(repr, unknown))}",
            )
    problem = text_problem(dict(properties), "properties")
    if problem is not None:
        raise problem


def _same_action(recorded: Message, msg: Message) -> bool:
    """Whether a stored message is this action again (a retry), by what identifies it."""
    return (recorded.type, recorded.user_id, recorded.action, recorded.actor_id) == (
        "action",
        msg.user_id,
        msg.action,
        msg.actor_id,
    )


class ActionService:
    def __init__(self, engine: OnlineEngine) -> None:
        self.engine = engine

    def act(
        self,
        lead_id: str,
        action: str,
        *,
        actor_id: str,
        actor_role: str,
        properties: Mapping[str, Any],
        traits: Mapping[str, Any],
        now: int,
        message_id: str | None = None,
    ) -> ActionOutcome:
        check_fields(action, properties)
        problem = text_problem(dict(traits), "traits")
        if problem is not None:
            raise problem
        msg = Message(
            type="action",
            message_id=message_id or f"act-{uuid.uuid4()}",
            ts=now,
            user_id=lead_id,
            traits=dict(traits) if action == "create_sgl" else {},
            properties=dict(properties),
            action=action,
            actor_id=actor_id,
            actor_role=actor_role,
        )
        with self.engine.transaction() as tx:
            log = EventLog(tx.conn)
            recorded = log.message_by_id(msg.message_id)
            if recorded is not None:
                if not _same_action(recorded, msg):
                    raise ActionRefusedError(f"messageId {msg.message_id!r} already records a different message")
                return ActionOutcome(msg.message_id, stored=False)
            tx.flush([lead_id])
            if action != "create_sgl" and not LeadQueries(tx.conn).exists(lead_id):
                raise UnknownLeadError(lead_id)
            history = log.lead_messages([lead_id])[lead_id]
            msg.ts = max([now, *(m.ts for m in history if m.type == "action")])
            msg.seq = log.next_id()
            machine, _ = run_machine(lead_id, [*history, msg], tx.agreement, max([msg.ts, *(m.ts for m in history)]))
            refused = next((e for e in (machine.errors if machine else ()) if e.message_id == msg.message_id), None)
            if refused is not None and refused.reason == UNKNOWN_LEAD:
                # Stored, but every event of it is later than the action (a client clock running
                # fast): at the action's time the lead does not exist, as GET /v1/leads/{id} says.
                raise UnknownLeadError(lead_id)
            if machine is None or refused is not None:
                raise ActionRefusedError(refused.reason if refused else "the action would not create the lead")
            append(tx.conn, [msg], now)
            tx.flush([lead_id])
        return ActionOutcome(msg.message_id, stored=True)
