"""``leadpact act LEAD ACTION``: record a SPEC §5 action as a stored user."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from leadpact.adapters.store.access_repo import AccessRepo
from leadpact.domain.lifecycle import ACTION_RULES, REASON_REQUIRED, role_may
from leadpact.domain.messages import MessageError
from leadpact.entrypoints.cli.commands.db import open_services
from leadpact.entrypoints.cli.output import fail
from leadpact.service.actions import ActionRefusedError
from leadpact.service.clock import SystemClock
from leadpact.service.leads import UnknownLeadError

EXIT_REFUSED = 1

OPTION_ACTIONS: dict[str, frozenset[str]] = {
    "--reason": frozenset(REASON_REQUIRED),
    "--owner": frozenset({"assign"}),
    "--items": frozenset({"confirm_bant"}),
    "--trait": frozenset({"create_sgl"}),
}
"""The actions that use each option (SPEC §5); any other action would drop it unseen."""


def _check_options(action: str, given: dict[str, bool]) -> None:
    for option, used_by in OPTION_ACTIONS.items():
        if given[option] and action not in used_by:
            fail(f"{option}: {action} does not use it; it is for {', '.join(sorted(used_by))}")


def act(
    lead: str = typer.Argument(..., help="The lead's id (userId)."),
    action: str = typer.Argument(..., help=f"One of {', '.join(ACTION_RULES)}."),
    user: str = typer.Option(..., "--user", help="Who acts: a user created with `leadpact keys create`."),
    reason: str | None = typer.Option(None, "--reason", help="Why (reject, lose, recycle, disqualify)."),
    owner: str | None = typer.Option(None, "--owner", help="The new owner (assign)."),
    items: str | None = typer.Option(None, "--items", help="BANT items confirmed, comma-separated (confirm_bant)."),
    trait: Annotated[list[str] | None, typer.Option("--trait", help="name=value for a new lead (create_sgl).")] = None,
) -> None:
    """Record ACTION on LEAD by USER (whose role decides what is allowed); prints the lead."""
    if action not in ACTION_RULES:
        fail(f"ACTION: expected one of {', '.join(ACTION_RULES)}, found {action!r}")
    given = {"--reason": reason is not None, "--owner": owner is not None, "--items": items is not None}
    _check_options(action, {**given, "--trait": bool(trait)})
    properties: dict[str, object] = {}
    if reason is not None:
        properties["reason"] = reason
    if owner is not None:
        properties["owner"] = owner
    if items is not None:
        properties["items"] = [item.strip() for item in items.split(",") if item.strip()]
    traits: dict[str, object] = {}
    for item in trait or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            fail(f"--trait: expected name=value, found {item!r}")
        traits[name] = value
    services = open_services()
    try:
        with services.store.read() as conn:
            record = AccessRepo(conn).user(user)
        if record is None:
            fail(f"--user: no user {user!r}; create one with `leadpact keys create --user {user} --role ROLE`")
        if not role_may(record.role, action):
            fail(f"role {record.role} of {user} may not {action}", EXIT_REFUSED)
        now = SystemClock().now_us()
        try:
            services.actions.act(
                lead,
                action,
                actor_id=record.name,
                actor_role=record.role,
                properties=properties,
                traits=traits,
                now=now,
            )
        except MessageError as exc:
            fail(f"--{exc.field.removeprefix('properties.')}: {exc.problem}")
        except UnknownLeadError as exc:
            fail(str(exc), EXIT_REFUSED)
        except ActionRefusedError as exc:
            fail(f"refused: {exc.reason}", EXIT_REFUSED)
        view = services.leads.get(lead, now)
    finally:
        services.close()
    summary = {key: view[key] for key in ("lead_id", "stage", "score", "owner")}
    typer.echo(json.dumps(summary, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.command("act")(act)
