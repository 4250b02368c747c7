"""The waterfall on a hand-made history (tests/unit/report_histories.py): every number here
was computed by hand from the timeline in that module's docstring."""

from __future__ import annotations

import csv
import io

import pytest
from report_histories import at, february_lead, january_cohort, lead, scope

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.domain.messages import parse_message
from leadpact.domain.replay import replay
from leadpact.domain.timeutil import US_PER_HOUR
from leadpact.service.reports import render, waterfall
from leadpact.service.reports.segments import size_band
from leadpact.service.reports.stats import percentile
from leadpact.service.reports.waterfall import ExitReason, Funnel, Transition


def _january():
    return waterfall([*january_cohort(), february_lead()], scope(start="01-01 00:00", end="2026-02-01 00:00"))


def _step(funnel: Funnel, from_stage: str) -> Transition:
    return next(t for t in funnel.transitions if t.from_stage == from_stage)


def _hours(value: float | None) -> float | None:
    return None if value is None else value / US_PER_HOUR


def test_cohort_is_the_leads_that_entered_the_funnel_in_the_period():
    report = _january()
    assert report.overall.leads == 6  # A-F; G entered in February


def test_counts_per_stage_include_fast_tracked_entries():
    reached = {s.stage: (s.reached, s.fast_tracked) for s in _january().overall.stages}
    assert reached == {
        "lead": (5, 0),  # the SGL has no lead entry
        "mal": (5, 0),  # A-D, and F once it was lost back to nurture
        "mql": (4, 1),  # B skipped MQL
        "sal": (2, 1),
        "sql": (3, 0),  # A, B and the SGL F
        "opportunity": (2, 0),
        "customer": (1, 0),
    }


def test_conversion_divides_by_the_leads_that_reached_the_earlier_stage():
    overall = _january().overall
    mql_sal = _step(overall, "mql")
    assert (mql_sal.entered, mql_sal.converted, mql_sal.waiting, mql_sal.exited) == (4, 2, 1, 1)
    assert mql_sal.conversion == 0.5
    sal_sql = _step(overall, "sal")
    assert (sal_sql.entered, sal_sql.converted) == (2, 2)  # the SGL does not inflate SAL→SQL
    sql_opp = _step(overall, "sql")
    assert (sql_opp.entered, sql_opp.converted, sql_opp.waiting) == (3, 2, 1)
    assert sql_opp.conversion == pytest.approx(2 / 3, abs=1e-6)
    assert _step(overall, "lead").conversion == 0.8  # E was disqualified at the gate


def test_lead_time_across_fast_tracked_stages_is_zero_for_the_skip():
    overall = _january().overall
    mql_sal = _step(overall, "mql").lead_time  # A: 6 h, B: 0 (skipped)
    assert (mql_sal.n, _hours(mql_sal.median_us), _hours(mql_sal.p90_us)) == (2, 3.0, pytest.approx(5.4))
    sal_sql = _step(overall, "sal").lead_time  # A: 42 h, B: 0
    assert (_hours(sal_sql.median_us), _hours(sal_sql.p90_us)) == (21.0, pytest.approx(37.8))


def test_lead_time_into_a_fast_tracked_stage_counts_from_the_previous_real_entry():
    mal_mql = _step(_january().overall, "mal").lead_time  # A 24 h, B 48 h (to its skip), C 72 h, D 72 h
    assert (mal_mql.n, _hours(mal_mql.median_us), _hours(mal_mql.p90_us)) == (4, 60.0, 72.0)


def test_lead_time_to_customer_spans_months():
    opp_customer = _step(_january().overall, "opportunity")
    assert (opp_customer.converted, opp_customer.exited) == (1, 1)  # F was lost
    assert _hours(opp_customer.lead_time.median_us) == 21 * 24


def test_exits_are_counted_outside_the_funnel():
    overall = _january().overall
    assert (overall.disqualified, overall.lost) == (1, 1)


def test_origin_split_separates_sales_generated_leads():
    origins = dict(_january().by_origin)
    assert origins["marketing"].leads == 5
    assert origins["sales"].leads == 1
    assert [s.reached for s in origins["sales"].stages] == [0, 1, 0, 0, 1, 1, 0]


