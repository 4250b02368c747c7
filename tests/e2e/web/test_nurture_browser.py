"""The nurture page in real headless Chromium (Debian's package, driven by Playwright), on the
generated 45-day history of ``web_server``.

First no flow is active (the empty state); then the shipped ``whitepaper_webinar`` flow is
uploaded and activated in the store as of the history's first day, and the mail a runner would
have sent is recorded as it would record it (``Email Sent`` for every invitation due, an
``Email Opened`` for every second one, a click for every fourth), through the ingestion path.
The page's numbers are compared with a report service of its own over the same store.
Screenshots (1280 px wide) go to artifacts/screenshots/ in both languages.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from test_dashboard_browser import shot, sign_in
from web_server import START, WebServer

from leadpact.adapters.flow_yaml import example_flow_path
from leadpact.adapters.store.event_log import EventLog
from leadpact.domain.flow_engine import evaluate_flows
from leadpact.domain.flow_events import flow_properties, sent_event
from leadpact.domain.flow_runs import SendEmail
from leadpact.domain.timeutil import US_PER_HOUR, US_PER_SECOND, iso, to_us
from leadpact.service.ingest import validate
from leadpact.service.nurture.store_report import FlowReportService

pytestmark = [pytest.mark.browser, pytest.mark.slow]
US_PER_MINUTE = 60 * US_PER_SECOND


def activate_flow(web: WebServer) -> None:
    agreement = web.services.agreements.active().agreement
    start = to_us(datetime.combine(START, time(), tzinfo=agreement.zone))
    text = example_flow_path().read_text(encoding="utf-8")
    web.services.flows.upload(text, "whitepaper_webinar.yaml", "mkt_ono", start)
    web.services.flows.activate("whitepaper_webinar", "1", "mkt_ono", start)


def record_mail(web: WebServer) -> int:
    """What the runner and the tracking links would have recorded: returns the mails sent."""
    now = web.clock.now_us()
    with web.services.store.read() as conn:
        messages = list(EventLog(conn).all_messages())
    agreement = web.services.agreements.active().agreement
    leads = evaluate_flows(messages, agreement, web.services.flows.active_flows(now), now)
    effects = [effect for lead in leads.values() for effect in lead.effects]
    due = [e for e in effects if isinstance(e, SendEmail) and e.due_at < now - US_PER_HOUR]
    sends = sorted(due, key=lambda send: send.key)
    events: list[dict[str, Any]] = []
    for index, send in enumerate(sends):
        events.append(sent_event(send, send.due_at + US_PER_MINUTE))
        props = flow_properties(send.flow_id, send.flow_version, send.run, send.step_id)
        if index % 2 == 0:
            events.append(_track(send, "Email Opened", "opened", send.due_at + 30 * US_PER_MINUTE, props))
        if index % 4 == 0:
            url = "https://acme.example/webinar"
            events.append(_track(send, "Email Link Clicked", "clicked:x", send.due_at + 31 * US_PER_MINUTE, props, url))
    web.services.ingest.ingest([validate(e, default_timestamp=None, allow_actions=False) for e in events], now)
    while web.services.engine.run_pending():
        pass
    return len(sends)


def _track(send: SendEmail, event: str, suffix: str, at: int, props: dict[str, Any], url: str | None = None) -> Any:
    extra = {"url": url} if url else {}
    return {
        "type": "track",
        "messageId": f"{send.key}:{suffix}",
        "timestamp": iso(at),
        "userId": send.lead_id,
        "event": event,
        "properties": {**props, **extra},
    }


def open_nurture(page: Any, web: WebServer) -> None:
    """Through the navigation; the first view may say it is being prepared and refresh itself."""
    page.goto(f"{web.url}/waterfall")
    page.get_by_role("navigation", name="メイン").get_by_role("link", name="ナーチャリング").click()
    page.wait_for_url(re.compile(r"/nurture"))


def test_without_an_active_flow_the_page_says_so(page: Any, web: WebServer, screenshots: Path) -> None:
    sign_in(page, web, "marketing")
    open_nurture(page, web)
    expect(page.locator("#no-flows")).to_be_visible(timeout=30_000)
    assert page.locator("#no-flows h2").inner_text() == "有効なナーチャリングフローはありません。"
    assert page.locator("table.nurture-steps").count() == 0
    shot(page, screenshots, "nurture-empty-ja")


def test_the_page_shows_the_report_numbers_per_step(page: Any, web: WebServer, screenshots: Path) -> None:
    activate_flow(web)
    sent = record_mail(web)
    assert sent > 10, "the generated history has whitepaper downloads far enough back"
    reports = FlowReportService(
        web.services.store, web.services.agreements, web.services.flows.active_flows, background=False
    )
    (expected,) = reports.current(web.clock.now_us()).to_json("ja")["flows"]
    assert expected["entered"] > 0

    sign_in(page, web, "viewer")
    open_nurture(page, web)
    section = page.locator('section[data-flow="whitepaper_webinar"]')
    expect(section).to_be_visible(timeout=30_000)
    expect(page.locator("#updating")).to_have_count(0, timeout=30_000)
    assert section.locator('[data-kpi="entered"] .kpi-value').inner_text() == f"{expected['entered']:,}"
    assert section.locator('[data-kpi="goal"] .kpi-value').inner_text() == f"{expected['goal']:,}"
    rows = section.locator("table.nurture-steps tbody tr")
    assert rows.count() == len(expected["steps"])
    for index, step in enumerate(expected["steps"]):
        row = rows.nth(index)
        assert row.get_attribute("data-step") == step["step"]
        for name in ("reached", "sent", "opened", "clicked", "goal"):
            assert int(row.get_attribute(f"data-{name}") or "-1") == step[name], (step["step"], name)
        assert int(row.get_attribute("data-mql-after") or "-1") == step["mql_after"]
        cells = row.locator("td")
        assert cells.nth(0).inner_text() == step["kind_label"]
        assert cells.nth(2).inner_text() == f"{step['reached']:,}"
    invite = next(step for step in expected["steps"] if step["step"] == "invite")
    assert invite["sent"] == sent
    cells = section.locator('tr[data-step="invite"] td')
    assert cells.nth(3).inner_text() == f"{invite['sent']:,}"
    assert cells.nth(5).inner_text().strip() == f"{invite['open_rate'] * 100:,.1f}%"
    assert cells.nth(7).inner_text().strip() == f"{invite['click_rate'] * 100:,.1f}%"
    shot(page, screenshots, "nurture-ja")

    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_have_text("Nurture flows")
    assert section.locator('tr[data-step="invite"] td').first.inner_text() == "send e-mail"
    assert section.get_by_role("columnheader", name="Open rate").count() == 1
    shot(page, screenshots, "nurture-en")


def test_a_stopped_flow_stays_on_the_page_marked_stopped(page: Any, web: WebServer, screenshots: Path) -> None:
    """Marketing stops the flow a week before the clock: the page keeps its figures up to the stop."""
    now = web.clock.now_us()
    if not web.services.flows.active_flows(now):  # run alone: the previous test did not activate it
        activate_flow(web)
        record_mail(web)
    web.services.flows.deactivate("whitepaper_webinar", "mkt_sato", now - 7 * 24 * US_PER_HOUR)
    reports = FlowReportService(
        web.services.store, web.services.agreements, web.services.flows.reported_flows, background=False
    )
    (expected,) = reports.current(now).to_json("ja")["flows"]
    assert (expected["stopped_by"], expected["active"]) == ("mkt_sato", 0)
    assert expected["entered"] > 0 and expected["ended"].get("stopped", 0) > 0

    sign_in(page, web, "marketing")
    open_nurture(page, web)
    section = page.locator('section[data-flow="whitepaper_webinar"]')
    expect(section).to_be_visible(timeout=30_000)
    expect(page.locator("#updating")).to_have_count(0, timeout=30_000)
    assert section.get_attribute("data-stopped-at") == expected["stopped_at"]
    notice = section.locator(".nurture-stopped")
    expect(notice).to_be_visible()
    assert notice.locator("b").inner_text().startswith("停止: ") and "(mkt_sato)" in notice.inner_text()
    assert section.locator('[data-kpi="entered"] .kpi-value').inner_text() == f"{expected['entered']:,}"
    stopped = section.locator('.chip[data-reason="stopped"]')
    assert stopped.inner_text() == f"フロー停止 {expected['ended']['stopped']:,}"
    shot(page, screenshots, "nurture-stopped-ja")
