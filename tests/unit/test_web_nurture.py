"""The nurture report on the API (``GET /v1/reports/flows``) and the dashboard (``/nurture``):
the numbers of the store report service, read roles only, JA/EN labels and number formats,
an empty state, and page views that evaluate nothing when nothing changed.

History on top of ``test_web_support``'s (the clock stands at Tue 20 Jan 2026 12:00 JST), for
the shipped ``whitepaper_webinar`` flow activated on 1 Jan: ``n1`` and ``n2`` download the
whitepaper on Mon 5 Jan; both invitations are recorded sent on Tue 13 Jan, ``n1`` opens and
clicks it and attends the webinar on Thu 15 Jan (goal); ``n2`` is still inside the branch's
14 days.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from nurture_history import MAIL, msg, nurture_history
from test_web_support import Site, WebClient, build_site, signed_in

from leadpact.adapters.flow_yaml import example_flow_path, load_flow
from leadpact.domain.flow_runs import ActiveFlow
from leadpact.domain.timeutil import parse_iso, to_us
from leadpact.service.nurture.store_report import FlowReportService, FlowsProvider

FLOW = load_flow(example_flow_path())
ACTIVE = (ActiveFlow(FLOW, active_from=to_us(parse_iso("2026-01-01T00:00:00+09:00"))),)


def with_flows(site: Site, flows: Sequence[ActiveFlow] = ACTIVE) -> FlowReportService:
    """The app's report service over ``flows`` (what ``Services.flows.active_flows`` gives)."""
    provider: FlowsProvider = lambda now: flows  # noqa: E731
    reports = FlowReportService(site.services.store, site.services.agreements, provider, background=False)
    site.app.state.flow_reports = reports
    return reports


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    built = build_site(tmp_path)
    built.ingest(nurture_history())
    yield built
    built.close()


def _api(site: Site, role: str | None = "viewer", **params: str) -> Any:
    headers = {"authorization": f"Bearer {site.keys[role]}"} if role else {}
    return WebClient(site.app).get("/v1/reports/flows", params=params, headers=headers)


def _independent(site: Site, lang: str = "ja", provider: FlowsProvider = lambda now: ACTIVE) -> dict[str, Any]:
    reports = FlowReportService(site.services.store, site.services.agreements, provider, background=False)
    data: dict[str, Any] = reports.current(site.clock.now_us()).to_json(lang)  # type: ignore[arg-type]
    return data


# --- the API --------------------------------------------------------------------------------------


def test_the_api_answers_per_flow_and_step_what_the_report_service_computes(site: Site) -> None:
    with_flows(site)
    answer = _api(site)
    assert answer.status_code == 200
    data = answer.json()
    assert data == _independent(site)
    (flow,) = data["flows"]
    assert (flow["flow"], flow["entered"], flow["active"], flow["goal"], flow["goal_rate"]) == (
        "whitepaper_webinar",
        2,
        1,
        1,
        0.5,
    )
    invite = next(step for step in flow["steps"] if step["step"] == "invite")
    assert (invite["reached"], invite["sent"], invite["opened"], invite["clicked"]) == (2, 2, 1, 1)
    assert (invite["open_rate"], invite["click_rate"], invite["kind_label"]) == (0.5, 0.5, "メール送信")
    assert data["as_of"] == "2026-01-20T12:00:00+09:00"


def test_the_api_takes_a_moment_a_flow_and_a_language(site: Site) -> None:
    with_flows(site)
    early = _api(site, as_of="2026-01-13T09:30:00+09:00", lang="en").json()
    invite = next(step for step in early["flows"][0]["steps"] if step["step"] == "invite")
    assert (invite["sent"], invite["opened"], invite["kind_label"]) == (2, 0, "send e-mail")
    assert _api(site, flow="whitepaper_webinar").json()["flows"][0]["flow"] == "whitepaper_webinar"


