"""Reports from the store (``leads_from_store``): the stored lead states when they are current,
the stored log replayed when they are not — equal to a replay of the same events either way."""

from __future__ import annotations

from store_checks import ingest, reference
from store_factories import identify, mql_burst, track, us

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.service.reports import ReportScope, compute, report_json
from leadpact.service.reports.store_source import leads_from_store

HISTORY = [
    *mql_burst("a", 0, employees=500),
    identify("b", 5, job_level="staff", employees=20),
    track("b", "Whitepaper Downloaded", 6),
    identify("c", 7, job_level="student"),
]


def _waterfall(leads, as_of):
    agreement = default_agreement()
    return report_json(compute("waterfall", leads, ReportScope.for_agreement(agreement, as_of, None, None)))


def test_current_states_are_used_as_stored_and_equal_the_replay(services):
    ingest(services, HISTORY)
    services.engine.run_pending()
    now = us(days=1)
    found = leads_from_store(services, now, touches=True)
    expected = reference(HISTORY, default_agreement(), now)
    assert found.source == "stored"
    assert [lead.lead_id for lead in found.leads] == sorted(expected.leads)
    assert _waterfall(found.leads, now) == _waterfall(list(expected.leads.values()), now)
    assert {lead.lead_id: lead.touches for lead in found.leads} == {
        lead_id: lead.touches for lead_id, lead in expected.leads.items()
    }


def test_queued_leads_or_an_earlier_moment_replay_the_log(services):
    ingest(services, HISTORY)  # not evaluated yet: the stored states are behind the log
    now = us(days=1)
    queued = leads_from_store(services, now, touches=False)
    assert queued.source == "replayed"
    assert _waterfall(queued.leads, now) == _waterfall(
        list(reference(HISTORY, default_agreement(), now).leads.values()), now
    )
    services.engine.run_pending()
    earlier = us(3)
    past = leads_from_store(services, now, as_of=earlier, touches=False)
    assert (past.source, past.as_of) == ("replayed", earlier)
    assert [lead.lead_id for lead in past.leads] == ["a"]  # b and c identified later
