"""Input the dashboard cannot use is answered with its own error page (400 naming the field as the
page calls it, in the reader's language), never an empty page, a 500 or FastAPI's JSON: text the
store cannot hold in any path or query parameter, unknown filter values, forged form values; a
role that may not use a form is refused (403) before its values are looked at. The history is
described in ``test_web_support``."""

from __future__ import annotations

import html
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_web_support import Site, WebClient, build_site, csrf_of, signed_in

from leadpact.adapters.agreement_yaml import default_agreement_text
from leadpact.adapters.store.event_log import EventLog
from leadpact.entrypoints.web import PAGES, routes
from leadpact.entrypoints.web.middleware import is_web_path
from leadpact.entrypoints.web.routing import WebRoute

NUL = "contains a NUL character"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    built = build_site(tmp_path)
    yield built
    built.close()


def _error(response: httpx.Response) -> str:
    """The error page's message (unescaped); fails on any other answer."""
    assert response.headers["content-type"].startswith("text/html"), response.text
    found = re.search(r'<p role="alert" class="error-text">(.*?)</p>', response.text, re.S)
    assert found is not None, response.text
    return html.unescape(found.group(1))


def _events(site: Site) -> int:
    with site.services.store.read() as conn:
        return EventLog(conn).count()


def _queue_rows(page: str) -> list[str]:
    return [f"{lead}/{sla}" for lead, sla in re.findall(r'<tr data-lead="([^"]+)" data-sla="([^"]+)"', page)]


# --- text the store cannot hold, in any path or query parameter --------------------------------


@pytest.mark.parametrize(
    ("url", "en", "ja"),
    [
        ("/waterfall?campaign=%00", "Campaign", "キャンペーン"),
        ("/waterfall?source=web%00", "Source", "流入元"),
        ("/waterfall?industry=%00", "Industry", "業種"),
        ("/queue?owner=is_sato%00", "Person", "担当者"),
        ("/leads/u1%00", "Lead", "リード"),
        ("/leads/u1?timeline=%00", "Timeline", "タイムライン"),
        ("/agreement?version=%00", "Version", "バージョン"),
        ("/agreement/document/2026.1%00", "Version", "バージョン"),
        ("/agreement/diff?old=2026.1&new=%00", "New version", "比較先のバージョン"),
        ("/nurture?flow=%00", "Flow", "フロー"),
        ("/backtest/%00", "job_id", "job_id"),
        ("/charts/%00.png", "digest", "digest"),
    ],
)
def test_a_nul_in_any_parameter_is_a_400_page_naming_it(site: Site, url: str, en: str, ja: str) -> None:
    client = signed_in(site, "marketing")
    separator = "&" if "?" in url else "?"
    english = client.get(f"{url}{separator}lang=en")
    assert english.status_code == 400
    assert _error(english).startswith(f"{en}: {NUL}")
    japanese = client.get(f"{url}{separator}lang=ja")
    assert japanese.status_code == 400
    assert _error(japanese).startswith(f"{ja}: {NUL}")


def test_the_dashboard_json_endpoints_answer_a_nul_like_the_api(site: Site) -> None:
    client = signed_in(site, "viewer")
    for url, field in (("/waterfall.json?campaign=%00", "campaign"), ("/nurture.json?flow=%00", "flow")):
        answer = client.get(url)
        assert answer.status_code == 400
        assert answer.json() == {"detail": f"{field}: {NUL} (\\u0000), which cannot be stored", "field": field}
    unknown = client.get("/waterfall.json?size=huge")
    assert unknown.status_code == 400
    assert unknown.json()["field"] == "size"


def test_a_nul_is_refused_before_sign_in_too(site: Site) -> None:
    answer = WebClient(site.app).get("/waterfall?campaign=%00&lang=en")
    assert answer.status_code == 400
    assert _error(answer).startswith(f"Campaign: {NUL}")
    assert 'class="main-nav"' not in answer.text


def test_a_form_text_the_store_cannot_hold_is_refused_and_nothing_is_stored(site: Site) -> None:
    client = signed_in(site, "inside_sales")
    token = csrf_of(client.get("/leads/u4?lang=en").text)
    answer = client.post("/leads/u4", {"csrf_token": token, "intent": "note", "body": "call back\x00"})
    assert answer.status_code == 400
    assert _error(answer).startswith(f"Note: {NUL}")
    assert "call back" not in client.get("/leads/u4").text


