"""``leadpact score`` (SPEC §7) run as the real console script, as a user would run it.

Marked slow: each run starts a Python process that imports the whole CLI (about 1-2 s today).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from leadpact.adapters.agreement_yaml import default_agreement_text

pytestmark = pytest.mark.slow

JSON_KEYS = {
    "lead_id",
    "stage",
    "score",
    "fit",
    "engagement",
    "hot",
    "owner",
    "origin",
    "reasons",
    "history",
    "sla",
    "errors",
}


def _leadpact() -> list[str]:
    """The installed console script: beside this interpreter (the venv), else on PATH."""
    beside = Path(sys.executable).with_name("leadpact")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("leadpact")
    if found is not None:
        return [found]
    return [sys.executable, "-c", "from leadpact.entrypoints.cli import main; main()"]


def leadpact(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_leadpact(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        cwd=cwd,
        check=False,
    )


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _identify(user: str, at: str, **traits: Any) -> dict[str, Any]:
    return {"type": "identify", "messageId": f"{user}-id", "userId": user, "timestamp": at, "traits": traits}


def _track(user: str, event: str, at: str) -> dict[str, Any]:
    return {"type": "track", "messageId": f"{user}-{event}", "userId": user, "timestamp": at, "event": event}


# Three leads, written out of lead-id order. "mika" reaches MQL: fit 10 + 30 + 20 = 60.
EVENTS = [
    _identify("zen", "2026-01-05T09:00:00+09:00", job_level="staff", employees=50),
    _identify("mika", "2026-01-05T09:00:00+09:00", job_level="staff", employees=50),
    _track("mika", "Contact Form Submitted", "2026-01-05T09:10:00+09:00"),
    _track("mika", "Webinar Attended", "2026-01-05T09:20:00+09:00"),
    _identify("aki", "2026-01-06T09:00:00+09:00", job_level="student"),
]
AS_OF = "2026-01-07T00:00:00+09:00"


@pytest.fixture(scope="module")
def agreement(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("agreement") / "agreement.yaml"
    path.write_text(default_agreement_text(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("events") / "events.jsonl"
    path.write_text("".join(_line(e) + "\n" for e in EVENTS), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def scored(agreement: Path, events: Path) -> subprocess.CompletedProcess[str]:
    """The plain ``--json`` run most tests read (the console script starts in ~1-2 s)."""
    return leadpact("score", str(agreement), str(events), "--as-of", AS_OF, "--json", "--strict")


def _objects(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_json_output_is_one_object_per_lead_sorted_by_lead_id(scored: subprocess.CompletedProcess[str]) -> None:
    done = scored
    assert done.returncode == 0, done.stderr
    objects = _objects(done.stdout)
    assert [o["lead_id"] for o in objects] == ["aki", "mika", "zen"]
    assert all(set(o) == JSON_KEYS for o in objects)
    by_id = {o["lead_id"]: o for o in objects}
    assert (by_id["mika"]["stage"], by_id["mika"]["score"], by_id["mika"]["owner"]) == ("mql", 60, "is_sato")
    assert by_id["mika"]["history"][2] == {
        "stage": "mql",
        "at": "2026-01-05T09:20:00+09:00",
        "cause": "mika-Webinar Attended",
        "fast_track": False,
    }
    assert (by_id["aki"]["stage"], by_id["zen"]["stage"]) == ("disqualified", "mal")


def test_as_of_excludes_later_events(agreement: Path, events: Path) -> None:
    done = leadpact("score", str(agreement), str(events), "--as-of", "2026-01-05T09:15:00+09:00", "--json")
    assert done.returncode == 0, done.stderr
    objects = _objects(done.stdout)
    assert [o["lead_id"] for o in objects] == ["mika", "zen"]  # aki is not known yet
    assert (objects[0]["stage"], objects[0]["score"]) == ("mal", 40)


def test_as_of_defaults_to_the_newest_event(agreement: Path, events: Path) -> None:
    done = leadpact("score", str(agreement), str(events), "--json")
    assert done.returncode == 0, done.stderr
    objects = _objects(done.stdout)
    assert [o["lead_id"] for o in objects] == ["aki", "mika", "zen"]  # aki's identify is the newest event
    # As of mika's MQL + 2 days (aki's identify, Tue 6 Jan 09:00) nothing has decayed yet.
    assert objects[1]["score"] == 60


def test_bad_lines_are_reported_with_line_numbers_and_skipped(agreement: Path, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    bad_timestamp = {**_track("mika", "Email Opened", "x"), "timestamp": "2026-01-05T10:00:00"}
    lines = [_line(EVENTS[1]), "{not json", _line(EVENTS[2]), _line(bad_timestamp), "", _line(EVENTS[3])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = leadpact("score", str(agreement), str(path), "--as-of", AS_OF, "--json")
    assert done.returncode == 0, done.stderr
    assert f"{path}:2:" in done.stderr
    assert f"{path}:4:" in done.stderr
    assert "timestamp" in done.stderr
    (mika,) = _objects(done.stdout)
    assert (mika["lead_id"], mika["stage"], mika["score"]) == ("mika", "mql", 60)  # the good lines all count


def test_strict_exits_2_before_printing_any_result(agreement: Path, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(_line(EVENTS[1]) + "\n" + '{"type": "track"}\n', encoding="utf-8")
    done = leadpact("score", str(agreement), str(path), "--as-of", AS_OF, "--json", "--strict")
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"{path}:2:" in done.stderr


def test_strict_without_bad_lines_scores_normally(scored: subprocess.CompletedProcess[str]) -> None:
    assert scored.returncode == 0, scored.stderr
    assert scored.stderr == ""
    assert len(_objects(scored.stdout)) == 3


def test_invalid_agreement_exits_2_naming_the_file_and_field(tmp_path: Path, events: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(
        default_agreement_text().replace(
            "Whitepaper Downloaded},  points: 15}", "Whitepaper Downloaded},  points: ten}"
        ),
        encoding="utf-8",
    )
    done = leadpact("score", str(path), str(events), "--as-of", AS_OF, "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert str(path) in done.stderr
    assert "engagement[5].points" in done.stderr
    assert "ten" in done.stderr


def test_missing_agreement_file_exits_2(tmp_path: Path, events: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    done = leadpact("score", str(missing), str(events), "--as-of", AS_OF, "--json")
    assert done.returncode == 2
    assert str(missing) in done.stderr


def test_unreadable_as_of_exits_2(agreement: Path, events: Path) -> None:
    done = leadpact("score", str(agreement), str(events), "--as-of", "2026-01-07 00:00", "--json")
    assert done.returncode == 2
    assert "--as-of" in done.stderr
    assert done.stdout == ""


def test_dash_reads_events_from_stdin(agreement: Path, events: Path) -> None:
    done = leadpact("score", str(agreement), "-", "--as-of", AS_OF, "--json", stdin=events.read_text(encoding="utf-8"))
    assert done.returncode == 0, done.stderr
    from_file = leadpact("score", str(agreement), str(events), "--as-of", AS_OF, "--json")
    assert done.stdout == from_file.stdout
    assert len(_objects(done.stdout)) == 3


def test_refused_action_on_an_unknown_lead_is_reported_on_stderr(agreement: Path, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    ghost = {
        "type": "action",
        "messageId": "ghost-accept",
        "userId": "ghost",
        "timestamp": "2026-01-05T10:00:00+09:00",
        "action": "accept",
        "actor": {"id": "is_sato", "role": "inside_sales"},
    }
    path.write_text(_line(EVENTS[0]) + "\n" + _line(ghost) + "\n", encoding="utf-8")
    done = leadpact("score", str(agreement), str(path), "--as-of", AS_OF, "--json")
    assert done.returncode == 0, done.stderr
    assert "ghost" in done.stderr and "ghost-accept" in done.stderr
    assert [o["lead_id"] for o in _objects(done.stdout)] == ["zen"]


def test_table_output_without_json(agreement: Path, events: Path) -> None:
    done = leadpact("score", str(agreement), str(events), "--as-of", AS_OF)
    assert done.returncode == 0, done.stderr
    for expected in ("aki", "mika", "zen", "disqualified", "mql", "is_sato", "2026.1"):
        assert expected in done.stdout
    assert not done.stdout.lstrip().startswith("{")
    rows = [line for line in done.stdout.splitlines() if "mika" in line]
    assert len(rows) == 1 and "60" in rows[0]


# --- --out RESULTS(.jsonl|.parquet): bad targets are refused before scoring ------------------


def _refused(done: subprocess.CompletedProcess[str], message: str) -> None:
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_out_writes_jsonl_whatever_the_case_of_its_extension(
    agreement: Path, events: Path, scored: subprocess.CompletedProcess[str], tmp_path: Path
) -> None:
    out = tmp_path / "RESULTS.JSONL"
    done = leadpact("score", str(agreement), str(events), "--as-of", AS_OF, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8") == scored.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["RESULTS.JSONL"]  # no temporary file left
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask  # as any file the user creates, not mkstemp's 0600


@pytest.mark.parametrize("name", ["results.csv", "results"])
def test_out_with_another_extension_exits_2_instead_of_writing_jsonl(
    agreement: Path, events: Path, tmp_path: Path, name: str
) -> None:
    out = tmp_path / name
    done = leadpact("score", str(agreement), str(events), "--as-of", AS_OF, "--out", str(out))
    _refused(done, f"--out {out}: expected a .jsonl or .parquet file name")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["folder", "folder.parquet"])
def test_out_naming_a_directory_exits_2_before_scoring(
    agreement: Path, events: Path, tmp_path: Path, name: str
) -> None:
    out = tmp_path / name
    out.mkdir()
    done = leadpact("score", str(agreement), str(events), "--as-of", AS_OF, "--out", str(out))
    _refused(done, f"--out {out}: is a directory, expected a .jsonl or .parquet file name")
    assert list(tmp_path.iterdir()) == [out]
    assert list(out.iterdir()) == []


def test_out_in_a_missing_directory_exits_2(agreement: Path, events: Path, tmp_path: Path) -> None:
    out = tmp_path / "nowhere" / "results.jsonl"
    done = leadpact("score", str(agreement), str(events), "--as-of", AS_OF, "--out", str(out))
    _refused(done, f"--out {out}: no such directory {out.parent}")
    assert list(tmp_path.iterdir()) == []


def test_out_under_a_regular_file_exits_2(agreement: Path, events: Path, tmp_path: Path) -> None:
    regular = tmp_path / "notes.txt"
    regular.write_text("", encoding="utf-8")
    out = regular / "results.jsonl"
    done = leadpact("score", str(agreement), str(events), "--as-of", AS_OF, "--out", str(out))
    _refused(done, f"--out {out}: {regular} is not a directory")
    assert list(tmp_path.iterdir()) == [regular]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_out_in_a_directory_that_takes_no_files_exits_2_before_scoring(agreement: Path, events: Path) -> None:
    done = leadpact("score", str(agreement), str(events), "--as-of", AS_OF, "--out", "/proc/results.jsonl")
    _refused(done, "--out /proc/results.jsonl: cannot write in /proc:")


def test_json_with_out_writes_the_file_and_prints_the_same_objects(
    agreement: Path, events: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results.jsonl"
    done = leadpact("score", str(agreement), str(events), "--as-of", AS_OF, "--json", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() and done.stdout == out.read_text(encoding="utf-8")


def test_a_failed_write_exits_2_and_leaves_no_file(
    agreement: Path, events: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run in-process: the disk fills up after the first lead has been written."""
    import errno

    from typer.testing import CliRunner

    from leadpact.adapters.batch import writer
    from leadpact.entrypoints.cli import build_app

    real = writer.json_objects

    def one_then_disk_full(*args: Any) -> Any:
        yield next(real(*args))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer, "json_objects", one_then_disk_full)
    out = tmp_path / "results.jsonl"
    done = CliRunner().invoke(build_app("score"), ["score", str(agreement), str(events), "--out", str(out)])
    assert done.exit_code == 2, done.output
    assert f"--out {out}: cannot write: No space left on device" in done.stderr
    assert "Traceback" not in done.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("engine", ["replay", "duckdb"])
def test_a_file_named_parquet_that_is_not_parquet_exits_2_naming_it(
    agreement: Path, events: Path, tmp_path: Path, engine: str
) -> None:
    fake = tmp_path / "events.parquet"
    fake.write_bytes(events.read_bytes())  # JSONL under a Parquet name
    done = leadpact("score", str(agreement), str(fake), "--engine", engine)
    _refused(done, f"{fake}: not a readable Parquet file")


def test_a_directory_given_as_events_is_named_a_directory(agreement: Path, tmp_path: Path) -> None:
    done = leadpact("score", str(agreement), str(tmp_path))
    _refused(done, f"{tmp_path}: is a directory, expected an events file (JSONL or Parquet)")


def test_an_empty_events_file_shows_no_evaluation_time(agreement: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    done = leadpact("score", str(agreement), str(empty))
    assert done.returncode == 0, done.stderr
    assert "no valid events" in done.stdout and "1970" not in done.stdout
