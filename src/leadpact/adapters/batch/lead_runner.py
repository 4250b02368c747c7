"""The sequential half of a batch run: the reference per-lead replay over the plan's rows.

Runs in the engine's worker processes (DuckDB mode) or inside Spark tasks. Each lead's rows
(already ordered by timestamp, arrival) go through :class:`~leadpact.domain.lead_replay.LeadMachine`
exactly as :func:`leadpact.domain.replay.replay` feeds them; for *reduced* leads the machine's
engagement comes from the plan (:class:`~leadpact.adapters.batch.oracle.PlannedEngagement`)
and touches and the last event time are taken from the plan, since not every row is fed.

Rows arrive as columns and leave as columns: a :class:`Message` is built per fed row (JSON
text decoded only where a row has some), and results are appended to a
:class:`~leadpact.adapters.batch.results_table.ResultBuilder`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from leadpact.adapters.batch.bucket import ReplayBatch
from leadpact.adapters.batch.oracle import PlanArrays, PlannedEngagement
from leadpact.adapters.batch.results_table import ResultBuilder
from leadpact.domain.agreement import Agreement
from leadpact.domain.lead_replay import LeadMachine
from leadpact.domain.memory import collector_paused
from leadpact.domain.messages import Message
from leadpact.domain.replay import compiled
from leadpact.domain.results import RefusedAction


@dataclass(slots=True)
class RunnerOutput:
    results: Any
    """Arrow results table (system assignments still without owners)."""
    unknown: list[tuple[str, RefusedAction]] = field(default_factory=list)
    """Refused actions of leads that never came to exist."""
    lks: Any = None
    """The lead key of each result row (numpy int64)."""


def _json_column(column: Any) -> list[Any]:
    """JSON text → decoded values (``{}`` for NULL), decoding each distinct text once."""
    texts = column.to_pylist()
    memo: dict[str, Any] = {}
    out: list[Any] = []
    for text in texts:
        if text is None:
            out.append({})
            continue
        value = memo.get(text)
        if value is None:
            value = memo[text] = json.loads(text)
        out.append(value)
    return out


def replay_batch(batch: ReplayBatch, agreement: Agreement, as_of: int, *, with_traits: bool) -> RunnerOutput:
    """Replay every lead of ``batch`` from its rows."""
    with collector_paused():
        return _replay_batch(batch, agreement, as_of, with_traits=with_traits)


def _replay_batch(batch: ReplayBatch, agreement: Agreement, as_of: int, *, with_traits: bool) -> RunnerOutput:
    c = compiled(agreement)
    w = batch.wide
    n = w.num_rows
    nothing = [None] * n
    # One Message per fed row, built column-wise (positional fields, see ``Message``).
    messages = list(
        map(
            Message,
            w.column("type").to_pylist(),
            w.column("message_id").to_pylist(),
            w.column("ts").to_pylist(),
            w.column("user_id").to_pylist(),
            w.column("anonymous_id").to_pylist(),
            _json_column(w.column("traits")),
            w.column("event").to_pylist(),
            w.column("path").to_pylist(),
            nothing,
            _json_column(w.column("properties")),
            nothing,
            w.column("action").to_pylist(),
            w.column("actor_id").to_pylist(),
            w.column("actor_role").to_pylist(),
            w.column("seq").to_pylist(),
        )
    )
    p = batch.plan
    plan = PlanArrays(
        c.engagement,
        ords=p.ords.tolist(),
        offsets=p.o_off.tolist(),
        epochs=p.o_epochs.tolist(),
        values=p.o_values.tolist(),
        seg_epoch=p.seg_epoch.tolist(),
        seg_total=p.seg_total.tolist(),
        counts=p.seg_counts.tolist(),
        decayed=p.seg_decayed.tolist(),
    )
    lead_ids = batch.lead_ids.to_pylist()
    exact = p.exact.tolist()
    last_ts = p.last_ts.tolist()
    row_off = p.row_off.tolist()
    seg_off = p.seg_off.tolist()
    touches = batch.touches
    builder = ResultBuilder(with_traits=with_traits)
    kept: list[int] = []
    unknown: list[tuple[str, RefusedAction]] = []
    for k, lead_id in enumerate(lead_ids):
        machine = LeadMachine(lead_id, c)
        planned: PlannedEngagement | None = None
        if not exact[k]:
            planned = PlannedEngagement(plan, seg_off[k], seg_off[k + 1])
            # The machine's scoring component, swapped for the plan's sums (same interface).
            machine.engagement = planned  # type: ignore[assignment]
        apply = machine.apply
        if planned is None:
            for i in range(row_off[k], row_off[k + 1]):
                apply(messages[i])
        else:
            for i in range(row_off[k], row_off[k + 1]):
                planned.row = i
                apply(messages[i])
        if machine.stage is None:
            unknown.extend((lead_id, refused) for refused in machine.errors)
            continue
        if planned is not None:
            planned.at_end()
        result = machine.result(as_of)
        if planned is not None:
            result.touches = {t["key"]: t["count"] for t in touches[k]} if touches is not None else {}
            result.last_event_at = last_ts[k]
        builder.add(result)
        kept.append(k)
    return RunnerOutput(builder.table(), unknown, p.lk[np.asarray(kept, dtype=np.int64)])
