"""SQL that turns raw input rows into canonical event rows, validating like ``parse_message``.

The reader for each input format (JSONL lines, Parquet columns) first exposes every message
field as a *raw field*: its JSON kind (``VARCHAR``, ``OBJECT``, ``UBIGINT``, ..., ``'NULL'`` for
JSON null, SQL NULL when absent) and its text. This module then decides, per row, whether the
row is in a shape SQL reads exactly as :func:`leadpact.domain.messages.parse_message` would
(``ok``) and extracts the canonical columns of those rows.

Rows that are not ``ok`` are *not* judged here: they go to ``parse_message`` itself, which
either accepts them or names the field that is wrong. So the error messages, and the meaning
of every unusual shape (two sources of traits, a URL only ``urlsplit`` understands, ...), have
one definition, in the domain. The SQL fast path only has to be right about the rows it
accepts; the property tests compare both on random and adversarial rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Final

from leadpact.adapters.batch.matching import RuleMatching
from leadpact.adapters.batch.sql_compile import EventColumns, text
from leadpact.domain.messages import ACTIONS, MESSAGE_TYPES, ROLES
from leadpact.domain.timeutil import EARLIEST_US, LATEST_US


@dataclass(frozen=True, slots=True)
class Raw:
    """One raw field in SQL: ``kind`` (JSON kind name, SQL NULL when absent) and ``text``
    (the string for ``VARCHAR``, the JSON text for objects and arrays)."""

    kind: str
    text: str
    typed: bool = False
    """A typed string column (Parquet ``VARCHAR``): NULL or a string, so no kind to inspect."""
    json_text: bool = False
    """A column of JSON text: its kind follows from its text, so it is computed where used."""


@dataclass(frozen=True, slots=True)
class RawRow:
    """The raw fields of one input row, as SQL expressions over the reader's relation."""

    seq: str
    root_ok: str
    type: Raw
    message_id: Raw
    timestamp: Raw
    ts_us: str
    """A timestamp already in µs (typed Parquet column), else ``NULL``."""
    user_id: Raw
    anonymous_id: Raw
    event: Raw
    name: Raw
    group_id: Raw
    action: Raw
    actor: Raw
    actor_id: Raw
    actor_role: Raw
    traits: Raw
    context: Raw
    properties: Raw


_TIMESTAMP: Final = (
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[T ](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?)"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
"""ISO 8601 shapes that DuckDB and ``datetime.fromisoformat`` read to the same microsecond."""

_URL_ABSOLUTE: Final = (
    r"^[hH][tT][tT][pP][sS]?://[A-Za-z0-9._~%!$&'()*+,;=:@-]*(/[^?#\x00-\x20\x7f]*)?([?#][^\x00-\x20\x7f]*)?$"
)
_URL_RELATIVE: Final = r"^/([^/?#\x00-\x20\x7f][^?#\x00-\x20\x7f]*)?([?#][^\x00-\x20\x7f]*)?$"
"""URLs whose path ``urllib.parse.urlsplit`` and a regular expression find alike."""

EMPTY_OBJECT: Final = "'{}'"
"""The SQL text of a raw field that is always the empty JSON object."""

RISKY_JSON: Final = r"[:,\[]\s*-?([0-9]{16,}|[0-9.]+[eE][+-]?[0-9]{3,}|NaN|Infinity)|,\s*[}\]]"
"""JSON that Python and DuckDB read differently: huge or out-of-range numbers, NaN/Infinity
(Python accepts them), trailing commas (DuckDB accepts them)."""


@cache
def python_whitespace() -> str:
    """An RE2 character class of the characters ``str.strip()`` removes."""
    spaces = (chr(c) for c in range(0x110000) if chr(c).isspace())
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in spaces) + "]"


def json_kind(json_text: str) -> str:
    """The JSON kind of a column of JSON text (``INVALID`` when it is not JSON)."""
    return (
        f"(CASE WHEN {json_text} IS NULL THEN NULL WHEN json_valid({json_text}) THEN json_type({json_text})"
        " ELSE 'INVALID' END)"
    )


def _absent(f: Raw) -> str:
    if f.typed:
        return f"({f.text} IS NULL)"
    return f"({f.kind} IS NULL OR {f.kind} = 'NULL')"


def _is_str(f: Raw) -> str:
    if f.typed:
        return f"({f.text} IS NOT NULL)"
    return f"coalesce({f.kind} = 'VARCHAR', FALSE)"


