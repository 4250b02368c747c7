"""The mapping file: how the columns of one CSV export become SPEC §3 messages.

A mapping is YAML (documented in docs/csv-mapping.md). It is validated whole, like the
agreement: every problem is reported with its path inside the file (``events[2].as``), what was
expected and what was found, and nothing is imported from a mapping that has a problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from leadpact.domain.agreement import Reader, join_path
from leadpact.domain.messages import describe

TRAIT_TYPES: Final = ("string", "number", "integer", "boolean", "date")
VALUE_AS: Final = ("count", "flag", "name")
OUTCOMES: Final = ("customer", "sql", "not_converted")
OUTCOME_FALLBACKS: Final = ("error", "skip", *OUTCOMES)
DEFAULT_YES: Final = ("yes", "y", "true", "1")
DEFAULT_NO: Final = ("no", "n", "false", "0")
_YAML_TRUE: Final = frozenset({"true", "yes", "y", "on"})
_YAML_FALSE: Final = frozenset({"false", "no", "n", "off"})
SHIPPED_DIR: Final = Path(__file__).resolve().parent.parent.parent / "data" / "mappings"


class MappingError(ValueError):
    """The mapping file is invalid; ``problems`` holds one rendered line per problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = [f"{source}: {p}" for p in problems]
        super().__init__("\n".join(self.problems))


def fold(value: str) -> str:
    """How enumerated cell values are compared: trimmed and case-insensitive."""
    return value.strip().casefold()


@dataclass(frozen=True, slots=True)
class TraitColumn:
    column: str
    trait: str
    type: str = "string"
    post_contact: bool = False
    optional: bool = False
    missing_values: frozenset[str] = frozenset()
    rename: Mapping[str, str] = field(default_factory=dict)
    true_values: frozenset[str] = frozenset(DEFAULT_YES)
    false_values: frozenset[str] = frozenset(DEFAULT_NO)


@dataclass(frozen=True, slots=True)
class EventColumn:
    """One column that stands for events: a count, a yes/no flag, or the event's name."""

    column: str
    type: str  # "track" or "page"
    value_as: str  # one of VALUE_AS
    name: str | None = None  # the track event name or the page path; None with value_as=name
    rename: Mapping[str, str] = field(default_factory=dict)
    yes: frozenset[str] = frozenset(DEFAULT_YES)
    no: frozenset[str] = frozenset(DEFAULT_NO)
    timestamp_column: str | None = None
    optional: bool = False
    missing_values: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class OutcomeColumn:
    column: str
    values: Mapping[str, str]  # folded cell value -> one of OUTCOMES
    trait: str = "outcome"
    missing: str = "error"  # one of OUTCOME_FALLBACKS
    otherwise: str = "error"


@dataclass(frozen=True, slots=True)
class CsvMapping:
    name: str
    lead_id_column: str
    outcome: OutcomeColumn | None
    description: str | None = None
    lead_id_prefix: str = ""
    created_at_column: str | None = None
    date_format: str | None = None
    timezone: str = "UTC"
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    missing_values: frozenset[str] = frozenset()
    traits: tuple[TraitColumn, ...] = ()
    events: tuple[EventColumn, ...] = ()
    ignore: frozenset[str] = frozenset()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def referenced_columns(self) -> dict[str, bool]:
        """Every column the mapping reads, with whether it may be absent from the CSV."""
        wanted: dict[str, bool] = {self.lead_id_column: False}
        if self.created_at_column:
            wanted[self.created_at_column] = False
        for trait in self.traits:
            wanted.setdefault(trait.column, trait.optional)
        for event in self.events:
            wanted.setdefault(event.column, event.optional)
            if event.timestamp_column:
                wanted.setdefault(event.timestamp_column, True)
        if self.outcome is not None:
            wanted[self.outcome.column] = False
        return wanted


# --- validation ----------------------------------------------------------------------------


