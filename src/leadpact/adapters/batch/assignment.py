"""The global round robin of SPEC §4.4, as a final pass over the engines' results.

System assignments leave the per-lead replay without owners; the owners depend on every
lead's MQL entries. This pass reads the pending assignments from the Arrow columns, hands them
to the domain's own :func:`~leadpact.domain.replay.round_robin` (the single definition of the
round robin, which :func:`~leadpact.domain.replay.assign_owners` runs too), then writes the
owners back column by column (no per-row conversion of the rest).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from leadpact.domain.agreement import Agreement
from leadpact.domain.replay import round_robin

_FIELDS = ("at", "cause", "team", "owner", "actor_id", "actor_role", "mql_at")


def assign_system_owners(results: Any, agreement: Agreement) -> Any:
    """``results`` (an Arrow results table) with every system assignment's owner decided,
    and each such lead's ``owner`` set to its last assignment's owner."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if results.num_rows == 0:
        return results
    column = results.column("assignments").combine_chunks()
    flat = column.flatten()
    if len(flat) == 0:
        return results
    offsets = column.offsets.to_numpy()
    offsets = offsets - offsets[0]  # a sliced list array: ``flatten`` starts at its first item
    pending = np.asarray(pc.and_(pc.is_null(flat.field("owner")), pc.is_valid(flat.field("team"))).to_numpy(False))
    if not pending.any():
        return results
    lead_of = np.repeat(np.arange(len(column), dtype=np.int64), np.diff(offsets))
    at, mql_at, teams = (flat.field(name).to_pylist() for name in ("at", "mql_at", "team"))
    lead_ids = results.column("lead_id").to_pylist()
    starts = offsets.tolist()
    items = np.flatnonzero(pending).tolist()
    owned_by = lead_of[pending].tolist()
    work = [
        (mql_at[i] or at[i], lead_ids[lead], i - starts[lead], teams[i])
        for i, lead in zip(items, owned_by, strict=True)
    ]
    owners = flat.field("owner").to_pylist()
    for i, owner in zip(items, round_robin(work, agreement), strict=True):
        owners[i] = owner
    # Each lead that got one is owned by its last assignment's owner.
    lead_owner = results.column("owner").to_pylist()
    for lead in np.unique(lead_of[pending]).tolist():
        lead_owner[lead] = owners[starts[lead + 1] - 1]
    struct = column.type.value_type
    children = [flat.field(name) if name != "owner" else pa.array(owners, type=pa.string()) for name in _FIELDS]
    new_assignments = pa.ListArray.from_arrays(
        pa.array(offsets.astype(np.int32)), pa.StructArray.from_arrays(children, fields=list(struct))
    )
    schema = results.schema
    results = results.set_column(schema.get_field_index("assignments"), schema.field("assignments"), new_assignments)
    return results.set_column(
        schema.get_field_index("owner"), schema.field("owner"), pa.array(lead_owner, type=pa.string())
    )
