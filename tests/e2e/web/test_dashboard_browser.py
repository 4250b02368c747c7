"""The dashboard in real headless Chromium (Debian's package, driven by Playwright).

Tests run in file order on one server: the waterfall is compared with the CLI first, while
the store still holds exactly the generated file; later tests act on leads. Every page is
screenshotted (1280 px wide) into artifacts/screenshots/ in both languages.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from web_server import NOW, VIEWPORT, WebServer

from leadpact.adapters.store.event_log import EventLog

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LEADPACT = Path(sys.executable).with_name("leadpact")


def sign_in(page: Any, web: WebServer, role: str, lang: str = "ja") -> None:
    page.goto(f"{web.url}/login?lang={lang}")
    page.get_by_label("APIキー" if lang == "ja" else "API key").fill(web.keys[role])
    page.get_by_role("button", name="ログイン" if lang == "ja" else "Sign in").click()
    page.wait_for_url(re.compile(r"/(queue|waterfall)"))


def open_waterfall(page: Any, web: WebServer) -> None:
    """The first view of a question may say it is being prepared and refresh itself."""
    page.goto(f"{web.url}/waterfall")
    expect(page.locator("#funnel-table")).to_be_visible(timeout=30_000)


def shot(page: Any, screenshots: Path, name: str) -> None:
    """A full-page screenshot once every chart image has arrived (charts are drawn on demand)."""
    loaded = "() => Array.from(document.images).every(img => img.complete && img.naturalWidth > 0)"
    deadline = (
        time.monotonic() + 120
    )  # a ceiling, not a timing check; wait_for_function would need eval, which the page's CSP forbids
    while not _images_loaded(page, loaded):
        assert time.monotonic() < deadline, "a chart image did not load"
        page.wait_for_timeout(100)
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def _images_loaded(page: Any, loaded: str) -> bool:
    """Whether every image has arrived; False while a page that shows figures still being
    updated reloads itself (it is designed to), so the next look is at the new page."""
    try:
        return bool(page.evaluate(loaded))
    except PlaywrightError as exc:
        if "context was destroyed" not in str(exc):
            raise
        page.wait_for_load_state()
        return False


def waterfall_on_page(page: Any) -> dict[str, dict[str, str]]:
    rows = page.locator("#funnel-table tbody tr")
    found = {}
    for index in range(rows.count()):
        row = rows.nth(index)
        stage = row.get_attribute("data-stage")
        found[stage] = {
            name: row.get_attribute(f"data-{name}") or ""
            for name in ("reached", "fast-tracked", "converted", "conversion")
        }
        found[stage]["shown"] = row.locator("td").first.inner_text()
    return found


def cli_waterfall(web: WebServer) -> dict[str, Any]:
    out = subprocess.run(
        [str(LEADPACT), "report", "waterfall", str(web.events), "--agreement", str(web.agreement),
         "--as-of", NOW, "--format", "json"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def test_waterfall_shows_the_same_numbers_as_the_cli(page: Any, web: WebServer, screenshots: Path) -> None:
    with web.services.store.read() as conn:
        stored = EventLog(conn).count()
    assert stored == sum(1 for line in web.events.read_text(encoding="utf-8").splitlines() if line.strip()), (
        "this test must run before the others act on leads"
    )
    sign_in(page, web, "marketing")
    open_waterfall(page, web)
    shown = waterfall_on_page(page)
    expected = cli_waterfall(web)
    overall = expected["overall"]
    for index, stage in enumerate(overall["stages"]):
        row = shown[stage["stage"]]
        assert int(row["reached"]) == stage["reached"], stage["stage"]
        assert int(row["fast-tracked"]) == stage["fast_tracked"], stage["stage"]
        assert row["shown"] == f"{stage['reached']:,}"
        if index < len(overall["transitions"]):
            transition = overall["transitions"][index]
            assert int(row["converted"]) == transition["converted"]
            assert (float(row["conversion"]) if row["conversion"] else None) == transition["conversion"]
    assert page.locator('[data-kpi="cohort"] .kpi-value').inner_text() == f"{overall['leads']:,}"
    steps = page.locator("#responsibility-table tbody tr")
    assert steps.count() == len(expected["responsibility"])
    for index, step in enumerate(expected["responsibility"]):
        cells = steps.nth(index).locator("td")
        assert cells.nth(1).inner_text() == f"{step['entered']:,}"
        assert cells.nth(2).inner_text() == f"{step['converted']:,}"
    assert page.locator("img.chart-img").evaluate("img => img.complete && img.naturalWidth > 0")
    shot(page, screenshots, "waterfall-ja")
    page.get_by_role("link", name="English").click()
    shot(page, screenshots, "waterfall-en")


def test_inside_sales_accepts_an_mql_and_it_leaves_the_queue(page: Any, web: WebServer, screenshots: Path) -> None:
    sign_in(page, web, "inside_sales")
    assert page.url.endswith("/queue"), "inside sales start from their queue"
    shot(page, screenshots, "queue-ja")
    page.get_by_role("link", name="自分の担当").click()
    mql_rows = page.locator("#upcoming-table tbody tr:has(.stage-mql)")
    if mql_rows.count() == 0:
        mql_rows = page.locator("#neglected-table tbody tr:has(.stage-mql)")
    row = mql_rows.first
    lead_id = row.get_attribute("data-lead")
    assert lead_id
    row.locator("a").first.click()
    page.wait_for_url(re.compile(r"/leads/"))
    clock = page.locator('#sla-table tr[data-sla="first_contact"]')
    assert clock.get_attribute("data-status") in ("running", "breached")
    shot(page, screenshots, "lead-before-accept-ja")

    page.locator('form[data-action="accept"] button').click()
    page.wait_for_load_state()
    assert page.get_by_role("status").first.inner_text() == "受け入れを記録しました。"
    assert page.locator("#lead-stage").get_attribute("data-stage") == "sal"
    stopped = page.locator('#sla-table tr[data-sla="first_contact"]')
    assert stopped.get_attribute("data-status") in ("met", "breached")
    assert stopped.locator("td").nth(4).inner_text() != "—", "the clock shows when it stopped"
    shot(page, screenshots, "lead-after-accept-ja")

    page.get_by_role("link", name="対応キュー").first.click()
    assert page.locator(f'tr[data-lead="{lead_id}"][data-sla="first_contact"]').count() == 0


def test_viewer_is_refused_an_action(page: Any, web: WebServer, screenshots: Path) -> None:
    sign_in(page, web, "viewer", lang="en")
    page.goto(f"{web.url}/queue")
    page.locator("#neglected-table tbody tr a").first.click()
    page.wait_for_url(re.compile(r"/leads/"))
    assert page.locator(".action-form").count() == 0
    assert "Your role (Viewer) has no action" in page.locator("#no-actions").inner_text()
    # the server, not the page, is what refuses: send the form the page does not offer
    status = page.evaluate(
        """async () => {
            const token = document.querySelector('input[name=csrf_token]').value;
            const body = new URLSearchParams({csrf_token: token, intent: 'action', action: 'accept'});
            const answer = await fetch(location.pathname, {method: 'POST', body});
            document.open(); document.write(await answer.text()); document.close();
            return answer.status;
        }"""
    )
    assert status == 403
    assert "role viewer may not accept" in page.get_by_role("alert").first.inner_text()
    shot(page, screenshots, "viewer-refused-en")


def test_a_lead_walks_from_mql_to_customer_and_the_waterfall_changes(
    page: Any, browser: Any, web: WebServer, screenshots: Path
) -> None:
    sign_in(page, web, "inside_sales", lang="en")
    open_waterfall(page, web)
    before = int(page.locator('#funnel-table tr[data-stage="customer"]').get_attribute("data-reached"))
    page.goto(f"{web.url}/queue")
    page.locator("#upcoming-table tbody tr:has(.stage-mql), #neglected-table tbody tr:has(.stage-mql)").first.locator(
        "a"
    ).first.click()
    page.wait_for_url(re.compile(r"/leads/"))
    lead_url = page.url
    page.locator('form[data-action="accept"] button').click()
    form = page.locator('form[data-action="confirm_bant"]')
    form.get_by_label("Budget").check()
    form.get_by_label("Authority").check()
    form.get_by_role("button").click()
    assert page.locator("#lead-stage").get_attribute("data-stage") == "sql"

    sales = browser.new_context(viewport=VIEWPORT)
    try:
        other = sales.new_page()
        sign_in(other, web, "field_sales", lang="en")
        other.goto(lead_url)
        other.locator('form[data-action="open_opportunity"] button').click()
        assert other.locator("#lead-stage").get_attribute("data-stage") == "opportunity"
        other.locator('form[data-action="win"] button').click()
        assert other.locator("#lead-stage").get_attribute("data-stage") == "customer"
        shot(other, screenshots, "lead-customer-en")
        other.goto(f"{web.url}/waterfall")
        # right after a change the page may show the previous figures, marked as updating, and
        # refresh itself until the new ones are computed
        expect(other.locator('#funnel-table tr[data-stage="customer"]')).to_have_attribute(
            "data-reached", str(before + 1), timeout=30_000
        )
        expect(other.locator("#updating")).to_have_count(0)
    finally:
        sales.close()


def test_language_switch_works_on_every_page(page: Any, web: WebServer, screenshots: Path) -> None:
    sign_in(page, web, "marketing")
    open_waterfall(page, web)
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.get_by_role("heading", level=1).inner_text() == "デマンドウォーターフォール"
    assert "2026年2月19日" in page.locator(".page-head .meta").inner_text()
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Demand waterfall"
    assert "Feb 19, 2026" in page.locator(".page-head .meta").inner_text()
    for path, heading, name in (
        ("/queue", "Work queue", "queue"),
        ("/agreement", "MQL/SQL agreement", "agreement"),
        ("/backtest", "Agreement back-test", "backtest"),
    ):
        page.goto(f"{web.url}{path}")
        assert page.get_by_role("heading", level=1).inner_text() == heading, "English sticks"
        shot(page, screenshots, f"{name}-en")
        page.get_by_role("link", name="日本語").click()
        assert page.locator("html").get_attribute("lang") == "ja"
        shot(page, screenshots, f"{name}-ja")
        page.get_by_role("link", name="English").click()


def test_marketing_uploads_validates_back_tests_and_activates_an_agreement(
    page: Any, web: WebServer, screenshots: Path
) -> None:
    proposal = web.agreement.read_text(encoding="utf-8").replace('"2026.1-accept"', '"2026.2"')
    stricter = proposal.replace("mql: {when: {score_gte: 50}}", "mql: {when: {score_gte: 65}}")
    broken = stricter.replace("within: {hours: 24}", "within: {hours: soon}")
    line = next(number for number, text in enumerate(broken.splitlines(), 1) if "soon" in text)
    sign_in(page, web, "marketing", lang="en")
    page.goto(f"{web.url}/agreement")
    page.get_by_label("or paste the YAML").fill(broken)
    page.get_by_role("button", name="Validate").click()
    problem = page.locator(f'#yaml-lines tr.problem-row[data-line="{line}"]')
    expect(problem).to_contain_text("sla[0].within")
    assert page.locator(f"#L{line}").get_attribute("class") == "has-problem"
    shot(page, screenshots, "agreement-validation-en")

    page.get_by_label("Edit and try again").fill(stricter)
    page.get_by_role("button", name="Upload and back-test").click()
    page.wait_for_url(re.compile(r"/backtest/"))
    expect(page.locator('#job-status[data-state="done"]')).to_be_visible(timeout=60_000)
    row = page.locator('#summary-table tr[data-metric="mql"]')
    assert int(row.get_attribute("data-proposed")) < int(row.get_attribute("data-current"))
    shot(page, screenshots, "backtest-result-en")

    page.goto(f"{web.url}/agreement/diff?old=2026.1-accept&new=2026.2")
    assert page.locator("#diff-table tr.added").count() == 2
    shot(page, screenshots, "agreement-diff-en")

    page.goto(f"{web.url}/agreement?version=2026.2")
    page.get_by_role("button", name="Activate 2026.2").click()
    assert "Version 2026.2 activated" in page.get_by_role("status").first.inner_text()
    assert "In force: Default B2B agreement (2026.2)" in page.locator(".page-head .meta").inner_text()
    shot(page, screenshots, "agreement-activated-en")


def test_calibration_shows_the_lift_chart_and_a_suggested_threshold(
    page: Any, web: WebServer, screenshots: Path
) -> None:
    sign_in(page, web, "marketing", lang="ja")
    page.goto(f"{web.url}/backtest")
    page.get_by_label("学習する成果").select_option("sql")
    page.get_by_role("button", name="成果からキャリブレーション").click()
    threshold = page.locator('[data-kpi="threshold"] .kpi-value')
    expect(threshold).to_be_visible(timeout=120_000)  # the page refreshes itself while it runs
    assert float(threshold.inner_text().replace(",", "")) > 0
    assert page.get_by_role("img", name=re.compile("リフトチャート")).count() == 1
    shot(page, screenshots, "calibration-ja")
