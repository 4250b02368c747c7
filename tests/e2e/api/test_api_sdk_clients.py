"""Off-the-shelf tracking SDKs send to ``leadpact serve`` unchanged (SPEC §3, issue #3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api_server import Hooks, Server
from rudderstack.analytics.client import Client as RudderClient
from segment.analytics.client import Client as SegmentClient


def _lead(server: Server, lead_id: str) -> dict[str, object]:
    server.settle()
    with server.client("inside_sales") as client:
        response = client.get(f"/v1/leads/{lead_id}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_segment_sdk_events_qualify_a_lead(server: Server) -> None:
    segment = SegmentClient(server.keys["write"], host=server.url, sync_mode=True)
    segment.identify(
        "seg-1",
        {"email": "kenji@maker.example", "job_level": "director", "industry": "manufacturing", "employees": 450},
    )
    segment.group("seg-1", "maker-kk", {"name": "Maker KK", "industry": "manufacturing"})
    segment.page("seg-1", name="Pricing", properties={"path": "/pricing"})
    segment.track("seg-1", "Whitepaper Downloaded")
    lead = _lead(server, "seg-1")
    # fit 15 + 10 + 10, engagement 10 + 15 = 60 ≥ 50
    assert (lead["stage"], lead["fit"], lead["engagement"], lead["score"]) == ("mql", 35.0, 25.0, 60.0)
    assert lead["owner"] in ("is_sato", "is_ito", "is_kato")
    assert lead["company"] == {"name": "Maker KK", "industry": "manufacturing"}
    assert [a["rule"] for a in lead["handoff"]["activities"]] == ["whitepaper", "pricing_page"]  # type: ignore[index]


def test_rudderstack_sdk_gzips_and_sends_traits_in_context(server: Server) -> None:
    rudder = RudderClient(server.keys["write"], host=server.url, gzip=True, sync_mode=False, upload_interval=0.05)
    rudder.identify(
        "rud-1", {"email": "aoi@soft.example", "job_level": "executive", "industry": "software", "employees": 80}
    )
    rudder.track("rud-1", "Webinar Attended")
    rudder.track("rud-1", "Contact Form Submitted")
    rudder.page("rud-1", name="Case", properties={"path": "/case-studies/acme"})
    rudder.flush()
    lead = _lead(server, "rud-1")
    assert lead["traits"]["job_level"] == "executive"  # type: ignore[index]
    # fit 15 + 10 + 5, engagement 20 + 30 + 10
    assert (lead["stage"], lead["fit"], lead["engagement"]) == ("mql", 30.0, 60.0)


def test_a_neglected_lead_shows_up_overdue_and_is_posted_once(server: Server, hooks: Hooks) -> None:
    last_week = datetime.now(UTC) - timedelta(days=14)
    segment = SegmentClient(server.keys["write"], host=server.url, sync_mode=True)
    segment.identify("late-1", {"job_level": "director", "industry": "software"}, timestamp=last_week)
    segment.track("late-1", "Contact Form Submitted", timestamp=last_week + timedelta(minutes=5))
    lead = _lead(server, "late-1")
    assert lead["stage"] == "mql"
    assert [(c["id"], c["status"]) for c in lead["sla"]] == [("handoff", "met"), ("first_contact", "breached")]  # type: ignore[index]
    with server.client("marketing") as client:
        overdue = client.get("/v1/sla/overdue").json()["items"]
        listed = client.get("/v1/leads", params={"overdue": "true", "stage": "mql"}).json()["items"]
    assert ("late-1", "first_contact") in {(i["lead_id"], i["sla_id"]) for i in overdue}
    assert "late-1" in {i["lead_id"] for i in listed}
    posts = [b for b in hooks.wait_for(1) if "late-1" in b["text"]]
    assert len(posts) == 1 and "first_contact" in posts[0]["text"]