@pytest.mark.parametrize(
    ("params", "field"),
    [({"flow": "nope"}, "flow"), ({"as_of": "yesterday"}, "as_of"), ({"lang": "fr"}, "lang")],
)
def test_bad_parameters_are_400_naming_the_field(site: Site, params: dict[str, str], field: str) -> None:
    with_flows(site)
    answer = _api(site, **params)
    assert answer.status_code == 400
    assert answer.json()["field"] == field


def test_only_user_keys_read_the_flow_report(site: Site) -> None:
    with_flows(site)
    assert _api(site, role=None).status_code == 401
    write_key = site.services.access.create_write_key(None, site.clock.now_us())
    answer = WebClient(site.app).get("/v1/reports/flows", headers={"authorization": f"Bearer {write_key}"})
    assert answer.status_code == 403
    for role in ("inside_sales", "field_sales", "marketing", "admin"):
        assert _api(site, role).status_code == 200, role


# --- the page -----------------------------------------------------------------------------------------


def _rows(html: str) -> dict[str, dict[str, str]]:
    rows = {}
    for attrs in re.findall(r"<tr (data-step=[^>]+)>", html):
        values = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', attrs))
        rows[values["step"]] = values
    return rows


def test_the_page_shows_each_step_with_the_report_numbers(site: Site) -> None:
    reports = with_flows(site)
    page = signed_in(site, "marketing").get("/nurture")
    assert page.status_code == 200
    html = page.text
    assert '<a href="/nurture" aria-current="page">ナーチャリング</a>' in html
    expected = reports.current(site.clock.now_us()).to_json("ja")["flows"][0]
    rows = _rows(html)
    assert list(rows) == [step["step"] for step in expected["steps"]]
    for step in expected["steps"]:
        row = rows[step["step"]]
        for name in ("reached", "sent", "opened", "clicked", "goal"):
            assert int(row[name]) == step[name], (step["step"], name)
        assert int(row["mql-after"]) == step["mql_after"]
    assert "50.0%" in html, "open and click rates as percentages"
    assert "2026年1月1日 00:00 から流入受付中" in html
    assert 'data-reason="completed">完了 <b>1</b>' in html and "<td>メール送信</td>" in html


def test_the_page_in_english(site: Site) -> None:
    with_flows(site)
    client = signed_in(site, "viewer")
    html = client.get("/nurture?lang=en").text
    assert "Nurture flows" in html and "send e-mail" in html and "Open rate" in html
    assert "leads enter from Jan 1, 2026 00:00" in html


def test_the_page_json_is_the_api_answer(site: Site) -> None:
    with_flows(site)
    client = signed_in(site, "viewer")
    assert client.get("/nurture.json").json() == _api(site).json()
    assert client.get("/nurture.json?flow=nope").status_code == 400


def test_an_empty_state_when_no_flow_is_active(site: Site) -> None:
    with_flows(site, ())
    html = signed_in(site, "viewer").get("/nurture").text
    assert 'id="no-flows"' in html
    assert "有効なナーチャリングフローはありません。" in html
    assert _rows(html) == {}


def test_a_flow_filter_on_the_page(site: Site) -> None:
    with_flows(site)
    client = signed_in(site, "viewer")
    assert client.get("/nurture?flow=whitepaper_webinar").status_code == 200
    unknown = client.get("/nurture?flow=nope")
    assert unknown.status_code == 400
    assert "nope" in unknown.text


def test_page_views_evaluate_nothing_when_nothing_changed(site: Site) -> None:
    reports = with_flows(site)
    client = signed_in(site, "viewer")
    client.get("/nurture")
    evaluated = reports.evaluated
    assert evaluated > 0
    for _ in range(3):
        client.get("/nurture")
    assert reports.evaluated == evaluated
    site.ingest([msg("track", "n2", "2026-01-16T10:00:00+09:00", 7, event="Email Opened", properties=MAIL)])
    rows = _rows(client.get("/nurture").text)
    assert reports.evaluated == evaluated + 1, "only the lead with a new event"
    assert rows["invite"]["opened"] == "2"


def test_signed_out_readers_are_sent_to_sign_in(site: Site) -> None:
    with_flows(site)
    answer = WebClient(site.app).get("/nurture")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/nurture"


