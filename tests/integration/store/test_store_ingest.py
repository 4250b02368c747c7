"""Ingestion: repeats count once, identities link late, bad input is never half-applied."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from store_checks import assert_store_matches, ingest, reference
from store_factories import identify, message, mql_burst, track, us

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.domain.messages import MessageError
from leadpact.service.container import Services
from leadpact.service.ingest import validate


def _count(services: Services, sql: str) -> int:
    with services.store.read() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_a_repeated_message_id_is_acknowledged_and_counted_once(services: Services) -> None:
    burst = mql_burst("u1")
    ingest(services, burst)
    again = [validate(obj, default_timestamp=None, allow_actions=True) for obj in burst]
    result = services.ingest.ingest(again, 0)
    services.engine.run_pending()
    assert (result.stored, result.duplicates) == (0, 3)
    assert _count(services, "SELECT COUNT(*) FROM events") == 3
    view = services.leads.get("u1", us(10))
    assert view["engagement"] == 50.0  # 30 + 20, not twice


def test_repeats_inside_one_batch_keep_the_first(services: Services) -> None:
    first = track("u1", "Webinar Attended", 1)
    copy = {**first, "event": "Whitepaper Downloaded"}
    ingest(services, [identify("u1"), first, copy])
    services.engine.run_pending()
    assert _count(services, "SELECT COUNT(*) FROM events") == 2
    assert [r["rule"] for r in services.leads.get("u1", us(5))["reasons"] if r["kind"] == "engagement"] == ["webinar"]


def test_anonymous_events_join_the_lead_when_a_late_link_arrives(services: Services) -> None:
    ingest(
        services,
        [
            message("page", 1, anonymousId="a1", properties={"path": "/pricing"}),
            message("page", 2, anonymousId="a1", properties={"path": "/case-studies/x"}),
        ],
    )
    services.engine.run_pending()
    assert _count(services, "SELECT COUNT(*) FROM leads") == 0  # anonymous only: no lead yet
    ingest(services, [message("identify", 5, userId="u1", anonymousId="a1", traits={"job_level": "director"})])
    services.engine.run_pending()
    view = services.leads.get("u1", us(10))
    assert view["engagement"] == 20.0  # both anonymous page views count, at their own times


def test_an_earlier_link_moves_anonymous_events_to_its_user(services: Services) -> None:
    objects = [
        message("page", 1, anonymousId="a1", properties={"path": "/pricing"}),
        message("identify", 10, userId="late", anonymousId="a1"),
    ]
    ingest(services, objects)
    services.engine.run_pending()
    assert services.leads.get("late", us(20))["engagement"] == 10.0
    earlier = message("identify", 5, userId="early", anonymousId="a1")
    ingest(services, [earlier])
    services.engine.run_pending()
    assert services.leads.get("early", us(20))["engagement"] == 10.0
    assert services.leads.get("late", us(20))["engagement"] == 0.0
    assert_store_matches(services, reference([*objects, earlier], default_agreement(), us(20)))


def test_a_late_event_is_placed_by_its_timestamp(services: Services) -> None:
    ingest(services, [identify("u1", 0, job_level="staff"), track("u1", "Webinar Attended", 60)])
    services.engine.run_pending()
    assert services.leads.get("u1", us(100))["stage"] == "mal"
    late = [track("u1", "Contact Form Submitted", 30)]  # before the webinar: MQL at minute 60
    ingest(services, late)
    services.engine.run_pending()
    view = services.leads.get("u1", us(100))
    assert view["stage"] == "mql"
    assert [h["stage"] for h in view["history"]] == ["lead", "mal", "mql"]
    assert view["history"][-1]["at"].startswith("2026-01-05T20:00")  # 11:00 UTC in Tokyo


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        ({"type": "track", "userId": "u", "event": "X", "timestamp": "2026-01-05T10:00:00"}, "messageId"),
        (
            {"type": "track", "messageId": "m", "userId": "u", "event": "X", "timestamp": "2026-01-05T10:00:00"},
            "timestamp",
        ),
        ({"type": "bogus", "messageId": "m", "userId": "u"}, "type"),
        ({"type": "track", "messageId": "m", "event": "X", "timestamp": "2026-01-05T10:00:00Z"}, "userId"),
        (
            {"type": "track", "messageId": "m" * 300, "userId": "u", "event": "X", "timestamp": "2026-01-05T10:00:00Z"},
            "messageId",
        ),
        (
            {"type": "track", "messageId": "m", "userId": "u", "event": "X\u0000", "timestamp": "2026-01-05T10:00:00Z"},
            "event",
        ),
        (
            {
                "type": "identify",
                "messageId": "m",
                "userId": "u",
                "traits": {"name": "\ud800"},
                "timestamp": "2026-01-05T10:00:00Z",
            },
            "traits.name",
        ),
        ({"type": "track", "messageId": "m", "userId": "u", "event": 5, "timestamp": "2026-01-05T10:00:00Z"}, "event"),
    ],
)
def test_invalid_messages_are_rejected_naming_the_field(obj: dict[str, object], field: str) -> None:
    with pytest.raises(MessageError) as error:
        validate(obj, default_timestamp=None, allow_actions=False)
    assert error.value.field == field


def test_actions_through_ingestion_need_a_trusted_sender() -> None:
    action = {
        "type": "action",
        "messageId": "m",
        "userId": "u",
        "action": "accept",
        "actor": {"id": "x", "role": "inside_sales"},
        "timestamp": "2026-01-05T10:00:00Z",
    }
    with pytest.raises(MessageError) as error:
        validate(action, default_timestamp=None, allow_actions=False)
    assert error.value.field == "type"
    assert validate(action, default_timestamp=None, allow_actions=True).action == "accept"
