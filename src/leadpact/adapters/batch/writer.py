"""Batch results out: SPEC §7 JSON objects (JSONL) or a typed Parquet table.

Both carry exactly the ``score --json`` fields. JSON objects are produced by the domain's own
:func:`~leadpact.domain.results.lead_to_json`, so a batch run prints what a replay prints.
Parquet keeps types: scores as doubles rounded like the JSON, times as timestamps in the
agreement's time zone, lists of structs for reasons, history, SLA clocks and refused actions.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from leadpact.adapters.batch.results_table import lead_results
from leadpact.adapters.file_modes import as_created_by_open
from leadpact.domain.agreement import Agreement
from leadpact.domain.results import SCORE_DECIMALS, lead_to_json, round_score

FORMATS = ("jsonl", "parquet")
_SUFFIXES = {".jsonl": "jsonl", ".parquet": "parquet", ".pq": "parquet"}


class OutputError(ValueError):
    """Results cannot be written to ``path``: say what is wrong with it."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


def output_format(path: str | Path) -> str:
    """``jsonl`` for ``*.jsonl``, ``parquet`` for ``*.parquet``/``*.pq`` (any case); no other
    name is guessed at (``x.csv`` is not written as JSONL)."""
    fmt = _SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise OutputError(path, "expected a .jsonl or .parquet file name")
    return fmt


def check_target(path: str | Path) -> str:
    """The format of ``path`` once results can be written there, checked before a long run:
    a file name (not a directory) with a known extension, in a directory that exists and takes
    the temporary file :func:`write_results` writes first. Raises :class:`OutputError`."""
    target = Path(path)
    if target.is_dir():
        raise OutputError(path, "is a directory, expected a .jsonl or .parquet file name")
    fmt = output_format(target)
    folder = target.parent
    if not folder.exists():
        raise OutputError(path, f"no such directory {folder}")
    if not folder.is_dir():
        raise OutputError(path, f"{folder} is not a directory")
    try:
        Path(_temp_beside(target)).unlink()
    except OSError as exc:
        raise OutputError(path, f"cannot write in {folder}: {exc.strerror or exc}") from None
    return fmt


def json_objects(results: Any, agreement: Agreement, as_of: int) -> Iterator[dict[str, Any]]:
    """The SPEC §7 object of every lead, in the table's order (sorted by lead id)."""
    zone = agreement.zone
    for lead in lead_results(results):
        yield lead_to_json(lead, as_of, zone)


def write_results(results: Any, agreement: Agreement, as_of: int, path: str | Path) -> None:
    """Write atomically: a temporary file next to ``path``, renamed when complete (removed if
    anything fails). The format follows the extension; any other name raises :class:`OutputError`."""
    target = Path(path)
    fmt = output_format(target)
    temp = _temp_beside(target)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(spec_table(results, agreement, as_of), temp, compression="zstd")
        else:
            with Path(temp).open("w", encoding="utf-8") as stream:
                for obj in json_objects(results, agreement, as_of):
                    stream.write(json.dumps(obj, ensure_ascii=False) + "\n")
        as_created_by_open(temp)
        Path(temp).replace(target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _temp_beside(target: Path) -> str:
    """A new empty hidden file in ``target``'s directory (so the final rename stays on one file system)."""
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    return temp


# --- Parquet --------------------------------------------------------------------------------


def rounded(values: Any) -> Any:
    """``round_score`` over a float64 array: numpy where it is certainly the same, Python's
    correctly rounded ``round`` for values that sit on a rounding tie."""
    x = np.asarray(values, dtype=np.float64)
    out = np.round(x, SCORE_DECIMALS)
    scaled = np.abs(x) * 10**SCORE_DECIMALS
    near_tie = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-3
    for i in np.flatnonzero(near_tie | ~np.isfinite(x)):
        out[i] = round_score(float(x[i]))
    out[out == 0] = 0.0  # no "-0.0"
    return out


def spec_table(results: Any, agreement: Agreement, as_of: int) -> Any:
    """The results as the ``score --json`` fields, typed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    zone = agreement.timezone
    stamp = pa.timestamp("us", tz=zone)

    def when(values: Any) -> Any:
        return pc.cast(values, pa.int64()).cast(stamp)

    def score(name: str) -> Any:
        return pa.array(rounded(results.column(name).to_numpy(zero_copy_only=False)), type=pa.float64())

    reasons = results.column("reasons").combine_chunks()
    r = reasons.flatten()
    reasons_out = pa.ListArray.from_arrays(
        reasons.offsets,
        pa.StructArray.from_arrays(
            [
                r.field("rule"),
                r.field("count"),
                pa.array(rounded(r.field("points").to_numpy(zero_copy_only=False))),
                pa.array(rounded(r.field("decayed_points").to_numpy(zero_copy_only=False))),
            ],
            names=["rule", "count", "points", "decayed_points"],
        ),
    )
    history = results.column("history").combine_chunks()
    h = history.flatten()
    history_out = pa.ListArray.from_arrays(
        history.offsets,
        pa.StructArray.from_arrays(
            [h.field("stage"), when(h.field("at")), h.field("cause"), h.field("fast_track")],
            names=["stage", "at", "cause", "fast_track"],
        ),
    )
    sla = results.column("sla").combine_chunks()
    c = sla.flatten()
    sla_out = pa.ListArray.from_arrays(
        sla.offsets,
        pa.StructArray.from_arrays(
            [
                c.field("id"),
                c.field("owner"),
                _status(c, as_of),
                when(c.field("started_at")),
                when(c.field("deadline")),
                when(c.field("stopped_at")),
            ],
            names=["id", "owner", "status", "started_at", "deadline", "stopped_at"],
        ),
    )
    errors = results.column("errors").combine_chunks()
    e = errors.flatten()
    actor = pa.StructArray.from_arrays([e.field("actor_id"), e.field("actor_role")], names=["id", "role"])
    errors_out = pa.ListArray.from_arrays(
        errors.offsets,
        pa.StructArray.from_arrays(
            [e.field("message_id"), e.field("action"), when(e.field("at")), actor, e.field("reason")],
            names=["message_id", "action", "at", "actor", "reason"],
        ),
    )
    return pa.table(
        {
            "lead_id": results.column("lead_id"),
            "stage": results.column("stage"),
            "score": score("score"),
            "fit": score("fit"),
            "engagement": score("engagement"),
            "hot": results.column("hot"),
            "owner": results.column("owner"),
            "origin": results.column("origin"),
            "reasons": reasons_out,
            "history": history_out,
            "sla": sla_out,
            "errors": errors_out,
        }
    )


def _status(clocks: Any, as_of: int) -> Any:
    """``SlaClock.status(as_of)`` over a struct array of clocks."""
    import pyarrow as pa

    cancelled = clocks.field("cancelled").to_numpy(zero_copy_only=False)
    stopped = clocks.field("stopped_at")
    stopped_null = np.asarray(stopped.is_null().to_numpy(zero_copy_only=False))
    stopped_at = np.asarray(stopped.fill_null(0).to_numpy(zero_copy_only=False))
    deadline = clocks.field("deadline").to_numpy(zero_copy_only=False)
    status = np.where(
        cancelled,
        "cancelled",
        np.where(
            ~stopped_null,
            np.where(stopped_at <= deadline, "met", "breached"),
            np.where(as_of <= deadline, "running", "breached"),
        ),
    )
    return pa.array(status.tolist(), type=pa.string())
