"""Stages and the actions table of SPEC §5: who may do what, from which stage, to where.

This table is the single source for the replay, the API's permission checks and the rendered
agreement, so a refused action reads the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

STAGE_ORDER: Final = ("lead", "mal", "mql", "sal", "sql", "opportunity", "customer")
"""The demand waterfall, in order. ``disqualified`` and ``lost`` sit outside it."""

BEFORE_SAL: Final = frozenset({"lead", "mal", "mql"})
"""Exclusions are checked while the lead is in one of these stages (SPEC §4.3.1)."""

BEFORE_SQL: Final = frozenset({"lead", "mal", "mql", "sal"})

RECYCLING_ACTIONS: Final = frozenset({"reject", "lose", "recycle"})
REASON_REQUIRED: Final = frozenset({"reject", "lose", "recycle", "disqualify"})


@dataclass(frozen=True, slots=True)
class ActionRule:
    name: str
    allowed_from: frozenset[str]
    goes_to: str | None
    roles: frozenset[str]


_ALL_BUT_CUSTOMER: Final = frozenset({*STAGE_ORDER, "disqualified"} - {"customer"})

ACTION_RULES: Final[dict[str, ActionRule]] = {
    rule.name: rule
    for rule in (
        ActionRule("assign", frozenset({"mql", "sal", "sql"}), None, frozenset({"marketing", "system"})),
        ActionRule("accept", frozenset({"mql"}), "sal", frozenset({"inside_sales"})),
        ActionRule("reject", frozenset({"mql", "sal"}), "mal", frozenset({"inside_sales", "field_sales"})),
        ActionRule("contact", frozenset({"mql", "sal", "sql"}), None, frozenset({"inside_sales", "field_sales"})),
        ActionRule("confirm_bant", frozenset({"mql", "sal"}), None, frozenset({"inside_sales"})),
        ActionRule("open_opportunity", frozenset({"sql"}), "opportunity", frozenset({"field_sales"})),
        ActionRule("win", frozenset({"opportunity"}), "customer", frozenset({"field_sales"})),
        ActionRule("lose", frozenset({"opportunity"}), "mal", frozenset({"field_sales"})),
        ActionRule("recycle", frozenset({"sal", "sql"}), "mal", frozenset({"inside_sales", "field_sales"})),
        ActionRule(
            "disqualify",
            _ALL_BUT_CUSTOMER,
            "disqualified",
            frozenset({"marketing", "inside_sales", "field_sales"}),
        ),
        ActionRule("create_sgl", frozenset(), "sql", frozenset({"field_sales"})),
    )
}


def role_may(role: str, action: str) -> bool:
    """``admin`` may do everything; otherwise the role must be listed for the action."""
    return role == "admin" or role in ACTION_RULES[action].roles


UNKNOWN_LEAD: Final = "unknown lead: an action needs an existing lead (only create_sgl creates one)"
"""Why an action on a lead that does not exist (yet, at the action's time) is refused."""


def permission_problem(role: str, action: str, stage: str | None) -> str | None:
    """Why ``role`` may not do ``action`` on a lead in ``stage`` (None: it may).

    ``stage`` None means the lead does not exist yet. The role is checked before the stage so
    that a person learns first whether the action is theirs to take at all.
    """
    rule = ACTION_RULES[action]
    if not role_may(role, action):
        allowed = ", ".join(sorted(rule.roles | {"admin"}))
        return f"role {role} may not {action} (allowed: {allowed})"
    if action == "create_sgl":
        return "lead already exists; create_sgl creates a new lead" if stage is not None else None
    if stage is None:
        return UNKNOWN_LEAD
    if stage not in rule.allowed_from:
        allowed = ", ".join(s for s in (*STAGE_ORDER, "disqualified") if s in rule.allowed_from)
        return f"{action} is not allowed in stage {stage} (allowed from: {allowed})"
    return None
