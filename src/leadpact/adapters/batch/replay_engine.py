"""The reference replay as a batch engine: same input formats, same results table.

JSONL is read by the reference reader (``adapters.jsonl``); Parquet rows become the Segment
messages they stand for (``reader.record_message``) and go through ``parse_message``. Then
``domain.replay.replay`` decides everything; its ``LeadResult`` objects become the results table
every engine returns.
"""

from __future__ import annotations

from typing import Any

from leadpact.adapters.batch.reader import NESTED_COLUMNS, BadRow, arrow_python, is_parquet, parse_records
from leadpact.adapters.batch.results_table import ResultBuilder
from leadpact.adapters.batch.run import BatchRun, RunStats
from leadpact.adapters.jsonl import read_messages
from leadpact.domain.agreement import Agreement
from leadpact.domain.messages import Message
from leadpact.domain.replay import newest_ts, replay


def read_any(path: str) -> tuple[list[Message], list[BadRow], int]:
    """All valid messages, the bad rows, and how many rows were read."""
    if is_parquet(path):
        return _read_parquet(path)
    messages, bad = read_messages(path)
    return messages, [BadRow(b.source, b.line, b.reason) for b in bad], len(messages) + len(bad)


def _read_parquet(path: str) -> tuple[list[Message], list[BadRow], int]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    bad: list[BadRow] = []
    messages: list[Message] = []
    rows = 0
    seq = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=65_536):
        columns = batch.to_pydict()
        names = list(columns)
        for field in batch.schema:
            if field.name in NESTED_COLUMNS and not pa.types.is_string(field.type):
                columns[field.name] = [arrow_python(value, field.type) for value in columns[field.name]]
        records = []
        for i in range(batch.num_rows):
            seq += 1
            records.append((seq, {name: columns[name][i] for name in names}))
        rows += batch.num_rows
        messages.extend(parse_records(iter(records), path, bad))
    return messages, bad, rows


def run_replay(agreement: Agreement, path: str, as_of: int | None, *, with_traits: bool) -> BatchRun:
    messages, bad, rows = read_any(path)
    if as_of is None:
        as_of = newest_ts(messages) or 0
    result = replay(messages, agreement, as_of)
    builder = ResultBuilder(with_traits=with_traits)
    for lead in result.leads.values():
        builder.add(lead)
    table: Any = builder.table()
    stats = RunStats(
        rows=rows,
        duplicates=result.duplicates,
        after_as_of=result.after_as_of,
        unlinked_anonymous=result.unlinked_anonymous,
        python_rows=rows,
        leads=len(result.leads),
        replayed_rows=len(messages),
    )
    unknown = [(u.lead_id, u.refused) for u in result.unknown_lead_actions]
    leads = [result.leads[lead_id] for lead_id in sorted(result.leads)]
    return BatchRun("replay", as_of, table, unknown, bad, stats, leads)
