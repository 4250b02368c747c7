"""Text the store cannot hold (NUL characters) in path and query parameters and JSON bodies is
refused with 400 naming the field, and nothing is stored, on SQLite and on PostgreSQL alike
(PostgreSQL used to answer 500, SQLite to store it). Lead ids in paths follow ingestion's
``userId`` limits."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from api_checks import stored_messages
from api_server import Hooks, Server
from test_api_postgres import serve_on_postgres

NUL = "\x00"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api(request: pytest.FixtureRequest, hooks: Hooks) -> Iterator[Server]:
    if request.param == "sqlite":
        yield request.getfixturevalue("server")
        return
    with serve_on_postgres(hooks) as server:
        yield server


def _refused(answer: httpx.Response, field: str) -> None:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["field"] == field
    assert body["detail"].startswith(f"{field}: contains a NUL character")


def _lead_ids(api: Server) -> list[str]:
    with api.client("viewer") as client:
        return [item["lead_id"] for item in client.get("/v1/leads", params={"limit": 500}).json()["items"]]


def _identify(api: Server, user_id: str) -> httpx.Response:
    with api.writer() as client:
        return client.post("/v1/identify", json={"messageId": f"identify-{uuid.uuid4()}", "userId": user_id})


def test_a_nul_in_a_lead_id_is_refused_like_at_ingestion_and_creates_no_lead(api: Server) -> None:
    with api.client("field_sales") as closer:
        _refused(closer.post("/v1/leads/nul%00id/actions", json={"action": "create_sgl"}), "lead_id")
        _refused(closer.get("/v1/leads/nul%00id"), "lead_id")
        _refused(closer.post("/v1/leads/nul%00id/notes", json={"body": "x"}), "lead_id")
    _refused(_identify(api, f"nul{NUL}id"), "userId")
    assert not [lead for lead in _lead_ids(api) if NUL in lead]


def test_a_lead_id_in_the_path_has_the_length_limit_of_user_id(api: Server) -> None:
    longest, too_long = "sgl-" + "x" * 251, "sgl-" + "x" * 252
    assert (len(longest), len(too_long)) == (255, 256)
    assert _identify(api, too_long).json()["field"] == "userId"
    with api.client("field_sales") as closer:
        refused = closer.post(f"/v1/leads/{too_long}/actions", json={"action": "create_sgl"})
        assert (refused.status_code, refused.json()["field"]) == (400, "lead_id")
        created = closer.post(f"/v1/leads/{longest}/actions", json={"action": "create_sgl"})
        assert created.status_code == 200, created.text
    leads = _lead_ids(api)
    assert longest in leads and too_long not in leads


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/leads", {"owner": f"a{NUL}b"}, "owner"),
        ("/v1/leads", {"trait": f"a:b{NUL}"}, "trait"),
        ("/v1/leads", {"stage": "mql", "owner": "is_sato", "cursor": f"x{NUL}"}, "cursor"),
        ("/v1/leads/someone", {"as_of": f"2026-01-01T00:00:00+09:00{NUL}"}, "as_of"),
        ("/v1/sla/overdue", {"sla": f"a{NUL}"}, "sla"),
        ("/v1/sla/overdue", {"owner": f"{NUL}"}, "owner"),
        ("/v1/reports/waterfall", {"source": f"web{NUL}"}, "source"),
        ("/v1/reports/flows", {"flow": f"f{NUL}"}, "flow"),
        ("/v1/agreements/a%00", {}, "version"),
        ("/v1/agreements/a%00/render", {}, "version"),
        ("/v1/reports/sla%00", {}, "kind"),
    ],
)
def test_a_nul_in_any_read_parameter_is_400_naming_it(
    api: Server, path: str, params: dict[str, Any], field: str
) -> None:
    with api.client("viewer") as client:
        _refused(client.get(path, params=params), field)


def test_a_nul_in_a_json_body_is_400_naming_the_field_and_stores_nothing(api: Server) -> None:
    with api.client("field_sales") as closer:
        assert closer.post("/v1/leads/nul-body/actions", json={"action": "create_sgl"}).status_code == 200
        _refused(closer.post("/v1/leads/nul-body/notes", json={"body": f"a{NUL}b"}), "body")
        retry_key = {"action": "contact", "messageId": f"m{NUL}"}
        _refused(closer.post("/v1/leads/nul-body/actions", json=retry_key), "messageId")
        lead = closer.get("/v1/leads/nul-body").json()
    assert lead["handoff"]["notes"] == []
    assert [m.action for m in stored_messages(api) if m.user_id == "nul-body"] == ["create_sgl"]
    with api.client("marketing") as marketing:
        _refused(marketing.post("/v1/flows/f%00/deactivate"), "flow_id")
        _refused(marketing.post("/v1/flows/f/activate", json={"version": f"1{NUL}"}), "version")
        _refused(marketing.post("/v1/flows/f/activate", params={"version": f"1{NUL}"}), "version")
        _refused(marketing.post("/v1/agreements", json={"yaml": f"version: '9'{NUL}"}), "yaml")
        assert marketing.get("/v1/flows").json()["flows"] == []
        assert marketing.get("/v1/agreements").json()["items"] == []