def test_responsibility_names_the_owner_and_its_sla_compliance_beside_each_drop():
    rows = {(r.transition.from_stage, r.transition.to_stage): r for r in _january().responsibility}
    mql_sal = rows[("mql", "sal")]
    assert mql_sal.owner == "marketing"
    assert mql_sal.sla_ids == ("handoff",)
    assert (mql_sal.sla.met, mql_sal.sla.breached) == (3, 0)
    assert mql_sal.exit_reasons == (ExitReason("no budget", None, 1),)
    sal_sql = rows[("sal", "sql")]
    assert sal_sql.owner == "inside_sales"
    assert (sal_sql.sla.met, sal_sql.sla.breached, sal_sql.sla.compliance) == (2, 1, pytest.approx(2 / 3, abs=1e-6))
    sql_opp = rows[("sql", "opportunity")]
    assert sql_opp.owner == "field_sales"
    assert (sql_opp.sla.met, sql_opp.sla.breached) == (2, 1)
    assert rows[("opportunity", "customer")].exit_reasons == (ExitReason("price", None, 1),)
    # E, by the engine, stored without the rule id (as older versions did)
    assert rows[("lead", "mal")].exit_reasons == (ExitReason("(exclusion rule)", None, 1),)


def _gate_report():
    """Leads the shipped agreement disqualifies at its exclusion gate, replayed for real, and
    one a person disqualifies with a reason."""

    people = {"X": {"email": "x@rival.example"}, "S": {"job_level": "student"}, "T": {"job_level": "student"}}
    messages = [
        parse_message({"type": "identify", "messageId": f"i-{user}", "timestamp": "2026-01-07T09:00:00+09:00",
                       "userId": user, "traits": traits}, seq=seq)
        for seq, (user, traits) in enumerate(people.items(), start=1)
    ]  # fmt: skip
    gated = replay(messages, default_agreement(), at("01-20 12:00")).leads.values()
    by_person = lead(
        "P", [("lead", "01-08 09:00"), ("mal", "01-08 09:00"), ("disqualified", "01-09 09:00", False, "spam")]
    )
    return waterfall([*gated, by_person], scope())


def test_exclusion_gate_exits_keep_the_rule_beside_the_gate_label():
    rows = {r.transition.from_stage: r.exit_reasons for r in _gate_report().responsibility}
    assert rows["lead"] == (
        ExitReason("(exclusion rule)", "student", 2), ExitReason("(exclusion rule)", "competitor", 1),
    )  # fmt: skip
    assert rows["mal"] == (ExitReason("spam", None, 1),)  # a person's reason is never the gate's


def test_exclusion_gate_exits_render_the_label_and_the_rule_in_every_format():
    report = _gate_report()
    data = render(report, "json")
    assert isinstance(data, dict)
    assert data["responsibility"][0]["exit_reasons"] == [
        {"reason": "(exclusion rule)", "rule": "student", "count": 2},
        {"reason": "(exclusion rule)", "rule": "competitor", "count": 1},
    ]
    assert data["responsibility"][1]["exit_reasons"] == [{"reason": "spam", "rule": None, "count": 1}]
    english, japanese = render(report, "table", "en"), render(report, "table", "ja")
    assert "(exclusion rule) competitor" in english and "(exclusion rule) student" in english
    assert "(除外ルール) competitor" in japanese and "(exclusion rule)" not in japanese
    rows = list(csv.DictReader(io.StringIO(str(render(report, "csv")))))
    exits = {(r["segment_by"], r["stage"]): r["exit_reasons"] for r in rows}
    assert exits[("all", "lead")] == "(exclusion rule) student=2; (exclusion rule) competitor=1"
    assert exits[("all", "mal")] == "spam=1"
    assert exits[("origin", "lead")] == ""  # the responsibility view is of the whole cohort


def test_actions_without_reason_text_are_shown_in_the_tables_language():
    silent = lead("Q", [("lead", "01-08 09:00"), ("mal", "01-08 09:00"), ("mql", "01-09 09:00"),
                        ("mal", "01-09 12:00", False, "")])  # fmt: skip
    report = waterfall([silent], scope())
    mql_exits = next(r.exit_reasons for r in report.responsibility if r.transition.from_stage == "mql")
    assert mql_exits == (ExitReason("(no reason)", None, 1),)
    assert "(理由なし)" in render(report, "table", "ja")