def _string(f: Raw) -> str:
    if f.typed:
        return f"coalesce({f.text} <> '', FALSE)"
    return f"coalesce({f.kind} = 'VARCHAR' AND {f.text} <> '', FALSE)"


def _optional_string(f: Raw) -> str:
    return f"({_absent(f)} OR {_string(f)})"


def _once(json_text: str, key: str) -> str:
    """``key`` occurs at most once in the text, so JSON path lookups cannot meet duplicates."""
    token = text(f'"{key}"')
    return f"(length({json_text}) - length(replace({json_text}, {token}, '')) <= {len(key) + 2})"


def _object(f: Raw, *, unique: bool = True) -> str:
    """A JSON object SQL reads like Python: no duplicate top-level keys, no risky numbers.

    CASE rather than AND: DuckDB evaluates every operand of AND, and the JSON functions must
    not see text that is not an object.
    """
    if f.text == EMPTY_OBJECT:
        return f"coalesce({f.kind} = 'OBJECT', FALSE)"  # a constant {} (an actor made of columns)
    checks = [f"NOT regexp_matches({f.text}, {text(RISKY_JSON)})"]
    if unique:
        checks.append(f"len(json_keys({f.text})) = len(list_distinct(json_keys({f.text})))")
    return f"coalesce(CASE WHEN {f.kind} = 'OBJECT' THEN {' AND '.join(checks)} ELSE FALSE END, FALSE)"


def _optional_object(f: Raw, *, unique: bool = True) -> str:
    return f"({_absent(f)} OR {_object(f, unique=unique)})"


def _in(f: Raw, options: tuple[str, ...]) -> str:
    return f"coalesce({_is_str(f)} AND {f.text} IN ({', '.join(text(o) for o in options)}), FALSE)"


def _empty_object(f: Raw) -> str:
    return (
        f"(CASE WHEN {_absent(f)} THEN TRUE WHEN {f.kind} = 'OBJECT' THEN len(json_keys({f.text})) = 0 ELSE FALSE END)"
    )


def _sub(parent: str, index: int) -> Raw:
    """Field ``index`` (1-based) of a ``json_extract(..., [paths])`` list ``parent``."""
    value = f"{parent}[{index}]"
    return Raw(kind=f"json_type({value})", text=f"({value} ->> '$')")


_FIELDS: Final = (
    "type",
    "message_id",
    "timestamp",
    "user_id",
    "anonymous_id",
    "event",
    "name",
    "group_id",
    "action",
    "actor",
    "actor_id",
    "actor_role",
    "traits",
    "context",
    "properties",
)
_CONTENT: Final = ("type", "event", "name", "properties")
"""The fields a page/track message's meaning depends on (besides who and when)."""


def _named(r: RawRow) -> RawRow:
    """The same raw row, with every field read from the named columns of :func:`_raw_select`
    (and, for columns of JSON text, the kind column :func:`_json_kinds` adds)."""
    fields = {}
    for name in _FIELDS:
        f: Raw = getattr(r, name)
        if f.json_text:
            kind = f"{name}_k"
        elif f.typed:
            kind = f"(CASE WHEN {name}_t IS NULL THEN NULL ELSE 'VARCHAR' END)"
        else:
            kind = f"{name}_k"
        fields[name] = Raw(kind, f"{name}_t", f.typed, f.json_text)
    return RawRow(seq="seq", root_ok="root_ok", ts_us="ts_us", **fields)


def _raw_select(r: RawRow) -> str:
    items = [f"{r.seq} AS seq", f"coalesce({r.root_ok}, FALSE) AS root_ok", f"{r.ts_us} AS ts_us"]
    for name in _FIELDS:
        f: Raw = getattr(r, name)
        if f.typed or f.json_text:
            items.append(f"{f.text} AS {name}_t")  # judged by the text alone
        else:
            items += [f"{f.kind} AS {name}_k", f"{f.text} AS {name}_t"]
    return ", ".join(items)


def _json_text_fields(r: RawRow, among: tuple[str, ...] = _FIELDS) -> list[str]:
    return [name for name in among if getattr(r, name).json_text]


