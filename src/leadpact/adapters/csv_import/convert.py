"""CSV rows → SPEC §3 messages, as a mapping file says.

Per lead (one row): one ``identify`` with the mapped traits, then the synthetic events its
activity columns stand for. Nothing is returned unless every row is valid: problems are
collected with their line and column and raised together (bad input is never half-applied).

History outcomes are recorded as a trait (``outcome``: ``customer`` / ``sql`` /
``not_converted``), not as ``win``/``lose`` actions: SPEC §5 allows ``win`` only from
``opportunity``, which an imported lead never reached in leadpact's terms, so such actions would
be refused on every replay. docs/csv-mapping.md explains the choice.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from leadpact.adapters.csv_import.cells import CellError, read_count, read_moment, read_trait
from leadpact.adapters.csv_import.mapping import CsvMapping, EventColumn, fold
from leadpact.domain.messages import MessageError, parse_message
from leadpact.domain.timeutil import US_PER_SECOND, iso

MAX_PROBLEMS: Final = 50
IMPORT_SOURCE: Final = "csv"


class CsvImportError(ValueError):
    """The CSV does not fit the mapping; ``problems`` names file, line and column for each."""

    def __init__(self, problems: list[str], total: int | None = None) -> None:
        self.problems = problems
        more = (total or len(problems)) - len(problems)
        tail = [f"... and {more} more problem(s)"] if more > 0 else []
        super().__init__("\n".join(problems + tail))


@dataclass(slots=True)
class ImportResult:
    messages: list[dict[str, Any]]
    leads: int = 0
    events: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    unmapped_columns: list[str] = field(default_factory=list)
    absent_optional_columns: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Problems:
    source: str
    shown: list[str] = field(default_factory=list)
    total: int = 0

    def add(self, where: str, message: str) -> None:
        self.total += 1
        if len(self.shown) < MAX_PROBLEMS:
            self.shown.append(f"{self.source}: {where}: {message}")


def import_csv_file(
    path: str | Path, mapping: CsvMapping, *, as_of: int | None, encoding: str | None = None
) -> ImportResult:
    """Read and convert a whole CSV file (see :func:`import_csv_text`)."""
    file = Path(path)
    try:
        text = file.read_text(encoding=encoding or mapping.encoding)
    except UnicodeDecodeError as exc:
        hint = " (Japanese Excel exports are often cp932: pass --encoding cp932)"
        raise CsvImportError([f"{file}: cannot decode as {encoding or mapping.encoding}: {exc}{hint}"]) from None
    except OSError as exc:
        raise CsvImportError([f"{file}: cannot read the file: {exc}"]) from None
    return import_csv_text(text, mapping, as_of=as_of, source=file.name)


def import_csv_text(text: str, mapping: CsvMapping, *, as_of: int | None, source: str = "input.csv") -> ImportResult:
    """Convert CSV text. ``as_of`` (µs) is when the export was taken: the creation time of
    leads without a creation date. It is required when the mapping has no ``created_at``."""
    problems = _Problems(source)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter)
    header = next(rows, None)
    if header is None:
        raise CsvImportError([f"{source}: the file is empty; expected a header row"])
    index = _check_header(header, mapping, problems)
    if problems.total:
        raise CsvImportError(problems.shown, problems.total)
    if as_of is None and mapping.created_at_column is None:
        raise CsvImportError(
            [
                f"{source}: the mapping {mapping.name!r} has no created_at column, so the export date "
                "is needed to timestamp the leads: pass --as-of (e.g. --as-of 2026-01-31)"
            ]
        )
    result = ImportResult(messages=[])
    result.absent_optional_columns = [
        c for c, optional in mapping.referenced_columns().items() if optional and c not in index
    ]
    mapped = set(mapping.referenced_columns()) | mapping.ignore
    result.unmapped_columns = [c for c in header if c not in mapped]
    seen: dict[str, int] = {}
    for cells in rows:
        line = rows.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.add(f"line {line}", f"expected {len(header)} fields as in the header, found {len(cells)}")
            continue
        _convert_row(_Row(cells, line, index, mapping, problems), as_of, seen, result)
    if problems.total:
        raise CsvImportError(problems.shown, problems.total)
    if not result.leads:
        raise CsvImportError([f"{source}: no data rows after the header"])
    return result


def _check_header(header: list[str], mapping: CsvMapping, problems: _Problems) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        if name in index:
            problems.add("line 1", f"column {name!r} appears twice in the header")
        index.setdefault(name, position)
    for column, optional in mapping.referenced_columns().items():
        if column in index or optional:
            continue
        close = difflib.get_close_matches(column, header, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        problems.add(
            "line 1", f"the mapping {mapping.name!r} reads column {column!r}, which the CSV does not have{hint}"
        )
    return index


def _is_missing(raw: str, mapping: CsvMapping, extra: frozenset[str]) -> bool:
    folded = fold(raw)
    return not folded or folded in mapping.missing_values or folded in extra


_Planned = tuple[int, EventColumn, str, int | None]
"""(event column number, its spec, event name or page path, own timestamp) per occurrence."""


@dataclass(slots=True)
class _Row:
    """One data row being read; problems are reported with its line and the column."""

    cells: list[str]
    line: int
    index: dict[str, int]
    mapping: CsvMapping
    problems: _Problems

    def cell(self, column: str) -> str | None:
        position = self.index.get(column)
        return self.cells[position] if position is not None else None

    def present(self, column: str, extra_missing: frozenset[str] = frozenset()) -> str | None:
        """The cell, or None when the column is absent or the value means "missing"."""
        raw = self.cell(column)
        return None if raw is None or _is_missing(raw, self.mapping, extra_missing) else raw

    def bad(self, column: str, message: str) -> None:
        self.problems.add(f"line {self.line}, column {column!r}", message)

    def created(self, as_of: int | None) -> int | None:
        column = self.mapping.created_at_column
        if column is None:
            return as_of
        raw = self.present(column)
        if raw is None:
            if as_of is None:
                self.bad(column, "expected the creation date, found an empty cell (or pass --as-of for such rows)")
            return as_of
        try:
            return read_moment(raw, self.mapping.date_format, self.mapping.zone)
        except CellError as exc:
            self.bad(column, str(exc))
            return None

    def traits(self) -> dict[str, Any]:
        traits: dict[str, Any] = {}
        for spec in self.mapping.traits:
            raw = self.present(spec.column, spec.missing_values)
            if raw is None:
                continue
            try:
                traits[spec.trait] = read_trait(spec, raw, self.mapping.date_format, self.mapping.zone)
            except CellError as exc:
                self.bad(spec.column, str(exc))
        return traits

    def outcome(self) -> str | None:
        spec = self.mapping.outcome
        if spec is None:
            return None
        raw = self.present(spec.column)
        if raw is None:
            fallback, found = spec.missing, "an empty cell"
        else:
            known = spec.values.get(fold(raw))
            if known is not None:
                return known
            fallback, found = spec.otherwise, repr(raw)
        if fallback == "error":
            self.bad(spec.column, f"expected an outcome value ({', '.join(sorted(spec.values))}), found {found}")
            return None
        return None if fallback == "skip" else fallback

    def planned_events(self) -> list[_Planned]:
        planned: list[_Planned] = []
        for number, spec in enumerate(self.mapping.events):
            raw = self.present(spec.column, spec.missing_values)
            if raw is None:
                continue
            try:
                name, count = _event_occurrences(spec, raw)
                stamp = self._event_time(spec)
            except CellError as exc:
                self.bad(spec.column, str(exc))
                continue
            planned.extend((number, spec, name, stamp) for _ in range(count))
        return planned

    def _event_time(self, spec: EventColumn) -> int | None:
        if spec.timestamp_column is None:
            return None
        raw = self.present(spec.timestamp_column)
        if raw is None:
            return None
        try:
            return read_moment(raw, self.mapping.date_format, self.mapping.zone)
        except CellError as exc:
            raise CellError(f"{spec.timestamp_column!r}: {exc}") from None


def _convert_row(row: _Row, as_of: int | None, seen: dict[str, int], result: ImportResult) -> None:
    mapping, problems = row.mapping, row.problems
    before = problems.total
    raw_id = (row.cell(mapping.lead_id_column) or "").strip()
    if not raw_id:
        row.bad(mapping.lead_id_column, "expected the lead's id, found an empty cell")
        return
    lead_id = mapping.lead_id_prefix + raw_id
    if lead_id in seen:
        row.bad(mapping.lead_id_column, f"lead id {raw_id!r} already used on line {seen[lead_id]}")
        return
    seen[lead_id] = row.line
    created = row.created(as_of)
    traits = row.traits()
    outcome = row.outcome()
    if outcome is not None and mapping.outcome is not None:
        traits[mapping.outcome.trait] = outcome
    planned = row.planned_events()
    if problems.total > before or created is None:
        return
    messages = [_identify(lead_id, created, traits, mapping), *_events(lead_id, created, planned, mapping)]
    for offset, message in enumerate(messages):
        try:
            parse_message(message)
        except MessageError as exc:
            problems.add(f"line {row.line}", f"would produce an invalid message #{offset + 1}: {exc}")
            return
    result.messages.extend(messages)
    result.leads += 1
    result.events += len(messages) - 1
    result.outcomes[outcome or "unknown"] += 1


def _event_occurrences(spec: EventColumn, raw: str) -> tuple[str, int]:
    """The event's name (or page path) and how many times it happened."""
    if spec.value_as == "count":
        return spec.name or "", read_count(raw)
    if spec.value_as == "flag":
        folded = fold(raw)
        if folded in spec.yes:
            return spec.name or "", 1
        if folded in spec.no:
            return spec.name or "", 0
        allowed = ", ".join(sorted(spec.yes | spec.no))
        raise CellError(f"expected one of {allowed}, found {raw.strip()!r}")
    text = raw.strip()
    return spec.rename.get(fold(text), text), 1


