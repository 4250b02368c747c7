"""The agreement's scoring and criteria as SQL fragments, derived once from the agreement.

Everything the relational plan needs to know about the agreement lives here: decay weights,
the trait keys the conditions read (and how ``email_domain`` follows ``email``), fit as a sum,
the exclusions, the score comparisons of the criteria and their ``event_in`` lists. The
queries (``trait_rows``, ``scores``) and the scan arrange these; they never look inside a
condition themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final

from leadpact.adapters.batch import sql_compile as sc
from leadpact.domain.agreement import Agreement
from leadpact.domain.compiled import CompiledDecay
from leadpact.domain.conditions import Condition, EventIn, ScoreGte, TraitCond, walk
from leadpact.domain.replay import compiled

COMPANY_PREFIX: Final = "company."
_ASCII_STRIP: Final = " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"
"""The ASCII characters ``str.strip()`` removes (non-ASCII input is left to the replay)."""


def _column(scope: str, key: str, index: int) -> str:
    del key  # keys may be spelled any way; columns are numbered
    return f"{scope}_{index}"


@dataclass(frozen=True, slots=True)
class TraitKeys:
    """Which trait keys the conditions read, and the column that holds each one's value."""

    lead: tuple[str, ...]
    company: tuple[str, ...]

    def lead_column(self, key: str) -> str:
        return _column("lv", key, self.lead.index(key))

    def company_column(self, key: str) -> str:
        return _column("cv", key, self.company.index(key))

    def lookup(self, name: str) -> str:
        """``lookup_trait``: the lead's own value, else the company's; ``company.X`` the company's."""
        if name.startswith(COMPANY_PREFIX):
            return self.company_column(name[len(COMPANY_PREFIX) :])
        return f"coalesce({self.lead_column(name)}, {self.company_column(name)})"

    @property
    def columns(self) -> list[str]:
        return [self.lead_column(k) for k in self.lead] + [self.company_column(k) for k in self.company]


def _trait_names(conditions: list[Condition]) -> list[str]:
    names: list[str] = []
    for cond in conditions:
        for node in walk(cond):
            if isinstance(node, TraitCond) and node.trait not in names:
                names.append(node.trait)
    return names