def _cells_ok(r: RawRow) -> str:
    """Every column of JSON text holds JSON (or nothing), whatever the message type reads: a
    cell that is not JSON makes the row unreadable for the reference reader too, which names it."""
    checks = [f"({name}_t IS NULL OR json_valid({name}_t))" for name in _json_text_fields(r)]
    return f"({' AND '.join(checks)})" if checks else "TRUE"


def _json_kinds(r: RawRow) -> str:
    """The JSON kind of each column of JSON text, parsed once per row (it is read in many
    checks). Page and track rows take the kinds of their content from the per-content
    dictionary: only content fields are read for them."""
    items = ["NULL AS _no_kind"]
    for name in _json_text_fields(r):
        from_content = f"_content_{name}_k" if name in _CONTENT else "NULL"
        items.append(
            f"CASE WHEN type_t IN ('page', 'track') THEN {from_content} ELSE {json_kind(f'{name}_t')} END AS {name}_k"
        )
    return ", ".join(items)


def canonical_query(source: str, raw: RawRow, matching: RuleMatching, *, keep_event_properties: bool) -> str:
    """``SELECT seq, ok, <canonical and matching columns> FROM source``; meaningful when ok.

    Page and track messages are judged once per distinct *content* (type, event, name,
    properties): their validity, page path and matched rules come from a small dictionary
    joined back, which is what makes 10 M rows cheap. The other messages are judged per row.
    """
    r = _named(raw)
    ws = python_whitespace()
    content_keys = [
        f"{field}_{part}"
        for field in _CONTENT
        for part in ("k", "t")
        if part == "t" or not (getattr(raw, field).typed or getattr(raw, field).json_text)
    ]
    join = " AND ".join(f"c.{key} IS NOT DISTINCT FROM w.{key}" for key in content_keys)
    path = _page_path_sql()
    event_cols = EventColumns(
        type="type_t", event="(CASE WHEN type_t = 'track' THEN event_t END)", path="path", properties="properties_t"
    )
    match = ", ".join(matching.select(event_cols))
    match_names = ", ".join(f"c.{name}" for name, _ in matching.columns)
    content_json = _json_text_fields(raw, _CONTENT)
    content_kinds = ", ".join(["NULL AS _no_kind", *(f"{json_kind(f'{n}_t')} AS {n}_k" for n in content_json)])
    carried_kinds = "".join(f", c.{n}_k AS _content_{n}_k" for n in content_json)
    other_checks = _other_checks(r, ws)
    return f"""
    WITH w AS NOT MATERIALIZED (SELECT {_raw_select(raw)} FROM {source}),
    content AS (
        SELECT *, {match} FROM (
            SELECT *, {_content_check(r, ws, keep_event_properties)} AS content_ok,
                CASE WHEN type_t = 'page' THEN {path} END AS path
            FROM (
                SELECT *, {_props_fields(r)} AS _pf FROM (
                    SELECT *, {content_kinds} FROM (
                        SELECT DISTINCT {", ".join(content_keys)} FROM w
                        WHERE {_in(r.type, ("page", "track"))}
                    )
                )
            )
        )
    ),
    joined AS (
        SELECT w.*, c.content_ok, c.path{carried_kinds}, {match_names} FROM w LEFT JOIN content c ON {join}
    ),
    kinds AS (SELECT *, {_json_kinds(raw)} FROM joined),
    checked AS (
        SELECT *,
            CASE WHEN type_t IN ('identify', 'group', 'action') THEN {_props_fields(r)} END AS _pf,
            CASE WHEN type_t IN ('identify', 'action') AND {r.context.kind} = 'OBJECT'
                THEN json_extract(context_t, '/traits') END AS _ct
        FROM kinds
    ),
    judged AS (
        SELECT *, ({_common_check(r)} AND {_cells_ok(r)}
            AND CASE WHEN type_t IN ('page', 'track') THEN coalesce(content_ok, FALSE)
            ELSE coalesce({other_checks}, FALSE) END) AS ok, {_timestamp_sql(r)} AS _ts
        FROM checked
    )
    SELECT
        seq,
        ok AND _ts IS NOT NULL AS ok,
        type_t AS type,
        message_id_t AS message_id,
        _ts AS ts,
        CASE WHEN {_string(r.user_id)} THEN user_id_t END AS user_id,
        CASE WHEN {_string(r.anonymous_id)} THEN anonymous_id_t END AS anonymous_id,
        CASE WHEN type_t = 'track' THEN event_t END AS event,
        path,
        CASE WHEN type_t = 'action' THEN action_t END AS action,
        CASE WHEN type_t = 'action' THEN coalesce(actor_id_t, actor_role_t) END AS actor_id,
        CASE WHEN type_t = 'action' THEN actor_role_t END AS actor_role,
        {_traits_sql(r)} AS traits,
        {_properties_sql(r, keep_event_properties)} AS properties,
        FALSE AS opaque,
        {_match_defaults(matching)}
    FROM judged
    """


