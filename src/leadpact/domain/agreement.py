"""The agreement (SPEC §4): a typed, validated model of the YAML both departments sign.

The parser takes plain data (what a YAML reader produced) plus, optionally, a map from field
paths to source line numbers, and either returns an :class:`Agreement` or raises
:class:`AgreementError` listing *every* problem with its path (``engagement[3].points``), what
was expected and what was found. Unknown keys are errors: a typo must never silently disable a
rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadpact.domain.conditions import (
    SCORE_KINDS,
    TRAIT_OPS,
    AllOf,
    AnyOf,
    BantGte,
    Condition,
    EventCond,
    EventIn,
    Not,
    PropertyTest,
    ScoreGte,
    TraitCond,
)
from leadpact.domain.messages import ACTIONS, describe

STAGES: Final = ("lead", "mal", "mql", "sal", "sql", "opportunity", "customer", "disqualified")
DEPARTMENTS: Final = ("marketing", "inside_sales", "field_sales")
WITHIN_UNITS: Final = ("minutes", "hours", "days", "business_days")
EVENT_TYPES: Final = ("page", "track")
_EVENT_KEYS: Final = ("type", "event", "path", "path_prefix", "property")
_CRITERIA_KEYS: Final = ("score_gte", "fit_gte", "engagement_gte", "bant_gte", "event_in")


@dataclass(frozen=True, slots=True)
class FitRule:
    id: str
    condition: Condition
    points: float


@dataclass(frozen=True, slots=True)
class EngagementRule:
    id: str
    condition: Condition
    points: float
    max_count: int | None = None


@dataclass(frozen=True, slots=True)
class Decay:
    """Step decay (``after_days``/``factor``) or exponential (``half_life_days``)."""

    after_days: float | None = None
    factor: float | None = None
    half_life_days: float | None = None

    @property
    def is_step(self) -> bool:
        return self.after_days is not None


@dataclass(frozen=True, slots=True)
class Exclusion:
    id: str
    condition: Condition


@dataclass(frozen=True, slots=True)
class Stages:
    mql: Condition
    sql: Condition | None = None
    hot: Condition | None = None


@dataclass(frozen=True, slots=True)
class AssignmentRule:
    team: str
    members: tuple[str, ...]
    condition: Condition | None = None


@dataclass(frozen=True, slots=True)
class Within:
    unit: str
    amount: int


@dataclass(frozen=True, slots=True)
class SlaRule:
    id: str
    starts: str
    stops: tuple[str, ...]
    within: Within
    owner: str


@dataclass(frozen=True, slots=True)
class Recycle:
    reset_engagement: bool = True


@dataclass(frozen=True, slots=True)
class Agreement:
    name: str
    version: str
    stages: Stages
    timezone: str = "Asia/Tokyo"
    business_calendar: str | None = "JP"
    company_holidays: tuple[date, ...] = ()
    approved_by: tuple[str, ...] = ()
    description: str | None = None
    fit: tuple[FitRule, ...] = ()
    engagement: tuple[EngagementRule, ...] = ()
    decay: Decay | None = None
    exclusions: tuple[Exclusion, ...] = ()
    assignment: tuple[AssignmentRule, ...] = ()
    sla: tuple[SlaRule, ...] = ()
    recycle: Recycle = field(default_factory=Recycle)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    message: str
    line: int | None = None

    def render(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line else source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class AgreementError(ValueError):
    """The agreement is invalid; ``problems`` lists every problem found."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        # Reported in file order (problems without a line first), like a compiler would.
        self.problems = sorted(problems, key=lambda p: p.line or 0)
        super().__init__("\n".join(p.render(source) for p in self.problems))