def _identify(lead_id: str, created: int, traits: dict[str, Any], mapping: CsvMapping) -> dict[str, Any]:
    properties: dict[str, Any] = {"source": IMPORT_SOURCE, "mapping": mapping.name}
    if mapping.outcome is not None:
        properties["outcome_trait"] = mapping.outcome.trait
    post_contact = [t.trait for t in mapping.traits if t.post_contact]
    if post_contact:
        properties["post_contact_traits"] = post_contact
    return {
        "type": "identify",
        "messageId": f"csv:{mapping.name}:{lead_id}:identify",
        "userId": lead_id,
        "timestamp": iso(created, mapping.zone),
        "traits": traits,
        "properties": properties,
    }


def _events(lead_id: str, created: int, planned: Iterable[_Planned], mapping: CsvMapping) -> list[dict[str, Any]]:
    """One message per occurrence. Without their own timestamp, occurrences follow the lead's
    creation one second apart, in mapping order, so replays are deterministic."""
    messages: list[dict[str, Any]] = []
    per_column: Counter[int] = Counter()
    for sequence, (number, spec, name, stamp) in enumerate(planned, start=1):
        per_column[number] += 1
        at = stamp if stamp is not None else created + sequence * US_PER_SECOND
        message: dict[str, Any] = {
            "type": spec.type,
            "messageId": f"csv:{mapping.name}:{lead_id}:e{number}:{per_column[number]}",
            "userId": lead_id,
            "timestamp": iso(at, mapping.zone),
            "properties": {"source": IMPORT_SOURCE, "column": spec.column},
        }
        if spec.type == "track":
            message["event"] = name
        else:
            message["properties"]["path"] = name
        messages.append(message)
    return messages
