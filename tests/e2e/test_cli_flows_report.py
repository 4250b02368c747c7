"""``leadpact flows report`` through the real console script: without FLOW and EVENTS it reads
the store (``LEADPACT_DATABASE_URL``: the activated flow versions, the active agreement, the
event log); with them it keeps reading files — and both agree on the same history.

History (shipped default agreement and ``whitepaper_webinar`` flow, activated 1 Jan 2026):
``n1`` and ``n2`` download the whitepaper on Mon 5 Jan; both invitations are recorded sent on
Tue 13 Jan; ``n1`` opens and clicks it and attends the webinar on Thu 15 Jan (goal).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from nurture_history import nurture_history

from leadpact.adapters.flow_yaml import example_flow_path
from leadpact.config import Settings
from leadpact.domain.messages import Message
from leadpact.domain.timeutil import parse_iso, to_us
from leadpact.service.container import build_services
from leadpact.service.ingest import validate
from leadpact.service.nurture.store_report import FlowReportService

LEADPACT = Path(sys.executable).with_name("leadpact")
ACTIVATED = "2026-01-01T00:00:00+09:00"
AS_OF = "2026-01-20T12:00:00+09:00"


def _validated() -> list[Message]:
    return [validate(o, default_timestamp=None, allow_actions=False) for o in nurture_history()]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path, dict[str, Any]]:
    """The store (environment for the CLI), the same history as a file, and the report the
    service computes in-process for ``AS_OF``."""
    root = tmp_path_factory.mktemp("flows-report")
    url = f"sqlite:///{root / 'store.db'}"
    services = build_services(Settings.model_validate({"database_url": url}))
    try:
        now = to_us(parse_iso(ACTIVATED))
        services.flows.upload(example_flow_path().read_text(encoding="utf-8"), "whitepaper_webinar.yaml", "mkt", now)
        services.flows.activate("whitepaper_webinar", "1", "mkt", now)
        services.ingest.ingest(_validated(), now)
        reports = FlowReportService(services.store, services.agreements, services.flows.active_flows, background=False)
        expected = reports.at(to_us(parse_iso(AS_OF))).to_json("ja")
    finally:
        services.close()
    events = root / "events.jsonl"
    events.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in nurture_history()), encoding="utf-8")
    return {**os.environ, "LEADPACT_DATABASE_URL": url}, events, expected


def leadpact(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LEADPACT), *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def test_without_files_the_report_reads_the_store(store: tuple[dict[str, str], Path, dict[str, Any]]) -> None:
    env, events, expected = store
    answer = leadpact(env, "flows", "report", "--as-of", AS_OF, "--format", "json")
    assert answer.returncode == 0, answer.stderr
    data = json.loads(answer.stdout)
    assert data == expected
    (flow,) = data["flows"]
    assert (flow["entered"], flow["goal"], flow["active"]) == (2, 1, 1)
    invite = next(step for step in flow["steps"] if step["step"] == "invite")
    assert (invite["sent"], invite["opened"], invite["clicked"], invite["open_rate"]) == (2, 1, 1, 0.5)

    # the file form keeps working, and counts the same on the same history
    files = leadpact(
        env, "flows", "report", str(example_flow_path()), str(events),
        "--as-of", AS_OF, "--active-from", ACTIVATED, "--format", "json",
    )  # fmt: skip
    assert files.returncode == 0, files.stderr
    (from_files,) = json.loads(files.stdout)["flows"]
    for key in ("entered", "active", "goal", "mql_after", "ended", "goal_rate"):
        assert from_files[key] == flow[key], key
    assert [{k: s[k] for k in ("step", "reached", "sent", "opened", "clicked")} for s in from_files["steps"]] == [
        {k: s[k] for k in ("step", "reached", "sent", "opened", "clicked")} for s in flow["steps"]
    ]


def test_the_file_report_reads_active_from_as_a_date_or_names_it(
    store: tuple[dict[str, str], Path, dict[str, Any]],
) -> None:
    """A bare date is local midnight in the agreement's timezone, as ``--from`` reads it."""
    env, events, _ = store

    def report(active_from: str) -> subprocess.CompletedProcess[str]:
        return leadpact(
            env, "flows", "report", str(example_flow_path()), str(events),
            "--as-of", AS_OF, "--active-from", active_from, "--format", "json",
        )  # fmt: skip

    by_date, by_moment, after_the_downloads = report("2026-01-01"), report(ACTIVATED), report("2026-01-06")
    assert by_date.returncode == 0, by_date.stderr
    assert json.loads(by_date.stdout) == json.loads(by_moment.stdout)
    assert json.loads(by_date.stdout)["flows"][0]["entered"] == 2
    assert json.loads(after_the_downloads.stdout)["flows"][0]["entered"] == 0
    unreadable = report("yesterday")
    assert unreadable.returncode == 2
    assert "--active-from: expected" in unreadable.stderr and "'yesterday'" in unreadable.stderr
    assert "--as-of" not in unreadable.stderr


