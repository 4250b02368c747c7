"""``leadpact ingest`` on the command line: what it says about directories, stdin, unfinished
lines and files that changed since the saved position."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadpact.entrypoints.cli import app

LEADPACT = Path(sys.executable).with_name("leadpact")
runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, sqlite_template: Path) -> dict[str, str]:
    database = tmp_path / "cli.db"
    shutil.copy(sqlite_template, database)
    return {"LEADPACT_DATABASE_URL": f"sqlite:///{database}"}


def _lines(prefix: str, count: int) -> list[str]:
    return [
        json.dumps(
            {
                "type": "track",
                "messageId": f"{prefix}-{n}",
                "userId": f"lead-{n % 3}",
                "timestamp": "2026-02-02T10:00:00+09:00",
                "event": "Whitepaper Downloaded",
            }
        )
        for n in range(count)
    ]


def _ingest(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["ingest", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_a_directory_is_refused_as_a_directory(env: dict[str, str], tmp_path: Path) -> None:
    code, _, err = _ingest(env, str(tmp_path))
    assert code == 2 and "is a directory" in err and "no such" not in err


def test_events_piped_to_stdin_are_ingested(env: dict[str, str], tmp_path: Path) -> None:
    # A real pipe (the test runner's stdin would be an in-memory, seekable stream).
    piped = subprocess.run(
        [str(LEADPACT), "ingest", "-"],
        input="\n".join(_lines("p", 5)).encode(),
        capture_output=True,
        cwd=tmp_path,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr.decode()
    assert "-: 5 event(s) stored" in piped.stdout.decode()


def test_stdin_has_no_saved_position(env: dict[str, str]) -> None:
    code, out, _ = _ingest(env, "--help")
    assert code == 0 and "no saved position" in out


def test_an_unfinished_last_line_is_reported_as_left_for_the_next_run(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = _lines("a", 3)
    path.write_text(lines[0] + "\n" + lines[1] + "\n" + lines[2][:25], encoding="utf-8")
    code, out, err = _ingest(env, str(path))
    assert code == 0 and "2 event(s) stored" in out and "0 bad line(s)" in out
    assert "events.jsonl:3: incomplete last line" in err and "invalid JSON" not in err
    with path.open("a", encoding="utf-8") as writer:
        writer.write(lines[2][25:] + "\n")
    code, out, err = _ingest(env, str(path))
    assert code == 0 and "1 event(s) stored" in out and "resumed after line 2" in out and err == ""


def test_a_replaced_file_is_said_to_be_read_from_the_start(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(line + "\n" for line in _lines("a", 4)), encoding="utf-8")
    assert _ingest(env, str(path))[0] == 0
    path.write_text("".join(line + "\n" for line in _lines("a", 2) + _lines("b", 1)), encoding="utf-8")
    code, out, _ = _ingest(env, str(path))
    assert code == 0 and "1 event(s) stored, 2 repeat(s) ignored" in out and "read from the start" in out
