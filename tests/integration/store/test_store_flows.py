"""Flow versions in the store, like agreements: upload (validated, templates rendered), activate,
deactivate, the entry windows the scheduler evaluates; over HTTP with roles; on the command line.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from smtp_inbox import Inbox, smtp_server
from store_checks import make_services
from typer.testing import CliRunner

from leadpact.adapters.flow_yaml import example_flow_path
from leadpact.adapters.store.engine import Store, create_store_engine
from leadpact.adapters.store.nurture_lock import tick_lock
from leadpact.config import Settings
from leadpact.domain.flows import FlowError
from leadpact.domain.timeutil import to_us
from leadpact.entrypoints.api.app import create_app
from leadpact.entrypoints.cli import build_app
from leadpact.service.clock import FixedClock
from leadpact.service.container import Services
from leadpact.service.flows import FlowVersionConflictError, UnknownFlowError
from leadpact.service.ingest import validate

JST = timezone(timedelta(hours=9))
EXAMPLE = example_flow_path().read_text(encoding="utf-8")
V2 = EXAMPLE.replace('version: "1"', 'version: "2"')
BAD = """\
id: webinar
version: "1"
trigger: {event: Whitepaper Downloaded}
steps:
  - {id: invite, send_email: webinar_invite}
  - {id: check, branch: {if: {opened: invite}, then: invite}}
colour: blue
send_window: {from: 18:00}
"""
MISSING_TEMPLATE = """\
id: checkin
version: "1"
trigger: {stage: mal}
steps:
  - wait: {days: 1}
  - {id: hello, send_email: no_such_template}
