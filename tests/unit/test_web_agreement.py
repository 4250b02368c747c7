"""Agreement pages: the rendered document, versions and diffs, and upload → validate (errors at
their line) → back-test → activate, for marketing and admin only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_web_support import Site, build_site, csrf_of, signed_in

from leadpact.adapters.agreement_yaml import default_agreement_text, load_agreement_text
from leadpact.service.backtest import backtest
from leadpact.service.dashboard.store_runs import read_history
from leadpact.service.reports.render_backtest import backtest_json

STRICTER = (
    default_agreement_text()
    .replace('version: "2026.1"', 'version: "2026.2"')
    .replace("mql: {when: {score_gte: 50}}", "mql: {when: {score_gte: 60}}")
)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    built = build_site(tmp_path)
    yield built
    built.close()


def _upload(site: Site, role: str, text: str, intent: str = "upload") -> tuple[object, object]:
    client = signed_in(site, role)
    token = csrf_of(client.get("/agreement").text)
    return client, client.post("/agreement/upload", {"csrf_token": token, "intent": intent, "yaml": text})


def test_agreement_page_embeds_the_rendered_document_in_the_reader_language(site: Site) -> None:
    client = signed_in(site, "viewer")
    page = client.get("/agreement?lang=en")
    assert 'src="/agreement/document/2026.1?lang=en"' in page.text
    document = client.get("/agreement/document/2026.1?lang=ja")
    assert "MQL/SQL定義合意書" in document.text
    assert "style-src 'unsafe-inline'" in document.headers["content-security-policy"]
    assert "script" not in document.headers["content-security-policy"].split("default-src")[0]


def test_viewer_has_no_upload_form_and_a_forged_upload_is_refused(site: Site) -> None:
    client, answer = _upload(site, "viewer", STRICTER)
    assert 'action="/agreement/upload"' not in client.get("/agreement").text  # type: ignore[attr-defined]
    assert answer.status_code == 403  # type: ignore[attr-defined]
    assert site.services.agreements.versions() == []


def test_inside_sales_cannot_upload(site: Site) -> None:
    _, answer = _upload(site, "inside_sales", STRICTER)
    assert answer.status_code == 403  # type: ignore[attr-defined]


def test_validation_errors_are_shown_at_their_line_and_nothing_is_stored(site: Site) -> None:
    broken = STRICTER.replace("points: 15}", "points: fifteen}", 1)
    line = next(number for number, text in enumerate(broken.splitlines(), 1) if "fifteen" in text)
    _, answer = _upload(site, "marketing", broken)
    assert answer.status_code == 400  # type: ignore[attr-defined]
    html = answer.text  # type: ignore[attr-defined]
    assert f'<tr class="problem-row" data-line="{line}">' in html
    assert f'<tr id="L{line}" class="has-problem">' in html
    assert re.search(rf'data-line="{line}" data-path="fit\[0\]\.points"', html)
    assert site.services.agreements.versions() == []


def test_validate_only_checks_without_storing(site: Site) -> None:
    _, answer = _upload(site, "marketing", STRICTER, intent="check")
    assert answer.status_code == 200  # type: ignore[attr-defined]
    assert 'id="check-summary"' in answer.text  # type: ignore[attr-defined]
    assert site.services.agreements.versions() == []


def test_upload_stores_the_version_and_back_tests_it_against_the_active_one(site: Site) -> None:
    client, answer = _upload(site, "marketing", STRICTER)
    assert answer.status_code == 303  # type: ignore[attr-defined]
    location = answer.headers["location"]  # type: ignore[attr-defined]
    assert location.startswith("/backtest/")
    assert [r.version for r in site.services.agreements.versions()] == ["2026.2"]
    jobs = site.app.state.dashboard.jobs
    result = jobs.wait(jobs.by_id(location.rsplit("/", 1)[1]))
    page = client.get(location + "?lang=en")  # type: ignore[attr-defined]
    history = read_history(site.services)
    expected = backtest_json(
        backtest(history.messages, history.current, load_agreement_text(STRICTER, "x"), site.clock.now_us())
    )
    assert result == expected
    row = re.search(r'<tr data-metric="mql" data-current="(\d+)" data-proposed="(\d+)"', page.text)
    assert row is not None
    assert (int(row.group(1)), int(row.group(2))) == (expected["current"]["mql"], expected["proposed"]["mql"])
    assert 'action="/agreement/activate"' in page.text


def test_marketing_activates_a_version_and_viewer_cannot(site: Site) -> None:
    _upload(site, "marketing", STRICTER)
    viewer = signed_in(site, "viewer")
    token = csrf_of(viewer.get("/agreement").text)
    assert viewer.post("/agreement/activate", {"csrf_token": token, "version": "2026.2"}).status_code == 403
    assert site.services.agreements.active().agreement.version == "2026.1"
    marketing = signed_in(site, "marketing")
    token = csrf_of(marketing.get("/agreement").text)
    answer = marketing.post("/agreement/activate", {"csrf_token": token, "version": "2026.2"})
    assert answer.status_code == 303
    assert site.services.agreements.active().agreement.version == "2026.2"


def test_diff_between_versions_shows_changed_lines_with_numbers(site: Site) -> None:
    _upload(site, "marketing", STRICTER)
    page = signed_in(site, "viewer").get("/agreement/diff?old=2026.1&new=2026.2")
    assert page.status_code == 200
    removed = re.findall(r'<tr class="removed"><td class="ln">(\d+)</td><td class="ln"></td>', page.text)
    added = re.findall(r'<tr class="added"><td class="ln"></td><td class="ln">(\d+)</td>', page.text)
    assert len(removed) == len(added) == 2  # the version line and the MQL threshold
    assert "score_gte: 60" in page.text


@pytest.mark.parametrize("path", ["/backtest/calibration", "/backtest/calibration/propose"])
def test_calibration_forms_need_the_token_and_an_agreement_role(site: Site, path: str) -> None:
    sales = signed_in(site, "inside_sales")
    token = csrf_of(sales.get("/backtest").text)
    refused = sales.post(path, {"csrf_token": token, "job": "x"})
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert "inside_sales" in refused.text  # type: ignore[attr-defined]
    marketing = signed_in(site, "marketing")
    assert marketing.post(path, {"job": "x"}).status_code == 403  # type: ignore[attr-defined]
    assert site.services.agreements.versions() == []
