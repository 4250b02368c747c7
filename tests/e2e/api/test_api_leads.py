"""Leads, actions, notes and agreements over HTTP."""

from __future__ import annotations

import time
from typing import Any

from api_server import Server

from leadpact.adapters.agreement_yaml import default_agreement_text

AS_OF = {"as_of": "2026-03-01T00:00:00+09:00"}


def _send(server: Server, messages: list[dict[str, Any]]) -> None:
    with server.writer() as client:
        assert client.post("/v1/batch", json={"batch": messages}).status_code == 200
    server.settle()


def _mql(lead: str, day: int, **traits: Any) -> list[dict[str, Any]]:
    ts = f"2026-02-{day:02d}T10:00:00+09:00"
    return [
        {
            "type": "identify",
            "messageId": f"{lead}-i",
            "userId": lead,
            "timestamp": ts,
            "traits": {"job_level": "director", "industry": "software", **traits},
        },
        {"type": "track", "messageId": f"{lead}-t", "userId": lead, "timestamp": ts, "event": "Contact Form Submitted"},
    ]


def test_get_lead_has_score_stage_and_the_handoff_packet(server: Server) -> None:
    _send(server, _mql("lp-1", 2, email="mio@soft.example", name="山田 澪", employees=2000))
    with server.client("field_sales") as client:
        lead = client.get("/v1/leads/lp-1", params={**AS_OF, "lang": "ja"}).json()
    assert (lead["stage"], lead["score"], lead["fit"], lead["engagement"]) == ("mql", 65.0, 35.0, 30.0)
    assert lead["owner"] in ("is_tanaka", "is_suzuki")  # enterprise team: 1000+ employees
    handoff = lead["handoff"]
    assert list(handoff["profile"].items()) == [
        ("name", "山田 澪"),
        ("email", "mio@soft.example"),
        ("job_level", "director"),
        ("employees", 2000),
        ("industry", "software"),
    ]
    assert handoff["activities"][0]["rule"] == "inquiry"
    assert handoff["qualification"][0]["stage"] == "mql" and "50" in handoff["qualification"][0]["criterion"]
    assert handoff["bant"] == {
        "budget": False,
        "authority": False,
        "need": False,
        "timeline": False,
        "competitor": False,
    }
    assert [h["stage"] for h in lead["history"]] == ["lead", "mal", "mql"]


def test_unknown_leads_are_404_and_bad_parameters_400(server: Server) -> None:
    with server.client("viewer") as client:
        assert client.get("/v1/leads/nobody").status_code == 404
        bad = client.get("/v1/leads/x", params={"as_of": "2026-02-02T10:00:00"})
        assert bad.status_code == 400 and bad.json()["field"] == "as_of"
        assert client.get("/v1/leads", params={"stage": "won"}).json()["field"] == "stage"
        assert client.get("/v1/leads", params={"limit": 0}).json()["field"] == "limit"
        assert client.get("/v1/leads", params={"cursor": "%%%"}).status_code == 400


def test_actions_move_leads_refusals_are_409_and_roles_are_403(server: Server) -> None:
    _send(server, _mql("act-1", 3))
    with server.client("inside_sales") as seller:
        accepted = seller.post("/v1/leads/act-1/actions", json={"action": "accept"})
        assert accepted.status_code == 200 and accepted.json()["lead"]["stage"] == "sal"
        assert accepted.json()["lead"]["history"][-1]["actor"] == {"id": "inside_sales-user", "role": "inside_sales"}
        again = seller.post("/v1/leads/act-1/actions", json={"action": "accept"})
        assert again.status_code == 409 and "not allowed in stage sal" in again.json()["detail"]
        assert seller.post("/v1/leads/act-1/actions", json={"action": "win"}).status_code == 403
        assert seller.post("/v1/leads/ghost/actions", json={"action": "accept"}).status_code == 404
        missing = seller.post("/v1/leads/act-1/actions", json={"action": "reject"})
        assert missing.status_code == 400 and missing.json()["field"] == "properties.reason"
        assert seller.post("/v1/leads/act-1/actions", json={"action": "promote"}).status_code == 400
        long_id = seller.post("/v1/leads/act-1/actions", json={"action": "contact", "messageId": "m" * 256})
        assert long_id.status_code == 400  # worded as ingestion words the same limit
        assert long_id.json()["detail"] == "messageId: expected at most 255 characters"
    with server.client("viewer") as viewer:
        assert viewer.post("/v1/leads/act-1/actions", json={"action": "contact"}).status_code == 403
    with server.client("field_sales") as closer:
        created = closer.post("/v1/leads/sgl-1/actions", json={"action": "create_sgl", "traits": {"company": "紹介"}})
        assert created.status_code == 200 and created.json()["lead"]["stage"] == "sql"


