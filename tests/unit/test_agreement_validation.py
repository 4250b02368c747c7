"""Validation of the agreement file (SPEC §4): every mistake is reported with the exact field path
and source line, and every problem of a file is reported at once."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from leadpact.adapters.agreement_yaml import (
    default_agreement,
    default_agreement_text,
    load_agreement,
    load_agreement_text,
)
from leadpact.domain.agreement import AgreementError, Decay, Within
from leadpact.domain.conditions import AllOf, BantGte, EventCond, EventIn, Not, ScoreGte, TraitCond

# Four lines that make a valid agreement; test snippets start on line 5.
HEADER = """\
name: Test agreement
version: "1"
stages:
  mql: {when: {score_gte: 50}}
"""

Problem = tuple[int | None, str, str]


def agreement(body: str = "", header: str = HEADER) -> str:
    return header + textwrap.dedent(body)


def problems(text: str) -> list[Problem]:
    """(line, path, message) of every problem, in the order reported."""
    with pytest.raises(AgreementError) as info:
        load_agreement_text(text, "a.yaml")
    return [(p.line, p.path, p.message) for p in info.value.problems]


def only_problem(text: str) -> Problem:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


# --- the shipped default ------------------------------------------------------------------


def test_default_agreement_loads_with_every_section() -> None:
    default = default_agreement()
    assert (default.name, default.version) == ("Default B2B agreement", "2026.1")
    assert (len(default.fit), len(default.engagement), len(default.exclusions)) == (5, 14, 2)
    assert (len(default.assignment), len(default.sla)) == (2, 3)
    assert default.timezone == "Asia/Tokyo" and default.business_calendar == "JP"
    assert default.decay == Decay(after_days=90, factor=0.5)
    assert default.stages.mql == ScoreGte("score", 50)
    assert default.sla[1].within == Within("business_days", 3)
    assert default.engagement[-1].points == -20


def test_default_agreement_file_loads_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "agreement.yaml"
    path.write_text(default_agreement_text(), encoding="utf-8")
    assert load_agreement(path) == default_agreement()


def test_minimal_agreement_gets_documented_defaults() -> None:
    minimal = load_agreement_text(HEADER)
    assert minimal.timezone == "Asia/Tokyo"
    assert minimal.business_calendar == "JP"
    assert minimal.decay is None
    assert minimal.recycle.reset_engagement is True
    assert minimal.fit == minimal.engagement == minimal.sla == ()


# --- wrong types --------------------------------------------------------------------------


def test_points_given_as_text_names_rule_and_line() -> None:
    text = agreement("""\
        fit:
          - {id: big, if: {trait: employees, gte: 300}, points: 10}
          - {id: small, if: {trait: employees, lt: 300}, points: ten}
        """)
    assert only_problem(text) == (7, "fit[1].points", "expected a number, found string 'ten'")


def test_points_in_block_style_point_at_their_own_line() -> None:
    text = agreement("""\
        engagement:
          - id: webinar
            if:
              type: track
              event: Webinar Attended
            points: "20"
        """)
    assert only_problem(text) == (10, "engagement[0].points", "expected a number, found string '20'")


def test_max_count_must_be_a_whole_number_of_at_least_one() -> None:
    text = agreement("""\
        engagement:
          - {id: a, if: {type: page}, points: 1, max_count: 0}
          - {id: b, if: {type: page}, points: 1, max_count: 2.5}
        """)
    assert problems(text) == [
        (6, "engagement[0].max_count", "expected a whole number of at least 1, found 0"),
        (7, "engagement[1].max_count", "expected a whole number, found number 2.5"),
    ]


def test_version_given_as_a_number_asks_to_quote_it() -> None:
    text = agreement(header="name: T\nversion: 2026.10\nstages:\n  mql: {when: {score_gte: 1}}\n")
    assert only_problem(text) == (2, "version", "expected a non-empty string, found number 2026.1 (quote it)")


def test_list_section_given_as_a_mapping() -> None:
    text = agreement("fit: {id: a, if: {trait: x, eq: 1}, points: 1}\n")
    assert only_problem(text) == (5, "fit", "expected a list, found an object")


# --- unknown keys -------------------------------------------------------------------------


def test_unknown_top_level_key() -> None:
    line, path, message = only_problem(agreement("fitt: []\n"))
    assert (line, path) == (5, "fitt")
    assert message.startswith("unknown key 'fitt'; expected one of name, version,")


def test_unknown_key_inside_a_rule() -> None:
    text = agreement("""\
        engagement:
          - {id: webinar, if: {type: track, event: Webinar Attended}, points: 20, max_cout: 3}
        """)
    assert only_problem(text) == (
        6,
        "engagement[0].max_cout",
        "unknown key 'max_cout'; expected one of id, if, points, max_count",
    )


def test_unknown_key_inside_a_trait_condition_is_an_unknown_operator() -> None:
    text = agreement("""\
        fit:
          - id: big
            if: {trait: employees, gte: 300, unit: people}
            points: 10
        """)
    line, path, message = only_problem(text)
    assert (line, path) == (7, "fit[0].if.unit")
    assert message.startswith("unknown operator 'unit'; expected one of eq, ne, in")


def test_unknown_key_inside_an_event_condition() -> None:
    text = agreement("""\
        engagement:
          - id: pricing
            if:
              type: page
              path_prefx: /pricing
            points: 10
        """)
    assert only_problem(text) == (
        9,
        "engagement[0].if.path_prefx",
        "unknown key 'path_prefx' in an event condition; expected one of type, event, path, path_prefix, property",
    )


def test_mapping_that_is_no_condition_at_all() -> None:
    line, path, message = only_problem(agreement("fit:\n  - {id: a, if: {trait_name: x}, points: 1}\n"))
    assert (line, path) == (6, "fit[0].if")
    assert message.startswith("not a condition: unknown key(s) trait_name; expected trait,")


@pytest.mark.parametrize(
    ("body", "line", "path"),
    [
        ("decay: {after_days: 90, factr: 0.5}\n", 5, "decay.factr"),
        ("recycle: {reset: true}\n", 5, "recycle.reset"),
        (
            "sla:\n  - {id: s, starts: mql, stops: assign, within: {weeks: 1}, owner: marketing}\n",
            6,
            "sla[0].within.weeks",
        ),
    ],
)
def test_unknown_keys_in_small_sections(body: str, line: int, path: str) -> None:
    found_line, found_path, message = problems(agreement(body))[0]
    assert (found_line, found_path) == (line, path)
    assert message.startswith(f"unknown key {path.rsplit('.', 1)[1]!r}; expected one of ")


def test_unknown_stage_name_under_stages() -> None:
    text = agreement(
        header='name: T\nversion: "1"\nstages:\n  mql: {when: {score_gte: 1}}\n  mal: {when: {score_gte: 0}}\n'
    )
    assert only_problem(text) == (5, "stages.mal", "unknown key 'mal'; expected one of mql, sql, hot")


# --- missing required keys ----------------------------------------------------------------


def test_missing_top_level_keys_are_all_reported() -> None:
    assert problems("name: Only a name\n") == [
        (1, "version", "required key is missing"),
        (1, "stages", "required key is missing"),
    ]


def test_missing_keys_of_a_rule_point_at_the_rule() -> None:
    text = agreement("""\
        fit:
          - {id: a, if: {trait: x, eq: 1}, points: 1}
          - {id: b}
        """)
    assert problems(text) == [
        (7, "fit[1].if", "required key is missing"),
        (7, "fit[1].points", "required key is missing"),
    ]


@pytest.mark.parametrize(
    ("body", "line", "path"),
    [
        ("sla:\n  - {id: s, starts: mql, stops: assign, within: {hours: 1}}\n", 6, "sla[0].owner"),
        ("assignment:\n  - {team: smb}\n", 6, "assignment[0].members"),
        ("exclusions:\n  - {if: {trait: x, eq: 1}}\n", 6, "exclusions[0].id"),
    ],
)
def test_missing_key_inside_other_sections(body: str, line: int, path: str) -> None:
    assert only_problem(agreement(body)) == (line, path, "required key is missing")


def test_stages_without_mql_and_stage_without_when() -> None:
    text = 'name: T\nversion: "1"\nstages:\n  sql: {bant_gte: 2}\n'
    assert problems(text) == [
        (3, "stages.mql", "required key is missing"),
        (4, "stages.sql.bant_gte", "unknown key 'bant_gte'; expected one of when"),
        (4, "stages.sql.when", "required key is missing"),
    ]


# --- duplicates ---------------------------------------------------------------------------


def test_duplicate_rule_ids_across_sections() -> None:
    text = agreement("""\
        fit:
          - {id: webinar, if: {trait: x, eq: 1}, points: 1}
        engagement:
          - {id: webinar, if: {type: track, event: Webinar Attended}, points: 20}
        sla:
          - {id: webinar, starts: mql, stops: assign, within: {hours: 1}, owner: marketing}
        """)
    assert problems(text) == [
        (8, "engagement[0].id", "duplicate rule id 'webinar' (already used at fit[0])"),
        (10, "sla[0].id", "duplicate rule id 'webinar' (already used at fit[0])"),
    ]


def test_duplicate_yaml_key_at_top_level_names_both_lines() -> None:
    text = agreement("name: Second name\n")
    assert only_problem(text) == (5, "name", "duplicate key 'name' (the first is on line 1)")


def test_duplicate_yaml_key_inside_a_rule() -> None:
    text = agreement("""\
        fit:
          - id: big
            if: {trait: employees, gte: 300}
            points: 10
            points: 20
        """)
    assert only_problem(text) == (9, "fit[0].points", "duplicate key 'points' (the first is on line 8)")


# --- operators and values -----------------------------------------------------------------


def test_unknown_operator() -> None:
    line, path, message = only_problem(
        agreement("fit:\n  - {id: a, if: {trait: employees, between: [1, 9]}, points: 1}\n")
    )
    assert (line, path) == (6, "fit[0].if.between")
    assert (
        message == "unknown operator 'between'; expected one of eq, ne, in, not_in, gte, gt, lte, lt, exists, contains"
    )


@pytest.mark.parametrize(
    ("condition", "path", "message"),
    [
        ("{trait: industry, in: software}", "fit[0].if.in", "expected a non-empty list, found string 'software'"),
        ("{trait: industry, not_in: []}", "fit[0].if.not_in", "expected a non-empty list, found a list"),
        ("{trait: employees, gte: '300'}", "fit[0].if.gte", "expected a number, found string '300'"),
        ("{trait: title, exists: yes please}", "fit[0].if.exists", "expected true or false, found string 'yes please'"),
        ("{trait: industry, eq: [a, b]}", "fit[0].if.eq", "expected a single value, found a list"),
        (
            "{trait: employees}",
            "fit[0].if",
            "a trait condition takes exactly one operator "
            "(eq, ne, in, not_in, gte, gt, lte, lt, exists, contains), found 0",
        ),
    ],
)
def test_operator_values_are_checked(condition: str, path: str, message: str) -> None:
    assert only_problem(agreement(f"fit:\n  - {{id: a, if: {condition}, points: 1}}\n")) == (6, path, message)


def test_combinator_must_stand_alone_and_hold_a_list() -> None:
    text = agreement("""\
        fit:
          - {id: a, if: {all: [{trait: x, eq: 1}], trait: y}, points: 1}
          - {id: b, if: {any: {trait: x, eq: 1}}, points: 1}
        """)
    assert problems(text) == [
        (6, "fit[0].if", "'all' must stand alone in its mapping; found also trait"),
        (7, "fit[1].if.any", "expected a non-empty list of conditions, found an object"),
    ]


def test_nested_condition_problem_has_the_full_path() -> None:
    text = agreement("""\
        exclusions:
          - id: competitor
            if:
              any:
                - {trait: email_domain, eq: rival.example}
                - not: {trait: company.industry, in: consulting}
        """)
    assert only_problem(text) == (
        10,
        "exclusions[0].if.any[1].not.in",
        "expected a non-empty list, found string 'consulting'",
    )


# --- decay --------------------------------------------------------------------------------


def test_decay_with_both_kinds() -> None:
    text = agreement("decay: {after_days: 90, factor: 0.5, half_life_days: 30}\n")
    assert only_problem(text) == (5, "decay", "use either {after_days, factor} or {half_life_days}, not both")


def test_decay_with_half_of_the_step_form() -> None:
    text = agreement("decay: {after_days: 90}\n")
    assert only_problem(text) == (5, "decay", "expected {after_days: D, factor: F} or {half_life_days: H}")


@pytest.mark.parametrize("factor", ["1.5", "-0.1"])
def test_decay_factor_out_of_range(factor: str) -> None:
    text = agreement(f"decay:\n  after_days: 90\n  factor: {factor}\n")
    assert only_problem(text) == (7, "decay.factor", f"expected a number between 0 and 1, found {float(factor)!r}")


def test_decay_half_life_must_be_positive() -> None:
    text = agreement("decay: {half_life_days: 0}\n")
    assert only_problem(text) == (5, "decay.half_life_days", "expected a number greater than 0, found 0")


def test_half_life_decay_is_parsed() -> None:
    assert load_agreement_text(agreement("decay: {half_life_days: 30}\n")).decay == Decay(half_life_days=30)


# --- time zone and calendar ---------------------------------------------------------------


def test_bad_timezone() -> None:
    text = agreement("timezone: Asia/Tokio\n")
    assert only_problem(text) == (5, "timezone", "unknown IANA time zone 'Asia/Tokio' (e.g. Asia/Tokyo)")


def test_bad_calendar_code() -> None:
    text = agreement("business_calendar: XX\n")
    assert only_problem(text) == (
        5,
        "business_calendar",
        "unknown country code 'XX' (ISO 3166, e.g. JP, US, DE; or none)",
    )


@pytest.mark.parametrize(("value", "expected"), [("none", None), ("null", None), ("jp", "JP"), ("US", "US")])
def test_calendar_none_and_case_insensitive_codes(value: str, expected: str | None) -> None:
    assert load_agreement_text(agreement(f"business_calendar: {value}\n")).business_calendar == expected


def test_company_holidays_are_dates() -> None:
    text = agreement("company_holidays: [2026-12-29, '2026-12-30', 'end of year']\n")
    assert only_problem(text) == (5, "company_holidays[2]", "expected a date YYYY-MM-DD, found string 'end of year'")


# --- SLAs ---------------------------------------------------------------------------------


def test_sla_with_unknown_starts_stops_and_owner_reports_each() -> None:
    text = agreement("""\
        sla:
          - id: handoff
            starts: mqll
            stops: [assign, asign]
            within: {hours: 24}
            owner: sales
        """)
    found = problems(text)
    assert [(line, path) for line, path, _ in found] == [
        (7, "sla[0].starts"),
        (8, "sla[0].stops[1]"),
        (10, "sla[0].owner"),
    ]
    assert found[0][2].startswith("expected one of mal, mql, sal, sql, opportunity, customer, disqualified, assign,")
    assert found[0][2].endswith("found string 'mqll'")
    assert found[2][2] == "expected one of marketing, inside_sales, field_sales, found string 'sales'"


@pytest.mark.parametrize("starts", ["lead", "create_sgl"])
def test_sla_cannot_start_before_the_lead_exists(starts: str) -> None:
    text = agreement(f"sla:\n  - {{id: s, starts: {starts}, stops: assign, within: {{hours: 1}}, owner: marketing}}\n")
    line, path, message = only_problem(text)
    assert (line, path) == (6, "sla[0].starts")
    assert message.endswith(f"found string {starts!r}")


def test_sla_stops_may_be_a_single_name() -> None:
    text = agreement("sla:\n  - {id: s, starts: mql, stops: accept, within: {minutes: 30}, owner: marketing}\n")
    sla = load_agreement_text(text).sla[0]
    assert (sla.stops, sla.within) == (("accept",), Within("minutes", 30))


@pytest.mark.parametrize(
    ("within", "path", "message"),
    [
        (
            "{hours: 24, business_days: 1}",
            "sla[0].within",
            "expected exactly one of minutes, hours, days, business_days, found 2",
        ),
        ("{}", "sla[0].within", "expected exactly one of minutes, hours, days, business_days, found 0"),
        ("{hours: 0}", "sla[0].within.hours", "expected a whole number of at least 1, found 0"),
        ("{days: 1.5}", "sla[0].within.days", "expected a whole number, found number 1.5"),
        ("24h", "sla[0].within", "expected a mapping, found string '24h'"),
    ],
)
def test_sla_within_takes_exactly_one_whole_unit(within: str, path: str, message: str) -> None:
    text = agreement(f"sla:\n  - {{id: s, starts: mql, stops: assign, within: {within}, owner: marketing}}\n")
    assert only_problem(text) == (6, path, message)


# --- which conditions go where ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ("fit:\n  - {id: a, if: {type: page, path: /}, points: 1}\n", "fit[0].if"),
        ("exclusions:\n  - {id: a, if: {event: Unsubscribed}}\n", "exclusions[0].if"),
        ("assignment:\n  - {if: {path_prefix: /enterprise}, team: t, members: [m]}\n", "assignment[0].if"),
    ],
)
def test_event_condition_outside_engagement(body: str, path: str) -> None:
    assert only_problem(agreement(body)) == (
        6,
        path,
        "event conditions are only allowed in engagement rules; here use trait conditions",
    )


def test_event_condition_in_stage_criteria() -> None:
    text = 'name: T\nversion: "1"\nstages:\n  mql: {when: {type: track, event: Demo Requested}}\n'
    assert only_problem(text) == (
        4,
        "stages.mql.when",
        "event conditions are only allowed in engagement rules; here use trait conditions and stage criteria",
    )


@pytest.mark.parametrize(
    ("condition", "path"),
    [
        ("{trait: industry, eq: software}", "engagement[0].if"),
        ("{all: [{type: page}, {trait: industry, eq: software}]}", "engagement[0].if.all[1]"),
    ],
)
def test_trait_condition_in_engagement(condition: str, path: str) -> None:
    text = agreement(f"engagement:\n  - {{id: a, if: {condition}, points: 1}}\n")
    assert only_problem(text) == (
        6,
        path,
        "engagement rules take event conditions (type, event, path, path_prefix, property), not trait conditions",
    )


def test_stage_criteria_outside_stages() -> None:
    text = agreement("fit:\n  - {id: a, if: {score_gte: 10}, points: 1}\n")
    assert only_problem(text) == (6, "fit[0].if", "score_gte may only be used in stage criteria")


def test_event_fields_that_can_never_match_together() -> None:
    text = agreement("""\
        engagement:
          - {id: a, if: {type: track, path: /pricing}, points: 1}
          - {id: b, if: {type: page, event: Demo Requested}, points: 1}
        """)
    assert problems(text) == [
        (6, "engagement[0].if", "path and path_prefix apply to page events, not track events"),
        (7, "engagement[1].if", "event names apply to track events, not page events"),
    ]


def test_stage_criteria_values() -> None:
    text = 'name: T\nversion: "1"\nstages:\n  mql: {when: {score_gte: fifty}}\n  sql: {when: {bant_gte: 6}}\n'
    assert problems(text) == [
        (4, "stages.mql.when.score_gte", "expected a number, found string 'fifty'"),
        (5, "stages.sql.when.bant_gte", "there are only 5 BANT(C) items, found 6"),
    ]


def test_stage_criteria_parse_into_the_condition_tree() -> None:
    text = (
        'name: T\nversion: "1"\nstages:\n'
        "  mql: {when: {all: [{fit_gte: 20}, {not: {trait: country, ne: JP}}]}}\n"
        "  sql: {when: {any: [{bant_gte: 2}, {event_in: [Demo Requested]}]}}\n"
        "engagement:\n  - {id: a, if: {type: track, event: X, property: {plan: {eq: pro}}}, points: 1}\n"
    )
    parsed = load_agreement_text(text)
    assert parsed.stages.mql == AllOf((ScoreGte("fit", 20), Not(TraitCond("country", "ne", "JP"))))
    assert parsed.stages.sql is not None and BantGte(2) in parsed.stages.sql.items  # type: ignore[union-attr]
    assert EventIn(("Demo Requested",)) in parsed.stages.sql.items  # type: ignore[union-attr]
    condition = parsed.engagement[0].condition
    assert isinstance(condition, EventCond) and condition.properties[0].op == "eq"


# --- YAML itself --------------------------------------------------------------------------


def test_invalid_yaml_syntax_gives_the_line() -> None:
    text = agreement("fit:\n  - {id: a, if: {trait: x, eq: 1}, points: 1\nengagement: []\n")
    ((line, path, message),) = problems(text)
    assert (line, path) == (7, "")
    assert message.startswith("invalid YAML: ")


def test_tab_indentation_is_a_syntax_error_on_its_line() -> None:
    ((line, path, message),) = problems('name: T\n\tversion: "1"\n')
    assert (line, path) == (2, "")
    assert "'\\t'" in message


def test_empty_file_and_non_mapping_file() -> None:
    assert problems("") == [(None, "", "the file is empty; expected an agreement mapping")]
    assert problems("- a\n- b\n") == [(1, "", "expected a mapping, found a list")]


def test_problem_renders_as_file_line_path_message() -> None:
    with pytest.raises(AgreementError) as info:
        load_agreement_text(agreement("fit:\n  - {id: a, if: {trait: x, eq: 1}, points: ten}\n"), "team/agreement.yaml")
    assert str(info.value) == "team/agreement.yaml:6: fit[0].points: expected a number, found string 'ten'"


def test_unreadable_file_is_an_agreement_error(tmp_path: Path) -> None:
    with pytest.raises(AgreementError) as info:
        load_agreement(tmp_path / "missing.yaml")
    assert info.value.problems[0].message.startswith("cannot read the file:")


# --- all at once --------------------------------------------------------------------------


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    text = """\
name: Many mistakes
version: 3
timezone: Mars/Olympus
business_calendar: XX
fit:
  - {id: a, if: {trait: employees, gte: many}, points: 1}