def _match_defaults(matching: RuleMatching) -> str:
    """Rule-match columns for every row: messages other than page/track match nothing."""
    defaults = {"match_unsure": "FALSE", "watched_code": "-1"}
    return ", ".join(f"coalesce({name}, {defaults.get(name, '0')}) AS {name}" for name, _ in matching.columns)


def _props_fields(r: RawRow) -> str:
    """One parse of the properties object for every sub-field the engine reads."""
    props = r.properties
    paths = "['/path', '/url', '/reason', '/owner', '/items']"
    return f"CASE WHEN {props.kind} = 'OBJECT' THEN json_extract({props.text}, {paths}) END"


def _common_check(r: RawRow) -> str:
    return (
        f"(root_ok AND {_string(r.message_id)} AND {_in(r.type, MESSAGE_TYPES)}"
        f" AND {_optional_string(r.user_id)} AND {_optional_string(r.anonymous_id)}"
        f" AND NOT ({_absent(r.user_id)} AND {_absent(r.anonymous_id)}))"
    )


def _event_properties(r: RawRow, keep_event_properties: bool) -> str:
    props = r.properties
    if keep_event_properties:
        return f"({_absent(props)} OR {_object(props)})"
    return f"({_absent(props)} OR {props.kind} = 'OBJECT')"


def _content_check(r: RawRow, ws: str, keep_event_properties: bool) -> str:
    """Validity of a page/track message's content (evaluated once per distinct content)."""
    path, url = _sub("_pf", 1), _sub("_pf", 2)
    props = r.properties
    page = (
        f"({_optional_string(r.name)} AND {_event_properties(r, keep_event_properties)}"
        f" AND ({_absent(props)} OR ({_once(props.text, 'path')} AND {_once(props.text, 'url')}))"
        f" AND (CASE WHEN NOT {_absent(path)} THEN {_is_str(path)}"
        f" WHEN NOT {_absent(url)} THEN {_is_str(url)}"
        f" AND (regexp_matches({url.text}, {text(_URL_ABSOLUTE)}) OR regexp_matches({url.text}, {text(_URL_RELATIVE)}))"
        " ELSE TRUE END))"
    )
    track = (
        f"({_is_str(r.event)} AND regexp_matches({r.event.text}, {text('[^' + ws[1:])})"
        f" AND {_event_properties(r, keep_event_properties)})"
    )
    return f"coalesce(CASE {r.type.text} WHEN 'page' THEN {page} WHEN 'track' THEN {track} END, FALSE)"


def _other_checks(r: RawRow, ws: str) -> str:
    """Validity of identify, group and action messages (per row: they are few)."""
    del ws
    ctraits = Raw("json_type(_ct)", "CAST(_ct AS VARCHAR)")
    reason, owner = _sub("_pf", 3), _sub("_pf", 4)
    items = "_pf[5]"
    props = r.properties
    traits_shape = (
        f"({_optional_object(r.traits)} AND {_optional_object(r.context, unique=False)}"
        f" AND ({_absent(r.context)} OR ({_once(r.context.text, 'traits')} AND {_optional_object(ctraits)}))"
        f" AND ({_empty_object(r.traits)} OR {_empty_object(ctraits)}))"
    )
    plain_properties = f"({_absent(props)} OR {props.kind} = 'OBJECT')"
    # A typed string column cannot hold an integer: no kind test (DuckDB 2.0 also fails to bind
    # one over a string column that is NULL in every row).
    integer_id = "FALSE" if r.group_id.typed else f"{r.group_id.kind} IN ('UBIGINT', 'BIGINT')"
    group = f"(({_string(r.group_id)} OR {integer_id}) AND {_optional_object(r.traits)})"
    items_ok = (
        f"(CASE WHEN {_absent(Raw(f'json_type({items})', ''))} THEN TRUE WHEN json_type({items}) = 'ARRAY'"
        f" THEN coalesce(list_bool_and(list_transform(CAST({items} AS JSON[]),"
        " lambda x: json_type(x) = 'VARCHAR')), TRUE)"
        " ELSE FALSE END)"
    )
    action = (
        f"({_string(r.user_id)} AND {_in(r.action, ACTIONS)}"
        f" AND {_object(r.actor)} AND {_in(r.actor_role, ROLES)}"
        f" AND ({r.actor_id.kind} IS NULL OR {_string(r.actor_id)})"
        f" AND ({_absent(props)} OR {_object(props)})"
        f" AND ({_absent(reason)} OR {_is_str(reason)}) AND ({_absent(owner)} OR {_is_str(owner)})"
        f" AND {items_ok}"
        f" AND (CASE WHEN {r.action.text} <> 'create_sgl' THEN TRUE ELSE {traits_shape} END))"
    )
    kind = r.type.text
    return (
        f"(CASE {kind} WHEN 'identify' THEN {traits_shape} AND {plain_properties}"
        f" WHEN 'group' THEN {group} AND {plain_properties} WHEN 'action' THEN {action} ELSE FALSE END)"
    )


