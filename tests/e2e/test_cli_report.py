"""``leadpact report ...`` and ``leadpact backtest ...`` through the real console script, on a
small hand-written JSONL history (default agreement, Tokyo time, as of Tue 20 Jan 2026 12:00).

* u1 — director at a 500-person software company (fit 35); webinar Mon 5 Jan 10:00 (55: MQL,
  assigned to is_sato); contacted 17:00; accepted 16:00 (SAL, 6 h); BANT confirmed Wed 7th
  10:00 (SQL, 42 h); opportunity Thu 8th 10:00 (24 h); won Tue 20th 10:00 (288 h).
* u2 — same profile, identified Tue 6th 09:00, demo request 11:00: fast-tracked MQL→SAL→SQL;
  contacted 12:00; no opportunity: the meeting SLA (5 business days → end of Wed 14th) is
  neglected.
* u3 — same profile, contact form Wed 7th 10:00 (65: MQL, is_kato), never contacted: the
  first-contact SLA (3 business days; Mon 12th is a holiday → end of Tue 13th) is neglected.
* u4 — a student: disqualified at the gate.
* u5 — sales-generated (SGL) Fri 9th 10:00: meeting SLA ends Mon 19th, neglected by 12 h.

Each call starts an interpreter (about a second); edge cases beyond the main paths are slow.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from leadpact.adapters.agreement_yaml import default_agreement_text

LEADPACT = Path(sys.executable).with_name("leadpact")
AS_OF = "2026-01-20T12:00:00+09:00"
BIG = {"job_level": "director", "industry": "software", "employees": 500}


def _t(day: int, hour: int) -> str:
    return f"2026-01-{day:02d}T{hour:02d}:00:00+09:00"


def _identify(user: str, day: int, hour: int, **traits: Any) -> dict[str, Any]:
    return {"type": "identify", "messageId": f"i-{user}", "timestamp": _t(day, hour), "userId": user, "traits": traits}


def _track(user: str, day: int, hour: int, event: str) -> dict[str, Any]:
    return {"type": "track", "messageId": f"t-{user}-{day}", "timestamp": _t(day, hour), "userId": user, "event": event}


def _act(user: str, day: int, hour: int, action: str, role: str, **properties: Any) -> dict[str, Any]:
    return {
        "type": "action", "messageId": f"a-{user}-{action}", "timestamp": _t(day, hour), "userId": user,
        "action": action, "actor": {"id": f"{role}_1", "role": role}, "properties": properties,
    }  # fmt: skip


HISTORY = [
    _identify("u1", 5, 9, **BIG, source="webinar"), _track("u1", 5, 10, "Webinar Attended"),
    _act("u1", 5, 16, "accept", "inside_sales"), _act("u1", 5, 17, "contact", "inside_sales"),
    _act("u1", 7, 10, "confirm_bant", "inside_sales", items=["budget", "authority"]),
    _act("u1", 8, 10, "open_opportunity", "field_sales"), _act("u1", 20, 10, "win", "field_sales"),
    _identify("u2", 6, 9, **BIG, source="web"), _track("u2", 6, 11, "Demo Requested"),
    _act("u2", 6, 12, "contact", "inside_sales"),
    _identify("u3", 7, 9, **BIG, source="web"), _track("u3", 7, 10, "Contact Form Submitted"),
    _identify("u4", 8, 9, job_level="student"),
    _act("u5", 9, 10, "create_sgl", "field_sales"),
]  # fmt: skip


def leadpact(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LEADPACT), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
        env=env,
    )


@pytest.fixture
def events(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in HISTORY), encoding="utf-8")
    return path


def _json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_waterfall_json_has_the_hand_computed_numbers(events, tmp_path):
    data = _json(
        leadpact("report", "waterfall", str(events), "--as-of", AS_OF, "--from", "2026-01-01", "--to", "2026-02-01",
                 "--format", "json", cwd=tmp_path)
    )  # fmt: skip
    assert data["from"] == "2026-01-01T00:00:00+09:00"
    overall = data["overall"]
    assert overall["leads"] == 5
    assert [(s["stage"], s["reached"], s["fast_tracked"]) for s in overall["stages"]] == [
        ("lead", 4, 0), ("mal", 3, 0), ("mql", 3, 1), ("sal", 2, 1), ("sql", 3, 0), ("opportunity", 1, 0),
        ("customer", 1, 0),
    ]  # fmt: skip
    steps = {t["from"]: t for t in overall["transitions"]}
    assert steps["lead"]["conversion"] == 0.75
    assert steps["mal"]["lead_time_hours"] == {"n": 3, "median": 1.0, "p90": 1.8}  # u2's skip counts from MAL
    assert steps["mql"] | {"lead_time_hours": None} == {
        "from": "mql", "to": "sal", "entered": 3, "converted": 2, "waiting": 1, "exited": 0,
        "conversion": 0.666667, "lead_time_hours": None,
    }  # fmt: skip
    assert steps["mql"]["lead_time_hours"] == {"n": 2, "median": 3.0, "p90": 5.4}  # 6 h and u2's 0
    assert steps["sal"]["lead_time_hours"] == {"n": 2, "median": 21.0, "p90": 37.8}  # 42 h and 0
    assert (steps["sql"]["entered"], steps["sql"]["converted"], steps["sql"]["waiting"]) == (3, 1, 2)
    assert steps["opportunity"]["lead_time_hours"]["median"] == 288.0
    assert (overall["disqualified"], data["by_origin"]["sales"]["leads"]) == (1, 1)
    owners = {(r["from"], r["owner"]) for r in data["responsibility"]}
    assert {("mql", "marketing"), ("sal", "inside_sales"), ("sql", "field_sales")} <= owners
    gate = data["responsibility"][0]
    assert (gate["from"], gate["exit_reasons"]) == (
        "lead",
        [{"reason": "(exclusion rule)", "rule": "student", "count": 1}],
    )


def test_an_exclusion_gate_exit_shows_the_gate_and_its_rule(tmp_path):
    rival = {"type": "identify", "messageId": "x1", "timestamp": "2026-01-07T09:00:00+09:00", "userId": "X",
             "traits": {"email": "x@rival.example"}}  # fmt: skip
    events = tmp_path / "rival.jsonl"
    events.write_text(json.dumps(rival) + "\n", encoding="utf-8")
    data = _json(leadpact("report", "waterfall", str(events), "-f", "json", cwd=tmp_path))
    assert data["responsibility"][0]["exit_reasons"] == [
        {"reason": "(exclusion rule)", "rule": "competitor", "count": 1}
    ]
    table = leadpact("report", "waterfall", str(events), "--lang", "en", cwd=tmp_path)
    assert "(exclusion rule) competitor" in table.stdout


def test_sla_report_lists_the_neglected_leads(events, tmp_path):
    data = _json(leadpact("report", "sla", str(events), "--as-of", AS_OF, "-f", "json", cwd=tmp_path))
    by_sla = {r["sla"]: (r["met"], r["breached"], r["running"], r["cancelled"]) for r in data["by_sla"]}
    assert by_sla == {"handoff": (3, 0, 0, 0), "first_contact": (2, 1, 0, 0), "meeting": (1, 2, 0, 0)}
    neglected = [
        (n["lead_id"], n["sla"], n["person"], n["late_hours"], n["late_business_days"]) for n in data["neglected"]
    ]
    assert neglected == [
        ("u3", "first_contact", "is_kato", 156.0, 5),
        ("u2", "meeting", "is_ito", 132.0, 4),
        ("u5", "meeting", "(unassigned)", 12.0, 1),  # as on its per-person row
    ]
    assert ("meeting", "(unassigned)") in {(r["sla"], r["person"]) for r in data["by_person"]}


@pytest.mark.slow
def test_trend_and_attribution(events, tmp_path):
    trend = _json(leadpact("report", "trend", str(events), "--as-of", AS_OF, "-f", "json", cwd=tmp_path))
    assert trend["months"] == [
        {"month": "2026-01", "mql": 3, "converted_to_sql": 2, "mql_to_sql": 0.666667,
         "lead_time_hours": {"n": 2, "median": 24.0, "p90": 43.2}},
    ]  # fmt: skip
    attribution = _json(
        leadpact("report", "attribution", str(events), "--as-of", AS_OF, "--target", "sql", "-f", "json", cwd=tmp_path)
    )
    assert (attribution["converted"], attribution["not_converted"]) == (3, 2)  # u1, u2, u5
    sources = {s["value"]: (s["converted"], s["not_converted"]) for s in attribution["sources"]}
    assert sources == {"webinar": (1, 0), "web": (1, 1), "(none)": (1, 1)}


def test_table_in_japanese_and_a_chart_file(events, tmp_path):
    chart = tmp_path / "waterfall.png"
    result = leadpact("report", "waterfall", str(events), "--as-of", AS_OF, "--chart", str(chart), "--by", "source",
                      cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "デマンドウォーターフォール" in result.stdout
    assert "責任部門ビュー" in result.stdout
    assert "流入元別" in result.stdout
    assert chart.read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
def test_csv_output_parses_as_one_table(events, tmp_path):
    result = leadpact("report", "neglected", str(events), "--as-of", AS_OF, "-f", "csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["lead_id"], r["person"]) for r in rows] == [("u3", "is_kato"), ("u2", "is_ito"), ("u5", "(unassigned)")]
    assert rows[0]["deadline"] == "2026-01-13T23:59:59.999999+09:00"


@pytest.mark.slow
def test_backtest_of_an_agreement_against_itself_reports_no_difference(events, tmp_path):
    agreement = tmp_path / "agreement.yaml"
    agreement.write_text(default_agreement_text(), encoding="utf-8")
    data = _json(leadpact("backtest", str(agreement), str(agreement), str(events), "-f", "json", cwd=tmp_path))
    assert data["identical"] is True
    assert data["lead_changes"] == [] and data["refused_under_proposed_only"] == []


def test_backtest_reports_leads_not_handed_over_and_refused_actions(events, tmp_path):
    current = tmp_path / "current.yaml"
    current.write_text(default_agreement_text(), encoding="utf-8")
    proposed = tmp_path / "proposed.yaml"
    proposed.write_text(default_agreement_text().replace("score_gte: 50", "score_gte: 60"), encoding="utf-8")
    chart = tmp_path / "backtest.svg"
    data = _json(
        leadpact("backtest", str(current), str(proposed), str(events), "--as-of", AS_OF, "-f", "json",
                 "--chart", str(chart), "--lang", "en", cwd=tmp_path)
    )  # fmt: skip
    changes = {c["lead_id"]: c["change"] for c in data["lead_changes"]}
    assert changes == {"u1": "not_at_all"}  # 55 points: below the proposed 60
    refused = [(r["lead_id"], r["action"]) for r in data["refused_under_proposed_only"]]
    # every recorded sales action on u1 finds it still in MAL under the proposal
    assert refused == [
        ("u1", "accept"), ("u1", "contact"), ("u1", "confirm_bant"), ("u1", "open_opportunity"), ("u1", "win"),
    ]  # fmt: skip
    assert (data["current"]["mql"], data["proposed"]["mql"]) == (3, 2)
    assert "Agreement back-test" in chart.read_text(encoding="utf-8")


def test_backtest_csv_is_one_table_of_summary_weeks_and_changed_leads(events, tmp_path):
    current = _agreement_file(tmp_path)
    proposed = tmp_path / "proposed.yaml"
    proposed.write_text(default_agreement_text().replace("score_gte: 50", "score_gte: 60"), encoding="utf-8")
    result = leadpact("backtest", current, str(proposed), str(events), "--as-of", AS_OF, "-f", "csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    mql = next(r for r in rows if (r["section"], r["metric"]) == ("summary", "mql"))
    assert (mql["current"], mql["proposed"], mql["difference"]) == ("3", "2", "-1")
    assert [(r["lead_id"], r["change"]) for r in rows if r["section"] == "lead_changes"] == [("u1", "not_at_all")]
    assert {r["section"] for r in rows} == {
        "summary",
        "weeks",
        "sla_load",
        "lead_changes",
        "refused_under_proposed_only",
    }


@pytest.mark.slow
def test_backtest_markdown_for_a_proposal(events, tmp_path):
    agreement = tmp_path / "agreement.yaml"
    agreement.write_text(default_agreement_text(), encoding="utf-8")
    result = leadpact("backtest", str(agreement), str(agreement), str(events), "-f", "md", "--lang", "en", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Agreement back-test")
    assert "| Metric | Current | Proposed | Difference |" in result.stdout


@pytest.mark.slow
def test_bad_lines_are_reported_and_skipped_or_fatal_with_strict(events, tmp_path):
    with events.open("a", encoding="utf-8") as stream:
        stream.write('{"type": "track", "messageId": "x"}\n')
    result = leadpact("report", "trend", str(events), "--as-of", AS_OF, "-f", "json", cwd=tmp_path)
    assert result.returncode == 0
    assert f"{events}:{len(HISTORY) + 1}: " in result.stderr
    assert json.loads(result.stdout)["months"][0]["mql"] == 3
    strict = leadpact("report", "trend", str(events), "--strict", cwd=tmp_path)
    assert strict.returncode == 2
    assert strict.stdout == ""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "January"], "--from: expected a date (2026-01-01)"),
        (["--to", "0001-01-01"], "--to: '0001-01-01' is outside the supported range, from 1900-01-01"),
        (["--as-of", "9999-12-31T23:59:59-12:00"], "is outside the supported range"),
        (["--from", "2026-02-01", "--to", "2026-01-01"], "is not before --to"),
        (["--as-of", "2026-01-20T12:00:00"], "--as-of: expected ISO 8601 with offset"),
        (["--chart", "out.jpg"], "expected a .png or .svg"),
        (["--agreement", "missing.yaml"], "missing.yaml: no such file"),
    ],
)
def test_invalid_options_exit_2_with_a_clear_message(events, tmp_path, args, message):
    result = leadpact("report", "waterfall", str(events), *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr


@pytest.mark.slow
def test_missing_events_file_exits_2(tmp_path):
    result = leadpact("report", "sla", str(tmp_path / "nope.jsonl"), cwd=tmp_path)
    assert result.returncode == 2
    assert "nope.jsonl: no such events file" in result.stderr


def test_a_directory_given_as_events_is_named_a_directory(tmp_path):
    (tmp_path / "adir").mkdir()
    result = leadpact("report", "sla", "adir", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert "adir: is a directory, expected an events file (JSONL or Parquet)" in result.stderr


def _agreement_file(tmp_path: Path) -> str:
    path = tmp_path / "agreement.yaml"
    path.write_text(default_agreement_text(), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("content", "skipped"),
    [(b"", "0 lines"), (b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "3 lines"), (b"lead_id,stage\nu1,mql\n", "2 lines")],
    ids=["empty", "binary", "csv"],
)
def test_a_file_without_valid_events_exits_2_naming_it(tmp_path, content, skipped):
    events = tmp_path / "events.jsonl"
    events.write_bytes(content)
    expected = f"{events}: no valid events ({skipped} skipped); nothing to report"
    report = leadpact("report", "waterfall", str(events), "-f", "json", cwd=tmp_path)
    assert (report.returncode, report.stdout) == (2, "")
    assert expected in report.stderr
    agreement = _agreement_file(tmp_path)
    backtest = leadpact("backtest", agreement, agreement, str(events), "-f", "json", cwd=tmp_path)
    assert (backtest.returncode, backtest.stdout) == (2, "")
    assert expected in backtest.stderr


@pytest.mark.slow
def test_japanese_chart_falls_back_to_english_without_a_japanese_font(events, tmp_path):
    # Without fontconfig on the PATH no Japanese font can be found: labels switch to English.
    env = {**os.environ, "PATH": str(tmp_path)}
    chart = tmp_path / "trend.svg"
    result = leadpact("report", "trend", str(events), "--chart", str(chart), "--lang", "ja", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "no Japanese font found" in result.stderr
    assert "Monthly MQL trend" in chart.read_text(encoding="utf-8")


def test_reports_read_the_store_when_no_event_file_is_given(events, tmp_path):
    """``leadpact ingest`` then ``leadpact report KIND`` without EVENTS: the store's stored
    lead states give the same report as replaying the file; an earlier --as-of replays the
    stored log and says so."""
    env = {**os.environ, "LEADPACT_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    ingested = leadpact("ingest", str(events), cwd=tmp_path, env=env)
    assert ingested.returncode == 0, ingested.stderr
    for kind in ("waterfall", "sla"):
        from_file = _json(leadpact("report", kind, str(events), "--as-of", AS_OF, "-f", "json", cwd=tmp_path))
        stored = leadpact("report", kind, "--as-of", AS_OF, "-f", "json", cwd=tmp_path, env=env)
        assert _json(stored) == from_file
        assert "replayed" not in stored.stderr
    earlier = "2026-01-08T00:00:00+09:00"
    replayed = leadpact("report", "waterfall", "--as-of", earlier, "-f", "json", cwd=tmp_path, env=env)
    from_file = leadpact("report", "waterfall", str(events), "--as-of", earlier, "-f", "json", cwd=tmp_path)
    assert _json(replayed) == _json(from_file)
    assert f"(replayed the stored events as of {earlier})" in replayed.stderr  # the agreement's timezone


# --- the batch engine behind file reports (issue #5: large histories run on it) ------------------


def _as_parquet(events: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()]
    table = pa.table(
        {
            key: [json.dumps(r[key]) if isinstance(r.get(key), dict) else r.get(key) for r in rows]
            for key in ("type", "messageId", "timestamp", "userId", "event", "action", "traits", "properties", "actor")
        }
    )
    path = events.with_suffix(".parquet")
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize("kind", ["waterfall", "sla", "attribution", "trend"])
def test_every_report_is_the_same_from_jsonl_and_parquet_and_on_every_embedded_engine(events, tmp_path, kind):
    parquet = _as_parquet(events)
    runs = [
        leadpact("report", kind, str(source), "--as-of", AS_OF, "-f", "json", *engine, cwd=tmp_path)
        for source in (events, parquet)
        for engine in ([], ["--engine", "replay"], ["--engine", "duckdb"])
    ]
    first = _json(runs[0])
    assert all(_json(run) == first for run in runs[1:])
    assert first["as_of"] == AS_OF


def test_backtest_reads_parquet_and_runs_on_the_embedded_engine(events, tmp_path):
    agreement = _agreement_file(tmp_path)
    proposed = tmp_path / "proposed.yaml"
    proposed.write_text(default_agreement_text().replace("score_gte: 50", "score_gte: 60"), encoding="utf-8")
    parquet = _as_parquet(events)
    runs = [
        leadpact(
            "backtest", agreement, str(proposed), str(source), "--as-of", AS_OF, "-f", "json", *engine, cwd=tmp_path
        )
        for source, engine in ((events, []), (parquet, []), (parquet, ["--engine", "duckdb"]))
    ]
    first = _json(runs[0])
    assert all(_json(run) == first for run in runs[1:])
    assert first["identical"] is False


def test_engine_is_refused_for_the_store(tmp_path):
    result = leadpact("report", "sla", "--engine", "duckdb", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert "--engine: only with an events file" in result.stderr


def test_a_chart_that_cannot_be_written_is_refused_before_the_report(events, tmp_path):
    result = leadpact("report", "waterfall", str(events), "--chart", str(tmp_path / "nope" / "w.png"), cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert f"--chart {tmp_path / 'nope' / 'w.png'}: no such directory" in result.stderr
