"""The agreement back-test on a small hand-written history, replayed for real under the
shipped default agreement (MQL at score 50) and a proposal that raises the bar to 65.

Fit of the "director at a 500-person software company" persona: 15 + 10 + 10 = 35.

* L1 — webinar (+20 → 55) Mon 2 Feb: MQL now, not under the proposal; inside sales accepts it
  on the 3rd (refused under the proposal: not an MQL there); a case study (+20 → 75) on Tue
  10 Feb makes it an MQL under the proposal: handed over 8 days later.
* L2 — contact form (+30 → 65) on the 2nd: MQL under both; accepted, BANT confirmed on the 5th
  (SQL), opportunity on the 6th, won on the 20th.
* L3 — whitepaper (+15 → 50) on the 3rd: MQL now, never under the proposal.
* L4 — sales-generated lead on the 3rd (enters at SQL under both).
* L5 — small-company staff (fit 10) requests a demo on the 4th: fast-tracked to SQL under both.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from leadpact.adapters.agreement_yaml import default_agreement, default_agreement_text, load_agreement_text
from leadpact.domain.messages import Message, parse_message
from leadpact.domain.timeutil import US_PER_HOUR, parse_iso, to_us
from leadpact.service.backtest import backtest
from leadpact.service.reports.render_backtest import backtest_json, backtest_markdown, backtest_text
from leadpact.service.reports.render_backtest_csv import BACKTEST_COLUMNS, backtest_csv

BIG = {"job_level": "director", "industry": "software", "employees": 500}
SMALL = {"job_level": "staff", "industry": "retail", "employees": 50}


def _at(day: int, hour: int = 10) -> str:
    return f"2026-02-{day:02d}T{hour:02d}:00:00+09:00"


def _history() -> list[dict[str, Any]]:
    def identify(user: str, day: int, traits: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "identify",
            "messageId": f"id-{user}",
            "timestamp": _at(day, 9),
            "userId": user,
            "traits": traits,
        }

    def track(user: str, day: int, event: str) -> dict[str, Any]:
        return {"type": "track", "messageId": f"tr-{user}-{day}", "timestamp": _at(day), "userId": user, "event": event}

    def act(user: str, day: int, action: str, role: str, hour: int = 12, **properties: Any) -> dict[str, Any]:
        return {
            "type": "action", "messageId": f"act-{user}-{action}", "timestamp": _at(day, hour), "userId": user,
            "action": action, "actor": {"id": f"{role}_person", "role": role}, "properties": properties,
        }  # fmt: skip

    return [
        identify("L1", 2, BIG), track("L1", 2, "Webinar Attended"), act("L1", 3, "accept", "inside_sales"),
        track("L1", 10, "Case Study Downloaded"),
        identify("L2", 2, BIG), track("L2", 2, "Contact Form Submitted"), act("L2", 3, "accept", "inside_sales"),
        act("L2", 5, "confirm_bant", "inside_sales", items=["budget", "authority"]),
        act("L2", 6, "open_opportunity", "field_sales"), act("L2", 20, "win", "field_sales"),
        identify("L3", 3, BIG), track("L3", 3, "Whitepaper Downloaded"),
        act("L4", 3, "create_sgl", "field_sales"),
        identify("L5", 4, SMALL), track("L5", 4, "Demo Requested"),
    ]  # fmt: skip


def _messages() -> list[Message]:
    return [parse_message(obj, seq=index) for index, obj in enumerate(_history(), start=1)]


PROPOSED = load_agreement_text(
    default_agreement_text().replace("score_gte: 50", "score_gte: 65").replace('"2026.1"', '"2026.2-draft"'),
    "proposed.yaml",
)
AS_OF = to_us(parse_iso("2026-02-28T00:00:00+09:00"))


def _run(start: str | None = None, end: str | None = None) -> dict[str, Any]:
    bounds = [to_us(parse_iso(t)) if t else None for t in (start, end)]
    return backtest_json(backtest(_messages(), default_agreement(), PROPOSED, AS_OF, *bounds))


def test_an_agreement_against_itself_reports_no_difference():
    report = backtest(_messages(), default_agreement(), default_agreement(), AS_OF)
    assert report.identical
    data = backtest_json(report)
    assert data["lead_changes"] == []
    assert data["refused_under_proposed_only"] == []
    assert data["current"] == data["proposed"]
    assert all(w["current"] == w["proposed"] for w in data["weeks"])
    assert "No difference" in backtest_text(report, "en")


def test_mql_volume_and_rates_use_the_outcomes_that_happened():
    data = _run()
    assert not data["identical"]
    current, proposed = data["current"], data["proposed"]
    assert (current["mql"], current["converted_to_sql"], current["converted_to_customer"]) == (4, 2, 1)
    assert (current["mql_to_sql"], current["mql_to_customer"]) == (0.5, 0.25)
    assert (proposed["mql"], proposed["converted_to_sql"], proposed["converted_to_customer"]) == (3, 2, 1)
    assert (proposed["mql_to_sql"], proposed["mql_to_customer"]) == (0.666667, 0.333333)
    assert (current["version"], proposed["version"]) == ("2026.1", "2026.2-draft")


def test_weekly_mql_volume_side_by_side():
    weeks = [(w["week"], w["iso_week"], w["current"], w["proposed"]) for w in _run()["weeks"]]
    assert weeks == [("2026-02-02", "2026-W06", 4, 2), ("2026-02-09", "2026-W07", 0, 1)]


def test_sla_load_per_owner_per_week():
    load = {(s["week"], s["owner"]): (s["current"], s["proposed"]) for s in _run()["sla_load"]}
    assert load == {
        ("2026-02-02", "marketing"): (4, 2),  # handoff starts at every MQL
        ("2026-02-02", "inside_sales"): (4, 2),  # first_contact starts at the system assignment
        ("2026-02-02", "field_sales"): (3, 3),  # meeting: L2's SQL, the SGL L4, L5's fast track
        ("2026-02-09", "marketing"): (0, 1),
        ("2026-02-09", "inside_sales"): (0, 1),
        ("2026-02-09", "field_sales"): (0, 0),
    }


def test_leads_handed_over_later_or_not_at_all_are_listed():
    changes = {c["lead_id"]: c for c in _run()["lead_changes"]}
    assert set(changes) == {"L1", "L3"}
    assert changes["L1"]["change"] == "later"
    assert changes["L1"]["shift_hours"] == 8 * 24
    assert (changes["L1"]["current_stage"], changes["L1"]["proposed_stage"]) == ("sal", "mql")
    assert changes["L3"] == {
        "lead_id": "L3",
        "change": "not_at_all",
        "current_mql_at": "2026-02-03T10:00:00+09:00",
        "proposed_mql_at": None,
        "shift_hours": None,
        "current_stage": "mql",
        "proposed_stage": "mal",
    }
    assert _run()["change_counts"] == {"earlier": 0, "later": 1, "not_at_all": 1, "newly": 0, "stage_differs": 0}


def test_a_recorded_action_invalid_under_the_proposal_is_reported_not_fatal():
    refused = _run()["refused_under_proposed_only"]
    assert [(r["lead_id"], r["action"], r["actor"]["role"]) for r in refused] == [("L1", "accept", "inside_sales")]
    assert "not allowed in stage mal" in refused[0]["reason"]


def test_in_japanese_the_refusal_reads_in_japanese():
    report = backtest(_messages(), default_agreement(), PROPOSED, AS_OF)
    text = backtest_text(report, "ja", width=400)
    assert "「受け入れ」はステージMALでは実行できません（実行できるステージ: MQL）" in text
    assert "not allowed in stage" not in text


def test_the_proposal_swapped_both_ways_reports_newly_and_earlier():
    report = backtest(_messages(), PROPOSED, default_agreement(), AS_OF)
    kinds = {c.lead_id: c.change for c in report.changes}
    assert kinds == {"L1": "earlier", "L3": "newly"}
    assert [r.lead_id for r in report.refused_current_only] == ["L1"]
    shift = next(c for c in report.changes if c.lead_id == "L1").shift_us
    assert shift is not None and shift / US_PER_HOUR == -8 * 24


def test_window_counts_only_hand_overs_inside_it():
    data = _run(start="2026-02-09T00:00:00+09:00", end="2026-02-16T00:00:00+09:00")
    assert (data["current"]["mql"], data["proposed"]["mql"]) == (0, 1)
    assert [c["lead_id"] for c in data["lead_changes"]] == ["L1"]  # its proposed hand-over is inside
    assert data["refused_under_proposed_only"] == []  # the refused accept happened before the window


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_markdown_has_the_summary_and_the_changed_leads(lang):
    text = backtest_markdown(backtest(_messages(), default_agreement(), PROPOSED, AS_OF), lang)
    assert text.startswith("# ")
    assert "| L3 |" in text
    assert ("not at all" if lang == "en" else "引き渡されない") in text
    assert ("Refused actions" if lang == "en" else "拒否された操作") in text


def _csv_rows() -> list[dict[str, str]]:
    report = backtest(_messages(), default_agreement(), PROPOSED, AS_OF)
    return list(csv.DictReader(io.StringIO(backtest_csv(report))))


def test_csv_is_one_table_with_a_section_column_in_the_json_order():
    sections = [row["section"] for row in _csv_rows()]
    assert list(dict.fromkeys(sections)) == [
        "summary", "weeks", "sla_load", "lead_changes", "refused_under_proposed_only",
    ]  # fmt: skip
    assert sections.count("summary") == 8 and sections.count("weeks") == 2 and sections.count("sla_load") == 6


def test_csv_summary_has_both_sides_and_the_difference():
    summary = {row["metric"]: row for row in _csv_rows() if row["section"] == "summary"}
    assert list(summary) == [
        "mql", "mql_leads", "converted_to_sql", "converted_to_customer", "mql_to_sql", "mql_to_customer",
        "sla_clocks", "refused_actions",
    ]  # fmt: skip
    assert (summary["mql"]["current"], summary["mql"]["proposed"], summary["mql"]["difference"]) == ("4", "3", "-1")
    rate = summary["mql_to_sql"]
    assert (rate["current"], rate["proposed"], rate["difference"]) == ("0.5", "0.666667", "0.166667")


def test_csv_lists_weeks_load_changed_leads_and_refused_actions():
    rows = _csv_rows()
    weeks = [
        (r["week"], r["iso_week"], r["current"], r["proposed"], r["difference"])
        for r in rows
        if r["section"] == "weeks"
    ]
    assert weeks == [("2026-02-02", "2026-W06", "4", "2", "-2"), ("2026-02-09", "2026-W07", "0", "1", "1")]
    load = next(r for r in rows if r["section"] == "sla_load" and r["owner"] == "field_sales")
    assert (load["week"], load["current"], load["proposed"], load["difference"]) == ("2026-02-02", "3", "3", "0")
    l3 = next(r for r in rows if r["section"] == "lead_changes" and r["lead_id"] == "L3")
    assert (l3["change"], l3["current_mql_at"], l3["proposed_mql_at"], l3["shift_hours"]) == (
        "not_at_all", "2026-02-03T10:00:00+09:00", "", "",
    )  # fmt: skip
    (refused,) = [r for r in rows if r["section"] == "refused_under_proposed_only"]
    assert (refused["lead_id"], refused["action"], refused["actor_id"], refused["actor_role"]) == (
        "L1", "accept", "inside_sales_person", "inside_sales",
    )  # fmt: skip


def test_csv_has_a_column_for_every_json_key_of_its_sections():
    data = _run()
    keys = {"section", "metric", "difference", "actor_id", "actor_role"}
    keys |= {k for part in ("weeks", "sla_load", "lead_changes") for row in data[part] for k in row}
    keys |= {k for row in data["refused_under_proposed_only"] for k in row} - {"actor"}
    assert keys == set(BACKTEST_COLUMNS)