def test_notes_are_added_to_the_handoff_packet(server: Server) -> None:
    _send(server, _mql("note-1", 4))
    with server.client("inside_sales") as client:
        note = client.post("/v1/leads/note-1/notes", json={"body": "予算は来期。Budget next fiscal year."})
        assert note.status_code == 201 and note.json()["author"] == "inside_sales-user"
        assert client.post("/v1/leads/nobody/notes", json={"body": "x"}).status_code == 404
        assert client.post("/v1/leads/note-1/notes", json={"body": ""}).status_code == 400
        notes = client.get("/v1/leads/note-1").json()["handoff"]["notes"]
    assert [n["body"] for n in notes] == ["予算は来期。Budget next fiscal year."]
    with server.client("viewer") as viewer:
        assert viewer.post("/v1/leads/note-1/notes", json={"body": "x"}).status_code == 403


def test_lists_filter_and_page_with_a_cursor(server: Server) -> None:
    _send(server, [m for n in range(5) for m in _mql(f"page-{n}", 5 + n, employees=10)])
    with server.client("viewer") as client:
        seen: list[str] = []
        params: dict[str, Any] = {"trait": "employees:10", "limit": 2}
        while True:
            page = client.get("/v1/leads", params=params).json()
            seen.extend(item["lead_id"] for item in page["items"])
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
        assert seen == [f"page-{n}" for n in range(5)]
        owners = client.get("/v1/leads", params={"trait": "employees:10"}).json()["items"]
        owner = owners[0]["owner"]
        mine = client.get("/v1/leads", params={"owner": owner, "trait": "employees:10"}).json()["items"]
        assert mine and {i["owner"] for i in mine} == {owner}
        assert client.get("/v1/leads", params={"stage": "customer", "trait": "employees:10"}).json()["items"] == []


def test_agreements_upload_validate_activate_and_render(server: Server) -> None:
    _send(server, _mql("ag-1", 6))
    broken = default_agreement_text().replace("points: 15}", "points: fifteen}", 1)
    proposed = default_agreement_text().replace('version: "2026.1"', 'version: "2026.7"')
    with server.client("marketing") as marketing:
        invalid = marketing.post("/v1/agreements", content=broken, headers={"content-type": "application/yaml"})
        assert invalid.status_code == 400
        assert invalid.json()["problems"][0]["path"] == "fit[0].points"
        uploaded = marketing.post("/v1/agreements", json={"yaml": proposed})
        assert uploaded.status_code == 201 and uploaded.json() == {
            "version": "2026.7",
            "name": "Default B2B agreement",
            "created": True,
        }
        clash = marketing.post("/v1/agreements", json={"yaml": proposed.replace("Default B2B", "Other")})
        assert clash.status_code == 409
    with server.client("inside_sales") as seller:
        assert seller.post("/v1/agreements/2026.7/activate").status_code == 403
        rendered = seller.get("/v1/agreements/2026.7/render", params={"lang": "ja", "format": "md"})
        assert rendered.status_code == 200 and "MQL" in rendered.text
        assert seller.get("/v1/agreements/9.9/render").status_code == 404
    with server.client("marketing") as marketing:
        activation = marketing.post("/v1/agreements/2026.7/activate")
        assert activation.status_code == 202
        deadline = time.monotonic() + 30
        while True:
            listing = marketing.get("/v1/agreements").json()
            if listing["activations"][-1]["finished_at"] is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert listing["active_version"] == "2026.7" and listing["default_in_use"] is False
    last = listing["activations"][-1]
    assert last["finished_at"] is not None and last["leads_done"] == last["leads_total"] > 0
    server.settle()
    with server.client("viewer") as viewer:
        lead = viewer.get("/v1/leads/ag-1").json()
    assert {h["agreement_version"] for h in lead["history"]} == {"2026.7"}
