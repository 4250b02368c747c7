"""Actions, the round robin and agreement activation through the store."""

from __future__ import annotations

import pytest
from store_checks import assert_store_matches, ingest, make_services, parse_all, reference, stored
from store_factories import identify, mql_burst, us

from leadpact.adapters.agreement_yaml import default_agreement, default_agreement_text, load_agreement_text
from leadpact.domain.messages import MessageError
from leadpact.service.actions import ActionRefusedError
from leadpact.service.agreements import VersionConflictError
from leadpact.service.container import Services
from leadpact.service.leads import UnknownLeadError


def _act(services: Services, lead: str, action: str, role: str, minutes: float, **properties: object) -> None:
    services.actions.act(
        lead, action, actor_id=f"{role}-1", actor_role=role, properties=properties, traits={}, now=us(minutes)
    )


def test_round_robin_follows_mql_times_even_when_they_arrive_out_of_order(services: Services) -> None:
    objects = [*mql_burst("c", 30), *mql_burst("a", 10), *mql_burst("b", 20), *mql_burst("d", 10)]
    for burst_start in range(0, len(objects), 3):  # each lead's burst separately, latest MQL first
        ingest(services, objects[burst_start : burst_start + 3])
        services.engine.run_pending()
    owners = {lead: row["owner"] for lead, row in stored(services).items()}
    # smb_is members in agreement order, taken in (MQL time, lead id) order: a, d (tie), b, c
    assert owners == {"a": "is_sato", "d": "is_ito", "b": "is_kato", "c": "is_sato"}
    assert_store_matches(services, reference(objects, default_agreement(), us(60)))


def test_an_allowed_action_moves_the_lead_and_names_the_actor(services: Services) -> None:
    ingest(services, mql_burst("u1"))
    _act(services, "u1", "accept", "inside_sales", 30)
    view = services.leads.get("u1", us(40))
    assert view["stage"] == "sal"
    assert view["history"][-1]["actor"] == {"id": "inside_sales-1", "role": "inside_sales"}


def test_a_refused_action_says_why_and_stores_nothing(services: Services) -> None:
    ingest(services, mql_burst("u1"))
    services.engine.run_pending()
    with pytest.raises(ActionRefusedError, match="not allowed in stage mql"):
        _act(services, "u1", "win", "field_sales", 30)
    with services.store.read() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM events WHERE type = 'action'").scalar_one() == 0
    assert services.leads.get("u1", us(40))["errors"] == []


def test_an_action_on_an_unknown_lead_is_refused_unless_it_creates_one(services: Services) -> None:
    with pytest.raises(UnknownLeadError):
        _act(services, "ghost", "accept", "inside_sales", 1)
    services.actions.act(
        "sgl",
        "create_sgl",
        actor_id="fs-1",
        actor_role="field_sales",
        properties={},
        traits={"company": "紹介株式会社"},
        now=us(1),
    )
    view = services.leads.get("sgl", us(2))
    assert (view["stage"], view["origin"], view["traits"]["company"]) == ("sql", "sales", "紹介株式会社")


def test_a_lead_whose_events_all_lie_ahead_does_not_exist_yet_for_actions_as_for_reads(services: Services) -> None:
    """A client clock running fast: the lead is stored, but at the action's time it has no event
    yet, so the action answers like GET /v1/leads/{id} (unknown lead), not with a refusal."""
    ingest(services, mql_burst("early", 120))
    services.engine.run_pending()
    with pytest.raises(UnknownLeadError):
        services.leads.get("early", us(60))
    with pytest.raises(UnknownLeadError):
        _act(services, "early", "contact", "inside_sales", 60)
    _act(services, "early", "accept", "inside_sales", 130)  # once the lead exists, it is acted on
    assert services.leads.get("early", us(140))["stage"] == "sal"