class Reader:
    """Walks plain data, collecting problems with their paths instead of stopping at the first."""

    def __init__(self, lines: Mapping[str, int]) -> None:
        self.problems: list[Problem] = []
        self.rule_ids: list[tuple[str, str]] = []
        self._lines = lines

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message, self._line(path)))

    def _line(self, path: str) -> int | None:
        probe = path
        while probe:
            if probe in self._lines:
                return self._lines[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        return self._lines.get("")

    def mapping(
        self, value: Any, path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(path, f"expected a mapping, found {describe(value)}")
            return None
        for key in value:
            if key not in allowed:
                self.problem(join_path(path, str(key)), f"unknown key {key!r}; expected one of {', '.join(allowed)}")
        for key in required:
            if key not in value:
                self.problem(join_path(path, key), "required key is missing")
        return value

    def sequence(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, f"expected a list, found {describe(value)}")
            return []
        return value

    def text(self, value: Any, path: str) -> str | None:
        if isinstance(value, str) and value.strip():
            return value
        # YAML reads 2026.1 as a number and NO (Norway) as false: quoting fixes both.
        hint = " (quote it)" if isinstance(value, int | float) else ""
        self.problem(path, f"expected a non-empty string, found {describe(value)}{hint}")
        return None

    def number(self, value: Any, path: str, *, positive: bool = False) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(path, f"expected a number, found {describe(value)}")
            return None
        if not math.isfinite(value):
            self.problem(path, f"expected a finite number, found {value!r}")
            return None
        if positive and value <= 0:
            self.problem(path, f"expected a number greater than 0, found {value!r}")
            return None
        return float(value)

    def integer(self, value: Any, path: str, *, minimum: int = 1) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(path, f"expected a whole number, found {describe(value)}")
            return None
        if value < minimum:
            self.problem(path, f"expected a whole number of at least {minimum}, found {value}")
            return None
        return value

    def choice(self, value: Any, path: str, options: tuple[str, ...]) -> str | None:
        if isinstance(value, str) and value in options:
            return value
        self.problem(path, f"expected one of {', '.join(options)}, found {describe(value)}")
        return None


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --- conditions -----------------------------------------------------------------------------

_CONTEXT_KINDS: Final = {
    "trait": "trait conditions",
    "event": "event conditions",
    "criteria": "trait conditions and stage criteria",
}


def parse_condition(r: Reader, value: Any, path: str, context: str) -> Condition | None:
    """Parse one condition. ``context`` is ``trait``, ``event`` or ``criteria``."""
    if not isinstance(value, dict) or not value:
        r.problem(path, f"expected a condition mapping, found {describe(value)}")
        return None
    keys = set(value)
    for combinator in ("all", "any"):
        if combinator in keys:
            if len(keys) > 1:
                r.problem(
                    path,
                    f"'{combinator}' must stand alone in its mapping; "
                    f"found also {', '.join(sorted(keys - {combinator}))}",
                )
                return None
            items_raw = value[combinator]
            if not isinstance(items_raw, list) or not items_raw:
                r.problem(
                    join_path(path, combinator), f"expected a non-empty list of conditions, found {describe(items_raw)}"
                )
                return None
            items = [parse_condition(r, item, f"{path}.{combinator}[{i}]", context) for i, item in enumerate(items_raw)]
            if any(item is None for item in items):
                return None
            parsed = tuple(item for item in items if item is not None)
            return AllOf(parsed) if combinator == "all" else AnyOf(parsed)
    if "not" in keys:
        if len(keys) > 1:
            r.problem(path, f"'not' must stand alone in its mapping; found also {', '.join(sorted(keys - {'not'}))}")
            return None
        inner = parse_condition(r, value["not"], join_path(path, "not"), context)
        return Not(inner) if inner is not None else None
    if "trait" in keys:
        if context == "event":
            r.problem(
                path,
                "engagement rules take event conditions (type, event, path, path_prefix, property), "
                "not trait conditions",
            )
            return None
        return _trait_condition(r, value, path)
    if keys & set(_CRITERIA_KEYS):
        if context != "criteria":
            r.problem(path, f"{', '.join(sorted(keys & set(_CRITERIA_KEYS)))} may only be used in stage criteria")
            return None
        return _criteria_condition(r, value, path)
    if keys & set(_EVENT_KEYS):
        if context != "event":
            r.problem(
                path, f"event conditions are only allowed in engagement rules; here use {_CONTEXT_KINDS[context]}"
            )
            return None
        return _event_condition(r, value, path)
    r.problem(
        path,
        f"not a condition: unknown key(s) {', '.join(sorted(map(str, keys)))}; "
        f"expected trait, {', '.join(_EVENT_KEYS)}, {', '.join(_CRITERIA_KEYS)}, all, any or not",
    )
    return None


def _op_value(r: Reader, op: str, expected: Any, path: str) -> bool:
    if op in ("in", "not_in"):
        if not isinstance(expected, list) or not expected:
            r.problem(path, f"expected a non-empty list, found {describe(expected)}")
            return False
    elif op in ("gte", "gt", "lte", "lt"):
        if isinstance(expected, bool) or not isinstance(expected, int | float):
            r.problem(path, f"expected a number, found {describe(expected)}")
            return False
        if not math.isfinite(expected):
            r.problem(path, f"expected a finite number, found {expected!r}")
            return False
    elif op == "exists":
        if not isinstance(expected, bool):
            r.problem(path, f"expected true or false, found {describe(expected)}")
            return False
    elif isinstance(expected, list | dict):
        r.problem(path, f"expected a single value, found {describe(expected)}")
        return False
    return True


def _freeze(value: Any) -> Any:
    """Lists become tuples so that an agreement is hashable (its compiled form is cached)."""
    return tuple(value) if isinstance(value, list) else value


def _trait_condition(r: Reader, value: dict[str, Any], path: str) -> Condition | None:
    name = r.text(value["trait"], join_path(path, "trait"))
    ops = [k for k in value if k != "trait"]
    unknown = [k for k in ops if k not in TRAIT_OPS]
    for key in unknown:
        r.problem(join_path(path, str(key)), f"unknown operator {key!r}; expected one of {', '.join(TRAIT_OPS)}")
    if unknown:
        return None
    if len(ops) != 1:
        r.problem(path, f"a trait condition takes exactly one operator ({', '.join(TRAIT_OPS)}), found {len(ops)}")
        return None
    op = ops[0]
    if not _op_value(r, op, value[op], join_path(path, op)) or name is None:
        return None
    return TraitCond(name, op, _freeze(value[op]))


def _event_condition(r: Reader, value: dict[str, Any], path: str) -> Condition | None:
    ok = True
    for key in value:
        if key not in _EVENT_KEYS:
            r.problem(
                join_path(path, str(key)),
                f"unknown key {key!r} in an event condition; expected one of {', '.join(_EVENT_KEYS)}",
            )
            ok = False
    kind = value.get("type")
    if kind is not None and r.choice(kind, join_path(path, "type"), EVENT_TYPES) is None:
        ok = False
    texts: dict[str, str | None] = {}
    for key in ("event", "path", "path_prefix"):
        if key in value:
            texts[key] = r.text(value[key], join_path(path, key))
            ok = ok and texts[key] is not None
    if ("path" in value or "path_prefix" in value) and kind == "track":
        r.problem(path, "path and path_prefix apply to page events, not track events")
        ok = False
    if "event" in value and kind == "page":
        r.problem(path, "event names apply to track events, not page events")
        ok = False
    props: list[PropertyTest] = []
    if "property" in value:
        raw = value["property"]
        if not isinstance(raw, dict) or not raw:
            r.problem(join_path(path, "property"), f"expected a mapping NAME: {{op: value}}, found {describe(raw)}")
            ok = False
        else:
            for prop_name, test in raw.items():
                prop_path = f"{path}.property.{prop_name}"
                if not isinstance(test, dict) or len(test) != 1:
                    r.problem(
                        prop_path,
                        f"expected exactly one operator mapping such as {{eq: value}}, found {describe(test)}",
                    )
                    ok = False
                    continue
                ((op, expected),) = test.items()
                if op not in TRAIT_OPS:
                    r.problem(
                        join_path(prop_path, str(op)),
                        f"unknown operator {op!r}; expected one of {', '.join(TRAIT_OPS)}",
                    )
                    ok = False
                    continue
                if not _op_value(r, op, expected, join_path(prop_path, op)):
                    ok = False
                    continue
                props.append(PropertyTest(str(prop_name), op, _freeze(expected)))
    if not ok:
        return None
    return EventCond(
        type=kind,
        event=texts.get("event"),
        path=texts.get("path"),
        path_prefix=texts.get("path_prefix"),
        properties=tuple(props),
    )


def _criteria_condition(r: Reader, value: dict[str, Any], path: str) -> Condition | None:
    if len(value) != 1:
        r.problem(path, f"one criterion per mapping; combine {', '.join(sorted(map(str, value)))} with all: [...]")
        return None
    ((key, raw),) = value.items()
    if key == "bant_gte":
        count = r.integer(raw, join_path(path, key), minimum=1)
        if count is not None and count > 5:
            r.problem(join_path(path, key), f"there are only 5 BANT(C) items, found {count}")
            return None
        return BantGte(count) if count is not None else None
    if key == "event_in":
        names = r.sequence(raw, join_path(path, key))
        if not names:
            if isinstance(raw, list):
                r.problem(join_path(path, key), "expected a non-empty list of event names")
            return None
        parsed = [r.text(n, f"{path}.{key}[{i}]") for i, n in enumerate(names)]
        if any(n is None for n in parsed):
            return None
        return EventIn(tuple(n for n in parsed if n is not None))
    number = r.number(raw, join_path(path, key))
    return ScoreGte(SCORE_KINDS[_CRITERIA_KEYS.index(key)], number) if number is not None else None


# --- the agreement ----------------------------------------------------------------------------

_TOP_KEYS: Final = (
    "name",
    "version",
    "description",
    "timezone",
    "business_calendar",
    "company_holidays",
    "approved_by",
    "fit",
    "engagement",
    "decay",
    "exclusions",
    "stages",
    "assignment",
    "sla",
    "recycle",
)


def parse_agreement(
    data: Any,
    source: str = "agreement",
    lines: Mapping[str, int] | None = None,
    supported_calendars: frozenset[str] | None = None,
) -> Agreement:
    """Validate plain data as an agreement. Raises :class:`AgreementError` with every problem."""
    r = Reader(lines or {})
    top = r.mapping(data, "", _TOP_KEYS, required=("name", "version", "stages"))
    if top is None:
        raise AgreementError(source, r.problems)
    name = r.text(top["name"], "name") if "name" in top else None
    version = r.text(top["version"], "version") if "version" in top else None
    description = r.text(top["description"], "description") if "description" in top else None
    timezone = _timezone(r, top.get("timezone", "Asia/Tokyo"))
    calendar = _calendar(r, top.get("business_calendar", "JP"), supported_calendars)
    holidays = _company_holidays(r, top.get("company_holidays"))
    approved = tuple(
        t
        for i, a in enumerate(r.sequence(top.get("approved_by"), "approved_by"))
        if (t := r.text(a, f"approved_by[{i}]")) is not None
    )
    fit = _fit_rules(r, top.get("fit"))
    engagement = _engagement_rules(r, top.get("engagement"))
    decay = _decay(r, top["decay"]) if top.get("decay") is not None else None
    exclusions = _exclusions(r, top.get("exclusions"))
    stages = _stages(r, top["stages"]) if "stages" in top else None
    assignment = _assignment(r, top.get("assignment"))
    sla = _sla(r, top.get("sla"))
    recycle = _recycle(r, top["recycle"]) if top.get("recycle") is not None else Recycle()
    _check_unique_ids(r)
    if r.problems or name is None or version is None or stages is None:
        raise AgreementError(source, r.problems)
    return Agreement(
        name=name,
        version=version,
        description=description,
        timezone=timezone or "Asia/Tokyo",
        business_calendar=calendar,
        company_holidays=holidays,
        approved_by=approved,
        fit=fit,
        engagement=engagement,
        decay=decay,
        exclusions=exclusions,
        stages=stages,
        assignment=assignment,
        sla=sla,
        recycle=recycle,
    )


def _timezone(r: Reader, value: Any) -> str | None:
    name = r.text(value, "timezone")
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        r.problem("timezone", f"unknown IANA time zone {name!r} (e.g. Asia/Tokyo)")
        return None
    return name


def _calendar(r: Reader, value: Any, supported: frozenset[str] | None) -> str | None:
    if value is None or (isinstance(value, str) and value.lower() == "none"):
        return None
    code = r.text(value, "business_calendar")
    if code is None:
        return None
    code = code.upper()
    if supported is not None and code not in supported:
        r.problem("business_calendar", f"unknown country code {value!r} (ISO 3166, e.g. JP, US, DE; or none)")
        return None
    return code


def _company_holidays(r: Reader, value: Any) -> tuple[date, ...]:
    days: list[date] = []
    for i, raw in enumerate(r.sequence(value, "company_holidays")):
        path = f"company_holidays[{i}]"
        if isinstance(raw, date):
            days.append(raw)
        elif isinstance(raw, str):
            try:
                days.append(date.fromisoformat(raw))
            except ValueError:
                r.problem(path, f"expected a date YYYY-MM-DD, found {describe(raw)}")
        else:
            r.problem(path, f"expected a date YYYY-MM-DD, found {describe(raw)}")
    return tuple(sorted(set(days)))


def _rule_id(r: Reader, rule: dict[str, Any], path: str) -> str | None:
    rule_id = r.text(rule["id"], join_path(path, "id")) if "id" in rule else None
    if rule_id is not None:
        r.rule_ids.append((path, rule_id))  # checked for uniqueness even if the rule has other errors
    return rule_id


def _fit_rules(r: Reader, value: Any) -> tuple[FitRule, ...]:
    rules: list[FitRule] = []
    for i, raw in enumerate(r.sequence(value, "fit")):
        path = f"fit[{i}]"
        rule = r.mapping(raw, path, ("id", "if", "points"), required=("id", "if", "points"))
        if rule is None:
            continue
        rid = _rule_id(r, rule, path)
        cond = parse_condition(r, rule["if"], join_path(path, "if"), "trait") if "if" in rule else None
        points = r.number(rule["points"], join_path(path, "points")) if "points" in rule else None
        if rid is not None and cond is not None and points is not None:
            rules.append(FitRule(rid, cond, points))
    return tuple(rules)


def _engagement_rules(r: Reader, value: Any) -> tuple[EngagementRule, ...]:
    rules: list[EngagementRule] = []
    for i, raw in enumerate(r.sequence(value, "engagement")):
        path = f"engagement[{i}]"
        rule = r.mapping(raw, path, ("id", "if", "points", "max_count"), required=("id", "if", "points"))
        if rule is None:
            continue
        rid = _rule_id(r, rule, path)
        cond = parse_condition(r, rule["if"], join_path(path, "if"), "event") if "if" in rule else None
        points = r.number(rule["points"], join_path(path, "points")) if "points" in rule else None
        max_count = None
        if rule.get("max_count") is not None:
            max_count = r.integer(rule["max_count"], join_path(path, "max_count"), minimum=1)
            if max_count is None:
                continue
        if rid is not None and cond is not None and points is not None:
            rules.append(EngagementRule(rid, cond, points, max_count))
    return tuple(rules)


def _decay(r: Reader, value: Any) -> Decay | None:
    raw = r.mapping(value, "decay", ("after_days", "factor", "half_life_days"))
    if raw is None:
        return None
    if "half_life_days" in raw:
        if "after_days" in raw or "factor" in raw:
            r.problem("decay", "use either {after_days, factor} or {half_life_days}, not both")
            return None
        half_life = r.number(raw["half_life_days"], "decay.half_life_days", positive=True)
        return Decay(half_life_days=half_life) if half_life is not None else None
    if "after_days" not in raw or "factor" not in raw:
        r.problem("decay", "expected {after_days: D, factor: F} or {half_life_days: H}")
        return None
    after = r.number(raw["after_days"], "decay.after_days")
    if after is not None and after < 0:
        r.problem("decay.after_days", f"expected a number of days of at least 0, found {after!r}")
        after = None
    factor = r.number(raw["factor"], "decay.factor")
    if factor is not None and not 0 <= factor <= 1:
        r.problem("decay.factor", f"expected a number between 0 and 1, found {factor!r}")
        factor = None
    if after is None or factor is None:
        return None
    return Decay(after_days=after, factor=factor)


def _exclusions(r: Reader, value: Any) -> tuple[Exclusion, ...]:
    found: list[Exclusion] = []
    for i, raw in enumerate(r.sequence(value, "exclusions")):
        path = f"exclusions[{i}]"
        rule = r.mapping(raw, path, ("id", "if"), required=("id", "if"))
        if rule is None:
            continue
        rid = _rule_id(r, rule, path)
        cond = parse_condition(r, rule["if"], join_path(path, "if"), "trait") if "if" in rule else None
        if rid is not None and cond is not None:
            found.append(Exclusion(rid, cond))
    return tuple(found)


def _stage_when(r: Reader, value: Any, path: str) -> Condition | None:
    raw = r.mapping(value, path, ("when",), required=("when",))
    if raw is None or "when" not in raw:
        return None
    return parse_condition(r, raw["when"], join_path(path, "when"), "criteria")


def _stages(r: Reader, value: Any) -> Stages | None:
    raw = r.mapping(value, "stages", ("mql", "sql", "hot"), required=("mql",))
    if raw is None:
        return None
    mql = _stage_when(r, raw["mql"], "stages.mql") if "mql" in raw else None
    sql = _stage_when(r, raw["sql"], "stages.sql") if raw.get("sql") is not None else None
    hot = _stage_when(r, raw["hot"], "stages.hot") if raw.get("hot") is not None else None
    return Stages(mql, sql, hot) if mql is not None else None


def _assignment(r: Reader, value: Any) -> tuple[AssignmentRule, ...]:
    rules: list[AssignmentRule] = []
    for i, raw in enumerate(r.sequence(value, "assignment")):
        path = f"assignment[{i}]"
        rule = r.mapping(raw, path, ("if", "team", "members"), required=("team", "members"))
        if rule is None:
            continue
        team = r.text(rule["team"], join_path(path, "team")) if "team" in rule else None
        members_raw = r.sequence(rule.get("members"), join_path(path, "members"))
        if "members" in rule and not members_raw and isinstance(rule["members"], list):
            r.problem(join_path(path, "members"), "expected at least one member")
        members = [r.text(m, f"{path}.members[{j}]") for j, m in enumerate(members_raw)]
        cond = parse_condition(r, rule["if"], join_path(path, "if"), "trait") if rule.get("if") is not None else None
        if "if" in rule and rule["if"] is not None and cond is None:
            continue
        if team is not None and members and all(m is not None for m in members):
            rules.append(AssignmentRule(team, tuple(m for m in members if m is not None), cond))
    return tuple(rules)


_SLA_EVENTS: Final = tuple(s for s in STAGES if s != "lead") + tuple(a for a in ACTIONS if a != "create_sgl")


def _sla(r: Reader, value: Any) -> tuple[SlaRule, ...]:
    rules: list[SlaRule] = []
    for i, raw in enumerate(r.sequence(value, "sla")):
        path = f"sla[{i}]"
        rule = r.mapping(
            raw,
            path,
            ("id", "starts", "stops", "within", "owner"),
            required=("id", "starts", "stops", "within", "owner"),
        )
        if rule is None:
            continue
        rid = _rule_id(r, rule, path)
        starts = r.choice(rule["starts"], join_path(path, "starts"), _SLA_EVENTS) if "starts" in rule else None
        stops_raw = rule.get("stops")
        if isinstance(stops_raw, str):
            stops_raw = [stops_raw]
        stops_list = r.sequence(stops_raw, join_path(path, "stops"))
        if "stops" in rule and not stops_list and isinstance(stops_raw, list):
            r.problem(join_path(path, "stops"), "expected at least one stage or action")
        stops = [r.choice(s, f"{path}.stops[{j}]", _SLA_EVENTS) for j, s in enumerate(stops_list)]
        within = parse_within(r, rule["within"], join_path(path, "within")) if "within" in rule else None
        owner = r.choice(rule["owner"], join_path(path, "owner"), DEPARTMENTS) if "owner" in rule else None
        if rid and starts and stops and all(stops) and within and owner:
            rules.append(SlaRule(rid, starts, tuple(s for s in stops if s), within, owner))
    return tuple(rules)


def parse_within(r: Reader, value: Any, path: str) -> Within | None:
    raw = r.mapping(value, path, WITHIN_UNITS)
    if raw is None:
        return None
    if len(raw) != 1:
        r.problem(path, f"expected exactly one of {', '.join(WITHIN_UNITS)}, found {len(raw)}")
        return None
    ((unit, amount),) = raw.items()
    if unit not in WITHIN_UNITS:
        return None
    count = r.integer(amount, join_path(path, unit), minimum=1)
    return Within(unit, count) if count is not None else None


def _recycle(r: Reader, value: Any) -> Recycle:
    raw = r.mapping(value, "recycle", ("reset_engagement",))
    if raw is None:
        return Recycle()
    reset = raw.get("reset_engagement", True)
    if not isinstance(reset, bool):
        r.problem("recycle.reset_engagement", f"expected true or false, found {describe(reset)}")
        return Recycle()
    return Recycle(reset_engagement=reset)


def _check_unique_ids(r: Reader) -> None:
    """Rule ids are how every decision is explained, so they must be unique across sections."""
    seen: dict[str, str] = {}
    for where, rule_id in r.rule_ids:
        if rule_id in seen:
            r.problem(f"{where}.id", f"duplicate rule id {rule_id!r} (already used at {seen[rule_id]})")
        else:
            seen[rule_id] = where
