"""The dashboard's pages over a real (temporary SQLite) store, driven in-process: sign-in,
sessions and CSRF, role enforcement on every action, the work queue, the lead page, and the
language switch. The history is described in ``test_web_support``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_web_support import Site, WebClient, build_site, csrf_of, signed_in

from leadpact.adapters.store.event_log import EventLog
from leadpact.service.dashboard import DashboardService
from leadpact.service.dashboard.service import ReportView


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    built = build_site(tmp_path)
    yield built
    built.close()


def _events(site: Site) -> int:
    with site.services.store.read() as conn:
        return EventLog(conn).count()


def _queue_rows(html: str, section: str) -> list[str]:
    """``lead/sla`` of each row of a queue section, in order."""
    table = re.search(rf'<table[^>]*id="{section}-table".*?</table>', html, re.S)
    assert table is not None
    return [f"{lead}/{sla}" for lead, sla in re.findall(r'<tr data-lead="([^"]+)" data-sla="([^"]+)"', table.group(0))]


# --- signing in -----------------------------------------------------------------------------


def test_pages_redirect_to_sign_in_and_back(site: Site) -> None:
    client = WebClient(site.app)
    response = client.get("/queue?owner=is_sato")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/queue%3Fowner%3Dis_sato"
    page = client.get(response.headers["location"])
    answer = client.post(
        "/login", {"key": site.keys["inside_sales"], "csrf_token": csrf_of(page.text), "next": "/queue?owner=is_sato"}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/queue?owner=is_sato"


def test_sign_in_sets_a_strict_session_cookie_and_never_echoes_the_key(site: Site) -> None:
    client = WebClient(site.app)
    before = client.get("/login")
    answer = client.post("/login", {"key": site.keys["marketing"], "csrf_token": csrf_of(before.text)})
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert site.keys["marketing"] not in cookie
    old_id = re.search(r"leadpact_session=([^.;]+)", before.headers["set-cookie"])
    new_id = re.search(r"leadpact_session=([^.;]+)", cookie)
    assert old_id and new_id and old_id.group(1) != new_id.group(1), "the session id must change at sign-in"
    for path in ("/waterfall", "/queue", "/leads/u1", "/agreement", "/backtest"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert site.keys["marketing"] not in page.text
        assert site.keys["marketing"][4:] not in page.text


def test_unknown_key_is_refused_without_a_session(site: Site) -> None:
    client = WebClient(site.app)
    answer = client.post("/login", {"key": "lpk_not-a-key", "csrf_token": client.csrf()})
    assert answer.status_code == 401
    assert "lpk_not-a-key" not in answer.text
    assert client.get("/queue").status_code == 303


def test_write_keys_cannot_sign_in(site: Site) -> None:
    write_key = site.services.access.create_write_key("tracking", site.clock.now_us())
    client = WebClient(site.app)
    answer = client.post("/login", {"key": write_key, "csrf_token": client.csrf()})
    assert answer.status_code == 403
    assert client.get("/waterfall").status_code == 303


def test_sign_in_without_the_form_token_is_refused(site: Site) -> None:
    client = WebClient(site.app)
    client.get("/login")
    answer = client.post("/login", {"key": site.keys["admin"]})
    assert answer.status_code == 403
    assert client.get("/waterfall").status_code == 303


def test_repeated_failed_sign_ins_are_throttled(site: Site) -> None:
    client = WebClient(site.app)
    for _ in range(10):
        assert client.post("/login", {"key": "lpk_wrong", "csrf_token": client.csrf()}).status_code == 401
    answer = client.post("/login", {"key": site.keys["admin"], "csrf_token": client.csrf()})
    assert answer.status_code == 429


def test_sign_out_ends_the_session(site: Site) -> None:
    client = signed_in(site, "viewer")
    token = csrf_of(client.get("/waterfall").text)
    assert client.post("/logout", {"csrf_token": token}).status_code == 303
    assert client.get("/waterfall").status_code == 303


def test_a_forged_session_cookie_is_no_session(site: Site) -> None:
    client = signed_in(site, "admin")
    value = client.cookies["leadpact_session"]
    forged = WebClient(site.app)
    forged.cookies.set("leadpact_session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert forged.get("/waterfall").status_code == 303


def test_a_revoked_key_ends_its_sessions(site: Site) -> None:
    client = signed_in(site, "field_sales")
    with site.services.store.write() as conn:
        conn.exec_driver_sql("UPDATE api_keys SET revoked_at = 1")
    assert client.get("/queue").status_code == 303


def test_pages_carry_security_headers(site: Site) -> None:
    page = signed_in(site, "viewer").get("/waterfall")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text, "no inline script (CSP)"
    assert ' style="' not in page.text, "no inline style (CSP)"


# --- roles are enforced on the server ----------------------------------------------------------


def test_viewer_sees_no_action_and_a_forged_action_is_refused(site: Site) -> None:
    client = signed_in(site, "viewer")
    page = client.get("/leads/u1")
    assert 'class="action-form"' not in page.text
    before = _events(site)
    answer = client.post("/leads/u1", {"csrf_token": csrf_of(page.text), "intent": "action", "action": "accept"})
    assert answer.status_code == 403
    assert "閲覧者は「受け入れ」を実行できません" in answer.text  # the page is Japanese
    assert _events(site) == before, "a refused action stores nothing"


def test_field_sales_cannot_accept_an_mql(site: Site) -> None:
    client = signed_in(site, "field_sales")
    page = client.get("/leads/u1")
    answer = client.post("/leads/u1", {"csrf_token": csrf_of(page.text), "action": "accept"})
    assert answer.status_code == 403


def test_an_action_without_the_form_token_is_refused(site: Site) -> None:
    client = signed_in(site, "inside_sales")
    before = _events(site)
    answer = client.post("/leads/u1", {"action": "accept"})
    assert answer.status_code == 403
    assert _events(site) == before


def test_an_action_from_another_origin_is_refused(site: Site) -> None:
    client = signed_in(site, "inside_sales")
    token = csrf_of(client.get("/leads/u1").text)
    answer = client.post(
        "/leads/u1", {"csrf_token": token, "action": "accept"}, headers={"origin": "https://evil.example"}
    )
    assert answer.status_code == 403
    assert 'data-stage="mql"' in client.get("/leads/u1").text


def test_an_action_the_lifecycle_forbids_is_refused_with_its_reason(site: Site) -> None:
    client = signed_in(site, "field_sales")
    token = csrf_of(client.get("/leads/u1").text)
    answer = client.post("/leads/u1", {"csrf_token": token, "action": "win"})
    assert answer.status_code == 409
    assert "「受注」はステージMQLでは実行できません（実行できるステージ: 商談）" in answer.text  # the page is Japanese


def test_reject_needs_a_reason(site: Site) -> None:
    client = signed_in(site, "inside_sales")
    token = csrf_of(client.get("/leads/u1").text)
    answer = client.post("/leads/u1", {"csrf_token": token, "action": "reject"})
    assert answer.status_code == 400
    assert "reject needs a reason" in answer.text


# --- the work queue and the lead page ------------------------------------------------------------


def test_queue_lists_neglected_first_and_running_clocks_below(site: Site) -> None:
    page = signed_in(site, "inside_sales").get("/queue?lang=en")
    # deadlines: u1 end of Thu 8th, u2 end of Fri 9th (first contact) and of Tue 13th (meeting;
    # Mon 12th is a holiday), u6 end of Fri 16th: the most overdue first
    assert _queue_rows(page.text, "neglected") == ["u1/first_contact", "u2/first_contact", "u2/meeting", "u6/meeting"]
    assert _queue_rows(page.text, "upcoming") == ["u4/first_contact"]
    assert 'data-owner="is_sato"' in page.text


def test_queue_filters_by_person(site: Site) -> None:
    page = signed_in(site, "inside_sales").get("/queue?owner=is_tanaka")
    assert _queue_rows(page.text, "neglected") == []
    assert _queue_rows(page.text, "upcoming") == ["u4/first_contact"]


def test_accepting_and_contacting_walks_the_lead_and_stops_its_clock(site: Site) -> None:
    client = signed_in(site, "inside_sales")
    token = csrf_of(client.get("/leads/u1").text)
    answer = client.post("/leads/u1", {"csrf_token": token, "action": "accept"})
    assert answer.status_code == 303
    page = client.get(answer.headers["location"] + "?lang=en")
    assert "Recorded: Accept." in page.text
    assert 'data-stage="sal"' in page.text
    assert "u1/first_contact" in _queue_rows(client.get("/queue").text, "neglected"), "accepting is not a contact"
    client.post("/leads/u1", {"csrf_token": token, "action": "contact", "channel": "phone"})
    page = client.get("/leads/u1")
    assert re.search(r'data-sla="first_contact" data-status="breached"', page.text)
    assert "u1/first_contact" not in _queue_rows(client.get("/queue").text, "neglected")


def test_confirming_two_bant_items_makes_an_sql(site: Site) -> None:
    client = signed_in(site, "inside_sales")
    token = csrf_of(client.get("/leads/u1").text)
    client.post("/leads/u1", {"csrf_token": token, "action": "accept"})
    answer = client.post("/leads/u1", {"csrf_token": token, "action": "confirm_bant", "items": ["budget", "authority"]})
    assert answer.status_code == 303
    page = client.get("/leads/u1")
    assert 'data-stage="sql"' in page.text
    assert 'data-item="budget" data-confirmed="yes"' in page.text
    assert 'data-item="need" data-confirmed="no"' in page.text


def test_notes_are_saved_and_escaped(site: Site) -> None:
    client = signed_in(site, "inside_sales")
    token = csrf_of(client.get("/leads/u4").text)
    answer = client.post("/leads/u4", {"csrf_token": token, "intent": "note", "body": "<b>予算</b> 来期"})
    assert answer.status_code == 303
    page = client.get("/leads/u4")
    assert "&lt;b&gt;予算&lt;/b&gt; 来期" in page.text
    assert "<b>予算</b>" not in page.text


def test_viewer_cannot_add_notes(site: Site) -> None:
    client = signed_in(site, "viewer")
    token = csrf_of(client.get("/leads/u4").text)
    answer = client.post("/leads/u4", {"csrf_token": token, "intent": "note", "body": "hello"})
    assert answer.status_code == 403


def test_lead_page_shows_the_score_breakdown_and_timeline(site: Site) -> None:
    page = signed_in(site, "inside_sales").get("/leads/u1?lang=en")
    assert 'data-rule="webinar"' in page.text
    assert 'data-rule="decision_maker"' in page.text
    assert "Stage → MQL" in page.text
    assert "Webinar Attended" in page.text


def test_unknown_lead_is_a_404_page(site: Site) -> None:
    page = signed_in(site, "viewer").get("/leads/nobody")
    assert page.status_code == 404


# --- language -----------------------------------------------------------------------------------


def test_language_switch_is_remembered_and_formats_dates(site: Site) -> None:
    client = signed_in(site, "viewer")
    japanese = client.get("/waterfall")
    assert '<html lang="ja">' in japanese.text
    assert "2026年1月20日 12:00" in japanese.text
    english = client.get("/waterfall?lang=en")
    assert '<html lang="en">' in english.text
    assert "Jan 20, 2026 12:00" in english.text
    assert '<html lang="en">' in client.get("/queue").text, "the choice sticks for the session"


def test_browser_language_is_the_default_before_a_choice(site: Site) -> None:
    page = WebClient(site.app).get("/login", headers={"accept-language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in page.text


# --- figures being computed -----------------------------------------------------------------------


def test_a_waterfall_still_being_prepared_says_so_and_refreshes_itself(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DashboardService, "report_view", lambda *_a, **_k: ReportView({}, fresh=False, pending=True))
    page = signed_in(site, "viewer").get("/waterfall?lang=en&by=source")
    assert page.status_code == 200
    assert 'id="preparing"' in page.text
    assert '<meta http-equiv="refresh" content="2; url=/waterfall?lang=en&amp;by=source">' in page.text
    assert 'id="funnel-table"' not in page.text


def test_previous_figures_are_marked_as_updating(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    client = signed_in(site, "viewer")
    data = client.get("/waterfall.json").json()
    monkeypatch.setattr(DashboardService, "report_view", lambda *_a, **_k: ReportView(data, fresh=False))
    page = client.get("/waterfall")
    assert 'id="updating"' in page.text
    assert 'id="funnel-table"' in page.text
    assert 'http-equiv="refresh"' in page.text
