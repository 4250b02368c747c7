"""Trait conditions evaluated where traits change: at every identify and group row.

A lead's traits change only at its ``identify`` and ``group`` messages, so every trait
condition of the agreement (fit rules, exclusions, the trait parts of the stage criteria) is
evaluated once per such row, in DuckDB, on the traits *as of* that row (newest value per key,
``null`` removes a key, ``email_domain`` follows ``email``). The scan then carries each verdict
forward to the rows that follow. Verdicts are Kleene values: 1 true, 0 false, 0.5 unsure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from leadpact.adapters.batch import sql_compile as sc
from leadpact.adapters.batch.agreement_sql import AgreementSql
from leadpact.domain.conditions import Condition, TraitCond, walk


def kleene(cond: str) -> str:
    """A SQL boolean (NULL: unsure) as 1.0 / 0.0 / 0.5."""
    return f"(CASE WHEN {cond} THEN 1.0 WHEN NOT {cond} THEN 0.0 ELSE 0.5 END)"


@dataclass(frozen=True, slots=True)
class TraitVerdicts:
    """The columns of the trait-rows query, in order."""

    atoms: tuple[TraitCond, ...]
    """Trait conditions inside the stage criteria (MQL, SQL, hot), one column each."""
    fit_rules: int

    @staticmethod
    def of(a: AgreementSql) -> TraitVerdicts:
        stages = a.agreement.stages
        atoms: list[TraitCond] = []
        for criteria in (stages.mql, stages.sql, stages.hot):
            if criteria is None:
                continue
            for node in walk(criteria):
                if isinstance(node, TraitCond) and node not in atoms:
                    atoms.append(node)
        return TraitVerdicts(tuple(atoms), len(a.agreement.fit))

    def names(self) -> list[str]:
        return (
            ["fit_t", "fit_unsure", "excl"]
            + [f"atom_{i}" for i in range(len(self.atoms))]
            + [f"fit_{i}" for i in range(self.fit_rules)]
        )


def _leaves(a: AgreementSql, verdicts: TraitVerdicts) -> tuple[list[str], Callable[[Condition], str]]:
    """Each distinct trait test of the agreement's trait conditions as one column (``leaf_j``,
    computed once per row), and a compiler of conditions over those columns."""
    columns: dict[str, str] = {}

    def leaf(cond: TraitCond) -> str:
        sql = sc.trait_leaf(cond, a.keys.lookup)
        name = columns.get(sql)
        if name is None:
            name = columns[sql] = f"leaf_{len(columns)}"
        return name

    def compile_cond(cond: Condition) -> str:
        return sc.over_leaves(cond, leaf)

    conditions = [r.condition for r in a.agreement.fit] + [e.condition for e in a.agreement.exclusions]
    for cond in [*conditions, *verdicts.atoms]:
        compile_cond(cond)
    return [f"{sql} AS {name}" for sql, name in columns.items()], compile_cond


def _verdict_columns(a: AgreementSql, verdicts: TraitVerdicts, compile_cond: Callable[[Condition], str]) -> list[str]:
    fit, fit_unsure = a.fit_sum(compile_cond)
    columns = [f"{fit} AS fit_t", f"({fit_unsure}) AS fit_unsure", f"{kleene(a.exclusion(compile_cond))} AS excl"]
    columns += [f"{kleene(compile_cond(atom))} AS atom_{i}" for i, atom in enumerate(verdicts.atoms)]
    columns += [f"{kleene(compile_cond(rule.condition))} AS fit_{i}" for i, rule in enumerate(a.agreement.fit)]
    return columns


def _verdicts_sql(a: AgreementSql, verdicts: TraitVerdicts, relation: str, keep: str) -> str:
    """``keep`` columns and the verdict columns over a relation with the trait columns."""
    leaves, compile_cond = _leaves(a, verdicts)
    leaf_sql = ", ".join(leaves) or "NULL AS _no_leaf"
    return (
        f"SELECT {keep}{', '.join(_verdict_columns(a, verdicts, compile_cond))}"
        f" FROM (SELECT *, {leaf_sql} FROM {relation})"
    )


def empty_verdicts(con: Any, a: AgreementSql, verdicts: TraitVerdicts) -> dict[str, Any]:
    """The verdicts on no traits at all (before a lead's first identify/group)."""
    nulls = ", ".join(f"NULL::JSON AS {c}" for c in a.keys.columns) or "1 AS _none"
    row = con.execute(_verdicts_sql(a, verdicts, f"(SELECT {nulls})", "")).fetchall()[0]
    return dict(zip(verdicts.names(), row, strict=True))


def trait_rows_sql(a: AgreementSql, verdicts: TraitVerdicts, placed: str) -> str:
    """``lk, ts, seq, row_unsure`` and the verdict columns for every identify/group row of
    ``placed`` (which has ``lk``), ordered like the scan: by lead, timestamp, arrival."""
    lead_ptrs = a.lead_pointers()
    company_ptrs = a.company_pointers()

    def pointers(keys: list[str]) -> str:
        return "[" + ", ".join(sc.json_pointer(k) for k in keys) + "]"

    lead_fields = (
        f"CASE WHEN type = 'identify' THEN json_extract(traits, {pointers(lead_ptrs)}) END" if lead_ptrs else "NULL"
    )
    company_fields = (
        f"CASE WHEN type = 'group' THEN json_extract(traits, {pointers(company_ptrs)}) END" if company_ptrs else "NULL"
    )
    window = "(PARTITION BY lk ORDER BY ts, seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
    carried: list[str] = []
    unsure_terms = ["FALSE"]
    for key, (present, value, unsure) in zip(a.keys.lead, a.lead_trait_changes("traits", "_lf"), strict=True):
        carried.append(
            f"(last_value(CASE WHEN {present} THEN {{'v': {value}}} END IGNORE NULLS) OVER {window}).v"
            f" AS {a.keys.lead_column(key)}"
        )
        unsure_terms.append(unsure)
    for i, key in enumerate(company_ptrs, start=1):
        value = f"_cf[{i}]"
        carried.append(
            f"(last_value(CASE WHEN {value} IS NOT NULL THEN"
            f" {{'v': CASE WHEN json_type({value}) = 'NULL' THEN NULL ELSE {value} END}} END IGNORE NULLS)"
            f" OVER {window}).v AS {a.keys.company_column(key)}"
        )
    row_unsure = " OR ".join(unsure_terms)
    # The row's own "unsure" (a non-ASCII e-mail domain) must stick to every later row too.
    sticky = f"bool_or({row_unsure}) OVER {window}"
    carried_sql = ", ".join(carried) + ", " if carried else ""
    carried_rows = f"""(
            SELECT lk, ts, seq, {carried_sql} {sticky} AS row_unsure
            FROM (
                SELECT lk, ts, seq, type, traits, {lead_fields} AS _lf, {company_fields} AS _cf
                FROM {placed} WHERE type IN ('identify', 'group') AND NOT opaque
            )
        )"""
    return f"{_verdicts_sql(a, verdicts, carried_rows, 'lk, ts, seq, row_unsure, ')} ORDER BY lk, ts, seq"


def criteria_trait_atoms(cond: Condition | None, verdicts: TraitVerdicts) -> dict[int, int]:
    """id(node) → atom column index for the trait conditions of one criteria tree."""
    if cond is None:
        return {}
    return {id(node): verdicts.atoms.index(node) for node in walk(cond) if isinstance(node, TraitCond)}
