"""``leadpact demo``: the README's main job, run as a user runs it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

LEADPACT = [sys.executable, "-m", "leadpact"]
END = "2026-03-31"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LEADPACT, *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    where = tmp_path_factory.mktemp("demo")
    done = _run("demo", "--no-serve", "--leads", "400", "--end", END, "--lang", "en", "--dir", "out", cwd=where)
    return where / "out", done


def test_demo_prints_waterfall_responsibility_and_neglected_leads(
    demo_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _, done = demo_run
    assert done.returncode == 0, done.stderr
    for heading in ("Demand waterfall", "Responsibility view", "Neglected leads"):
        assert heading in done.stdout
    keys = [
        line.split()[-1] for line in done.stdout.splitlines() if line.strip().startswith(("is_tanaka", "exec_viewer"))
    ]
    assert len(keys) == 2 and all(key.startswith("lpk_") for key in keys)


def test_demo_writes_png_charts(demo_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, _ = demo_run
    for name in ("waterfall", "sla", "trend"):
        data = (out / f"{name}.png").read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5_000


def test_demo_store_agrees_with_a_replay_of_its_events(demo_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    """The waterfall the demo printed (read from the store after online evaluation) has the
    same counts as `leadpact report` replaying the generated file."""
    out, done = demo_run
    replayed = _run("report", "waterfall", str(out / "events.jsonl"), "--format", "json", cwd=out)
    assert replayed.returncode == 0, replayed.stderr
    stages = {row["stage"]: row["reached"] for row in json.loads(replayed.stdout)["overall"]["stages"]}
    printed = {}
    lines = done.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if "Demand waterfall" in line)
    for line in lines[first:]:
        if line.startswith("└"):
            break  # the end of the waterfall table
        cells = [c.strip() for c in line.replace("┃", "│").split("│") if c.strip()]
        if len(cells) >= 2 and cells[0] in ("Lead", "MAL", "MQL", "SAL", "SQL", "Opportunity", "Customer"):
            printed.setdefault(cells[0].lower(), int(cells[1].replace(",", "")))
    assert printed == {stage: stages[stage] for stage in printed}
    assert printed["mql"] > 0 and printed["customer"] > 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_demo_serves_the_dashboard_until_stopped(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [*LEADPACT, "demo", "--leads", "100", "--end", END, "--dir", "d", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        url = next((line.split()[1] for line in proc.stdout if line.startswith("dashboard:")), None)
        assert url == f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status is None:  # readiness poll, not a timing sleep
            try:
                with urllib.request.urlopen(f"{url}login", timeout=5) as response:
                    status = response.status
            except OSError:
                time.sleep(0.2)
        assert status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