engagement:
  - {id: b, if: {trait: industry, eq: x}, points: 2}
  - {id: c, if: {type: page}, points: three}
decay: {half_life_days: -1}
exclusions:
  - {id: d, if: {trait: job_level, in: student}}
stages:
  mql: {when: {bant_gte: 0}}
assignment:
  - {team: t, members: []}
sla:
  - {id: e, starts: mql, stops: [assign], within: {hours: 1, days: 1}, owner: nobody}
recycle: {reset_engagement: sometimes}
unknown_section: 1
"""
    found = problems(text)
    assert sorted((line or 0, path) for line, path, _ in found) == [
        (2, "version"),
        (3, "timezone"),
        (4, "business_calendar"),
        (6, "fit[0].if.gte"),
        (8, "engagement[0].if"),
        (9, "engagement[1].points"),
        (10, "decay.half_life_days"),
        (12, "exclusions[0].if.in"),
        (14, "stages.mql.when.bant_gte"),
        (16, "assignment[0].members"),
        (18, "sla[0].owner"),
        (18, "sla[0].within"),
        (19, "recycle.reset_engagement"),
        (20, "unknown_section"),
    ]


# --- regressions: YAML that parses but cannot be built must be a problem, never a crash ------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("approved_by: &a [*a]\n", "recursive alias"),
        ("? [a, b]\n: 1\n", "a key must be a plain name"),
        ("base: &b {x: 1}\nrecycle: {<<: *b}\n", "merge keys (<<) are not supported"),
        ("description: !foo bar\n", "invalid value"),
    ],
)
def test_unbuildable_yaml_is_reported_not_raised(text: str, expected: str) -> None:
    with pytest.raises(AgreementError) as caught:
        load_agreement_text(agreement(text), "a.yaml")
    assert expected in str(caught.value)


def test_impossible_unquoted_date_is_a_problem_not_a_crash() -> None:
    ((line, path, _),) = problems(agreement("company_holidays: [2026-02-30]\n"))
    assert (line, path) == (5, "company_holidays[0]")


def test_duplicate_id_after_a_broken_rule_points_at_its_own_line() -> None:
    text = agreement("""\
        fit:
          - {id: a, if: {trait: x, eq: 1}, points: 1}
        engagement:
          - {id: b, if: {type: page}, points: x}
          - {id: a, if: {type: page}, points: 1}
        """)
    assert (9, "engagement[1].id", "duplicate rule id 'a' (already used at fit[0])") in problems(text)


def test_keys_equal_in_value_but_spelled_differently_are_duplicates() -> None:
    found = problems(agreement("fit:\n  - {id: a, if: {trait: x, eq: 1}, points: 1, 1: x, 1.0: y}\n"))
    assert any("duplicate key" in message for _, _, message in found)


def test_infinite_points_are_refused() -> None:
    assert only_problem(agreement("fit:\n  - {id: a, if: {trait: x, eq: 1}, points: .inf}\n"))[1] == "fit[0].points"
