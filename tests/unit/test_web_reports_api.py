"""``GET /v1/reports/{kind}`` and ``POST /v1/backtest``: the store's numbers are the numbers a
replay of the same history gives (one definition), parameters are validated like the CLI's
options, and any user key may read them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_web_support import Site, WebClient, build_site

from leadpact.adapters.agreement_yaml import default_agreement, default_agreement_text, load_agreement_text
from leadpact.domain.replay import replay
from leadpact.domain.timeutil import parse_iso, to_us
from leadpact.service.backtest import backtest
from leadpact.service.dashboard.store_runs import read_history
from leadpact.service.reports import ReportScope, compute, report_json
from leadpact.service.reports.render_backtest import backtest_json


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    built = build_site(tmp_path, web=False)
    yield built
    built.close()


def _get(site: Site, path: str, role: str = "viewer", **params: str) -> Any:
    headers = {"authorization": f"Bearer {site.keys[role]}"}
    return WebClient(site.app).get(path, params=params, headers=headers)


def _replayed(site: Site, kind: str, as_of: int, **options: Any) -> dict[str, Any]:
    history = read_history(site.services)
    agreement = default_agreement()
    leads = replay(history.messages, agreement, as_of).leads.values()
    start, end = options.pop("start", None), options.pop("end", None)
    return report_json(compute(kind, leads, ReportScope.for_agreement(agreement, as_of, start, end), **options))  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["waterfall", "sla", "neglected", "attribution", "trend"])
def test_each_report_equals_a_replay_of_the_stored_history(site: Site, kind: str) -> None:
    answer = _get(site, f"/v1/reports/{kind}")
    assert answer.status_code == 200
    assert answer.json() == _replayed(site, kind, site.clock.now_us())


def test_waterfall_by_segment_and_period(site: Site) -> None:
    answer = _get(site, "/v1/reports/waterfall", by="source", **{"from": "2026-01-06", "to": "2026-01-20"})
    zone = default_agreement().zone
    start = to_us(parse_iso("2026-01-06T00:00:00+09:00"))
    end = to_us(parse_iso("2026-01-20T00:00:00+09:00"))
    assert zone.key == "Asia/Tokyo"
    expected = _replayed(site, "waterfall", site.clock.now_us(), by="source", start=start, end=end)
    assert answer.json() == expected
    assert {s["segment"] for s in answer.json()["segments"]} == {"webinar", "web_organic", "web_ads", "(none)"}


def test_a_moment_before_the_newest_event_replays_the_log(site: Site) -> None:
    moment = "2026-01-07T00:00:00+09:00"
    answer = _get(site, "/v1/reports/waterfall", as_of=moment)
    expected = _replayed(site, "waterfall", to_us(parse_iso(moment)))
    assert answer.json() == expected
    assert answer.json()["overall"]["leads"] == 2  # only u1 and u2 had arrived


def test_segment_filters_narrow_the_cohort(site: Site) -> None:
    answer = _get(site, "/v1/reports/waterfall", industry="software")
    assert answer.json()["overall"]["leads"] == 2
    assert answer.json()["segments_filter"] == {"industry": "software"}


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/reports/funnel", {}, "kind"),
        ("/v1/reports/sla", {"by": "source"}, "by"),
        ("/v1/reports/waterfall", {"by": "colour"}, "by"),
        ("/v1/reports/waterfall", {"from": "January"}, "from"),
        ("/v1/reports/waterfall", {"from": "2026-02-01", "to": "2026-01-01"}, "to"),
        ("/v1/reports/attribution", {"target": "mal"}, "target"),
        ("/v1/reports/waterfall", {"as_of": "yesterday"}, "as_of"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(site: Site, path: str, params: dict[str, str], field: str) -> None:
    answer = _get(site, path, **params)
    assert answer.status_code == 400
    assert answer.json()["field"] == field


def test_reports_need_a_user_key(site: Site) -> None:
    assert WebClient(site.app).get("/v1/reports/waterfall").status_code == 401
    write_key = site.services.access.create_write_key(None, site.clock.now_us())
    answer = WebClient(site.app).get("/v1/reports/waterfall", headers={"authorization": f"Bearer {write_key}"})
    assert answer.status_code == 403


def test_backtest_endpoint_equals_the_service_on_the_stored_history(site: Site) -> None:
    proposed = (
        default_agreement_text()
        .replace('version: "2026.1"', 'version: "2026.9"')
        .replace("score_gte: 50}", "score_gte: 70}", 1)
    )
    client = WebClient(site.app)
    answer = client.post(
        "/v1/backtest",
        content=proposed.encode("utf-8"),
        headers={"authorization": f"Bearer {site.keys['viewer']}", "content-type": "application/yaml"},
    )
    assert answer.status_code == 200, answer.text
    history = read_history(site.services)
    expected = backtest_json(
        backtest(history.messages, history.current, load_agreement_text(proposed, "p"), site.clock.now_us())
    )
    assert answer.json() == expected
    assert answer.json()["proposed"]["mql"] < answer.json()["current"]["mql"]


def test_backtest_of_an_invalid_agreement_names_path_and_line(site: Site) -> None:
    broken = default_agreement_text().replace("points: 15}", "points: lots}", 1)
    answer = WebClient(site.app).post(
        "/v1/backtest",
        json={"yaml": broken},
        headers={"authorization": f"Bearer {site.keys['viewer']}"},
    )
    assert answer.status_code == 400
    problem = answer.json()["problems"][0]
    assert problem["path"] == "fit[0].points"
    assert problem["line"] == next(i for i, text in enumerate(broken.splitlines(), 1) if "lots" in text)
