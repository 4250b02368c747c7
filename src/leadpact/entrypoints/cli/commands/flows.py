"""``leadpact flows check|simulate|report|run``: nurture flows from the command line (issue #8).

``check`` validates flow files and renders their templates; ``simulate`` shows what a flow
would have done over a period of history without sending anything; ``report`` shows the flows
as they stand on the real log; ``run`` is the one-shot delivery pass (the basis of the
scheduler): it sends due mail through SMTP with an outbox file, and appends the events it
produced (``Email Sent``, ``Nurture Goal Reached``, ...) to a JSONL file for the event log.
"""

from __future__ import annotations

import json
import sys
import time
from email.utils import parseaddr
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from leadpact.adapters.flow_yaml import flow_files, load_flows
from leadpact.adapters.outbox_sqlite import SqliteOutbox
from leadpact.adapters.smtp import SmtpConfig, SmtpMailer
from leadpact.domain.flow_parser import TemplateCheck
from leadpact.domain.flows import Flow, FlowError, SendStep
from leadpact.domain.timeutil import US_PER_HOUR, US_PER_SECOND, iso
from leadpact.entrypoints.cli.commands._flows_store import add_store_commands
from leadpact.entrypoints.cli.commands._flows_store_report import report_from_store
from leadpact.entrypoints.cli.commands._moments import parse_as_of, parse_bound
from leadpact.entrypoints.cli.commands.report import (
    AgreementOpt,
    Language,
    StrictOpt,
    agreement_or_default,
    read_events,
    read_events_to_report,
    terminal_width,
)
from leadpact.entrypoints.cli.output import fail, progress
from leadpact.service.clock import SystemClock
from leadpact.service.nurture.check import RenderCheck
from leadpact.service.nurture.compose import AddressError, mail_address
from leadpact.service.nurture.delivery import RetryPolicy, TransportConfigError
from leadpact.service.nurture.links import LinkBuilder
from leadpact.service.nurture.rate_limit import RateLimiter
from leadpact.service.nurture.render_text import render, runs_table, stats_tables
from leadpact.service.nurture.runner import NurtureRunner, RunnerSettings, activate
from leadpact.service.nurture.simulate import Simulation, live_status, simulate
from leadpact.service.nurture.templates import TemplateLibrary
from leadpact.service.scoring import default_as_of


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


FlowArg = Annotated[str, typer.Argument(metavar="FLOW", help="A flow YAML file, or a directory of them.")]
EventsArg = Annotated[str, typer.Argument(help="Events as JSONL (one message per line); - for stdin.")]
TemplatesOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--templates", metavar="DIR", help="A directory of e-mail templates, searched before the shipped ones."
    ),
]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="table (text) or json.")]
LangOpt = Annotated[Language, typer.Option("--lang", help="Language of the tables.")]


def _flows_or_exit(path: str, library: TemplateLibrary, template_check: TemplateCheck | None = None) -> list[Flow]:
    if not Path(path).exists():
        fail(f"{path}: no such flow file or directory")
    try:
        return load_flows(path, template_check or library.check)
    except FlowError as exc:
        fail(str(exc))


def _library(templates: list[Path] | None) -> TemplateLibrary:
    for directory in templates or ():
        if not directory.is_dir():
            fail(f"--templates {directory}: no such directory")
    return TemplateLibrary(templates or ())


def _show(result: Simulation, fmt: OutputFormat, lang: Language) -> None:
    data = result.to_json()
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    parts = [*stats_tables(result.stats, lang.value), *runs_table(data["runs"], lang.value)]
    typer.echo(render(parts, terminal_width()), nl=False)


# --- check --------------------------------------------------------------------------------------


def check(flow: FlowArg, templates: TemplatesOpt = None) -> None:
    """Validate flow files and render their templates for a sample lead and for a lead with
    only an address.

    Prints a summary and exits 0 when everything is valid; otherwise prints every problem to
    stderr as FILE:LINE: path: message and exits 2.
    """
    library = _library(templates)
    checked = RenderCheck(library)
    try:
        flows = _flows_or_exit(flow, library, checked)
    finally:  # after the problems, if any: a missing language is no reason to fail
        for warning in checked.warnings:
            typer.echo(f"warning: {warning}", err=True)
    for file, parsed in zip(flow_files(flow), flows, strict=True):
        names = dict.fromkeys(step.template for step in parsed.steps if isinstance(step, SendStep))
        mails = [f"{name} ({', '.join(checked.languages[name])})" for name in names]
        typer.echo(f"{file}: OK — {parsed.title!r} version {parsed.version}, {len(parsed.steps)} steps")
        if mails:
            typer.echo(f"  templates: {', '.join(mails)}")


# --- simulate and report --------------------------------------------------------------------------


