"""The store's command line: db upgrade, keys, ingest, leads, act, agreement activate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from leadpact.adapters.agreement_yaml import default_agreement_text
from leadpact.adapters.store.schema import head_revision
from leadpact.entrypoints.cli import app
from leadpact.entrypoints.cli.commands.agreement_activate import add_activate
from leadpact.service.evaluation import OnlineEngine

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"LEADPACT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}


def _run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def _events(path: Path, lead: str, extra: list[dict[str, object]] | None = None) -> Path:
    ts = "2026-02-02T10:00:00+09:00"
    rows = [
        {
            "type": "identify",
            "messageId": f"{lead}-1",
            "userId": lead,
            "timestamp": ts,
            "traits": {"job_level": "director", "industry": "software"},
        },
        {"type": "track", "messageId": f"{lead}-2", "userId": lead, "timestamp": ts, "event": "Contact Form Submitted"},
        *(extra or []),
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_db_upgrade_migrates_once(env: dict[str, str]) -> None:
    head = head_revision()
    code, out, _ = _run(env, "db", "upgrade")
    assert code == 0 and f"upgraded (empty) → {head}" in out
    code, out, _ = _run(env, "db", "upgrade")
    assert code == 0 and f"already at revision {head}" in out
    code, _, err = _run(env, "db", "upgrade", "bogus")
    assert code == 2 and f"revision 'bogus': Can't locate revision identified by 'bogus' (the newest is {head})" in err


def test_keys_are_printed_alone_on_the_last_line(env: dict[str, str]) -> None:
    code, out, _ = _run(env, "keys", "create", "--user", "sato", "--role", "inside_sales")
    assert code == 0 and out.splitlines()[-1].startswith("lpk_") and " " not in out.splitlines()[-1]
    code, out, _ = _run(env, "keys", "create", "--write")
    assert code == 0 and out.splitlines()[-1].startswith("lpw_")
    assert _run(env, "keys", "create", "--user", "x", "--role", "boss")[0] == 2
    assert _run(env, "keys", "create")[0] == 2
    # Options that would be silently dropped are refused instead.
    code, _, err = _run(env, "keys", "create", "--write", "--role", "admin")
    assert code == 2 and "--role: only with --user" in err
    code, _, err = _run(env, "keys", "create", "--user", "y", "--role", "viewer", "--label", "site")
    assert code == 2 and "--label: only with --write" in err


def test_ingest_then_read_and_act_from_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    events = _events(tmp_path / "events.jsonl", "cli-1", [{"type": "track", "messageId": "bad"}])
    code, out, err = _run(env, "ingest", str(events))
    assert code == 0 and "2 event(s) stored" in out and "events.jsonl:3" in err
    code, out, _ = _run(env, "ingest", str(events))
    assert code == 0 and "0 event(s) stored" in out and "resumed after line 3" in out
    code, out, _ = _run(env, "leads", "list", "--json", "--stage", "mql")
    assert code == 0 and [json.loads(line)["lead_id"] for line in out.splitlines()] == ["cli-1"]
    code, out, _ = _run(env, "leads", "show", "cli-1", "--as-of", "2026-02-03T00:00:00+09:00")
    shown = json.loads(out)
    assert (shown["stage"], shown["score"], shown["fit"], shown["engagement"]) == ("mql", 55.0, 25.0, 30.0)
    _run(env, "keys", "create", "--user", "ito", "--role", "inside_sales")
    code, out, _ = _run(env, "act", "cli-1", "accept", "--user", "ito")
    assert code == 0 and json.loads(out)["stage"] == "sal"
    code, _, err = _run(env, "act", "cli-1", "accept", "--user", "ito")
    assert code == 1 and "not allowed in stage sal" in err
    code, _, err = _run(env, "act", "cli-1", "win", "--user", "ito")
    assert code == 1 and "may not win" in err

    # an option the action does not use is refused before anything is recorded
    def recorded() -> tuple[object, ...]:
        view = json.loads(_run(env, "leads", "show", "cli-1")[1])
        return view["stage"], view["owner"], view["history"], view["errors"]

    before = recorded()
    code, _, err = _run(env, "act", "cli-1", "contact", "--user", "ito", "--reason", "called twice")
    assert code == 2 and "--reason: contact does not use it; it is for disqualify, lose, recycle, reject" in err
    code, _, err = _run(env, "act", "cli-1", "contact", "--user", "ito", "--owner", "sato")
    assert code == 2 and "--owner: contact does not use it; it is for assign" in err
    code, _, err = _run(env, "act", "cli-1", "reject", "--user", "ito", "--items", "budget")
    assert code == 2 and "--items: reject does not use it; it is for confirm_bant" in err
    code, _, err = _run(env, "act", "cli-1", "contact", "--user", "ito", "--trait", "email=a@b.jp")
    assert code == 2 and "--trait: contact does not use it; it is for create_sgl" in err
    assert recorded() == before
    assert _run(env, "leads", "show", "nobody")[0] == 1


def test_strict_ingest_stores_nothing_from_a_file_with_a_bad_line(env: dict[str, str], tmp_path: Path) -> None:
    events = _events(
        tmp_path / "events.jsonl", "strict-1", [{"type": "track", "messageId": "x", "userId": "u", "event": "E"}]
    )
    code, _, err = _run(env, "ingest", "--strict", str(events))
    assert code == 2 and "timestamp" in err
    code, out, _ = _run(env, "leads", "list", "--json")
    assert code == 0 and out == ""


def test_agreement_activate_reevaluates_the_store(env: dict[str, str], tmp_path: Path) -> None:
    group = typer.Typer()
    group.callback()(lambda: None)  # a group, as `leadpact agreement` is
    add_activate(group)
    _run(env, "ingest", str(_events(tmp_path / "events.jsonl", "ag-1")))
    stricter = tmp_path / "stricter.yaml"
    stricter.write_text(
        default_agreement_text()
        .replace('version: "2026.1"', 'version: "2026.3"')
        .replace("score_gte: 50}}", "score_gte: 90}}"),
        encoding="utf-8",
    )
    result = runner.invoke(group, ["activate", str(stricter), "--by", "mk"], env=env)
    assert result.exit_code == 0 and "agreement 2026.3" in result.stdout and "1 lead(s) re-evaluated" in result.stdout
    code, out, _ = _run(env, "leads", "list", "--json")
    assert code == 0 and json.loads(out)["stage"] == "mal"
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\n", encoding="utf-8")
    failed = runner.invoke(group, ["activate", str(broken)], env=env)
    assert failed.exit_code == 2 and "broken.yaml" in failed.stderr


def test_agreement_activate_reports_work_a_running_server_did(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `leadpact serve` running, its engine may take the activation's chunks: the CLI then
    finds nothing left to do and reports what is stored, not 0."""
    group = typer.Typer()
    group.callback()(lambda: None)
    add_activate(group)
    _run(env, "ingest", str(_events(tmp_path / "events.jsonl", "ag-2")))
    real_step = OnlineEngine.reevaluate_step

    def server_did_it(engine: OnlineEngine, now: int) -> None:
        while (step := real_step(engine, now)) is not None and step.finished_at is None:
            pass  # the "server" finishes the whole activation; the CLI's loop finds nothing

    monkeypatch.setattr(OnlineEngine, "reevaluate_step", server_did_it)
    proposal = tmp_path / "proposal.yaml"
    proposal.write_text(default_agreement_text().replace('version: "2026.1"', 'version: "2026.4"'), encoding="utf-8")
    result = runner.invoke(group, ["activate", str(proposal)], env=env)
    assert result.exit_code == 0, result.stdout
    assert "agreement 2026.4" in result.stdout and "1 lead(s) re-evaluated" in result.stdout