def test_the_app_reports_the_flows_activated_in_the_store(tmp_path: Path) -> None:
    site = build_site(tmp_path)
    try:
        site.ingest(nurture_history())
        start = to_us(parse_iso("2026-01-01T00:00:00+09:00"))
        text = example_flow_path().read_text(encoding="utf-8")
        site.services.flows.upload(text, "whitepaper_webinar.yaml", "mkt_ono", start)
        site.services.flows.activate("whitepaper_webinar", "1", "mkt_ono", start)
        data = _api(site).json()
        assert data == _independent(site)
        assert [(f["flow"], f["entered"], f["active_from"]) for f in data["flows"]] == [
            ("whitepaper_webinar", 2, "2026-01-01T00:00:00+09:00")
        ]
        assert (data["flows"][0]["stopped_at"], data["flows"][0]["stopped_by"]) == (None, None)
    finally:
        site.close()


def test_a_stopped_flow_stays_on_the_page_and_in_the_api_marked_stopped(tmp_path: Path) -> None:
    """Stopped on Wed 14 Jan: both runs wait at the branch then; n1's webinar (15 Jan) comes after."""
    site = build_site(tmp_path)
    try:
        site.ingest(nurture_history())
        start = to_us(parse_iso("2026-01-01T00:00:00+09:00"))
        text = example_flow_path().read_text(encoding="utf-8")
        site.services.flows.upload(text, "whitepaper_webinar.yaml", "mkt_ono", start)
        site.services.flows.activate("whitepaper_webinar", "1", "mkt_ono", start)
        site.services.flows.deactivate("whitepaper_webinar", "mkt_sato", to_us(parse_iso("2026-01-14T00:00:00+09:00")))
        data = _api(site).json()
        assert data == _independent(site, provider=site.services.flows.reported_flows)
        (flow,) = data["flows"]
        assert (flow["stopped_at"], flow["stopped_by"]) == ("2026-01-14T00:00:00+09:00", "mkt_sato")
        assert (flow["entered"], flow["active"], flow["goal"], flow["ended"]) == (2, 0, 0, {"stopped": 2})
        invite = next(step for step in flow["steps"] if step["step"] == "invite")
        assert (invite["sent"], invite["opened"], invite["clicked"]) == (2, 1, 1)

        client = signed_in(site, "marketing")
        html = client.get("/nurture").text
        assert 'data-stopped-at="2026-01-14T00:00:00+09:00"' in html
        assert "停止: 2026年1月14日 00:00(mkt_sato)" in html
        assert "2026年1月1日 00:00 から 2026年1月14日 00:00 まで流入を受付" in html
        assert 'data-reason="stopped">フロー停止 <b>2</b>' in html
        assert _rows(html)["invite"]["opened"] == "1"
        english = client.get("/nurture?lang=en").text
        assert "Stopped at Jan 14, 2026 00:00 by mkt_sato" in english
        assert 'data-reason="stopped">flow stopped <b>2</b>' in english
    finally:
        site.close()


def test_a_page_view_does_not_wait_for_a_slow_first_report(site: Site) -> None:
    """The report is computed beside the request: ``pending`` until the first one exists,
    the previous figures (not fresh) while a newer one is computed."""
    release = threading.Event()

    def slow(now: int) -> Sequence[ActiveFlow]:
        release.wait(30)
        return ACTIVE

    reports = FlowReportService(site.services.store, site.services.agreements, slow, background=True)
    now = site.clock.now_us()
    first = reports.view(now, wait_seconds=0)
    assert (first.report, first.pending) == (None, True)
    release.set()
    done = reports.view(now, wait_seconds=30)
    assert done.fresh and done.report is not None
    assert done.report.stats[0].entered == 2
    release.clear()
    site.ingest([msg("track", "n2", "2026-01-16T10:00:00+09:00", 7, event="Email Opened", properties=MAIL)])
    meanwhile = reports.view(now + 1, wait_seconds=0)
    assert (meanwhile.report, meanwhile.fresh) == (done.report, False)
    release.set()
    assert reports.view(now + 2, wait_seconds=30).report is not done.report
