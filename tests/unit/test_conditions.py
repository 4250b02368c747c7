"""SPEC §4.1 conditions: every trait operator, missing traits, company fallback, event conditions,
combinators. Conditions are written as agreement snippets and validated by ``parse_agreement``,
so each test also pins that the YAML form means what the spec says."""

from __future__ import annotations

from typing import Any

import pytest
from factories import group, identify, lead, make_agreement, messages, page, track

from leadpact.domain.conditions import compile_event, compile_traits

MISSING = object()


def trait_holds(cond: dict[str, Any], traits: dict[str, Any], company: dict[str, Any] | None = None) -> bool:
    agreement = make_agreement(fit=[{"id": "probe", "if": cond, "points": 1}])
    return compile_traits(agreement.fit[0].condition)(traits, company or {})


def event_matches(cond: dict[str, Any], message: dict[str, Any]) -> bool:
    agreement = make_agreement(engagement=[{"id": "probe", "if": cond, "points": 1}])
    (parsed,) = messages(message)
    return compile_event(agreement.engagement[0].condition)(parsed)


def _traits(value: Any) -> dict[str, Any]:
    return {} if value is MISSING else {"x": value}


# (operator, operand, trait value, expected)
TRAIT_CASES = [
    ("eq", "software", "software", True),
    ("eq", "software", "Software", False),  # exact, case-sensitive
    ("eq", "software", MISSING, False),
    ("eq", 300, 300, True),
    ("ne", "software", "software", False),
    ("ne", "software", "retail", True),
    ("ne", "software", MISSING, True),  # a missing trait is "not equal"
    ("in", ["software", "it_services"], "it_services", True),
    ("in", ["software", "it_services"], "retail", False),
    ("in", ["software", "it_services"], MISSING, False),
    ("not_in", ["software", "it_services"], "software", False),
    ("not_in", ["software", "it_services"], "retail", True),
    ("not_in", ["software", "it_services"], MISSING, True),
    ("gte", 300, 300, True),
    ("gte", 300, 299, False),
    ("gte", 300, 299.5, False),
    ("gte", 300, "1,200", True),  # numeric strings are read as numbers
    ("gte", 300, "300", True),
    ("gte", 300, "299", False),
    ("gte", 300, "many", False),  # not a number: false
    ("gte", 1, True, False),  # a boolean is not a number
    ("gte", 300, MISSING, False),
    ("gt", 300, 300, False),
    ("gt", 300, 301, True),
    ("gt", 300, "301", True),
    ("gt", 300, MISSING, False),
    ("lte", 300, 300, True),
    ("lte", 300, 301, False),
    ("lte", 300, "12", True),
    ("lte", 300, MISSING, False),
    ("lt", 300, 299, True),
    ("lt", 300, 300, False),
    ("lt", 300, "299.5", True),
    ("lt", 300, "n/a", False),
    ("lt", 300, MISSING, False),
    ("exists", True, "anything", True),
    ("exists", True, 0, True),
    ("exists", True, MISSING, False),
    ("exists", False, "anything", False),
    ("exists", False, MISSING, True),
    ("contains", "sales", "inside sales", True),  # substring of a string trait
    ("contains", "sales", "marketing", False),
    ("contains", "sales", ["sales", "ops"], True),  # member of a list trait
    ("contains", "sales", ["inside sales", "ops"], False),  # membership, not substring of a member
    ("contains", "sales", MISSING, False),
]


@pytest.mark.parametrize(("op", "operand", "value", "expected"), TRAIT_CASES)
def test_trait_operator_applies_to_the_lead_trait(op: str, operand: Any, value: Any, expected: bool) -> None:
    assert trait_holds({"trait": "x", op: operand}, _traits(value)) is expected


@pytest.mark.parametrize(
    ("op", "operand", "expected"),
    [
        ("eq", "a", False),
        ("ne", "a", True),
        ("in", ["a"], False),
        ("not_in", ["a"], True),
        ("gte", 0, False),
        ("gt", 0, False),
        ("lte", 0, False),
        ("lt", 0, False),
        ("exists", True, False),
        ("exists", False, True),
        ("contains", "a", False),
    ],
)
def test_null_trait_counts_as_missing(op: str, operand: Any, expected: bool) -> None:
    assert trait_holds({"trait": "x", op: operand}, {"x": None}) is expected


def test_plain_trait_name_uses_the_company_trait_when_the_lead_has_none() -> None:
    cond = {"trait": "industry", "eq": "software"}
    assert trait_holds(cond, {}, {"industry": "software"}) is True


def test_plain_trait_name_prefers_the_lead_own_trait_over_the_company() -> None:
    cond = {"trait": "industry", "eq": "software"}
    assert trait_holds(cond, {"industry": "retail"}, {"industry": "software"}) is False
    assert trait_holds(cond, {"industry": "software"}, {"industry": "retail"}) is True


