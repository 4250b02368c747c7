"""An identity re-linked while the engine evaluates: the lead its events moved away from must
not be dequeued with a state that still counts them.

The engine computes in a read snapshot and writes afterwards (see
:mod:`leadpact.service.evaluation`); ingestion may commit between the two. A lead already
queued for a rebuild at the snapshot, whose events then move away again (an earlier link
arrives late, SPEC §3: the earliest link wins), gets no new event of its own, so "has an
event after the watermark" does not catch it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from unittest.mock import ANY

import pytest
from store_checks import assert_store_matches, ingest, reference
from store_factories import message, us

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.adapters.store.event_log import EventLog
from leadpact.service import evaluation
from leadpact.service.container import Services


def _page(anonymous_id: str, minutes: float) -> dict[str, Any]:
    return message("page", minutes, anonymousId=anonymous_id, name="pricing", properties={"path": "/pricing"})


def _link(user: str, anonymous_id: str, minutes: float) -> dict[str, Any]:
    traits = {"email": f"{user}@example.co.jp", "job_level": "manager"}
    return message("identify", minutes, userId=user, anonymousId=anonymous_id, traits=traits)


def test_a_late_earlier_link_during_evaluation_does_not_leave_the_old_owner_stale(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = [_page("anon-1", minutes) for minutes in (1, 2, 3, 4)]
    later_link = _link("u-late", "anon-1", 30)  # arrives first: the pages move to u-late
    earlier_link = _link("u-early", "anon-1", 10)  # arrives during the evaluation: they move on
    ingest(services, pages)  # anonymous: no lead yet
    ingest(services, [later_link])  # moves the stored pages: u-late is queued for a rebuild
    with services.store.read() as conn:
        assert EventLog(conn).queue(10) == [("u-late", ANY, True)]

    real_prepare = evaluation.prepare
    interleaved: list[Sequence[str]] = []

    def prepare_then_relink(conn: Any, lead_ids: Sequence[str], *args: Any, **kwargs: Any) -> Any:
        changes = real_prepare(conn, lead_ids, *args, **kwargs)
        if not interleaved and "u-late" in lead_ids:
            interleaved.append(lead_ids)
            ingest(services, [earlier_link])  # commits between the snapshot and the write
        return changes

    monkeypatch.setattr(evaluation, "prepare", prepare_then_relink)
    services.engine.run_pending()
    assert interleaved, "the re-link was interleaved with an evaluation of u-late"

    everything = [*pages, later_link, earlier_link]
    expected = reference(everything, default_agreement(), us(60))
    assert expected.leads["u-early"].engagement == 40 and expected.leads["u-late"].engagement == 0
    assert_store_matches(services, expected)
