"""Comparing engines: every field of every lead, as the reference replay computed it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from leadpact.adapters.batch.results_table import lead_row
from leadpact.domain.replay import ReplayResult
from leadpact.domain.results import LeadResult, lead_to_json, round_score


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round_score(value)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def everything(lead: LeadResult, as_of: int, zone: Any, *, with_traits: bool) -> dict[str, Any]:
    """The SPEC §7 object and every LeadResult field (floats rounded as the output is)."""
    row = lead_row(lead, with_traits=False)
    row["touches"] = sorted(lead.touches.items())
    if with_traits:
        row["traits"] = lead.traits
        row["company"] = lead.company
    return {"json": lead_to_json(lead, as_of, zone), "row": _rounded(row)}


def mismatches(
    reference: ReplayResult, leads: Iterable[LeadResult], zone: Any, *, with_traits: bool, limit: int = 5
) -> list[str]:
    """Human-readable differences between the reference and an engine's leads (first few)."""
    got = {lead.lead_id: lead for lead in leads}
    out: list[str] = []
    if sorted(got) != sorted(reference.leads):
        missing = sorted(set(reference.leads) - set(got))[:5]
        extra = sorted(set(got) - set(reference.leads))[:5]
        out.append(f"lead ids differ: missing {missing}, extra {extra}")
    for lead_id, lead in reference.leads.items():
        other = got.get(lead_id)
        if other is None:
            continue
        a = everything(lead, reference.as_of, zone, with_traits=with_traits)
        b = everything(other, reference.as_of, zone, with_traits=with_traits)
        if a != b:
            fields = [k for k in a["json"] if a["json"][k] != b["json"][k]]
            fields += [k for k in a["row"] if a["row"][k] != b["row"][k]]
            out.append(f"{lead_id}: {sorted(set(fields))}: {a['json']} != {b['json']}")
            if len(out) >= limit:
                break
    return out