def test_segments_by_source_group_missing_values_and_sort_by_size():
    report = waterfall(january_cohort(), scope(), by="source")
    assert [(s.value, s.funnel.leads) for s in report.segments] == [
        ("seo", 2), ("webinar", 2), ("(none)", 1), ("referral", 1),
    ]  # fmt: skip
    webinar = next(s.funnel for s in report.segments if s.value == "webinar")
    assert _step(webinar, "mql").conversion == 1.0


def test_industry_uses_the_leads_own_trait_before_the_company_trait():
    report = waterfall(january_cohort(), scope(), by="industry")
    assert {s.value: s.funnel.leads for s in report.segments} == {
        "software": 1, "manufacturing": 1, "(none)": 4,
    }  # fmt: skip


def test_size_bands_cover_company_employees_and_numeric_strings():
    report = waterfall(january_cohort(), scope(), by="size")
    assert {s.value: s.funnel.leads for s in report.segments} == {
        "1000+": 1, "300-999": 2, "50-299": 1, "1-49": 1, "(none)": 1,
    }  # fmt: skip
    assert [size_band(v) for v in (0, "n/a", "1,500", 299.5)] == ["(none)", "(none)", "1000+", "50-299"]


def test_content_segments_overlap_one_per_piece_touched():
    report = waterfall(january_cohort(), scope(), by="content")
    assert {s.value: s.funnel.leads for s in report.segments} == {
        "event:Webinar Attended": 2, "page:/pricing": 2, "event:Demo Requested": 1,
        "page:/blog": 1, "(none)": 2,
    }  # fmt: skip


def test_month_segments_split_the_cohort_by_entry_month():
    report = waterfall([*january_cohort(), february_lead()], scope(), by="month")
    assert [(s.value, s.funnel.leads) for s in report.segments] == [("2026-01", 6), ("2026-02", 1)]


def test_percentile_interpolates_linearly_like_excel_percentile_inc():
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([10, 20, 30, 40, 50], 0.9) == 46.0
    assert percentile([7], 0.9) == 7.0
    assert percentile([], 0.5) is None


def test_json_shape_is_stable_and_carries_the_same_numbers():
    data = render(_january(), "json")
    assert isinstance(data, dict)
    assert list(data)[:8] == ["report", "as_of", "timezone", "from", "to", "agreement", "agreement_version", "stages"]
    assert data["from"] == "2026-01-01T00:00:00+09:00"
    mql_sal = data["overall"]["transitions"][2]
    assert mql_sal == {
        "from": "mql", "to": "sal", "entered": 4, "converted": 2, "waiting": 1, "exited": 1,
        "conversion": 0.5, "lead_time_hours": {"n": 2, "median": 3.0, "p90": 5.4},
    }  # fmt: skip
    assert data["responsibility"][3]["sla"] == {
        "met": 2, "breached": 1, "running": 0, "cancelled": 0, "total": 3, "compliance": 0.666667,
    }  # fmt: skip


def test_csv_has_one_row_per_group_and_stage():
    text = render(waterfall(january_cohort(), scope(), by="source"), "csv")
    assert isinstance(text, str)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 7 * (1 + 2 + 4)  # overall, two origins, four sources
    mql = next(r for r in rows if r["segment_by"] == "all" and r["stage"] == "mql")
    assert (mql["reached"], mql["next_stage"], mql["conversion"], mql["owner"]) == ("4", "sal", "0.5", "marketing")
    assert mql["lead_time_p90_hours"] == "5.4"


@pytest.mark.parametrize(
    ("lang", "title", "stage"),
    [("en", "Demand waterfall", "Opportunity"), ("ja", "デマンドウォーターフォール", "商談")],
)
def test_table_is_labelled_in_the_chosen_language(lang, title, stage):
    text = render(_january(), "table", lang)
    assert isinstance(text, str)
    assert title in text
    assert stage in text
    assert "50.0%" in text


def test_empty_input_gives_an_empty_report_not_an_error():
    report = waterfall([], scope())
    assert report.overall.leads == 0
    assert all(t.conversion is None for t in report.overall.transitions)
    data = render(report, "json")
    assert isinstance(data, dict)
    assert data["overall"]["transitions"][0]["lead_time_hours"] == {"n": 0, "median": None, "p90": None}