def simulate_command(
    flow: FlowArg,
    events: EventsArg,
    agreement: AgreementOpt = None,
    start: Annotated[
        str | None, typer.Option("--from", help="Entries from this moment (a date or ISO 8601 with offset).")
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="Entries before this moment, evaluated then. Default: just after the newest event."),
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
    lang: LangOpt = Language.ja,
    templates: TemplatesOpt = None,
    strict: StrictOpt = False,
) -> None:
    """Who would have entered FLOW over EVENTS, which mails would have gone out when, how many
    reached the goal and MQL afterwards. Sends nothing."""
    parsed_agreement = agreement_or_default(agreement)
    flows = _flows_or_exit(flow, _library(templates))
    messages = read_events_to_report(events, strict=strict)
    zone = parsed_agreement.zone
    start_us = parse_bound(start, "--from", zone)
    end_us = parse_bound(end, "--to", zone)
    if end_us is None:
        end_us = (default_as_of(messages) or 0) + 1
    if start_us is not None and start_us >= end_us:
        fail(f"--from {start} is not before --to {end or iso(end_us, zone)}; the period would be empty")
    with progress("Simulating flows", total=None):
        result = simulate(messages, parsed_agreement, flows, start_us, end_us)
    _show(result, fmt, lang)


def report_command(
    flow: Annotated[
        str | None, typer.Argument(metavar="[FLOW]", help="A flow file or directory; omit with EVENTS for the store.")
    ] = None,
    events: Annotated[str | None, typer.Argument(metavar="[EVENTS]", help="Events as JSONL; - for stdin.")] = None,
    agreement: AgreementOpt = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="ISO 8601 with offset. Default: the newest event's time (the store: now)."),
    ] = None,
    active_from: Annotated[
        str | None,
        typer.Option(
            "--active-from",
            help="Count entries from this moment, when the flow was activated (a date or ISO 8601 with offset).",
        ),
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
    lang: LangOpt = Language.ja,
    templates: TemplatesOpt = None,
    strict: StrictOpt = False,
    flow_id: Annotated[str | None, typer.Option("--flow", help="The store only: just this flow id.")] = None,
) -> None:
    """Per flow and step on the real log: entered, sent (Email Sent recorded), opened, clicked,
    reached the goal, reached MQL afterwards. Without FLOW and EVENTS: the flow versions
    activated in the store (LEADPACT_DATABASE_URL), its active agreement and event log, as of
    --as-of (default: now)."""
    if flow is None or events is None:
        _store_report(flow, as_of, flow_id, fmt, lang, agreement, active_from, templates, strict)
        return
    if flow_id is not None:
        fail("--flow: only for the store's report (without FLOW and EVENTS)")
    parsed_agreement = agreement_or_default(agreement)
    flows = _flows_or_exit(flow, _library(templates))
    messages = read_events_to_report(events, strict=strict)
    as_of_us = parse_as_of(as_of) if as_of is not None else (default_as_of(messages) or 0)
    entries_from = parse_bound(active_from, "--active-from", parsed_agreement.zone)
    with progress("Evaluating flows", total=None):
        result = live_status(messages, parsed_agreement, flows, as_of_us, entries_from)
    _show(result, fmt, lang)


def _store_report(
    flow: str | None,
    as_of: str | None,
    flow_id: str | None,
    fmt: OutputFormat,
    lang: Language,
    *file_only: object,
) -> None:
    if flow is not None:
        fail(f"flows report {flow}: give EVENTS too (or neither, for the store's report)")
    if any(option not in (None, False) for option in file_only):
        fail("--agreement, --active-from, --templates and --strict apply to FLOW and EVENTS, not to the store")
    report_from_store(as_of, flow_id, fmt is OutputFormat.json, lang.value)


# --- run ----------------------------------------------------------------------------------------


class _RunClock:
    """``--now`` plus the real time elapsed since start: rate-limit buckets refill during a long
    run even when ``--now`` pins the flows' evaluation time."""

    def __init__(self, now_us: int) -> None:
        self.start = now_us
        self.origin = time.monotonic()

    def now_us(self) -> int:
        return self.start + int((time.monotonic() - self.origin) * US_PER_SECOND)


def _append_events(record: Path | None, events: list[dict[str, Any]]) -> None:
    lines = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events)
    if record is None:
        sys.stdout.write(lines)
        sys.stdout.flush()
        return
    with record.open("a", encoding="utf-8") as out:
        out.write(lines)


