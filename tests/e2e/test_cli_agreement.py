"""``leadpact agreement check|render`` and ``leadpact init`` through the real console script.

Each call starts an interpreter (about half a second), so edge cases beyond the main paths are
marked slow.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from leadpact.adapters.agreement_yaml import default_agreement_text

LEADPACT = Path(sys.executable).with_name("leadpact")

BAD = """\
name: Bad example
version: 2026.2
stages:
  mql: {when: {score_gte: 50}}
fit:
  - {id: big, if: {trait: employees, gte: 300}, points: ten}
engagement:
  - {id: pricing, if: {trait: industry, eq: software}, points: 5}
sla:
  - {id: handoff, starts: mql, stops: [assign], within: {hours: 24, days: 1}, owner: sales}
"""


def leadpact(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LEADPACT), *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


@pytest.fixture
def default_file(tmp_path: Path) -> Path:
    path = tmp_path / "agreement.yaml"
    path.write_text(default_agreement_text(), encoding="utf-8")
    return path


def test_console_script_is_installed() -> None:
    assert LEADPACT.exists(), f"{LEADPACT} missing: is the package installed in this virtualenv?"


# --- check ----------------------------------------------------------------------------------


def test_check_valid_agreement_prints_summary_and_exits_0(default_file: Path) -> None:
    result = leadpact("agreement", "check", default_file.name, cwd=default_file.parent)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "agreement.yaml: OK — 'Default B2B agreement' version 2026.1"
    summary = dict(line.strip().split(":", 1) for line in lines[1:])
    assert {key: value.strip() for key, value in summary.items()} == {
        "fit rules": "5",
        "engagement rules": "14",
        "exclusions": "2",
        "stage criteria": "mql, sql, hot",
        "assignment rules": "2",
        "SLAs": "3",
        "timezone": "Asia/Tokyo",
        "business calendar": "JP",
    }


def test_check_invalid_agreement_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    result = leadpact("agreement", "check", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "bad.yaml:2: version: expected a non-empty string, found number 2026.2 (quote it)",
        "bad.yaml:6: fit[0].points: expected a number, found string 'ten'",
        "bad.yaml:8: engagement[0].if: engagement rules take event conditions "
        "(type, event, path, path_prefix, property), not trait conditions",
        "bad.yaml:10: sla[0].within: expected exactly one of minutes, hours, days, business_days, found 2",
        "bad.yaml:10: sla[0].owner: expected one of marketing, inside_sales, field_sales, found string 'sales'",
    ]


@pytest.mark.slow
def test_check_reads_stdin(tmp_path: Path) -> None:
    ok = leadpact("agreement", "check", "-", cwd=tmp_path, stdin=default_agreement_text())
    assert ok.returncode == 0 and "OK — 'Default B2B agreement'" in ok.stdout
    bad = leadpact("agreement", "check", "-", cwd=tmp_path, stdin="name: x\n")
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        "<stdin>:1: version: required key is missing",
        "<stdin>:1: stages: required key is missing",
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("target", "message"), [("missing.yaml", "missing.yaml: no such file"), (".", ".: is a directory")]
)
def test_check_unreadable_path_exits_2_with_a_clear_message(tmp_path: Path, target: str, message: str) -> None:
    result = leadpact("agreement", "check", target, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(message)


@pytest.mark.slow
def test_check_invalid_yaml_syntax_exits_2_with_the_line(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text('name: x\nversion: "1"\nfit: [\n', encoding="utf-8")
    result = leadpact("agreement", "check", "broken.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("broken.yaml:4: invalid YAML: ")


# --- render ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "fmt", "expected"),
    [
        ("ja", "md", ["# MQL/SQL定義合意書", "従業員数が300以上", "90日を超えた行動は50%で計上します。"]),
        ("en", "md", ["# MQL/SQL Definition Agreement", "employees is at least 300", "within 3 business days"]),
        ("ja", "html", ['<html lang="ja">', "<h1>MQL/SQL定義合意書</h1>", "BANT項目のうち2項目以上を確認"]),
        ("en", "html", ['<html lang="en">', "<h1>MQL/SQL Definition Agreement</h1>", "@media print"]),
    ],
)
def test_render_to_stdout(default_file: Path, lang: str, fmt: str, expected: list[str]) -> None:
    result = leadpact(
        "agreement", "render", str(default_file), "--lang", lang, "--format", fmt, cwd=default_file.parent
    )
    assert result.returncode == 0, result.stderr
    for text in expected:
        assert text in result.stdout


def test_render_to_a_file_takes_the_format_from_the_extension(default_file: Path) -> None:
    result = leadpact(
        "agreement", "render", "agreement.yaml", "--lang", "en", "--out", "doc.html", cwd=default_file.parent
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.strip() == "Wrote doc.html (en, html)"
    page = (default_file.parent / "doc.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


def test_render_defaults_to_japanese_markdown(default_file: Path) -> None:
    result = leadpact("agreement", "render", "agreement.yaml", "--out", "doc.md", cwd=default_file.parent)
    assert result.returncode == 0, result.stderr
    assert (default_file.parent / "doc.md").read_text(encoding="utf-8").startswith("# MQL/SQL定義合意書\n")


def test_render_invalid_agreement_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    result = leadpact("agreement", "render", "bad.yaml", "--out", "doc.md", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("bad.yaml:2: version: ")
    assert not (tmp_path / "doc.md").exists()


@pytest.mark.slow
def test_render_rejects_an_unknown_language(default_file: Path) -> None:
    result = leadpact("agreement", "render", "agreement.yaml", "--lang", "fr", cwd=default_file.parent)
    assert result.returncode == 2
    assert "--lang" in result.stderr and "fr" in result.stderr


@pytest.mark.slow
def test_render_into_a_missing_directory_exits_2(default_file: Path) -> None:
    result = leadpact("agreement", "render", "agreement.yaml", "--out", "no/such/dir/doc.md", cwd=default_file.parent)
    assert result.returncode == 2
    assert result.stderr.startswith("no/such/dir/doc.md: cannot write the document: ")


# --- init -----------------------------------------------------------------------------------


def test_init_writes_the_default_agreement_which_checks_clean(tmp_path: Path) -> None:
    result = leadpact("init", "project", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = tmp_path / "project" / "agreement.yaml"
    assert written.read_text(encoding="utf-8") == default_agreement_text()
    assert "leadpact agreement check project/agreement.yaml" in result.stdout
    assert leadpact("agreement", "check", str(written), cwd=tmp_path).returncode == 0


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    existing = tmp_path / "agreement.yaml"
    existing.write_text("# our edited agreement\n", encoding="utf-8")
    refused = leadpact("init", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip() == "agreement.yaml: already exists; use --force to overwrite it"
    assert existing.read_text(encoding="utf-8") == "# our edited agreement\n"
    forced = leadpact("init", ".", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert existing.read_text(encoding="utf-8") == default_agreement_text()


@pytest.mark.slow
def test_init_into_a_path_that_is_a_file_exits_2(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("", encoding="utf-8")
    result = leadpact("init", "taken", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "taken: exists and is not a directory"


@pytest.mark.slow  # four interpreter start-ups for static text
@pytest.mark.parametrize("command", [("agreement",), ("agreement", "check"), ("agreement", "render"), ("init",)])
def test_every_command_has_help(tmp_path: Path, command: tuple[str, ...]) -> None:
    result = leadpact(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "Usage: leadpact" in result.stdout