def test_company_prefixed_trait_reads_only_the_company() -> None:
    cond = {"trait": "company.industry", "eq": "software"}
    assert trait_holds(cond, {"industry": "software"}, {}) is False
    assert trait_holds(cond, {"industry": "retail"}, {"industry": "software"}) is True


def test_trait_missing_on_lead_and_company_is_missing() -> None:
    assert trait_holds({"trait": "industry", "exists": False}, {}, {}) is True
    assert trait_holds({"trait": "company.industry", "ne": "software"}, {}, {}) is True


def test_company_fallback_decides_fit_in_a_replay() -> None:
    # The group message gives the company 1,200 employees: large_company (10) applies to the lead.
    result = lead(
        identify(traits={"job_level": "staff"}),
        group("acme", at="2026-01-05T10:01:00+09:00", traits={"employees": "1,200", "industry": "software"}),
        as_of="2026-01-06T00:00:00+09:00",
    )
    # staff 5 + target_industry 10 (company's industry) + large_company 10 (company's "1,200")
    assert result.fit == 25
    assert [r.rule for r in result.reasons if r.kind == "fit"] == ["staff", "target_industry", "large_company"]


# --- combinators ------------------------------------------------------------------------------

NESTED_TRAITS = {
    "any": [
        {"all": [{"trait": "job_level", "eq": "director"}, {"trait": "employees", "gte": 1000}]},
        {"not": {"trait": "country", "in": ["JP", "US"]}},
    ]
}


@pytest.mark.parametrize(
    ("traits", "expected"),
    [
        ({"job_level": "director", "employees": 1000, "country": "JP"}, True),  # the all: branch
        ({"job_level": "director", "employees": 999, "country": "JP"}, False),  # all: needs both
        ({"job_level": "staff", "employees": 5000, "country": "US"}, False),
        ({"job_level": "staff", "employees": 10, "country": "DE"}, True),  # the not: branch
        ({"job_level": "staff"}, True),  # missing country: in is false, so not(in) is true
    ],
)
def test_nested_trait_combinators(traits: dict[str, Any], expected: bool) -> None:
    assert trait_holds(NESTED_TRAITS, traits) is expected


def test_all_requires_every_item_and_any_requires_one() -> None:
    a = {"trait": "a", "eq": 1}
    b = {"trait": "b", "eq": 1}
    assert trait_holds({"all": [a, b]}, {"a": 1, "b": 1}) is True
    assert trait_holds({"all": [a, b]}, {"a": 1, "b": 2}) is False
    assert trait_holds({"any": [a, b]}, {"a": 2, "b": 1}) is True
    assert trait_holds({"any": [a, b]}, {"a": 2, "b": 2}) is False
    assert trait_holds({"not": {"not": a}}, {"a": 1}) is True


# --- event conditions -------------------------------------------------------------------------


def test_type_condition_matches_only_that_message_type() -> None:
    assert event_matches({"type": "page"}, page("/anything")) is True
    assert event_matches({"type": "page"}, track("Email Opened")) is False
    assert event_matches({"type": "track"}, track("Email Opened")) is True
    assert event_matches({"type": "track"}, page("/")) is False


def test_event_condition_matches_the_exact_event_name() -> None:
    cond = {"type": "track", "event": "Webinar Attended"}
    assert event_matches(cond, track("Webinar Attended")) is True
    assert event_matches(cond, track("Webinar Registered")) is False
    assert event_matches(cond, track("webinar attended")) is False


def test_path_condition_is_exact() -> None:
    cond = {"type": "page", "path": "/pricing"}
    assert event_matches(cond, page("/pricing")) is True
    assert event_matches(cond, page("/pricing/enterprise")) is False
    assert event_matches(cond, page("/")) is False


def test_path_prefix_matches_the_start_of_the_path() -> None:
    cond = {"type": "page", "path_prefix": "/products"}
    assert event_matches(cond, page("/products")) is True
    assert event_matches(cond, page("/products/crm")) is True
    assert event_matches(cond, page("/product")) is False
    assert event_matches(cond, page("/blog/products")) is False


def test_path_condition_uses_the_path_of_a_url() -> None:
    msg = page("/ignored")
    msg["properties"] = {"url": "https://www.example.co.jp/pricing?plan=pro#top"}
    assert event_matches({"type": "page", "path": "/pricing"}, msg) is True


