"""Compare what a running server stored with a fresh replay of the stored events."""

from __future__ import annotations

from typing import Any

from api_server import Server

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.adapters.store.engine import Store, create_store_engine
from leadpact.adapters.store.event_log import EventLog
from leadpact.domain.messages import Message
from leadpact.domain.replay import replay
from leadpact.domain.results import lead_to_json
from leadpact.domain.timeutil import iso


def stored_messages(server: Server) -> list[Message]:
    store = Store(create_store_engine(server.database_url))
    try:
        with store.read() as conn:
            return list(EventLog(conn).all_messages())
    finally:
        store.dispose()


def assert_server_matches_replay(server: Server) -> list[Message]:
    """Every lead the server shows (list and detail) equals the replay of its stored log."""
    messages = stored_messages(server)
    as_of = max(m.ts for m in messages)
    agreement = default_agreement()
    expected = replay(messages, agreement, as_of)
    listed: dict[str, dict[str, Any]] = {}
    with server.client("viewer") as client:
        params: dict[str, Any] = {"limit": 500}
        while True:
            page = client.get("/v1/leads", params=params).json()
            listed.update({item["lead_id"]: item for item in page["items"]})
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
        assert sorted(listed) == sorted(expected.leads)
        for lead_id, lead in expected.leads.items():
            assert (listed[lead_id]["stage"], listed[lead_id]["owner"]) == (lead.stage, lead.owner), lead_id
            view = client.get(f"/v1/leads/{lead_id}", params={"as_of": iso(as_of)}).json()
            reference = lead_to_json(lead, as_of, agreement.zone)
            assert (view["stage"], view["score"], view["owner"]) == (
                reference["stage"],
                reference["score"],
                reference["owner"],
            )
            assert [(h["stage"], h["at"], h["cause"]) for h in view["history"]] == [
                (h["stage"], h["at"], h["cause"]) for h in reference["history"]
            ], lead_id
            assert [(c["id"], c["status"], c["deadline"]) for c in view["sla"]] == [
                (c["id"], c["status"], c["deadline"]) for c in reference["sla"]
            ], lead_id
    return messages


def stream(leads: int, per_lead: int, prefix: str) -> list[dict[str, Any]]:
    """A time-ordered stream of realistic messages for ``leads`` leads."""
    events = [
        "Email Opened",
        "Whitepaper Downloaded",
        "Webinar Attended",
        "Email Link Clicked",
        "Contact Form Submitted",
    ]
    out: list[dict[str, Any]] = []
    for step in range(per_lead):
        for n in range(leads):
            lead = f"{prefix}-{n:03d}"
            minute = step * leads + n
            ts = f"2026-03-{2 + minute // 1440:02d}T{(minute % 1440) // 60:02d}:{minute % 60:02d}:00+09:00"
            if step == 0:
                out.append(
                    {
                        "type": "identify",
                        "messageId": f"{lead}-{step}",
                        "userId": lead,
                        "timestamp": ts,
                        "traits": {
                            "job_level": ["director", "staff", "manager"][n % 3],
                            "employees": 50 + 400 * (n % 4),
                        },
                    }
                )
            else:
                out.append(
                    {
                        "type": "track",
                        "messageId": f"{lead}-{step}",
                        "userId": lead,
                        "timestamp": ts,
                        "event": events[(n + step) % len(events)],
                    }
                )
    return out
