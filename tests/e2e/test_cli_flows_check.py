"""``leadpact flows check`` through the real console script: every problem of every file at
once, template problems at the line of the step that sends the template."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from leadpact.adapters.flow_yaml import example_flow_path

LEADPACT = Path(sys.executable).with_name("leadpact")


def leadpact(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LEADPACT), *args], capture_output=True, text=True, timeout=120, check=False)


def test_the_shipped_flow_passes_with_its_templates_listed() -> None:
    answer = leadpact("flows", "check", str(example_flow_path()))
    assert answer.returncode == 0, answer.stderr
    assert "templates: webinar_invite (ja, en)" in answer.stdout


def test_structural_reference_and_template_problems_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "hello.en.txt.j2").write_text(
        "Subject: Hi\n\n{{ lead.name.upper() }}\n{{ unsubscribe_url }}\n", encoding="utf-8"
    )
    (tmp_path / "f.yaml").write_text(
        'id: f\nversion: "1"\ntrigger: {event: X}\nsteps:\n'
        "  - {id: a, send_email: hello}\n"
        "  - {id: a, wait: {weeks: 1}}\n"
        "  - {branch: {if: {opened: nosuch}}}\n",
        encoding="utf-8",
    )
    answer = leadpact("flows", "check", str(tmp_path / "f.yaml"), "--templates", str(tmp_path / "tpl"))
    assert answer.returncode == 2
    lines = answer.stderr.splitlines()
    flow = tmp_path / "f.yaml"
    assert lines == [
        f"{flow}:5: steps[0].send_email: hello.en.txt.j2:3: lead.name is missing; give it a default, "
        'e.g. {{ lead.name or "…" }} (en, for a lead with only an address)',
        f"{flow}:6: steps[1].wait.weeks: unknown key 'weeks'; expected one of minutes, hours, days, business_days",
        f"{flow}:6: steps[1].id: duplicate step id 'a' (already used at steps[0])",
        f"{flow}:7: steps[2].branch.if: expected the id of an earlier send_email step, found 'nosuch'",
        "warning: hello: no ja variant; those leads get en",
    ]