def test_required_action_fields_are_checked_before_anything_else(services: Services) -> None:
    ingest(services, mql_burst("u1"))
    with pytest.raises(MessageError) as error:
        _act(services, "u1", "reject", "inside_sales", 5)
    assert error.value.field == "properties.reason"
    with pytest.raises(MessageError) as error:
        _act(services, "u1", "confirm_bant", "inside_sales", 5, items=["budget", "money"])
    assert error.value.field == "properties.items"
    assert error.value.problem.endswith("found 'money'")  # the bad item is named


def test_retrying_an_action_with_the_same_message_id_applies_it_once(services: Services) -> None:
    ingest(services, mql_burst("u1"))
    for _ in range(2):
        outcome = services.actions.act(
            "u1",
            "confirm_bant",
            actor_id="is-1",
            actor_role="inside_sales",
            properties={"items": ["budget"]},
            traits={},
            now=us(30),
            message_id="retry-1",
        )
    assert outcome.stored is False
    assert services.leads.get("u1", us(40))["bant"] == ["budget"]


def test_activating_an_agreement_reevaluates_every_lead_under_its_version(services: Services) -> None:
    objects = [*mql_burst("a", 0), *mql_burst("b", 5), identify("c", 7, job_level="staff")]
    ingest(services, objects)
    services.engine.run_pending()
    stricter = (
        default_agreement_text()
        .replace('version: "2026.1"', 'version: "2026.2"')
        .replace("mql: {when: {score_gte: 50}}", "mql: {when: {score_gte: 80}}")
    )
    services.agreements.upload(stricter, "stricter.yaml", "mk", us(20))
    activation = services.agreements.activate("2026.2", "mk", us(21))
    assert (activation.leads_total, activation.leads_done) == (3, 0)
    progress = []
    while (step := services.engine.reevaluate_step(us(22))) is not None:
        progress.append(step.leads_done)
        if step.finished_at is not None:
            break
    assert progress[-1] == 3
    rows = stored(services)
    assert {row["stage"] for row in rows.values()} == {"mal"}
    assert {entry[7] for row in rows.values() for entry in row["history"]} == {"2026.2"}
    assert_store_matches(
        services, reference(objects, load_agreement_text(stricter), max(m.ts for m in parse_all(objects)))
    )


def test_an_interrupted_activation_resumes_from_its_cursor(database_url: str) -> None:
    first = make_services(database_url, evaluation_chunk=2)
    objects = [*mql_burst("a", 0), *mql_burst("b", 5), *mql_burst("c", 9)]
    ingest(first, objects)
    first.engine.run_pending()
    text = default_agreement_text().replace('version: "2026.1"', 'version: "2026.9"')
    first.agreements.upload(text, "v9.yaml", "mk", us(20))
    first.agreements.activate("2026.9", "mk", us(21))
    step = first.engine.reevaluate_step(us(22))
    assert step is not None and (step.leads_done, step.finished_at) == (2, None)
    first.close()  # "crash" after one chunk
    second = make_services(database_url, evaluation_chunk=2)
    try:
        while (step := second.engine.reevaluate_step(us(23))) is not None and step.finished_at is None:
            pass
        assert step is not None and step.leads_done == 3
        assert {entry[7] for row in stored(second).values() for entry in row["history"]} == {"2026.9"}
    finally:
        second.close()


def test_the_shipped_default_version_cannot_be_uploaded_with_another_text(services: Services) -> None:
    """Its version is read and applied as the shipped text until another is activated: a
    second text under that number would make two texts claim the same decisions."""
    edited = default_agreement_text().replace("mql: {when: {score_gte: 50}}", "mql: {when: {score_gte: 45}}")
    with pytest.raises(VersionConflictError, match=r"'2026\.1' is the shipped default agreement's"):
        services.agreements.upload(edited, "edited.yaml", "mk", us(1))
    assert services.agreements.versions() == []
    same = services.agreements.upload(default_agreement_text(), "default.yaml", "mk", us(2))
    assert same.created and services.agreements.text_of("2026.1") == default_agreement_text()