# (operator, operand, property value, expected)
PROPERTY_CASES = [
    ("eq", "enterprise", "enterprise", True),
    ("eq", "enterprise", "pro", False),
    ("eq", "enterprise", MISSING, False),
    ("ne", "enterprise", "pro", True),
    ("ne", "enterprise", "enterprise", False),
    ("ne", "enterprise", MISSING, True),
    ("in", ["pro", "enterprise"], "pro", True),
    ("in", ["pro", "enterprise"], "free", False),
    ("in", ["pro", "enterprise"], MISSING, False),
    ("not_in", ["pro", "enterprise"], "free", True),
    ("not_in", ["pro", "enterprise"], "pro", False),
    ("not_in", ["pro", "enterprise"], MISSING, True),
    ("gte", 60, 60, True),
    ("gte", 60, 59, False),
    ("gte", 60, "75", True),
    ("gte", 60, MISSING, False),
    ("gt", 60, 60, False),
    ("gt", 60, 61, True),
    ("lte", 60, 60, True),
    ("lte", 60, 61, False),
    ("lt", 60, 59, True),
    ("lt", 60, 60, False),
    ("exists", True, "x", True),
    ("exists", True, MISSING, False),
    ("exists", False, MISSING, True),
    ("exists", False, "x", False),
    ("contains", "crm", "crm-webinar-2026", True),
    ("contains", "crm", ["crm", "sfa"], True),
    ("contains", "crm", ["sfa"], False),
    ("contains", "crm", MISSING, False),
]


@pytest.mark.parametrize(("op", "operand", "value", "expected"), PROPERTY_CASES)
def test_property_condition_applies_each_operator(op: str, operand: Any, value: Any, expected: bool) -> None:
    props = {} if value is MISSING else {"p": value}
    cond = {"type": "track", "event": "Webinar Attended", "property": {"p": {op: operand}}}
    assert event_matches(cond, track("Webinar Attended", properties=props)) is expected


def test_event_condition_fields_are_a_conjunction() -> None:
    cond = {"type": "track", "event": "Webinar Attended", "property": {"minutes": {"gte": 30}}}
    assert event_matches(cond, track("Webinar Attended", properties={"minutes": 45})) is True
    assert event_matches(cond, track("Webinar Attended", properties={"minutes": 5})) is False
    assert event_matches(cond, track("Webinar Registered", properties={"minutes": 45})) is False


def test_nested_event_combinators() -> None:
    cond = {
        "all": [
            {"type": "track"},
            {"any": [{"event": "Quote Requested"}, {"event": "Demo Requested"}]},
            {"not": {"property": {"source": {"eq": "internal"}}}},
        ]
    }
    assert event_matches(cond, track("Demo Requested")) is True
    assert event_matches(cond, track("Quote Requested", properties={"source": "web"})) is True
    assert event_matches(cond, track("Demo Requested", properties={"source": "internal"})) is False
    assert event_matches(cond, track("Trial Started")) is False
    assert event_matches(cond, page("/demo")) is False


def test_engagement_rule_with_property_condition_scores_only_matching_events() -> None:
    agreement = make_agreement(
        engagement=[
            {
                "id": "long_webinar",
                "if": {"type": "track", "event": "Webinar Attended", "property": {"minutes": {"gte": 30}}},
                "points": 20,
            }
        ],
        decay=None,
    )
    result = lead(
        identify(traits={}),
        track("Webinar Attended", at="2026-01-05T11:00:00+09:00", properties={"minutes": 45}),
        track("Webinar Attended", at="2026-01-05T12:00:00+09:00", properties={"minutes": 10}),
        track("Webinar Attended", at="2026-01-05T13:00:00+09:00"),
        as_of="2026-01-06T00:00:00+09:00",
        agreement=agreement,
    )
    assert result.engagement == 20
    assert [(r.rule, r.count) for r in result.reasons] == [("long_webinar", 1)]


# --- the compiled operators answer exactly as the reference apply_op ---------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from leadpact.domain.conditions import _MISSING, apply_op, compile_op  # noqa: E402

_VALUES = st.one_of(
    st.none(),
    st.just(_MISSING),
    st.booleans(),
    st.integers(-2000, 2000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["a", "b", "300", "1,200", "x y", ""]),
    st.lists(st.sampled_from(["a", "b", 1]), max_size=3),
)


@settings(max_examples=400, derandomize=True)
@given(
    op=st.sampled_from(["eq", "ne", "in", "not_in", "gte", "gt", "lte", "lt", "exists", "contains"]),
    found=_VALUES,
    scalar=st.one_of(st.integers(-2000, 2000), st.sampled_from(["a", "b", "300"]), st.booleans()),
    members=st.lists(st.one_of(st.integers(-5, 5), st.sampled_from(["a", "b", "300"])), min_size=1, max_size=4),
)
def test_compiled_operator_agrees_with_reference(op: str, found: object, scalar: object, members: list[object]) -> None:
    if op in ("in", "not_in"):
        expected: object = tuple(members)
    elif op in ("gte", "gt", "lte", "lt"):
        expected = scalar if isinstance(scalar, int) and not isinstance(scalar, bool) else 300
    elif op == "exists":
        expected = bool(scalar)
    else:
        expected = scalar
    assert compile_op(op, expected)(found) == apply_op(op, found, expected)
