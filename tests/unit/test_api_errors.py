"""The API's answers to bad requests: every error is JSON ``{detail, field}`` (docs/api.md), write
keys are refused in words that fit the request, report size bands are a fixed set, and the
shipped default agreement is read like a stored version."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_web_support import Site, WebClient, build_site

from leadpact.adapters.agreement_yaml import default_agreement_text
from leadpact.service.reports import REPORT_KINDS


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    built = build_site(tmp_path, web=False)
    yield built
    built.close()


class _Client:
    """The app over ASGI with one ``Authorization`` header on every request."""

    def __init__(self, site: Site, authorization: str) -> None:
        self.web = WebClient(site.app)
        self.headers = {"authorization": authorization}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.web.request(method, path, headers=self.headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)


def _client(site: Site, role: str = "viewer") -> _Client:
    return _Client(site, f"Bearer {site.keys[role]}")


def _basic(site: Site, credentials: str) -> _Client:
    return _Client(site, f"Basic {base64.b64encode(credentials.encode()).decode()}")


def _write_key_client(site: Site) -> _Client:
    return _basic(site, site.services.access.create_write_key(None, site.clock.now_us()) + ":")


@pytest.mark.parametrize("path", ["/v1/leads", "/v1/sla/overdue"])
def test_a_cursor_this_api_did_not_return_names_the_cursor(site: Site, path: str) -> None:
    answer = _client(site).get(path, params={"cursor": "garbage"})
    assert answer.status_code == 400
    assert answer.json() == {"detail": "cursor: not a cursor this API returned", "field": "cursor"}


def test_malformed_basic_credentials_are_a_401_problem(site: Site) -> None:
    answer = _Client(site, "Basic !!!").get("/v1/leads")
    assert answer.status_code == 401
    assert answer.json() == {"detail": "malformed HTTP Basic credentials", "field": None}
    assert answer.headers["www-authenticate"] == 'Basic realm="leadpact"'


def test_an_api_key_as_basic_user_name_reads_as_ingestion_reads_it(site: Site) -> None:
    """With or without the ``:`` of an empty password, as ingestion accepts it."""
    key = site.keys["viewer"]
    for credentials in (f"{key}:", key):
        answer = _basic(site, credentials).get("/v1/leads")
        assert answer.status_code == 200, answer.text


def test_unknown_routes_and_methods_answer_the_same_shape(site: Site) -> None:
    client = _client(site)
    missing = client.get("/v1/nothing-here")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found", "field": None})
    wrong = client.request("DELETE", "/v1/leads")
    assert (wrong.status_code, wrong.json()) == (405, {"detail": "Method Not Allowed", "field": None})
    assert wrong.headers["allow"] == "GET"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/leads/u1/actions", {"action": "contact"}),
        ("/v1/leads/u1/notes", {"body": "call back"}),
        ("/v1/agreements", {"yaml": "version: '9'"}),
        ("/v1/agreements/2026.1/activate", None),
        ("/v1/flows", {"yaml": "id: f"}),
        ("/v1/flows/f/activate", {"version": "1"}),
        ("/v1/flows/f/deactivate", None),
    ],
)
def test_a_write_key_is_told_an_api_key_is_needed_for_a_change(site: Site, path: str, body: object) -> None:
    answer = _write_key_client(site).post(path, json=body)
    assert answer.status_code == 403
    assert answer.json() == {
        "detail": "write keys can only send events; use an API key for this request",
        "field": None,
    }


def test_a_write_key_reading_is_told_to_use_an_api_key_to_read(site: Site) -> None:
    answer = _write_key_client(site).get("/v1/leads/u1")
    assert answer.status_code == 403
    assert answer.json()["detail"] == "write keys can only send events; use an API key to read"


@pytest.mark.parametrize("kind", REPORT_KINDS)
def test_an_unknown_size_band_is_400_naming_size(site: Site, kind: str) -> None:
    answer = _client(site).get(f"/v1/reports/{kind}", params={"size": "huge"})
    assert answer.status_code == 400
    assert answer.json() == {
        "detail": "size: expected one of 1-49, 50-299, 300-999, 1000+, (none), found 'huge'",
        "field": "size",
    }


def test_the_size_bands_split_the_cohort_and_blank_means_any(site: Site) -> None:
    client = _client(site)
    everyone = client.get("/v1/reports/waterfall", params={"size": " "}).json()
    assert "segments_filter" not in everyone
    counted = 0
    for band in ("1-49", "50-299", "300-999", "1000+", "(none)"):
        answer = client.get("/v1/reports/waterfall", params={"size": f" {band}"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["segments_filter"] == {"size": band}
        counted += answer.json()["overall"]["leads"]
    assert counted == everyone["overall"]["leads"] == 6


def test_free_text_segment_filters_are_not_restricted(site: Site) -> None:
    answer = _client(site).get("/v1/reports/waterfall", params={"source": "a source nobody has"})
    assert answer.status_code == 200
    assert answer.json()["overall"]["leads"] == 0


def test_the_shipped_default_is_read_like_a_stored_version_while_it_applies(site: Site) -> None:
    client = _client(site)
    listing = client.get("/v1/agreements").json()
    assert (listing["active_version"], listing["default_in_use"], listing["items"]) == ("2026.1", True, [])
    answer = client.get("/v1/agreements/2026.1")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "version": "2026.1",
        "name": "Default B2B agreement",
        "uploaded_by": None,
        "uploaded_at": None,
        "active": True,
        "shipped_default": True,
        "yaml": default_agreement_text(),
    }
    assert client.get("/v1/agreements/2026.1/render").status_code == 200
    missing = client.get("/v1/agreements/9.9")
    assert (missing.status_code, missing.json()["field"]) == (404, None)


def test_a_stored_version_is_not_the_shipped_default_and_deactivates_it(site: Site) -> None:
    proposed = default_agreement_text().replace('version: "2026.1"', 'version: "2026.7"')
    marketing = _client(site, "marketing")
    assert marketing.post("/v1/agreements", json={"yaml": proposed}).status_code == 201
    assert marketing.post("/v1/agreements/2026.7/activate").status_code == 202
    stored = marketing.get("/v1/agreements/2026.7").json()
    assert (stored["shipped_default"], stored["active"], stored["uploaded_by"]) == (False, True, "mkt_ono")
    assert stored["yaml"] == proposed
    default = marketing.get("/v1/agreements/2026.1").json()
    assert (default["shipped_default"], default["active"]) == (True, False)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/reports/waterfall", {"from": "0001-01-01"}, "from"),
        ("/v1/reports/sla", {"to": "9999-12-31T23:59:59-12:00"}, "to"),
        ("/v1/reports/trend", {"as_of": "0001-01-01T00:00:00+09:00"}, "as_of"),
        ("/v1/reports/flows", {"as_of": "9999-12-31T23:59:59-12:00"}, "as_of"),
    ],
)
def test_moments_at_the_edge_of_the_calendar_are_400_naming_the_field(
    site: Site, path: str, params: dict[str, str], field: str
) -> None:
    answer = _client(site).get(path, params=params)
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == field