class _Reader(Reader):
    """The agreement's validating reader (same messages), plus the mapping's own value kinds."""

    def __init__(self) -> None:
        super().__init__({})

    def messages(self) -> list[str]:
        return [f"{p.path}: {p.message}" if p.path else p.message for p in self.problems]

    def flag(self, value: Any, path: str) -> bool:
        if isinstance(value, bool):
            return value
        self.problem(path, f"expected true or false, found {describe(value)}")
        return False

    def values(self, value: Any, path: str) -> frozenset[str]:
        """A list of cell values (strings, numbers or booleans, as YAML reads them), folded."""
        if not isinstance(value, list):
            self.problem(path, f"expected a list of values, found {describe(value)}")
            return frozenset()
        folded: set[str] = set()
        for i, item in enumerate(value):
            if isinstance(item, bool):
                # YAML reads an unquoted yes/no/on/off as a boolean: match every spelling of it.
                folded.update(_YAML_TRUE if item else _YAML_FALSE)
            elif isinstance(item, str | int | float):
                folded.add(fold(str(item)))
            else:
                self.problem(f"{path}[{i}]", f"expected a value, found {describe(item)}")
        return frozenset(folded)

    def renames(self, value: Any, path: str) -> dict[str, str]:
        if not isinstance(value, dict):
            self.problem(path, f"expected a mapping CELL VALUE: NEW VALUE, found {describe(value)}")
            return {}
        result: dict[str, str] = {}
        for key, new in value.items():
            if not isinstance(new, str | int | float) or isinstance(new, bool):
                self.problem(join_path(path, str(key)), f"expected a value, found {describe(new)}")
                continue
            result[fold(str(key))] = str(new)
        return result


_TOP_KEYS: Final = (
    "name",
    "description",
    "lead_id",
    "created_at",
    "timezone",
    "encoding",
    "delimiter",
    "missing_values",
    "traits",
    "events",
    "outcome",
    "ignore",
)


def parse_mapping(data: Any, source: str) -> CsvMapping:
    """Validate plain data (as read from YAML) into a :class:`CsvMapping`."""
    r = _Reader()
    top = r.mapping(data, "", _TOP_KEYS, required=("name", "lead_id"))
    if top is None:
        raise MappingError(source, r.messages())
    name = r.text(top.get("name"), "name") if "name" in top else None
    description = r.text(top["description"], "description") if "description" in top else None
    lead_id, prefix = _lead_id(r, top.get("lead_id"))
    created, date_format = _created_at(r, top.get("created_at"))
    timezone = _timezone(r, top.get("timezone", "UTC"))
    encoding = r.text(top.get("encoding", "utf-8-sig"), "encoding") or "utf-8-sig"
    delimiter = top.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        r.problem("delimiter", f"expected one character, found {describe(delimiter)}")
        delimiter = ","
    missing = r.values(top["missing_values"], "missing_values") if "missing_values" in top else frozenset()
    traits = _traits(r, top.get("traits", []))
    events = _events(r, top.get("events", []))
    outcome = _outcome(r, top["outcome"]) if top.get("outcome") is not None else None
    ignore = _ignore(r, top.get("ignore", []))
    _check_unique_traits(r, traits, outcome)
    if r.problems or name is None or lead_id is None:
        raise MappingError(source, r.messages())
    return CsvMapping(
        name=name,
        description=description,
        lead_id_column=lead_id,
        lead_id_prefix=prefix,
        created_at_column=created,
        date_format=date_format,
        timezone=timezone or "UTC",
        encoding=encoding,
        delimiter=delimiter,
        missing_values=missing,
        traits=traits,
        events=events,
        outcome=outcome,
        ignore=ignore,
    )


def _lead_id(r: _Reader, value: Any) -> tuple[str | None, str]:
    if isinstance(value, str):
        return r.text(value, "lead_id"), ""
    raw = r.mapping(value, "lead_id", ("column", "prefix"), required=("column",))
    if raw is None:
        return None, ""
    column = r.text(raw.get("column"), "lead_id.column") if "column" in raw else None
    prefix = raw.get("prefix", "")
    if not isinstance(prefix, str):
        r.problem("lead_id.prefix", f"expected a string, found {describe(prefix)}")
        prefix = ""
    return column, prefix


def _created_at(r: _Reader, value: Any) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, str):
        return r.text(value, "created_at"), None
    raw = r.mapping(value, "created_at", ("column", "format"), required=("column",))
    if raw is None:
        return None, None
    column = r.text(raw.get("column"), "created_at.column") if "column" in raw else None
    fmt = r.text(raw["format"], "created_at.format") if "format" in raw else None
    return column, fmt


