"""Attribution and the monthly trend on hand-made histories (report_histories.py)."""

from __future__ import annotations

import csv
import io

import pytest
from report_histories import february_lead, january_cohort, lead, scope

from leadpact.domain.timeutil import US_PER_HOUR
from leadpact.service.reports import attribution, render, trend


def _rows(rows):
    return [(r.value, r.converted, r.other, r.share_converted, r.share_other, r.lift) for r in rows]


def test_content_touched_by_customers_is_compared_with_the_rest():
    report = attribution(january_cohort(), scope())
    assert (report.leads, report.converted, report.other) == (6, 1, 5)  # only A won
    assert _rows(report.content) == [
        ("event:Webinar Attended", 1, 1, 1.0, 0.2, 5.0),
        ("page:/pricing", 1, 1, 1.0, 0.2, 5.0),
        ("event:Demo Requested", 0, 1, 0.0, 0.2, 0.0),
        ("page:/blog", 0, 1, 0.0, 0.2, 0.0),
    ]
    assert report.content[0].conversion == 0.5
    assert [r.kind for r in report.content] == ["event", "page", "event", "page"]


def test_target_sql_counts_fast_tracked_and_sales_generated_leads_as_converted():
    report = attribution(january_cohort(), scope(), target="sql")
    assert (report.converted, report.other) == (3, 3)  # A, B, F
    rows = {r.value: r for r in report.content}
    webinar = rows["event:Webinar Attended"]
    assert (webinar.converted, webinar.other, webinar.share_converted, webinar.lift) == (2, 0, 0.666667, None)
    assert rows["page:/pricing"].lift == 1.0


def test_sources_are_attributed_like_content():
    report = attribution(january_cohort(), scope(), target="sql")
    assert _rows(report.sources) == [
        ("webinar", 2, 0, 0.666667, 0.0, None),
        ("referral", 1, 0, 0.333333, 0.0, None),
        ("seo", 0, 2, 0.0, 0.666667, 0.0),  # no converter either: more leads touched it
        ("(none)", 0, 1, 0.0, 0.333333, 0.0),
    ]


def test_rows_with_the_same_share_of_converters_put_the_more_touched_first_then_the_name():
    won = [("lead", "01-05 09:00"), ("mal", "01-05 09:00"), ("customer", "01-09 09:00")]
    browsing = [("lead", "01-05 09:00"), ("mal", "01-05 09:00")]
    leads = [
        lead("W", won, touches={"page:/a": 1, "page:/z": 1, "page:/m": 1}),
        lead("X", browsing, touches={"page:/z": 1, "page:/m": 1}),
        lead("Y", browsing, touches={"page:/z": 1}),
    ]
    content = attribution(leads, scope()).content
    assert [(r.value, r.share_converted, r.converted + r.other) for r in content] == [
        ("page:/z", 1.0, 3), ("page:/m", 1.0, 2), ("page:/a", 1.0, 1),
    ]  # fmt: skip


def test_unknown_target_is_refused():
    with pytest.raises(ValueError, match="unknown target 'won'"):
        attribution([], scope(), target="won")


def test_attribution_csv_lists_content_then_sources():
    text = render(attribution(january_cohort(), scope()), "csv")
    assert isinstance(text, str)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["kind"] for r in rows] == ["event", "page", "event", "page"] + ["source"] * 4
    assert rows[0]["lift"] == "5.0"


def _recycled_c():
    """C from the cohort, re-qualified in February and then converted within a day."""
    return lead(
        "C",
        [("lead", "01-06 09:00"), ("mal", "01-06 09:00"), ("mql", "01-09 09:00"),
         ("mal", "01-09 12:00", False, "no budget"), ("mql", "2026-02-10 09:00"), ("sql", "2026-02-11 09:00")],
    )  # fmt: skip


def test_trend_counts_each_hand_over_in_its_month():
    leads = [*(x for x in january_cohort() if x.lead_id != "C"), _recycled_c(), february_lead()]
    report = trend(leads, scope(as_of="2026-02-28 00:00", start="01-01 00:00", end="2026-04-01 00:00"))
    months = [(m.month, m.mql, m.converted_to_sql, m.conversion) for m in report.months]
    # January: A, B (fast-tracked), C, D; C's January hand-over did not convert (its SQL
    # came after it re-qualified). February: G and C again. March: none, still listed.
    assert months == [("2026-01", 4, 2, 0.5), ("2026-02", 2, 2, 1.0), ("2026-03", 0, 0, None)]
    january, february, _ = report.months
    assert january.lead_time.median_us / US_PER_HOUR == 24.0  # A 48 h, B 0 h (fast-tracked)
    assert february.lead_time.median_us / US_PER_HOUR == 36.0  # C 24 h, G 48 h


def test_trend_ignores_hand_overs_after_the_as_of_moment():
    report = trend([*january_cohort(), february_lead()], scope(as_of="01-31 00:00"))
    assert [(m.month, m.mql) for m in report.months] == [("2026-01", 4)]


def test_trend_months_follow_the_agreement_timezone():
    # 2026-01-31 23:30 Tokyo is still January in Tokyo though it is 14:30 UTC.
    late = lead("L", [("lead", "01-31 23:00"), ("mal", "01-31 23:00"), ("mql", "01-31 23:30")])
    assert [m.month for m in trend([late], scope(as_of="2026-02-02 00:00")).months] == ["2026-01"]


def test_trend_json_and_csv_share_the_numbers():
    report = trend([*january_cohort(), february_lead()], scope(as_of="2026-02-28 00:00"))
    data = render(report, "json")
    assert isinstance(data, dict)
    assert data["months"][0] == {
        "month": "2026-01",
        "mql": 4,
        "converted_to_sql": 2,
        "mql_to_sql": 0.5,
        "lead_time_hours": {"n": 2, "median": 24.0, "p90": 43.2},
    }
    text = render(report, "csv")
    assert isinstance(text, str)
    assert text.splitlines()[1] == "2026-01,4,2,0.5,2,24.0,43.2"
