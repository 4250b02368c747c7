"""Actions racing for the write lock are decided in the order they are recorded, and a reused
messageId is a retry only when it names the same action (SPEC §4.3.4, §5).

Two people act on one lead at once: each request takes its receive time, then waits for the
lock. The one received a moment earlier may be recorded later; it must then be checked *after*
the one already answered "done", or that answer would silently turn into a refusal."""

from __future__ import annotations

from typing import Any

import pytest
from store_checks import assert_store_matches, ingest, replayed
from store_factories import mql_burst, us

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.adapters.store.event_log import EventLog
from leadpact.service.actions import ActionOutcome, ActionRefusedError
from leadpact.service.container import Services


def _act(services: Services, action: str, actor: str, role: str, minutes: float, **extra: Any) -> ActionOutcome:
    message_id = extra.pop("message_id", None)
    return services.actions.act(
        "u1",
        action,
        actor_id=actor,
        actor_role=role,
        properties=extra,
        traits={},
        now=us(minutes),
        message_id=message_id,
    )


def _stored_actions(services: Services) -> list[tuple[str | None, str | None, int]]:
    with services.store.read() as conn:
        return [(m.action, m.actor_id, m.ts) for m in EventLog(conn).lead_messages(["u1"])["u1"] if m.type == "action"]


def _matches_replay(services: Services) -> None:
    with services.store.read() as conn:
        messages = list(EventLog(conn).all_messages())
    assert_store_matches(services, replayed(messages, default_agreement(), max(m.ts for m in messages)))


def test_the_second_of_two_racing_accepts_is_refused_even_if_received_first(services: Services) -> None:
    ingest(services, mql_burst("u1"))
    _act(services, "accept", "is-sato", "inside_sales", 30)  # recorded first
    with pytest.raises(ActionRefusedError, match="not allowed in stage sal"):
        _act(services, "accept", "is-ito", "inside_sales", 29)  # received earlier, recorded later
    view = services.leads.get("u1", us(40))
    assert view["stage"] == "sal"
    assert view["errors"] == []  # the answered accept stays accepted
    assert _stored_actions(services) == [("accept", "is-sato", us(30))]
    _matches_replay(services)


def test_an_action_recorded_after_another_takes_its_time_and_is_checked_after_it(services: Services) -> None:
    ingest(services, mql_burst("u1"))
    _act(services, "accept", "is-sato", "inside_sales", 30)
    _act(services, "reject", "is-ito", "inside_sales", 29, reason="no budget this year")
    assert services.leads.get("u1", us(40))["stage"] == "mal"  # reject after accept: allowed from sal
    assert _stored_actions(services) == [("accept", "is-sato", us(30)), ("reject", "is-ito", us(30))]
    _matches_replay(services)


def test_a_later_receive_time_is_kept(services: Services) -> None:
    ingest(services, mql_burst("u1"))
    _act(services, "accept", "is-sato", "inside_sales", 30)
    _act(services, "contact", "is-sato", "inside_sales", 45)
    assert _stored_actions(services) == [("accept", "is-sato", us(30)), ("contact", "is-sato", us(45))]


def test_a_message_id_is_a_retry_only_for_the_same_action(services: Services) -> None:
    ingest(services, mql_burst("u1"))
    first = _act(services, "contact", "is-sato", "inside_sales", 30, message_id="m-1")
    again = _act(services, "contact", "is-sato", "inside_sales", 31, message_id="m-1")
    assert (first.stored, again.stored) == (True, False)
    with pytest.raises(ActionRefusedError, match="already records a different message"):
        _act(services, "accept", "is-sato", "inside_sales", 32, message_id="m-1")
    other_lead = mql_burst("u2")
    ingest(services, other_lead)
    with pytest.raises(ActionRefusedError, match="already records a different message"):
        _act(services, "contact", "is-sato", "inside_sales", 33, message_id=other_lead[0]["messageId"])
    assert _stored_actions(services) == [("contact", "is-sato", us(30))]
    assert services.leads.get("u1", us(40))["stage"] == "mql"
