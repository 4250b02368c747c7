"""Scores alone: every lead's fit and engagement as of a time, in one relational pass.

For callers that need scores but not stages (the batch benchmark measures it; no command
uses it yet): what a scoring tool would compute, without the lifecycle: no recycling resets,
and traits from identify/group messages only (not from a ``create_sgl`` action). The pieces
are the batch engine's own (rule matches from ``matching``, fit from ``trait_rows``), so the
numbers are the ones the full engine reports for any lead never recycled and not created by sales.

Engagement is one aggregate over the page/track rows: each row's points from the rules
without ``max_count`` (a sum over its match bits), plus, for each rule with ``max_count``,
its first ``max_count`` matches per lead (the only place a ranking is needed).
"""

from __future__ import annotations

from typing import Any

from leadpact.adapters.batch import sql_compile as sc
from leadpact.adapters.batch.agreement_sql import AgreementSql
from leadpact.adapters.batch.matching import RULES_PER_MASK
from leadpact.adapters.batch.trait_rows import TraitVerdicts, empty_verdicts, trait_rows_sql


def _bit(rule: int) -> str:
    return f"(mask_{rule // RULES_PER_MASK} & {1 << (rule % RULES_PER_MASK)}::UBIGINT <> 0)"


def scores_as_of(con: Any, a: AgreementSql, placed: str, as_of: int) -> Any:
    """Arrow table ``lead_id, fit, engagement, score`` for every lead of ``placed`` (a relation
    with ``lead_id``, ``ts``, ``seq``, ``type``, ``traits``, ``opaque`` and the match masks) that
    has an identify, group, page or track message."""
    rules = a.agreement.engagement
    weight = a.weight_at(as_of, "ts")
    unlimited = [
        f"(CASE WHEN {_bit(i)} THEN {sc.number(r.points)} ELSE 0.0::DOUBLE END)"
        for i, r in enumerate(rules)
        if r.max_count is None
    ]
    parts = []
    if unlimited:
        any_bit = " OR ".join(_bit(i) for i, r in enumerate(rules) if r.max_count is None)
        parts.append(f"SELECT lead_id, ({' + '.join(unlimited)}) * {weight} AS points FROM m WHERE {any_bit}")
    for i, r in enumerate(rules):
        if r.max_count is not None:
            parts.append(
                f"SELECT lead_id, {sc.number(r.points)} * {weight} AS points FROM m WHERE {_bit(i)}"
                f" QUALIFY row_number() OVER (PARTITION BY lead_id ORDER BY ts, seq) <= {int(r.max_count)}"
            )
    contributions = " UNION ALL ".join(parts) or "SELECT NULL::VARCHAR AS lead_id, 0.0::DOUBLE AS points WHERE FALSE"
    verdicts = TraitVerdicts.of(a)
    fit_empty = sc.number(empty_verdicts(con, a, verdicts)["fit_t"] or 0.0)
    masks = ", ".join(f"mask_{i}" for i in range(max(1, -(-len(rules) // RULES_PER_MASK))))
    trait_source = (
        "(SELECT lead_id AS lk, ts, seq, type, traits, opaque FROM"
        f" {placed} WHERE lead_id IS NOT NULL AND type IN ('identify', 'group'))"
    )
    query = f"""
        WITH m AS (SELECT lead_id, ts, seq, {masks} FROM {placed}
                   WHERE lead_id IS NOT NULL AND type IN ('page', 'track')),
        eng AS (SELECT lead_id, sum(points) AS engagement FROM ({contributions}) GROUP BY lead_id),
        traits AS ({trait_rows_sql(a, verdicts, trait_source)}),
        fit AS (SELECT lk AS lead_id, arg_max(fit_t, (ts, seq)) AS fit FROM traits GROUP BY lk),
        leads AS (SELECT DISTINCT lead_id FROM {placed}
                  WHERE lead_id IS NOT NULL AND type IN ('identify', 'group', 'page', 'track'))
        SELECT l.lead_id, coalesce(f.fit, {fit_empty}) AS fit, coalesce(e.engagement, 0.0) AS engagement,
            coalesce(f.fit, {fit_empty}) + coalesce(e.engagement, 0.0) AS score
        FROM leads l LEFT JOIN fit f USING (lead_id) LEFT JOIN eng e USING (lead_id) ORDER BY l.lead_id"""
    return con.sql(query).to_arrow_table()
