"""SPEC §4.4 assignment: the first matching rule picks the team; members take turns following the
global order of MQL entries across leads (ties by lead id); people may reassign."""

from __future__ import annotations

from typing import Any

from factories import (
    ENTERPRISE_DIRECTOR,
    SMALL_STAFF,
    T0,
    action,
    clock,
    identify,
    make_agreement,
    run,
    shift,
    to_mql,
    track,
    us,
)

AS_OF = shift(T0, days=5)


def qualifies(user: str, mql_at: str, traits: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Messages with which ``user`` becomes an MQL exactly at ``mql_at``."""
    return to_mql(user, at=shift(mql_at, minutes=-2), traits=traits)


def owners(*objs: dict[str, Any], as_of: str = AS_OF, **kwargs: Any) -> dict[str, str | None]:
    result = run(*objs, as_of=as_of, **kwargs)
    return {lead_id: lead.owner for lead_id, lead in result.leads.items()}


def test_members_take_turns_in_the_global_order_of_mql_entries() -> None:
    # File order a, b, c, d; MQL order b (1 h), c (2 h), a (3 h), d (4 h).
    result = owners(
        *qualifies("a", shift(T0, hours=3)),
        *qualifies("b", shift(T0, hours=1)),
        *qualifies("c", shift(T0, hours=2)),
        *qualifies("d", shift(T0, hours=4)),
    )
    assert result == {"b": "is_sato", "c": "is_ito", "a": "is_kato", "d": "is_sato"}


def test_simultaneous_mql_entries_take_turns_by_lead_id() -> None:
    at = shift(T0, hours=1)
    result = owners(*qualifies("zeta", at), *qualifies("alpha", at), *qualifies("mike", at))
    assert result == {"alpha": "is_sato", "mike": "is_ito", "zeta": "is_kato"}


def test_first_matching_rule_picks_the_team_and_each_team_has_its_own_turns() -> None:
    big = {**ENTERPRISE_DIRECTOR}
    result = owners(
        *qualifies("e1", shift(T0, hours=1), big),
        *qualifies("s1", shift(T0, hours=2)),
        *qualifies("e2", shift(T0, hours=3), big),
        *qualifies("e3", shift(T0, hours=4), big),
        *qualifies("s2", shift(T0, hours=5)),
    )
    assert result == {"e1": "is_tanaka", "e2": "is_suzuki", "e3": "is_tanaka", "s1": "is_sato", "s2": "is_ito"}


def test_rule_condition_boundary_decides_the_team() -> None:
    result = run(
        *qualifies("exactly_1000", shift(T0, hours=1), {**SMALL_STAFF, "employees": 1000}),
        *qualifies("just_999", shift(T0, hours=2), {**SMALL_STAFF, "employees": 999}),
        as_of=AS_OF,
    )
    assert [a.team for a in result.leads["exactly_1000"].assignments] == ["enterprise_is"]
    assert [a.team for a in result.leads["just_999"].assignments] == ["smb_is"]


def test_system_assignment_is_recorded_at_the_mql_instant() -> None:
    history = qualifies("u1", shift(T0, hours=1))
    lead = run(*history, as_of=AS_OF).leads["u1"]
    (assignment,) = lead.assignments
    assert (assignment.at, assignment.cause, assignment.actor_id, assignment.actor_role) == (
        us(shift(T0, hours=1)),
        history[-1]["messageId"],
        "system",
        "system",
    )
    assert (assignment.team, assignment.owner) == ("smb_is", "is_sato")


def test_team_is_chosen_on_the_traits_at_mql_time() -> None:
    history = [
        *qualifies("u1", shift(T0, hours=1)),  # 50 employees at MQL: smb_is
        identify("u1", at=shift(T0, hours=2), traits={"employees": 5000}),
    ]
    lead = run(*history, as_of=AS_OF).leads["u1"]
    assert [(a.team, a.owner) for a in lead.assignments] == [("smb_is", "is_sato")]


def test_re_mql_after_recycle_is_assigned_again_in_turn() -> None:
    result = owners(
        *qualifies("u1", shift(T0, hours=1)),  # is_sato
        *qualifies("u2", shift(T0, hours=2)),  # is_ito
        action("reject", user="u1", at=shift(T0, hours=3), reason="call again in spring"),
        *qualifies("u1", shift(T0, days=1)),  # u1's second MQL entry: is_kato
        *qualifies("u3", shift(T0, days=2)),  # is_sato
    )
    assert result == {"u1": "is_kato", "u2": "is_ito", "u3": "is_sato"}


def test_re_mql_records_a_second_assignment() -> None:
    lead = run(
        *qualifies("u1", shift(T0, hours=1)),
        action("reject", user="u1", at=shift(T0, hours=3), reason="x"),
        *qualifies("u1", shift(T0, days=1)),
        as_of=AS_OF,
    ).leads["u1"]
    assert [(a.at, a.owner) for a in lead.assignments] == [
        (us(shift(T0, hours=1)), "is_sato"),
        (us(shift(T0, days=1)), "is_ito"),
    ]
    assert lead.owner == "is_ito"


def test_manual_assign_by_marketing_overrides_the_owner() -> None:
    result = run(
        *qualifies("u1", shift(T0, hours=1)),
        action("assign", user="u1", at=shift(T0, hours=2), role="marketing", actor="mk_mori", owner="is_kato"),
        *qualifies("u2", shift(T0, hours=3)),
        as_of=AS_OF,
    )
    u1 = result.leads["u1"]
    assert u1.owner == "is_kato"
    assert [(a.owner, a.actor_id) for a in u1.assignments] == [("is_sato", "system"), ("is_kato", "mk_mori")]
    # A manual assignment is not an MQL entry: it does not use up a turn of the round robin.
    assert result.leads["u2"].owner == "is_ito"


def test_admin_may_reassign_to_anyone() -> None:
    result = owners(
        *qualifies("u1", shift(T0, hours=1)),
        action("assign", user="u1", at=shift(T0, hours=2), role="admin", owner="fs_outside_the_teams"),
    )
    assert result["u1"] == "fs_outside_the_teams"


def test_latest_assignment_wins_whether_manual_or_system() -> None:
    result = owners(
        *qualifies("u1", shift(T0, hours=1)),  # system: is_sato
        action("assign", user="u1", at=shift(T0, hours=2), owner="is_kato"),
        action("reject", user="u1", at=shift(T0, hours=3), reason="x"),
        *qualifies("u1", shift(T0, days=1)),  # system again: is_ito
    )
    assert result["u1"] == "is_ito"


def test_fast_tracked_mql_takes_its_turn() -> None:
    result = owners(
        *qualifies("u1", shift(T0, hours=1)),  # is_sato
        identify("u2", at=T0, traits=SMALL_STAFF),
        track("Quote Requested", user="u2", at=shift(T0, hours=2)),  # mal → sql: MQL entry, is_ito
        *qualifies("u3", shift(T0, hours=3)),  # is_kato
    )
    assert result == {"u1": "is_sato", "u2": "is_ito", "u3": "is_kato"}


def test_sgl_is_not_assigned_by_the_engine() -> None:
    result = owners(action("create_sgl", user="s1", at=T0, traits=ENTERPRISE_DIRECTOR), *qualifies("u1", T0))
    assert result == {"s1": None, "u1": "is_sato"}


def test_mql_after_as_of_does_not_take_a_turn() -> None:
    history = [*qualifies("u1", shift(T0, hours=2)), *qualifies("u2", shift(T0, hours=1))]
    # At 1:59 u1 exists (identified at 1:58) but is not an MQL yet.
    assert owners(*history, as_of=shift(T0, hours=1, minutes=59)) == {"u1": None, "u2": "is_sato"}
    assert owners(*history) == {"u1": "is_ito", "u2": "is_sato"}


def test_no_matching_rule_leaves_the_mql_unassigned_and_the_handoff_running() -> None:
    agreement = make_agreement(
        assignment=[{"if": {"trait": "employees", "gte": 1000}, "team": "enterprise_is", "members": ["is_tanaka"]}]
    )
    mql_at = shift(T0, hours=1)
    lead = run(*qualifies("u1", mql_at), as_of=shift(T0, hours=20), agreement=agreement).leads["u1"]
    assert lead.stage == "mql"
    assert (lead.owner, lead.assignments) == (None, [])
    handoff = clock(lead, "handoff")
    assert (handoff.started_at, handoff.stopped_at) == (us(mql_at), None)
    assert handoff.status(us(shift(T0, hours=20))) == "running"
    assert [c.id for c in lead.sla] == ["handoff"]  # first_contact waits for an assignment


def test_without_assignment_rules_a_person_assigns() -> None:
    agreement = make_agreement(assignment=None)
    result = run(
        *qualifies("u1", shift(T0, hours=1)),
        action("assign", user="u1", at=shift(T0, hours=5), owner="is_ito"),
        as_of=AS_OF,
        agreement=agreement,
    )
    lead = result.leads["u1"]
    assert lead.owner == "is_ito"
    assert [(a.actor_role, a.owner) for a in lead.assignments] == [("marketing", "is_ito")]
    assert clock(lead, "handoff").stopped_at == us(shift(T0, hours=5))