def test_the_store_report_as_tables_in_english(store: tuple[dict[str, str], Path, dict[str, Any]]) -> None:
    env, _, _ = store
    answer = leadpact(env, "flows", "report", "--as-of", AS_OF, "--lang", "en", "--flow", "whitepaper_webinar")
    assert answer.returncode == 0, answer.stderr
    assert "Nurture flows in the store as of 2026-01-20T12:00:00+09:00 (agreement 2026.1)" in answer.stdout
    assert "send e-mail" in answer.stdout
    assert "2 entered, 1 still in the flow, 1 reached the goal" in answer.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--flow", "nope"], "--flow: no activated flow 'nope' (activated: whitepaper_webinar)"),
        (["flows.yaml"], "flows report flows.yaml: give EVENTS too (or neither, for the store's report)"),
        (["--agreement", "a.yaml"], "--agreement, --active-from, --templates and --strict apply to FLOW and EVENTS"),
        (["--as-of", "yesterday"], "--as-of: expected ISO 8601 with offset"),
    ],
)
def test_bad_store_report_options_exit_2_naming_them(
    store: tuple[dict[str, str], Path, dict[str, Any]], args: list[str], message: str
) -> None:
    env, _, _ = store
    answer = leadpact(env, "flows", "report", *args)
    assert answer.returncode == 2
    assert message in answer.stderr
    assert answer.stdout == ""


def test_a_stopped_flow_is_reported_up_to_its_stop_marked_stopped(tmp_path: Path) -> None:
    """Marketing stops the flow on Wed 14 Jan (both runs wait at the branch; n1's webinar is after)."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    services = build_services(Settings.model_validate({"database_url": url}))
    try:
        now = to_us(parse_iso(ACTIVATED))
        services.flows.upload(example_flow_path().read_text(encoding="utf-8"), "whitepaper_webinar.yaml", "mkt", now)
        services.flows.activate("whitepaper_webinar", "1", "mkt", now)
        services.ingest.ingest(_validated(), now)
        services.flows.deactivate("whitepaper_webinar", "mkt_sato", to_us(parse_iso("2026-01-14T00:00:00+09:00")))
        reports = FlowReportService(
            services.store, services.agreements, services.flows.reported_flows, background=False
        )
        expected = reports.at(to_us(parse_iso(AS_OF))).to_json("en")
    finally:
        services.close()
    env = {**os.environ, "LEADPACT_DATABASE_URL": url}

    answer = leadpact(env, "flows", "report", "--as-of", AS_OF, "--format", "json", "--lang", "en")
    assert answer.returncode == 0, answer.stderr
    data = json.loads(answer.stdout)
    assert data == expected
    (flow,) = data["flows"]
    assert (flow["stopped_at"], flow["stopped_by"], flow["entered"], flow["active"]) == (
        "2026-01-14T00:00:00+09:00",
        "mkt_sato",
        2,
        0,
    )

    english = leadpact(env, "flows", "report", "--as-of", AS_OF, "--lang", "en")
    assert english.returncode == 0, english.stderr
    assert "Stopped at 2026-01-14T00:00:00+09:00 by mkt_sato" in english.stdout
    assert "2 entered, 0 still in the flow, 0 reached the goal" in english.stdout
    assert "Ended: flow stopped 2" in english.stdout
    japanese = leadpact(env, "flows", "report", "--as-of", AS_OF)
    assert japanese.returncode == 0, japanese.stderr
    assert "停止: 2026-01-14T00:00:00+09:00(mkt_sato)" in japanese.stdout
    assert "終了理由: フロー停止 2" in japanese.stdout


@pytest.mark.parametrize("command", ["report", "simulate"])
def test_a_file_without_valid_events_is_an_error_not_an_empty_report(
    store: tuple[dict[str, str], Path, dict[str, Any]], tmp_path: Path, command: str
) -> None:
    env, _, _ = store
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("not json\n{}\n", encoding="utf-8")
    answer = leadpact(env, "flows", command, str(example_flow_path()), str(garbage))
    assert answer.returncode == 2
    assert f"{garbage}: no valid events (2 lines skipped); nothing to report" in answer.stderr
    assert answer.stdout == ""


def test_simulate_over_the_history_file(store: tuple[dict[str, str], Path, dict[str, Any]]) -> None:
    env, events, _ = store
    answer = leadpact(env, "flows", "simulate", str(example_flow_path()), str(events), "--format", "json")
    assert answer.returncode == 0, answer.stderr
    (flow,) = json.loads(answer.stdout)["flows"]
    assert flow["entered"] == 2