"""


def at(day: int, hour: int = 0) -> int:
    return to_us(datetime(2026, 2, day, hour, tzinfo=JST))


@pytest.fixture
def services(database_url: str) -> Iterator[Services]:
    built = make_services(database_url)
    try:
        yield built
    finally:
        built.close()


# --- the service ------------------------------------------------------------------------------------


def test_an_invalid_flow_is_refused_naming_line_and_field_and_nothing_is_stored(services: Services) -> None:
    with pytest.raises(FlowError) as raised:
        services.flows.upload(BAD, "webinar.yaml", "ops", at(1))
    assert [(p.line, p.path) for p in raised.value.problems] == [
        (6, "steps[1].branch.then"),
        (7, "colour"),
        (8, "send_window.from"),
    ]
    assert str(raised.value).splitlines()[0].startswith("webinar.yaml:6: steps[1].branch.then: 'invite' is not after")
    with pytest.raises(FlowError) as missing:
        services.flows.upload(MISSING_TEMPLATE, "checkin.yaml", "ops", at(1))
    (problem,) = missing.value.problems
    assert (problem.line, problem.path) == (6, "steps[1].send_email.template")
    assert "no template 'no_such_template'" in problem.message
    assert services.flows.versions() == []


def test_every_template_is_rendered_before_a_flow_is_stored(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "no_link.ja.txt.j2").write_text("Subject: こんにちは\n\n{{ lead.name }} 様\n", encoding="utf-8")
    services = make_services(database_url, nurture_templates=str(tmp_path))
    try:
        flow = MISSING_TEMPLATE.replace("no_such_template", "no_link")
        with pytest.raises(FlowError) as raised:
            services.flows.upload(flow, "checkin.yaml", "ops", at(1))
        (problem,) = raised.value.problems
        assert (problem.line, problem.path) == (6, "steps[1].send_email")
        assert "must contain {{ unsubscribe_url }}" in problem.message
        assert services.flows.versions() == []
    finally:
        services.close()


def test_a_version_is_immutable_and_uploading_the_same_text_again_changes_nothing(services: Services) -> None:
    first = services.flows.upload(EXAMPLE, "a.yaml", "ops", at(1))
    again = services.flows.upload(EXAMPLE, "a.yaml", "ops", at(2))
    assert (first.created, again.created, again.record.id) == (True, False, first.record.id)
    with pytest.raises(FlowVersionConflictError, match="versions are immutable"):
        services.flows.upload(EXAMPLE.replace("days: 7", "days: 6"), "a.yaml", "ops", at(3))
    assert [(v.flow_id, v.version, v.uploaded_at) for v in services.flows.versions()] == [
        ("whitepaper_webinar", "1", at(1))
    ]


def test_activation_windows_follow_versions_deactivation_and_reactivation(services: Services) -> None:
    services.flows.upload(EXAMPLE, "v1.yaml", "ops", at(1))
    services.flows.upload(V2, "v2.yaml", "ops", at(1))
    with pytest.raises(UnknownFlowError):
        services.flows.activate("whitepaper_webinar", "3", "ops", at(1))
    with pytest.raises(UnknownFlowError):
        services.flows.deactivate("whitepaper_webinar", "ops", at(1))
    assert services.flows.activate("whitepaper_webinar", "1", "ops", at(2)).changed
    assert not services.flows.activate("whitepaper_webinar", "1", "ops", at(3)).changed  # already active
    services.flows.activate("whitepaper_webinar", "2", "ops", at(4))

    def windows(now: int) -> list[tuple[str, int | None, int | None]]:
        return [(a.flow.version, a.active_from, a.active_until) for a in services.flows.active_flows(now)]

    # runs of version 1 keep going after version 2 takes over new entries
    assert windows(at(5)) == [("1", at(2), at(4)), ("2", at(4), None)]
    assert windows(at(3)) == [("1", at(2), None)]  # as of an earlier moment
    assert windows(at(1)) == []
    stopped = services.flows.deactivate("whitepaper_webinar", "ops", at(6))
    assert (stopped.changed, stopped.activation.version, stopped.activation.deactivated_at) == (True, "2", at(6))
    assert windows(at(7)) == []
    assert windows(at(5)) == [("1", at(2), at(4)), ("2", at(4), None)]
    assert not services.flows.deactivate("whitepaper_webinar", "ops", at(7)).changed
    services.flows.activate("whitepaper_webinar", "1", "ops", at(8))
    assert windows(at(9)) == [("1", at(8), None)]  # afresh
    (status,) = services.flows.status(at(9))
    assert status.current is not None and status.current.version == "1"
    assert [(a.version, a.deactivated_at) for a in status.activations] == [
        ("1", None),
        ("2", at(6)),
        ("1", None),
    ]


def test_a_tick_while_another_one_runs_skips(database_url: str) -> None:
    with smtp_server() as inbox:
        services = make_services(
            database_url,
            smtp_host="127.0.0.1",
            smtp_port=inbox.port,
            mail_from="news@seller.example",
            tracking_base_url="https://t.example.com",
            tracking_secret="s",
        )
        other = Store(create_store_engine(Settings.model_validate({"database_url": database_url}).database_url))
        try:
            services.flows.upload(EXAMPLE, "a.yaml", "ops", at(1))
            services.flows.activate("whitepaper_webinar", "1", "ops", at(1))
            with tick_lock(other) as held:
                assert held
                skipped = services.nurture.tick(at(2))
            assert (skipped.ran, skipped.reason) == (False, "another tick is running")
            assert services.nurture.tick(at(2)).ran
        finally:
            other.dispose()
            services.close()


# --- over HTTP --------------------------------------------------------------------------------------


class Api:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.keys = {
            role: services.access.create_user_key(f"{role}-user", role, 0)
            for role in ("admin", "marketing", "inside_sales", "field_sales", "viewer", "system")
        }
        self.keys["write"] = services.access.create_write_key("site", 0)
        self.app = create_app(services, clock=FixedClock(at(2, 9)), web=False, warm_dashboard=False)

    def call(self, method: str, url: str, role: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if role is not None:
            headers["Authorization"] = f"Bearer {self.keys[role]}"

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return await client.request(method, url, headers=headers, **kwargs)

        return asyncio.run(go())


@pytest.fixture
def api(services: Services) -> Api:
    return Api(services)


def test_reading_flows_needs_a_user_key(api: Api) -> None:
    assert api.call("GET", "/v1/flows").status_code == 401
    assert api.call("GET", "/v1/flows", "write").status_code == 403
    listed = api.call("GET", "/v1/flows", "viewer")
    assert listed.status_code == 200
    assert listed.json()["flows"] == []
    assert listed.json()["scheduler"] == {
        "sending": False,
        "reason": "no SMTP server configured (set LEADPACT_SMTP_HOST)",
        "interval_seconds": 60.0,
    }


def test_only_marketing_and_admin_change_flows(api: Api) -> None:
    yaml_body = {"content": EXAMPLE.encode(), "headers": {"Content-Type": "application/yaml"}}
    for role in ("viewer", "inside_sales", "field_sales", "system", "write"):
        response = api.call("POST", "/v1/flows", role, **yaml_body)
        assert response.status_code == 403, role
    assert api.call("POST", "/v1/flows", None, **yaml_body).status_code == 401
    uploaded = api.call("POST", "/v1/flows", "marketing", **yaml_body)
    assert uploaded.status_code == 201
    assert uploaded.json() == {"flow_id": "whitepaper_webinar", "version": "1", "name": None, "created": True}
    for role in ("viewer", "field_sales", "write"):
        assert api.call("POST", "/v1/flows/whitepaper_webinar/activate?version=1", role).status_code == 403
        assert api.call("POST", "/v1/flows/whitepaper_webinar/deactivate", role).status_code == 403
    activated = api.call("POST", "/v1/flows/whitepaper_webinar/activate", "admin", json={"version": "1"})
    assert activated.status_code == 200, activated.text
    body = activated.json()
    assert (body["version"], body["activated_by"], body["changed"]) == ("1", "admin-user", True)
    (flow,) = api.call("GET", "/v1/flows", "viewer").json()["flows"]
    assert (flow["active"], flow["active_version"]) == (True, "1")
    assert flow["versions"][0]["active"] is True
    stopped = api.call("POST", "/v1/flows/whitepaper_webinar/deactivate", "marketing")
    assert stopped.status_code == 200
    assert (stopped.json()["deactivated_by"], stopped.json()["changed"]) == ("marketing-user", True)
    assert api.call("GET", "/v1/flows", "viewer").json()["flows"][0]["active"] is False


def test_a_bad_upload_answers_400_naming_line_and_field_and_stores_nothing(api: Api) -> None:
    api.call("POST", "/v1/flows", "marketing", json={"yaml": EXAMPLE})
    before = api.call("GET", "/v1/flows", "viewer").json()
    bad = api.call("POST", "/v1/flows", "marketing", content=BAD.encode(), headers={"Content-Type": "application/yaml"})
    assert bad.status_code == 400
    body = bad.json()
    assert body["field"] == "steps[1].branch.then"
    assert [(p["line"], p["path"]) for p in body["problems"]] == [
        (6, "steps[1].branch.then"),
        (7, "colour"),
        (8, "send_window.from"),
    ]
    assert "flow.yaml:8: send_window.from: expected a time" in body["detail"]
    broken = api.call("POST", "/v1/flows", "admin", content=b"id: [unclosed", headers={"Content-Type": "text/yaml"})
    assert broken.status_code == 400 and broken.json()["problems"][0]["line"] == 1
    conflict = api.call("POST", "/v1/flows", "marketing", json={"yaml": EXAMPLE.replace("days: 7", "days: 8")})
    assert conflict.status_code == 409
    misnamed = api.call("POST", "/v1/flows", "marketing", json={"flow": EXAMPLE}).json()
    assert (misnamed["field"], "the flow's YAML text in `yaml`" in misnamed["detail"]) == ("yaml", True)
    yaml_type = {"Content-Type": "application/yaml"}
    for raw, problem in ((b"id: a\x00b", "NUL character"), (b"id: \xff", "expected UTF-8 YAML text")):
        refused = api.call("POST", "/v1/flows", "marketing", content=raw, headers=yaml_type)
        assert (refused.status_code, refused.json()["field"]) == (400, "body")
        assert problem in refused.json()["detail"]
    assert api.call("GET", "/v1/flows", "viewer").json() == before


def test_activation_names_an_existing_version(api: Api) -> None:
    api.call("POST", "/v1/flows", "marketing", json={"yaml": EXAMPLE})
    missing = api.call("POST", "/v1/flows/whitepaper_webinar/activate", "marketing")
    assert (missing.status_code, missing.json()["field"]) == (400, "version")
    clash = api.call("POST", "/v1/flows/whitepaper_webinar/activate?version=1", "marketing", json={"version": "2"})
    assert clash.status_code == 400
    assert api.call("POST", "/v1/flows/whitepaper_webinar/activate?version=9", "marketing").status_code == 404
    assert api.call("POST", "/v1/flows/nothing/deactivate", "marketing").status_code == 404
    assert api.call("POST", "/v1/flows/whitepaper_webinar/activate?version=1", "marketing").json()["changed"] is True
    assert api.call("POST", "/v1/flows/whitepaper_webinar/activate?version=1", "admin").json()["changed"] is False


# --- on the command line ------------------------------------------------------------------------------


def test_the_cli_activates_lists_ticks_and_deactivates_on_the_store(database_url: str, tmp_path: Path) -> None:
    cli = build_app("flows")
    flows_dir = tmp_path / "flows"
    flows_dir.mkdir()
    (flows_dir / "webinar.yaml").write_text(EXAMPLE, encoding="utf-8")
    (flows_dir / "bad.yaml").write_text(BAD, encoding="utf-8")
    with smtp_server() as inbox:
        env = _env(database_url, inbox)
        refused = CliRunner().invoke(cli, ["flows", "activate", str(flows_dir)], env=env)
        assert refused.exit_code == 2
        assert "bad.yaml:7: colour: unknown key 'colour'" in refused.output
        (flows_dir / "bad.yaml").unlink()
        at_noon = "2026-02-01T12:00:00+09:00"
        done = CliRunner().invoke(cli, ["flows", "activate", str(flows_dir), "--now", at_noon], env=env)
        assert done.exit_code == 0, done.output
        assert "flow whitepaper_webinar version 1 is active (since 2026-02-01T12:00:00+09:00)" in done.output
        listed = CliRunner().invoke(cli, ["flows", "list", "--format", "json"], env=env)
        data = json.loads(listed.stdout)
        assert [f["active_version"] for f in data["flows"]] == ["1"] and data["sending"] is True
        assert data["flows"][0]["active_since"] == at_noon  # in the agreement's timezone
        _ingest(database_url)
        CliRunner().invoke(cli, ["flows", "tick", "--now", "2026-02-03T10:10:00+09:00"], env=env)
        ticked = CliRunner().invoke(cli, ["flows", "tick", "--now", "2026-02-10T10:06:00+09:00"], env=env)
        assert ticked.exit_code == 0, ticked.output
        assert "sent 1" in ticked.output
        assert len(inbox.to("taro@buyer.example")) == 1
        stopped = CliRunner().invoke(
            cli, ["flows", "deactivate", "whitepaper_webinar", "--now", "2026-02-10T12:00:00+09:00"], env=env
        )
        assert stopped.exit_code == 0 and "stopped at 2026-02-10T12:00:00+09:00" in stopped.output
        idle = CliRunner().invoke(cli, ["flows", "tick", "--now", "2026-02-11T10:00:00+09:00"], env=env)
        assert idle.exit_code == 0 and "no active flow" in idle.output
        unconfigured = CliRunner().invoke(cli, ["flows", "tick"], env={**env, "LEADPACT_SMTP_HOST": ""})
        assert unconfigured.exit_code == 1 and "LEADPACT_SMTP_HOST" in unconfigured.output


def _env(database_url: str, inbox: Inbox) -> dict[str, str]:
    return {
        "LEADPACT_DATABASE_URL": database_url,
        "LEADPACT_SMTP_HOST": "127.0.0.1",
        "LEADPACT_SMTP_PORT": str(inbox.port),
        "LEADPACT_MAIL_FROM": "ACME <news@acme.example>",
        "LEADPACT_TRACKING_BASE_URL": "https://t.acme.example",
        "LEADPACT_TRACKING_SECRET": "cli-secret",
    }


def _ingest(database_url: str) -> None:
    services = make_services(database_url)
    try:
        for obj in (
            {
                "type": "identify",
                "messageId": "i1",
                "userId": "u1",
                "timestamp": "2026-02-03T10:00:00+09:00",
                "traits": {"email": "taro@buyer.example", "name": "山田 太郎"},
            },
            {
                "type": "track",
                "messageId": "t1",
                "userId": "u1",
                "timestamp": "2026-02-03T10:05:00+09:00",
                "event": "Whitepaper Downloaded",
            },
        ):
            services.ingest.ingest([validate(obj, default_timestamp=None, allow_actions=False)], 0)
    finally:
        services.close()


def test_a_template_problem_is_reported_beside_the_flows_other_problems(database_url: str, tmp_path: Path) -> None:
    """As in ``flows check``: fixing the flow must not reveal a template problem only afterwards."""
    (tmp_path / "no_link.ja.txt.j2").write_text("Subject: こんにちは\n\n{{ lead.name }} 様\n", encoding="utf-8")
    services = make_services(database_url, nurture_templates=str(tmp_path))
    try:
        flow = MISSING_TEMPLATE.replace("no_such_template", "no_link") + "colour: blue\n"
        with pytest.raises(FlowError) as raised:
            services.flows.upload(flow, "checkin.yaml", "ops", at(1))
        assert [(p.line, p.path) for p in raised.value.problems] == [(6, "steps[1].send_email"), (7, "colour")]
        assert "must contain {{ unsubscribe_url }}" in raised.value.problems[0].message
        assert services.flows.versions() == []
    finally:
        services.close()