def _timezone(r: _Reader, value: Any) -> str | None:
    zone = r.text(value, "timezone")
    if zone is None:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        r.problem("timezone", f"unknown IANA time zone {zone!r} (e.g. Asia/Tokyo, UTC)")
        return None
    return zone


_TRAIT_KEYS: Final = (
    "column",
    "trait",
    "type",
    "post_contact",
    "optional",
    "missing_values",
    "rename",
    "true_values",
    "false_values",
)


def _traits(r: _Reader, value: Any) -> tuple[TraitColumn, ...]:
    if not isinstance(value, list):
        r.problem("traits", f"expected a list, found {describe(value)}")
        return ()
    found: list[TraitColumn] = []
    for i, raw in enumerate(value):
        path = f"traits[{i}]"
        spec = r.mapping(raw, path, _TRAIT_KEYS, required=("column", "trait"))
        if spec is None:
            continue
        column = r.text(spec.get("column"), f"{path}.column") if "column" in spec else None
        trait = r.text(spec.get("trait"), f"{path}.trait") if "trait" in spec else None
        kind = r.choice(spec.get("type", "string"), f"{path}.type", TRAIT_TYPES)
        post = r.flag(spec["post_contact"], f"{path}.post_contact") if "post_contact" in spec else False
        optional = r.flag(spec["optional"], f"{path}.optional") if "optional" in spec else False
        missing = (
            r.values(spec["missing_values"], f"{path}.missing_values") if "missing_values" in spec else frozenset()
        )
        rename = r.renames(spec["rename"], f"{path}.rename") if "rename" in spec else {}
        true_values = (
            r.values(spec["true_values"], f"{path}.true_values") if "true_values" in spec else frozenset(DEFAULT_YES)
        )
        false_values = (
            r.values(spec["false_values"], f"{path}.false_values") if "false_values" in spec else frozenset(DEFAULT_NO)
        )
        if column and trait and kind:
            found.append(TraitColumn(column, trait, kind, post, optional, missing, rename, true_values, false_values))
    return tuple(found)


_EVENT_KEYS: Final = (
    "column",
    "track",
    "page",
    "as",
    "rename",
    "yes",
    "no",
    "timestamp_column",
    "optional",
    "missing_values",
)


def _events(r: _Reader, value: Any) -> tuple[EventColumn, ...]:
    if not isinstance(value, list):
        r.problem("events", f"expected a list, found {describe(value)}")
        return ()
    found: list[EventColumn] = []
    for i, raw in enumerate(value):
        path = f"events[{i}]"
        spec = r.mapping(raw, path, _EVENT_KEYS, required=("column", "as"))
        if spec is None:
            continue
        column = r.text(spec.get("column"), f"{path}.column") if "column" in spec else None
        value_as = r.choice(spec.get("as"), f"{path}.as", VALUE_AS) if "as" in spec else None
        kind, name = _event_target(r, spec, path, value_as)
        rename = r.renames(spec["rename"], f"{path}.rename") if "rename" in spec else {}
        yes = r.values(spec["yes"], f"{path}.yes") if "yes" in spec else frozenset(DEFAULT_YES)
        no = r.values(spec["no"], f"{path}.no") if "no" in spec else frozenset(DEFAULT_NO)
        ts_col = r.text(spec["timestamp_column"], f"{path}.timestamp_column") if "timestamp_column" in spec else None
        optional = r.flag(spec["optional"], f"{path}.optional") if "optional" in spec else False
        missing = (
            r.values(spec["missing_values"], f"{path}.missing_values") if "missing_values" in spec else frozenset()
        )
        if column and value_as and kind:
            found.append(EventColumn(column, kind, value_as, name, rename, yes, no, ts_col, optional, missing))
    return tuple(found)