def test_every_dashboard_route_answers_bad_input_with_the_dashboard_pages() -> None:
    modules = {info.name for info in pkgutil.iter_modules(routes.__path__)}
    assert modules == {module.__name__.rsplit(".", 1)[1] for module in PAGES}, "every page module is served"
    served = [route for module in PAGES for route in module.router.routes]
    assert [route for route in served if not isinstance(route, WebRoute)] == []
    assert all(is_web_path(route.path) for route in served if isinstance(route, WebRoute))


# --- filters with values they cannot have ------------------------------------------------------


def test_an_unknown_size_band_names_the_filter_in_both_languages(site: Site) -> None:
    client = signed_in(site, "marketing")
    english = client.get("/waterfall?size=huge&lang=en")
    assert english.status_code == 400
    assert _error(english).startswith("Company size: expected one of 1-49, 50-299")
    japanese = client.get("/waterfall?size=huge&lang=ja")
    assert _error(japanese).startswith("企業規模: expected one of 1-49, 50-299")
    assert "filter." not in japanese.text


def test_a_bad_back_test_period_names_the_field(site: Site) -> None:
    proposed = default_agreement_text().replace('version: "2026.1"', 'version: "2026.2"')
    site.services.agreements.upload(proposed, "proposed.yaml", "mkt_ono", site.clock.now_us())
    client = signed_in(site, "marketing")
    token = csrf_of(client.get("/backtest?lang=en").text)
    answer = client.post("/backtest", {"csrf_token": token, "version": "2026.2", "from": "January"})
    assert answer.status_code == 400
    assert _error(answer).startswith("From: expected a date")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("department=bogus", "Department: expected one of marketing, inside_sales, field_sales, found 'bogus'"),
        ("sla=nope", "SLA: expected one of handoff, first_contact, meeting, found 'nope'"),
        ("hot=yes", "Hot leads only: expected one of 1, 0, found 'yes'"),
    ],
)
def test_unknown_queue_filters_are_refused_listing_the_allowed_values(site: Site, query: str, message: str) -> None:
    answer = signed_in(site, "inside_sales").get(f"/queue?{query}&lang=en")
    assert answer.status_code == 400
    assert _error(answer) == message


def test_hot_0_is_every_lead_and_leaves_the_box_unticked(site: Site) -> None:
    client = signed_in(site, "inside_sales")
    everyone = _queue_rows(client.get("/queue").text)
    assert everyone, "the history has running clocks"
    page = client.get("/queue?hot=0")
    assert page.status_code == 200
    assert _queue_rows(page.text) == everyone
    assert re.search(r'name="hot" value="1"\s*checked', page.text) is None
    hot_only = client.get("/queue?hot=1")
    assert _queue_rows(hot_only.text) == [], "no lead of the history is hot"
    assert re.search(r'name="hot" value="1" checked', hot_only.text)


def test_queue_filters_offer_and_accept_only_the_active_agreements_slas(site: Site) -> None:
    without_handoff = "\n".join(
        line for line in default_agreement_text().splitlines() if "id: handoff" not in line
    ).replace('version: "2026.1"', 'version: "2026.2"')
    now = site.clock.now_us()
    site.services.agreements.upload(without_handoff, "no-handoff.yaml", "ops_admin", now)
    site.services.agreements.activate("2026.2", "ops_admin", now)
    client = signed_in(site, "inside_sales")
    page = client.get("/queue")
    assert 'value="marketing"' not in page.text
    assert 'value="handoff"' not in page.text
    assert 'value="first_contact"' in page.text
    refused = client.get("/queue?department=marketing&lang=en")
    assert _error(refused) == "Department: expected one of inside_sales, field_sales, found 'marketing'"
    assert client.get("/queue?sla=handoff").status_code == 400
    assert client.get("/queue?department=inside_sales&sla=first_contact").status_code == 200


# --- forged or hand-edited forms -----------------------------------------------------------------


def test_a_forged_calibration_target_is_a_400_page(site: Site) -> None:
    client = signed_in(site, "marketing")
    token = csrf_of(client.get("/backtest?lang=en").text)
    answer = client.post("/backtest/calibration", {"csrf_token": token, "target": "bogus"})
    assert answer.status_code == 400
    assert _error(answer).startswith("Outcome to learn: Input should be 'customer' or 'sql'")


def test_a_role_that_may_not_calibrate_gets_403_whatever_the_values(site: Site) -> None:
    client = signed_in(site, "inside_sales")
    token = csrf_of(client.get("/backtest?lang=en").text)
    answer = client.post("/backtest/calibration", {"csrf_token": token, "target": "bogus"})
    assert answer.status_code == 403
    assert "role inside_sales may not change agreements" in _error(answer)
    expired = signed_in(site, "marketing").post("/backtest/calibration", {"target": "bogus"})
    assert expired.status_code == 403, "no token: refused before the values"


