"""The synthetic generator: deterministic, valid SPEC §3 messages, realistic ingredients."""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from dataclasses import fields
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.adapters.synthetic import Generator, GeneratorConfig, generate_to_stream
from leadpact.adapters.synthetic.messagelog import Entry
from leadpact.adapters.synthetic.timeline import JST, Timeline
from leadpact.domain.messages import BANT_ITEMS, parse_message
from leadpact.domain.timeutil import to_us
from leadpact.entrypoints.cli import app

START = date(2025, 4, 1)
TRACK_EVENTS = {
    "Whitepaper Downloaded", "Case Study Downloaded", "Webinar Attended", "Trade Show Booth Visited",
    "Email Opened", "Email Link Clicked", "Contact Form Submitted", "Document Requested", "Unsubscribed",
    "Quote Requested", "Demo Requested", "Consultation Requested", "Trial Started",
}  # fmt: skip
PAGE_PREFIXES = (
    "/products/",
    "/case-studies/",
    "/blog/",
    "/company",
    "/resources",
    "/webinars",
    "/contact",
    "/careers",
)


def config(leads: int = 600, seed: int = 7, days: int = 365) -> GeneratorConfig:
    return GeneratorConfig(leads=leads, start=START, days=days, seed=seed, agreement=default_agreement())


def generate_text(cfg: GeneratorConfig) -> str:
    stream = io.StringIO()
    generate_to_stream(cfg, stream)
    return stream.getvalue()


@cache
def sample() -> list[dict[str, Any]]:
    return [json.loads(line) for line in generate_text(config()).splitlines()]


def by_type(kind: str) -> list[dict[str, Any]]:
    return [m for m in sample() if m["type"] == kind]


# --- determinism -------------------------------------------------------------------------------


def test_same_seed_gives_the_same_bytes() -> None:
    assert generate_text(config(leads=120, seed=3)) == generate_text(config(leads=120, seed=3))


def test_different_seeds_give_different_histories() -> None:
    assert generate_text(config(leads=120, seed=3)) != generate_text(config(leads=120, seed=4))


def test_a_lead_does_not_depend_on_how_many_leads_follow_it() -> None:
    first = generate_text(config(leads=30, seed=5)).splitlines()
    longer = generate_text(config(leads=60, seed=5)).splitlines()
    lead_zero = [line for line in first if '"lead-5-0000000"' in line]
    assert lead_zero
    assert lead_zero == [line for line in longer if '"lead-5-0000000"' in line]


# --- validity ----------------------------------------------------------------------------------


def test_every_line_parses_as_a_spec_message() -> None:
    for seq, obj in enumerate(sample()):
        parse_message(obj, seq=seq)


def test_message_ids_are_unique() -> None:
    ids = [m["messageId"] for m in sample()]
    assert len(ids) == len(set(ids))


@cache
def sample_entries() -> list[Entry]:
    return [entry for block in Generator(config(leads=200)).blocks() for entry in block]


def test_the_engine_sees_exactly_what_the_file_says() -> None:
    """The generator feeds the engine Messages built alongside the dicts; they must equal
    what parse_message makes of the written lines (arrival order aside)."""
    for entry in sample_entries():
        parsed = parse_message(json.loads(entry.json_line()))
        for field in fields(parsed):
            if field.name != "seq":
                assert getattr(entry.message, field.name) == getattr(parsed, field.name), (field.name, entry.obj)


def test_pre_rendered_lines_are_exactly_json_dumps_of_the_message() -> None:
    pre_rendered = [entry for entry in sample_entries() if entry.line is not None]
    assert len(pre_rendered) > 1000
    for entry in pre_rendered:
        assert entry.line == json.dumps(entry.obj, ensure_ascii=False, separators=(",", ":"))


def test_timestamps_are_japan_time_inside_the_window() -> None:
    window = Timeline(START, 365)
    for msg in sample():
        moment = datetime.fromisoformat(msg["timestamp"])
        assert msg["timestamp"].endswith("+09:00")
        assert window.origin <= to_us(moment) < window.end