def _event_target(r: _Reader, spec: dict[str, Any], path: str, value_as: str | None) -> tuple[str | None, str | None]:
    """``track: NAME`` or ``page: /path``; with ``as: name`` the cell names the track event."""
    has_track, has_page = "track" in spec, "page" in spec
    if has_track and has_page:
        r.problem(path, "give either track (an event name) or page (a path), not both")
        return None, None
    if value_as == "name":
        if has_page:
            r.problem(f"{path}.page", "as: name takes the track event's name from the cell; page is not allowed")
            return None, None
        if has_track and spec["track"] is not None:
            r.problem(f"{path}.track", "as: name takes the event name from the cell; leave track out")
            return None, None
        return "track", None
    if has_track:
        return ("track", name) if (name := r.text(spec["track"], f"{path}.track")) else (None, None)
    if has_page:
        page = r.text(spec["page"], f"{path}.page")
        if page is not None and not page.startswith("/"):
            r.problem(f"{path}.page", f"expected a path starting with '/', found {page!r}")
            return None, None
        return ("page", page) if page else (None, None)
    r.problem(path, "expected track: EVENT NAME or page: /path")
    return None, None


_OUTCOME_KEYS: Final = ("column", "trait", "missing", "otherwise", *OUTCOMES)


def _outcome(r: _Reader, value: Any) -> OutcomeColumn | None:
    spec = r.mapping(value, "outcome", _OUTCOME_KEYS, required=("column",))
    if spec is None:
        return None
    column = r.text(spec.get("column"), "outcome.column") if "column" in spec else None
    trait = r.text(spec.get("trait", "outcome"), "outcome.trait") or "outcome"
    values: dict[str, str] = {}
    for outcome in OUTCOMES:
        if outcome not in spec:
            continue
        for cell in sorted(r.values(spec[outcome], f"outcome.{outcome}")):
            if cell in values:
                r.problem(f"outcome.{outcome}", f"value {cell!r} is already listed under {values[cell]}")
            values[cell] = outcome
    if not values:
        r.problem("outcome", f"list the cell values of at least one outcome ({', '.join(OUTCOMES)})")
    missing = r.choice(spec.get("missing", "error"), "outcome.missing", OUTCOME_FALLBACKS)
    otherwise = r.choice(spec.get("otherwise", "error"), "outcome.otherwise", OUTCOME_FALLBACKS)
    if column is None or not values or missing is None or otherwise is None:
        return None
    return OutcomeColumn(column, values, trait, missing, otherwise)


def _ignore(r: _Reader, value: Any) -> frozenset[str]:
    if not isinstance(value, list):
        r.problem("ignore", f"expected a list of column names, found {describe(value)}")
        return frozenset()
    names = [r.text(v, f"ignore[{i}]") for i, v in enumerate(value)]
    return frozenset(n for n in names if n is not None)


def _check_unique_traits(r: _Reader, traits: tuple[TraitColumn, ...], outcome: OutcomeColumn | None) -> None:
    seen: dict[str, int] = {}
    for i, spec in enumerate(traits):
        if spec.trait in seen:
            r.problem(f"traits[{i}].trait", f"trait {spec.trait!r} is already filled by traits[{seen[spec.trait]}]")
        seen.setdefault(spec.trait, i)
    if outcome is not None and outcome.trait in seen:
        r.problem("outcome.trait", f"trait {outcome.trait!r} is also filled by traits[{seen[outcome.trait]}]")


# --- loading --------------------------------------------------------------------------------


def shipped_mappings() -> list[str]:
    """Names usable as ``--mapping NAME`` (the files in ``leadpact/data/mappings``)."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.yaml"))


def mapping_from_text(text: str, source: str) -> CsvMapping:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise MappingError(source, [f"{where}invalid YAML: {getattr(exc, 'problem', None) or exc}"]) from None
    if data is None:
        raise MappingError(source, ["the file is empty; expected a mapping (see docs/csv-mapping.md)"])
    return parse_mapping(data, source)


def load_mapping(name_or_path: str) -> CsvMapping:
    """A shipped mapping by name (``x-education``, ``hubspot``, ``salesforce``) or a YAML file."""
    shipped = SHIPPED_DIR / f"{name_or_path}.yaml"
    path = shipped if "/" not in name_or_path and shipped.is_file() else Path(name_or_path)
    if not path.is_file():
        raise MappingError(
            name_or_path,
            [f"no such mapping file, and not a shipped mapping name (shipped: {', '.join(shipped_mappings())})"],
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(str(path), [f"cannot read the file: {exc}"]) from None
    return mapping_from_text(text, path.name if path == shipped else str(path))