def run(
    flow: FlowArg,
    events: EventsArg,
    state: Annotated[Path, typer.Option("--state", help="The outbox file (SQLite); created if missing.")],
    smtp_host: Annotated[str, typer.Option("--smtp-host", envvar="LEADPACT_SMTP_HOST", help="SMTP server.")],
    sender: Annotated[
        str,
        typer.Option("--sender", envvar="LEADPACT_MAIL_FROM", help="From address, e.g. 'ACME <news@acme.example>'."),
    ],
    base_url: Annotated[
        str,
        typer.Option("--base-url", envvar="LEADPACT_TRACKING_BASE_URL", help="Base URL of the tracking endpoints."),
    ],
    secret: Annotated[
        str,
        typer.Option(
            "--secret", envvar="LEADPACT_TRACKING_SECRET", help="Secret signing tracking links (prefer the env var)."
        ),
    ],
    agreement: AgreementOpt = None,
    now: Annotated[
        str | None, typer.Option("--now", help="Evaluate and send as of this moment (ISO 8601). Default: the clock.")
    ] = None,
    smtp_port: Annotated[int, typer.Option("--smtp-port", envvar="LEADPACT_SMTP_PORT")] = 25,
    starttls: Annotated[bool, typer.Option("--starttls/--no-starttls", envvar="LEADPACT_SMTP_STARTTLS")] = False,
    smtp_user: Annotated[str | None, typer.Option("--smtp-user", envvar="LEADPACT_SMTP_USER")] = None,
    smtp_password: Annotated[
        str | None,
        typer.Option(
            "--smtp-password", envvar="LEADPACT_SMTP_PASSWORD", help="Prefer the env var.", show_default=False
        ),
    ] = None,
    templates: TemplatesOpt = None,
    record: Annotated[
        Path | None, typer.Option("--record", help="Append produced events to this JSONL file. Default: stdout.")
    ] = None,
    active_from: Annotated[
        str | None,
        typer.Option(
            "--active-from",
            help="Leads enter on triggers from this moment (a date or ISO 8601 with offset). "
            "Default: the first run with this flow version.",
        ),
    ] = None,
    rate_global: Annotated[float | None, typer.Option("--rate-global", help="Mails per minute, in total.")] = None,
    rate_domain: Annotated[
        float | None, typer.Option("--rate-domain", help="Mails per minute to one recipient domain.")
    ] = None,
    max_attempts: Annotated[int, typer.Option("--max-attempts", min=1, help="Attempts before a mail fails.")] = 5,
    max_late_hours: Annotated[
        float, typer.Option("--max-late-hours", min=0, help="Never send a mail more than this late.")
    ] = 72.0,
    strict: StrictOpt = False,
) -> None:
    """Send the mail FLOW decided for EVENTS that is due now, at most once per lead and step.

    Safe to run again at any time (e.g. every few minutes from cron): the outbox remembers
    every mail by its idempotency key, and a run interrupted by a crash is recovered.
    """
    parsed_agreement = agreement_or_default(agreement)
    library = _library(templates)
    flows = _flows_or_exit(flow, library)
    name, address = parseaddr(sender)
    try:
        from_address = mail_address(address, name)
    except AddressError as exc:
        fail(f"--sender: {exc}")
    if not secret.strip():
        fail("--secret / LEADPACT_TRACKING_SECRET: the tracking secret is empty")
    now_us = parse_as_of(now, "--now") if now is not None else SystemClock().now_us()
    entries_from = parse_bound(active_from, "--active-from", parsed_agreement.zone)
    messages = read_events(events, strict=strict)
    settings = RunnerSettings(
        sender=from_address,
        links=LinkBuilder(base_url, secret.encode("utf-8")),
        retry=RetryPolicy(max_attempts=max_attempts),
        max_late_us=int(max_late_hours * US_PER_HOUR),
    )
    mailer = SmtpMailer(SmtpConfig(smtp_host, smtp_port, starttls, smtp_user, smtp_password))
    limiter = RateLimiter(_RunClock(now_us), rate_global, rate_domain)
    with SqliteOutbox(state) as outbox:
        runner = NurtureRunner(outbox, mailer, library, settings, limiter)
        active = activate(outbox, flows, now_us, entries_from)
        try:
            with progress("Sending nurture mail", total=None):
                report = runner.run_once(messages, parsed_agreement, active, now_us)
        except TransportConfigError as exc:
            runner.publish(lambda evs: _append_events(record, evs))
            fail(f"SMTP: {exc}", code=1)
        published = runner.publish(lambda evs: _append_events(record, evs))
    typer.echo(f"{report.summary()}; {published} event(s) recorded", err=True)
    for key in report.recovered_unconfirmed:
        typer.echo(f"check delivery of {key}: a crash hid the server's reply (taken as sent, not resent)", err=True)
    if report.problems:
        fail("\n".join(report.problems), code=1)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="flows",
        help="Nurture flows: validate, simulate, report, send due step e-mails; activate them on the store.",
        no_args_is_help=True,
    )
    group.command("check")(check)
    group.command("simulate")(simulate_command)
    group.command("report")(report_command)
    group.command("run")(run)
    add_store_commands(group)  # activate, deactivate, list, tick: on the store
    app.add_typer(group, name="flows")