@dataclass(slots=True)
class AgreementSql:
    agreement: Agreement
    decay: CompiledDecay = field(init=False)
    keys: TraitKeys = field(init=False)
    watched: tuple[str, ...] = field(init=False)
    atoms: tuple[ScoreGte, ...] = field(init=False)
    """Score comparisons of the MQL/SQL criteria: where a lead's path can turn."""
    hot_atoms: tuple[ScoreGte, ...] = field(init=False)

    def __post_init__(self) -> None:
        a = self.agreement
        self.decay = compiled(a).decay
        stage_criteria = [c for c in (a.stages.mql, a.stages.sql) if c is not None]
        conditions = [r.condition for r in a.fit] + [e.condition for e in a.exclusions] + stage_criteria
        if a.stages.hot is not None:
            conditions.append(a.stages.hot)
        names = _trait_names(conditions)
        lead = [n for n in names if not n.startswith(COMPANY_PREFIX)]
        company = list(dict.fromkeys([n[len(COMPANY_PREFIX) :] if n.startswith(COMPANY_PREFIX) else n for n in names]))
        self.keys = TraitKeys(tuple(lead), tuple(company))
        self.watched = tuple(sorted(compiled(a).watched_events))
        self.atoms = tuple(_unique(n for c in stage_criteria for n in walk(c) if isinstance(n, ScoreGte)))
        hot = a.stages.hot
        self.hot_atoms = tuple(_unique(n for n in walk(hot) if isinstance(n, ScoreGte))) if hot is not None else ()

    # --- engagement -------------------------------------------------------------------------
    @property
    def reset_engagement(self) -> bool:
        return self.agreement.recycle.reset_engagement

    def weight_at(self, as_of: int, ts: str) -> str:
        """``scoring.decay_weight`` of a contribution at ``ts`` seen from ``as_of``."""
        d = self.decay
        if d.kind == "none":
            return "1.0::DOUBLE"
        if d.kind == "step":
            return f"(CASE WHEN {as_of} - {ts} > {d.after_us} THEN {sc.number(d.factor)} ELSE 1.0::DOUBLE END)"
        return f"pow(0.5::DOUBLE, CAST({as_of} - {ts} AS DOUBLE) / {sc.number(d.half_life_us)})"

    # --- traits -------------------------------------------------------------------------------
    def lead_trait_changes(self, traits: str, fields: str) -> list[tuple[str, str, str]]:
        """Per lead key: (present, value, unsure) SQL for one identify row.

        ``fields`` is ``json_extract(traits, [pointers])`` (see :meth:`lead_pointers`), so the
        row's JSON is parsed once. ``email_domain`` follows ``email`` as in the replay.
        """
        pointers = self.lead_pointers()
        out: list[tuple[str, str, str]] = []
        for key in self.keys.lead:
            value = f"{fields}[{pointers.index(key) + 1}]"
            present = f"({value} IS NOT NULL)"
            kept = f"(CASE WHEN json_type({value}) = 'NULL' THEN NULL ELSE {value} END)"
            unsure = "FALSE"
            if key == "email_domain":
                email = f"{fields}[{pointers.index('email') + 1}]"
                address = f"({email} ->> '$')"
                domain = f"regexp_extract({address}, '@([^@]*)$', 1)"
                derived = (
                    f"(CASE WHEN json_type({email}) = 'VARCHAR' AND contains({address}, '@')"
                    f" THEN to_json(lower(trim({domain}, {sc.text(_ASCII_STRIP)}))) END)"
                )
                present = f"({email} IS NOT NULL OR {value} IS NOT NULL)"
                kept = f"(CASE WHEN {email} IS NOT NULL THEN {derived} ELSE {kept} END)"
                unsure = (
                    f"coalesce(json_type({email}) = 'VARCHAR' AND contains({address}, '@')"
                    f" AND regexp_matches({domain}, '[^\\x00-\\x7f]'), FALSE)"
                )
            out.append((present, kept, unsure))
        del traits
        return out

    def lead_pointers(self) -> list[str]:
        keys = list(self.keys.lead)
        if "email_domain" in keys and "email" not in keys:
            keys.append("email")
        return keys

    def company_pointers(self) -> list[str]:
        return list(self.keys.company)

    # --- scores and criteria ------------------------------------------------------------------
    def trait_sql(self, cond: Condition) -> str:
        """A trait condition over the trait columns (:attr:`keys`)."""
        return sc.trait_condition(cond, self.keys.lookup)

    def fit_sum(self, compile_cond: Callable[[Condition], str] | None = None) -> tuple[str, str]:
        """(fit as DOUBLE summed in agreement order like ``fit_score``, any-rule-unsure).
        ``compile_cond`` compiles each rule's condition (default: :meth:`trait_sql`)."""
        compile_cond = compile_cond or self.trait_sql
        terms = ["0.0::DOUBLE"]
        unsure: list[str] = []
        for rule in self.agreement.fit:
            cond = compile_cond(rule.condition)
            terms.append(f"(CASE WHEN {cond} THEN {sc.number(rule.points)} ELSE 0.0::DOUBLE END)")
            unsure.append(f"({cond}) IS NULL")
        return " + ".join(terms), (" OR ".join(unsure) if unsure else "FALSE")

    def exclusion(self, compile_cond: Callable[[Condition], str] | None = None) -> str:
        """Any exclusion holds (NULL: unsure)."""
        compile_cond = compile_cond or self.trait_sql
        conds = [compile_cond(e.condition) for e in self.agreement.exclusions]
        return "(" + " OR ".join(conds) + ")" if conds else "FALSE"

    def seen_columns(self) -> list[tuple[str, ...]]:
        """Each distinct ``event_in`` list of the criteria (its seen flag is a column)."""
        lists: list[tuple[str, ...]] = []
        a = self.agreement
        for cond in (a.stages.mql, a.stages.sql, a.stages.hot):
            if cond is None:
                continue
            for node in walk(cond):
                if isinstance(node, EventIn) and node.events not in lists:
                    lists.append(node.events)
        return lists


def _unique(items: Iterable[ScoreGte]) -> list[ScoreGte]:
    seen: list[ScoreGte] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