def test_each_leads_messages_are_in_time_order() -> None:
    last: dict[str, str] = {}
    for msg in sample():
        who = msg.get("userId") or msg["anonymousId"]
        assert msg["timestamp"] >= last.get(who, ""), msg
        last[who] = msg["timestamp"]


# --- realism: who -----------------------------------------------------------------------------


def test_identify_traits_carry_segments_reports_need() -> None:
    identifies = by_type("identify")
    assert identifies
    for msg in identifies:
        traits = msg["traits"]
        for key in (
            "email",
            "name",
            "company",
            "title",
            "job_level",
            "industry",
            "employees",
            "country",
            "source",
            "campaign",
        ):
            assert traits.get(key) not in (None, ""), (key, msg)
        assert traits["job_level"] in {"executive", "director", "manager", "staff", "student"}
        assert isinstance(traits["employees"], int)


def test_most_leads_are_japanese_companies_with_company_domains() -> None:
    identifies = by_type("identify")
    countries = Counter(m["traits"]["country"] for m in identifies)
    assert countries["JP"] / len(identifies) > 0.85
    group_domains = {m["traits"]["domain"] for m in by_type("group")}
    emails = [m["traits"]["email"] for m in identifies]
    assert sum(e.split("@")[1] in group_domains for e in emails) / len(emails) > 0.9


def test_competitors_and_students_are_present() -> None:
    identifies = by_type("identify")
    assert any(m["traits"]["email"].endswith("@rival.example") for m in identifies)
    assert any(m["traits"]["job_level"] == "student" for m in identifies)


def test_sales_generated_leads_start_with_create_sgl() -> None:
    first_by_lead: dict[str, dict[str, Any]] = {}
    for msg in sample():
        if "userId" in msg:
            first_by_lead.setdefault(msg["userId"], msg)
    sgl_starts = [m for m in first_by_lead.values() if m["type"] == "action"]
    assert sgl_starts
    for msg in sgl_starts:
        assert msg["action"] == "create_sgl"
        assert msg["actor"]["role"] == "field_sales"
        assert msg["traits"]["source"] in {"referral", "inbound_call"}


def test_anonymous_visits_are_linked_later_by_identify() -> None:
    first_anonymous: dict[str, str] = {}
    for msg in sample():
        if "userId" not in msg:
            first_anonymous.setdefault(msg["anonymousId"], msg["timestamp"])
    linked = [m for m in by_type("identify") if "anonymousId" in m]
    assert len(linked) > 50
    earlier = [m for m in linked if first_anonymous.get(m["anonymousId"], "9") < m["timestamp"]]
    assert len(earlier) == len(linked)


# --- realism: what ----------------------------------------------------------------------------


def test_pages_and_events_use_the_default_agreements_vocabulary() -> None:
    paths = Counter(m["properties"]["path"] for m in by_type("page"))
    assert all(p in ("/", "/pricing") or p.startswith(PAGE_PREFIXES) for p in paths)
    assert {"/", "/pricing"} <= set(paths)
    events = Counter(m["event"] for m in by_type("track"))
    assert set(events) <= TRACK_EVENTS
    assert {
        "Whitepaper Downloaded",
        "Webinar Attended",
        "Trade Show Booth Visited",
        "Email Opened",
        "Demo Requested",
    } <= set(events)


def test_sales_actions_are_done_by_named_people_with_reasons_and_items() -> None:
    actions = by_type("action")
    kinds = Counter(m["action"] for m in actions)
    for kind in ("accept", "reject", "contact", "confirm_bant", "open_opportunity", "win", "lose", "create_sgl"):
        assert kinds[kind] > 0, kind
    assert "assign" not in kinds  # the engine assigns MQLs itself (SPEC §4.4)
    is_users = {m["actor"]["id"] for m in actions if m["actor"]["role"] == "inside_sales"}
    assert is_users <= {"is_tanaka", "is_suzuki", "is_sato", "is_ito", "is_kato"}
    assert len(is_users) == 5
    for msg in actions:
        if msg["action"] in ("reject", "lose", "recycle", "disqualify"):
            assert msg["properties"]["reason"].strip()
        if msg["action"] == "confirm_bant":
            assert msg["properties"]["items"]
            assert set(msg["properties"]["items"]) <= set(BANT_ITEMS)


