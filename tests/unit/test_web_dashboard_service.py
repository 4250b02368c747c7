"""The dashboard's read side: the leads it reads from the store are the leads a replay of the
stored log gives, it stays equal after changes while re-reading only what changed, and reports
are computed once per (store state, minute, question)."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from test_web_support import Site, build_site

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.adapters.synthetic import GeneratorConfig, generate_to_stream
from leadpact.domain.replay import replay
from leadpact.domain.results import LeadResult
from leadpact.domain.timeutil import US_PER_SECOND, parse_iso, to_us
from leadpact.service.actions import ActionService
from leadpact.service.dashboard import DashboardService, QueueFilter, ReportRequest, SegmentFilter
from leadpact.service.dashboard.store_runs import read_history

COMPARED = ("stage", "origin", "created_at", "owner", "history", "sla", "assignments", "traits", "company", "bant")


def _generated() -> list[dict[str, object]]:
    stream = io.StringIO()
    config = GeneratorConfig(leads=120, start=date(2025, 11, 1), days=75, seed=11, agreement=default_agreement())
    generate_to_stream(config, stream)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture(scope="module")
def generated() -> list[dict[str, object]]:
    return _generated()


@pytest.fixture
def site(tmp_path: Path, generated: list[dict[str, object]]) -> Iterator[Site]:
    built = build_site(tmp_path, messages=generated, web=False)
    yield built
    built.close()


def _service(site: Site) -> DashboardService:
    return DashboardService(site.services, site.clock, warm=False)


def _replayed(site: Site) -> dict[str, LeadResult]:
    history = read_history(site.services)
    return replay(history.messages, default_agreement(), site.clock.now_us()).leads


def _assert_same(stored: dict[str, LeadResult], replayed: dict[str, LeadResult], *, touches: bool) -> None:
    assert stored.keys() == replayed.keys()
    for lead_id, lead in replayed.items():
        for name in (*COMPARED, *(("touches",) if touches else ())):
            assert getattr(stored[lead_id], name) == getattr(lead, name), (lead_id, name)


def test_stored_leads_equal_a_replay_of_the_log(site: Site) -> None:
    snapshot = _service(site).leads(touches=True)
    assert len(snapshot.leads) > 100
    _assert_same(dict(snapshot.by_id), _replayed(site), touches=True)


def test_after_an_action_only_that_lead_is_read_again_and_views_stay_equal(site: Site) -> None:
    service = _service(site)
    before = service.leads(touches=True)
    reads = service.snapshot.reads
    target = next(lead for lead in before.leads if lead.stage == "mql")
    ActionService(site.services.engine).act(
        target.lead_id, "accept", actor_id="is_sato", actor_role="inside_sales", properties={}, traits={},
        now=site.clock.now_us(),
    )  # fmt: skip
    after = service.leads(touches=True)
    assert after.generation > before.generation
    assert service.snapshot.reads == reads + 1
    assert after.by_id[target.lead_id].stage == "sal"
    assert before.by_id[target.lead_id].stage == "mql", "an earlier view is never changed in place"
    _assert_same(dict(after.by_id), _replayed(site), touches=True)


def test_an_unchanged_store_is_not_read_again(site: Site) -> None:
    service = _service(site)
    first = service.leads()
    reads = service.snapshot.reads
    assert service.leads() is first
    assert service.snapshot.reads == reads


def test_reports_are_cached_per_minute_and_recomputed_when_the_store_changes(site: Site) -> None:
    service = _service(site)
    request = ReportRequest("waterfall")
    first = service.report(request)
    assert service.report(request) == first
    assert service.computed == 1
    site.clock.advance(30 * US_PER_SECOND)
    service.report(request)
    assert service.computed == 1, "same minute"
    site.clock.advance(60 * US_PER_SECOND)
    service.report(request)
    assert service.computed == 2, "a new minute: clocks may have been breached meanwhile"
    site.ingest([{"type": "identify", "messageId": "new-1", "timestamp": "2026-01-19T09:00:00+09:00",
                  "userId": "fresh", "traits": {"job_level": "staff"}}])  # fmt: skip
    assert service.report(request)["overall"]["leads"] == first["overall"]["leads"] + 1
    assert service.computed == 3


def test_a_page_shows_the_previous_figures_while_the_warmer_computes_the_new_ones(site: Site) -> None:
    service = DashboardService(site.services, site.clock, warm=True)
    try:
        request = ReportRequest("waterfall")
        first = service.report_view(request)
        assert first.fresh
        site.ingest([{"type": "identify", "messageId": "late-1", "timestamp": "2026-01-19T09:00:00+09:00",
                      "userId": "late", "traits": {"job_level": "staff"}}])  # fmt: skip
        stale = service.report_view(request, wait_seconds=0)
        assert not stale.fresh
        assert stale.data == first.data
        deadline = time.monotonic() + 30
        view = stale
        while not view.fresh:
            assert time.monotonic() < deadline, "the warmer never delivered"
            view = service.report_view(request, wait_seconds=0.2)
        assert view.data["overall"]["leads"] == first.data["overall"]["leads"] + 1
    finally:
        service.close()


def test_figures_for_an_unchanged_store_are_shown_until_five_minutes_old(site: Site) -> None:
    service = _service(site)
    request = ReportRequest("waterfall")
    first = service.report_view(request)
    site.clock.advance(290 * US_PER_SECOND)
    assert service.report_view(request).data == first.data
    assert service.computed == 1
    site.clock.advance(20 * US_PER_SECOND)
    later = service.report_view(request)
    assert service.computed == 2, "without the warmer, a page recomputes figures five minutes old"
    assert later.data["as_of"] != first.data["as_of"]


def test_segment_filter_selects_the_leads_of_that_segment(site: Site) -> None:
    service = _service(site)
    everyone = service.report(ReportRequest("waterfall", by="industry"))
    software = service.report(ReportRequest("waterfall", segments=SegmentFilter(industry="software")))
    row = next(s for s in everyone["segments"] if s["segment"] == "software")
    assert software["overall"]["stages"] == row["stages"]
    assert software["overall"]["leads"] == row["leads"]


def test_facets_count_every_lead_once_per_kind(site: Site) -> None:
    service = _service(site)
    total = len(service.leads().leads)
    for kind, values in service.facets().items():
        assert sum(count for _, count in values) == total, kind


def test_queue_holds_every_running_clock(site: Site) -> None:
    service = _service(site)
    queue = service.queue(QueueFilter())
    now = site.clock.now_us()
    running = {
        (lead.lead_id, clock.id, clock.started_at)
        for lead in service.leads().leads
        for clock in lead.sla
        if clock.stopped_at is None and not clock.cancelled and clock.started_at <= now
    }
    listed = {(i.lead.lead_id, i.clock.id, i.clock.started_at) for i in (*queue.neglected, *queue.upcoming)}
    assert listed == running
    assert all(item.overdue for item in queue.neglected)
    assert sum(load.running for load in queue.by_owner) == len(running)


def test_report_as_of_before_the_newest_event_equals_a_replay_then(site: Site) -> None:
    service = _service(site)
    moment = to_us(parse_iso("2025-12-15T00:00:00+09:00"))
    data = service.report(ReportRequest("waterfall"), as_of=moment)
    history = read_history(site.services)
    then = replay(history.messages, default_agreement(), moment).leads
    assert data["overall"]["leads"] == len([lead for lead in then.values() if lead.history])
    assert data["as_of"].startswith("2025-12-15T00:00:00")


def test_a_view_that_cannot_be_computed_does_not_keep_the_others_stale(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = _service(site)
    good, bad = ReportRequest("waterfall"), ReportRequest("sla")
    service.report_view(good)
    service.report_view(bad)  # the most recent: the warmer takes it first
    site.ingest([{"type": "identify", "messageId": "late-2", "timestamp": "2026-01-19T09:00:00+09:00",
                  "userId": "late", "traits": {"job_level": "staff"}}])  # fmt: skip
    computed: list[ReportRequest] = []
    real = service._compute_latest

    def compute(view: ReportRequest, *args: object) -> object:
        if view == bad:
            raise OverflowError("date value out of range")
        computed.append(view)
        return real(view, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "_compute_latest", compute)
    monkeypatch.setattr("leadpact.service.dashboard.service.YIELD_SECONDS", 0)
    service.warm_once()
    assert computed == [good]
    assert bad not in service._recent and good in service._recent  # the bad view is no longer retried