def _timestamp_sql(r: RawRow) -> str:
    ts = r.timestamp.text
    pattern = text(_TIMESTAMP)
    local = f"TRY_CAST(regexp_extract({ts}, {pattern}, 1) || ' ' || regexp_extract({ts}, {pattern}, 2) AS TIMESTAMP)"
    zone = f"regexp_extract({ts}, {pattern}, 5)"
    offset_us = (
        f"(CASE WHEN {zone} = 'Z' THEN 0 ELSE (CASE WHEN left({zone}, 1) = '-' THEN -1 ELSE 1 END)"
        f" * (CAST(substr({zone}, 2, 2) AS BIGINT) * 3600 + CAST(substr({zone}, 5, 2) AS BIGINT) * 60) * 1000000 END)"
    )
    parsed = (
        f"(CASE WHEN {_is_str(r.timestamp)} AND regexp_matches({ts}, {pattern}) AND left({ts}, 4) <> '0000'"
        f" THEN epoch_us({local}) - {offset_us} END)"
    )
    ts_us = f"coalesce({r.ts_us}, {parsed})"
    # outside the range parse_message accepts: not ok here, so the row gets parse_message's reason
    return f"(CASE WHEN {ts_us} >= {EARLIEST_US} AND {ts_us} < {LATEST_US} THEN {ts_us} END)"


def _page_path_sql() -> str:
    path, url = _sub("_pf", 1), _sub("_pf", 2)
    from_url = (
        f"(CASE WHEN regexp_matches({url.text}, {text(_URL_ABSOLUTE)})"
        f" THEN regexp_extract({url.text}, '^[a-zA-Z]+://[^/?#]*([^?#]*)', 1)"
        f" ELSE regexp_extract({url.text}, '^([^?#]*)', 1) END)"
    )
    return (
        f"(CASE WHEN NOT {_absent(path)} THEN {path.text}"
        f" WHEN NOT {_absent(url)} THEN (CASE WHEN {from_url} = '' THEN '/' ELSE {from_url} END) END)"
    )


def _traits_sql(r: RawRow) -> str:
    """Merged traits of identify/create_sgl (root over context.traits; one of them is empty
    on the fast path) and the company traits of group, as JSON text."""
    root = f"(CASE WHEN {r.traits.kind} = 'OBJECT' THEN {r.traits.text} END)"
    nested = "(CASE WHEN json_type(_ct) = 'OBJECT' THEN CAST(_ct AS VARCHAR) END)"
    merged = f"(CASE WHEN NOT {_empty_object(r.traits)} THEN {root} ELSE coalesce({nested}, '{{}}') END)"
    kind = r.type.text
    return (
        f"(CASE WHEN {kind} = 'identify' OR ({kind} = 'action' AND {r.action.text} = 'create_sgl') THEN {merged}"
        f" WHEN {kind} = 'group' THEN coalesce({root}, '{{}}') END)"
    )


def _properties_sql(r: RawRow, keep_event_properties: bool) -> str:
    props = f"(CASE WHEN {r.properties.kind} = 'OBJECT' THEN {r.properties.text} END)"
    kinds = "('action', 'page', 'track')" if keep_event_properties else "('action')"
    return f"(CASE WHEN {r.type.text} IN {kinds} THEN {props} END)"