def test_weekends_and_holiday_seasons_are_quiet() -> None:
    per_day: Counter[date] = Counter(
        datetime.fromisoformat(m["timestamp"]).date() for m in sample() if m["type"] == "page"
    )
    weekdays = [per_day[d] for d in per_day if d.weekday() < 5 and d.month == 6]
    weekends = [
        per_day[START + timedelta(days=i)]
        for i in range(365)
        if (START + timedelta(days=i)).weekday() >= 5 and (START + timedelta(days=i)).month == 6
    ]
    assert sum(weekdays) / len(weekdays) > 3 * sum(weekends) / len(weekends)
    golden_week = sum(per_day[date(2025, 4, 29) + timedelta(days=i)] for i in range(8))
    week_after = sum(per_day[date(2025, 5, 12) + timedelta(days=i)] for i in range(8))
    assert golden_week * 2 < week_after
    year_end = sum(per_day[date(2025, 12, 28) + timedelta(days=i)] for i in range(8))
    assert year_end * 3 < week_after


# --- the timeline --------------------------------------------------------------------------------


def test_work_hours_skip_nights_weekends_and_holidays() -> None:
    line = Timeline(date(2026, 1, 1), 40)
    friday_6pm = to_us(datetime(2026, 1, 9, 18, 0, tzinfo=JST))
    # 2 working hours from Friday 18:00: one hour on Friday, Monday 12th is Coming of Age Day,
    # so the second hour ends Tuesday 10:00.
    assert line.iso(line.add_work_hours(friday_6pm, 2)) == "2026-01-13T10:00:00+09:00"


def test_iso_text_matches_the_standard_library() -> None:
    line = Timeline(date(2025, 4, 1), 10)
    moment = line.origin + 3 * 86_400_000_000 + 45_296_000_000
    assert datetime.fromisoformat(line.iso(moment)) == datetime(2025, 4, 4, 12, 34, 56, tzinfo=JST)


# --- the command line --------------------------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def run_cli(*args: str) -> Any:
    return CliRunner().invoke(app, ["generate", *args])


def test_cli_writes_the_same_file_twice_for_the_same_arguments(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert run_cli("--leads", "40", "--days", "60", "--out", str(first), "--lang", "en").exit_code == 0
    assert run_cli("--leads", "40", "--days", "60", "--out", str(second)).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    assert not list(tmp_path.glob(".*.part"))
    assert first.stat().st_mode & 0o444 == 0o444 & ~_umask()


def test_cli_default_period_ends_on_a_fixed_date_not_today(tmp_path: Path) -> None:
    out = tmp_path / "a.jsonl"
    result = run_cli("--leads", "30", "--days", "30", "--out", str(out), "--lang", "en")
    assert "2026-03-02 to 2026-03-31" in result.output
    stamps = [json.loads(line)["timestamp"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert max(stamps) < "2026-04-01" and min(stamps) >= "2026-03-02"


def test_cli_writes_jsonl_to_stdout() -> None:
    result = run_cli("--leads", "10", "--days", "30", "--out", "-", "--start", "2025-10-01")
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines and all(json.loads(line)["timestamp"].startswith("2025-10") for line in lines)


def test_cli_refuses_start_and_end_together() -> None:
    result = run_cli("--leads", "5", "--out", "-", "--start", "2025-01-01", "--end", "2025-12-31")
    assert result.exit_code == 2
    assert "not both" in result.output


def test_cli_names_a_bad_date() -> None:
    result = run_cli("--leads", "5", "--out", "-", "--start", "2025-13-01")
    assert result.exit_code == 2
    assert "--start: expected a date YYYY-MM-DD, found '2025-13-01'" in result.output


def test_cli_reports_an_invalid_agreement_with_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: '1'\nstages: {mql: {score_gte: ten}}\n", encoding="utf-8")
    result = run_cli("--leads", "5", "--out", str(tmp_path / "o.jsonl"), "--agreement", str(bad))
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "stages.mql" in result.output
    assert not (tmp_path / "o.jsonl").exists()


def test_cli_refuses_parquet_on_stdout() -> None:
    result = run_cli("--leads", "5", "--out", "-", "--format", "parquet")
    assert result.exit_code == 2
