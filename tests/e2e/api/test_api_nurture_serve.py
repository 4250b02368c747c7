"""``leadpact serve`` runs the nurture scheduler: a flow activated through the API sends its mail
to a real SMTP server (aiosmtpd on 127.0.0.1), and the unsubscribe link in that mail works.

The server reads the real clock, so the flow sends at any hour on any day (its window is the
whole day, holidays included) and the events carry no timestamp (the server stamps them after
the activation). The test waits for the mail on a condition with a deadline; it never sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_server import Hooks, Server, make_server
from smtp_inbox import Inbox, smtp_server

FLOW = """\
id: welcome
version: "1"
trigger: {event: Whitepaper Downloaded}
send_window: {from: "00:00", to: "24:00", business_days: false}
steps:
  - {id: invite, send_email: webinar_invite}
"""


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as handler:
        yield handler, handler.port


@pytest.fixture
def nurturing(tmp_path: Path, hooks: Hooks, inbox: tuple[Inbox, int]) -> Iterator[Server]:
    _, smtp_port = inbox
    server = make_server(
        tmp_path,
        hooks,
        LEADPACT_SMTP_HOST="127.0.0.1",
        LEADPACT_SMTP_PORT=str(smtp_port),
        LEADPACT_MAIL_FROM="ACME <news@acme.example>",
        LEADPACT_TRACKING_SECRETS="serve-secret",
        LEADPACT_NURTURE_INTERVAL_SECONDS="0.2",
    )
    server.env["LEADPACT_TRACKING_BASE_URL"] = server.url
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_serve_sends_the_mail_of_a_flow_activated_through_the_api(nurturing: Server, inbox: tuple[Inbox, int]) -> None:
    mailbox, _ = inbox
    with nurturing.client("marketing") as marketing:
        uploaded = marketing.post("/v1/flows", content=FLOW.encode(), headers={"Content-Type": "application/yaml"})
        assert uploaded.status_code == 201, uploaded.text
        activated = marketing.post("/v1/flows/welcome/activate", params={"version": "1"})
        assert activated.status_code == 200, activated.text
        listed = marketing.get("/v1/flows").json()
        assert listed["scheduler"]["sending"] is True and listed["flows"][0]["active_version"] == "1"
    traits = {"email": "kenji@maker.example", "name": "佐藤 健二", "company": "メーカー株式会社"}
    with nurturing.writer() as writer:
        batch = [
            {"type": "identify", "messageId": "e2e-identify", "userId": "u-serve", "traits": traits},
            {"type": "track", "messageId": "e2e-download", "userId": "u-serve", "event": "Whitepaper Downloaded"},
        ]
        assert writer.post("/v1/batch", json={"batch": batch}).status_code == 200

    (mail,) = mailbox.wait_for(1)
    assert "kenji@maker.example" in str(mail["To"])
    assert str(mail["Subject"]).startswith("【ウェビナーのご案内】")
    text = mail.get_body(("plain",))
    assert text is not None and "佐藤 健二 様" in str(text.get_content())  # type: ignore[attr-defined]
    unsubscribe = str(mail["List-Unsubscribe"]).strip("<>")
    assert unsubscribe.startswith(f"{nurturing.url}/t/u/")

    with nurturing.client("viewer") as viewer:
        nurturing.settle()
        before = viewer.get("/v1/leads/u-serve").json()["score"]
        assert httpx.post(unsubscribe, timeout=30).status_code == 200  # one click, no key
        nurturing.settle()
        assert viewer.get("/v1/leads/u-serve").json()["score"] == before - 20