def test_forged_upload_and_activation_values_come_after_the_role(site: Site) -> None:
    client = signed_in(site, "viewer")
    token = csrf_of(client.get("/agreement").text)
    assert client.post("/agreement/activate", {"csrf_token": token, "version": "v" * 100}).status_code == 403
    marketing = signed_in(site, "marketing")
    token = csrf_of(marketing.get("/agreement?lang=en").text)
    answer = marketing.post("/agreement/activate", {"csrf_token": token, "version": "v" * 100})
    assert answer.status_code == 400
    assert _error(answer).startswith("Version: String should have at most 64 characters")


@pytest.mark.parametrize(
    ("form", "en", "ja"),
    [
        ({"action": "reject", "reason": "x" * 600}, "Reason: String should have at most 500", "理由: String should"),
        ({"action": "a" * 40}, "Action: String should have at most 32", "操作: String should"),
    ],
)
def test_forged_lead_form_values_are_a_400_page_in_the_readers_language(
    site: Site, form: dict[str, str], en: str, ja: str
) -> None:
    client = signed_in(site, "inside_sales")
    before = _events(site)
    for lang, expected in (("en", en), ("ja", ja)):
        token = csrf_of(client.get(f"/leads/u1?lang={lang}").text)
        answer = client.post("/leads/u1", {"csrf_token": token, **form})
        assert answer.status_code == 400
        assert _error(answer).startswith(expected)
    assert _events(site) == before


def test_a_viewers_forged_lead_form_is_403_whatever_its_values(site: Site) -> None:
    client = signed_in(site, "viewer")
    token = csrf_of(client.get("/leads/u1?lang=en").text)
    long_reason = client.post("/leads/u1", {"csrf_token": token, "action": "reject", "reason": "x" * 600})
    assert long_reason.status_code == 403
    assert "role viewer may not reject" in long_reason.text
    long_action = client.post("/leads/u1", {"csrf_token": token, "action": "a" * 40})
    assert long_action.status_code == 403
    assert "role viewer may only read" in long_action.text


def test_api_routes_keep_their_json_validation_errors(site: Site) -> None:
    client = WebClient(site.app)
    answer = client.get("/v1/leads?limit=0", headers={"authorization": f"Bearer {site.keys['viewer']}"})
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["field"] == "limit"


# --- the uploaded agreement's name ---------------------------------------------------------------


BROKEN = default_agreement_text().replace("points: 15}", "points: fifteen}", 1)


def _summary(response: httpx.Response) -> str:
    found = re.search(r'id="check-summary">(.*?)</p>', response.text)
    assert found is not None, response.text
    return html.unescape(found.group(1))


@pytest.mark.parametrize(
    ("filename", "named"),
    [("bad.yaml", "bad.yaml"), ("C:\\Users\\ono\\..\\bad.yaml", "bad.yaml"), ("../x/b.yml", "b.yml")],
)
def test_validation_errors_name_the_uploaded_file(site: Site, filename: str, named: str) -> None:
    client = signed_in(site, "marketing")
    token = csrf_of(client.get("/agreement?lang=en").text)
    answer = client.post(
        "/agreement/upload",
        {"csrf_token": token, "intent": "check"},
        files={"file": (filename, BROKEN.encode(), "application/yaml")},
    )
    assert answer.status_code == 400
    assert _summary(answer) == f"1 problem(s) in {named}; nothing was stored."


def test_validation_errors_of_pasted_text_say_so(site: Site) -> None:
    client = signed_in(site, "marketing")
    for lang, summary in (("en", "1 problem(s) in (pasted text);"), ("ja", "(貼り付けたテキスト)に1件の問題")):
        token = csrf_of(client.get(f"/agreement?lang={lang}").text)
        answer = client.post("/agreement/upload", {"csrf_token": token, "intent": "check", "yaml": BROKEN})
        assert answer.status_code == 400
        assert _summary(answer).startswith(summary)
        assert "agreement.yaml" not in answer.text


def test_an_uploaded_file_with_a_nul_is_refused_naming_it(site: Site) -> None:
    client = signed_in(site, "marketing")
    token = csrf_of(client.get("/agreement?lang=en").text)
    answer = client.post(
        "/agreement/upload",
        {"csrf_token": token, "intent": "check"},
        files={"file": ("bad.yaml", b"name: x\x00\n", "application/yaml")},
    )
    assert answer.status_code == 400
    assert _error(answer).startswith(f"bad.yaml: {NUL}")
