"""Scores alone: every lead's fit and engagement as of a time, in one relational pass.

For dashboards and calibration that need scores but not stages: what a scoring tool would
compute, without the lifecycle: no recycling resets, and traits from identify/group messages
only (not from a ``create_sgl`` action). The pieces are the batch engine's own (rule matches
from ``matching``, fit from ``trait_rows``), so the numbers are the ones the full engine
reports for any lead never recycled and not created by sales.
"""

from __future__ import annotations

from typing import Any

from leadpact.adapters.batch import sql_compile as sc
from leadpact.adapters.batch.agreement_sql import AgreementSql
from leadpact.adapters.batch.matching import RULES_PER_MASK
from leadpact.adapters.batch.trait_rows import TraitVerdicts, empty_verdicts, trait_rows_sql


def scores_as_of(con: Any, a: AgreementSql, placed: str, as_of: int) -> Any:
    """Arrow table ``lead_id, fit, engagement, score`` for every lead of ``placed``."""
    rules = a.agreement.engagement
    points = "([" + ", ".join(sc.number(r.points) for r in rules) + "]::DOUBLE[])"
    limit_items = [str(r.max_count) if r.max_count is not None else "NULL" for r in rules]
    limits = "([" + ", ".join(limit_items) + "]::BIGINT[])"
    selects = [
        f"SELECT lead_id, ts, seq, {i} AS rule FROM m"
        f" WHERE (mask_{i // RULES_PER_MASK} >> {i % RULES_PER_MASK}) & 1 = 1"
        for i in range(len(rules))
    ]
    bits = " UNION ALL ".join(selects) or "SELECT lead_id, ts, seq, 0 AS rule FROM m WHERE FALSE"
    verdicts = TraitVerdicts.of(a)
    fit_empty = empty_verdicts(con, a, verdicts)["fit_t"] or 0.0
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _score_rows AS SELECT *,"
        " CAST(dense_rank() OVER (ORDER BY lead_id) - 1 AS BIGINT) AS lk FROM"
        f" {placed} WHERE lead_id IS NOT NULL AND type IN ('identify', 'group', 'page', 'track')"
    )
    masks = ", ".join(f"mask_{i}" for i in range(max(1, -(-len(rules) // RULES_PER_MASK))))
    query = f"""
        WITH m AS (SELECT lead_id, ts, seq, {masks} FROM _score_rows WHERE type IN ('page', 'track')),
        c AS ({bits}),
        ranked AS (SELECT *, row_number() OVER (PARTITION BY lead_id, rule ORDER BY ts, seq) AS n FROM c),
        eng AS (
            SELECT lead_id, sum({points}[rule + 1] * {a.weight_at(as_of, "ts")}) AS engagement
            FROM ranked WHERE {limits}[rule + 1] IS NULL OR n <= {limits}[rule + 1] GROUP BY lead_id
        ),
        traits AS ({trait_rows_sql(a, verdicts, "_score_rows")}),
        fit AS (SELECT lk, arg_max(fit_t, (ts, seq)) AS fit FROM traits GROUP BY lk),
        leads AS (SELECT DISTINCT lead_id, lk FROM _score_rows)
        SELECT l.lead_id, coalesce(f.fit, {sc.number(fit_empty)}) AS fit, coalesce(e.engagement, 0.0) AS engagement,
            coalesce(f.fit, {sc.number(fit_empty)}) + coalesce(e.engagement, 0.0) AS score
        FROM leads l LEFT JOIN fit f USING (lk) LEFT JOIN eng e USING (lead_id) ORDER BY l.lead_id"""
    table = con.sql(query).to_arrow_table()
    con.execute("DROP TABLE _score_rows")
    return table
