"""Calibration (issue #7): threshold table, evaluation discipline, point-table recovery, the
leakage guard, the proposed agreement and the command."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from leadpact.adapters.agreement_yaml import default_agreement, default_agreement_text, load_agreement_text
from leadpact.domain.messages import Message, parse_message
from leadpact.domain.replay import replay
from leadpact.domain.timeutil import US_PER_DAY, iso, parse_iso, to_us
from leadpact.service.calibration import CalibrationError, CalibrationOptions, calibrate, predict_leads
from leadpact.service.calibration.dataset import LeadRecord, build_records, label_records
from leadpact.service.calibration.evaluation import capture_at, stratified_folds
from leadpact.service.calibration.report import ReportInputs, build, to_html, to_markdown
from leadpact.service.calibration.thresholds import suggest, threshold_table

START = to_us(parse_iso("2025-01-06T09:00:00+09:00"))
TRUE_INDUSTRY = {"retail": 0, "software": 10, "finance": 20}
TRUE_LARGE_COMPANY = 15  # employees >= 500
TRUE_WEBINAR = 8  # per webinar, the first 3


def _true_score(industry: str, employees: int, webinars: int) -> int:
    return TRUE_INDUSTRY[industry] + (TRUE_LARGE_COMPANY if employees >= 500 else 0) + TRUE_WEBINAR * min(webinars, 3)


def _lead_messages(
    lead_id: str, at: int, traits: dict[str, Any], webinars: int, properties: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [
        {
            "type": "identify",
            "messageId": f"{lead_id}:id",
            "userId": lead_id,
            "timestamp": iso(at),
            "traits": traits,
            "properties": properties or {},
        },
    ]
    messages += [
        {
            "type": "track",
            "messageId": f"{lead_id}:w{k}",
            "userId": lead_id,
            "event": "Webinar Attended",
            "timestamp": iso(at + (k + 1) * 60_000_000),
        }
        for k in range(webinars)
    ]
    return messages


def synthetic_history(
    n: int = 3000, seed: int = 7, *, leaky: bool = False, weeks: int = 12, extra: dict[str, Any] | None = None
) -> list[Message]:
    """Leads whose outcome follows a known point table: 10 points double the odds."""
    rng = random.Random(seed)
    raw: list[dict[str, Any]] = []
    for i in range(n):
        industry = rng.choices(list(TRUE_INDUSTRY), weights=[40, 35, 25])[0]
        employees = rng.randint(1, 2000)
        webinars = min(np.random.default_rng(seed * 100_000 + i).poisson(1.0), 6)
        log_odds = (_true_score(industry, employees, int(webinars)) - 25) * math.log(2) / 10
        won = rng.random() < 1 / (1 + math.exp(-log_odds))
        traits: dict[str, Any] = {
            "industry": industry,
            "employees": employees,
            "outcome": "customer" if won else "not_converted",
        }
        if leaky:
            traits["deal_notes"] = ("promising" if won else "dead") if rng.random() > 0.03 else "unclear"
            traits["lead_status"] = "Qualified" if won and rng.random() > 0.3 else "Open"
        traits.update(extra or {})
        at = START + rng.randrange(weeks * 7) * US_PER_DAY
        raw += _lead_messages(f"lead-{i:05d}", at, traits, int(webinars), {"outcome_trait": "outcome"})
    return [parse_message(m, seq=k) for k, m in enumerate(raw)]


@pytest.fixture(scope="module")
def history() -> list[Message]:
    return synthetic_history()


@pytest.fixture(scope="module")
def report(history: list[Message]) -> Any:
    return calibrate(history, CalibrationOptions(folds=3))


# --- threshold table and metrics, by hand --------------------------------------------------------


def test_threshold_table_matches_a_hand_computed_example() -> None:
    labels = np.array([1, 1, 0, 1, 0, 0], dtype=np.int64)
    scores = np.array([9.0, 8.0, 7.0, 6.0, 5.0, 4.0])

    rows = {r.threshold: r for r in threshold_table(labels, scores, weeks=2.0)}

    at_6 = rows[6.0]  # leads scoring 9, 8, 7, 6: three converted of four
    assert (at_6.mqls, at_6.precision, at_6.recall, at_6.lift, at_6.per_week) == (4, 0.75, 1.0, 1.5, 2.0)
    at_8 = rows[8.0]
    assert (at_8.mqls, at_8.precision, round(at_8.recall, 4), at_8.lift) == (2, 1.0, 0.6667, 2.0)
    assert rows[4.0].share == 1.0 and rows[4.0].lift == 1.0


def test_top_share_capture_counts_ties_at_the_cut_pro_rata() -> None:
    labels = np.array([1, 0, 1, 0, 0], dtype=np.int64)
    scores = np.array([3.0, 2.0, 2.0, 1.0, 1.0])

    # Top 40 % = 2 leads: the 3 (a converter) and half of the tied 2s (one of which converted).
    assert capture_at(labels, scores, 0.4) == pytest.approx((1 + 0.5) / 2)


def test_suggested_threshold_meets_a_precision_target_with_most_recall() -> None:
    labels = np.array([1, 1, 0, 1, 0, 0], dtype=np.int64)
    scores = np.array([9.0, 8.0, 7.0, 6.0, 5.0, 4.0])

    chosen = suggest(labels, scores, weeks=None, precision=0.7)
    assert (chosen.row.threshold, chosen.met) == (6.0, True)
    assert suggest(labels, scores, weeks=None, precision=0.99).row.threshold == 8.0
    assert suggest(labels, scores, weeks=1.0, capacity=3).row.threshold == 7.0


def test_stratified_folds_keep_the_conversion_rate_and_are_seeded() -> None:
    labels = np.array([1] * 30 + [0] * 70, dtype=np.int64)

    folds = stratified_folds(labels, 5, seed=0)

    assert [int(labels[test].sum()) for _, test in folds] == [6] * 5
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, stratified_folds(labels, 5, seed=0), strict=True))


# --- leads, cut-offs and labels ------------------------------------------------------------------


def test_what_happens_after_the_first_sales_action_is_not_learnt_from() -> None:
    def msg(kind: str, minutes: int, **body: Any) -> dict[str, Any]:
        return {
            "type": kind,
            "messageId": f"m{minutes}",
            "userId": "a",
            "timestamp": iso(START + minutes * 60_000_000),
            **body,
        }

    raw = [
        msg("identify", 0, traits={"industry": "software"}),
        msg("track", 1, event="Webinar Attended"),
        msg("action", 2, action="contact", actor={"id": "is_sato", "role": "inside_sales"}),
        msg("track", 3, event="Demo Requested"),
        msg("identify", 4, traits={"budget_notes": "approved"}),
    ]

    log = build_records(parse_message(m, seq=i) for i, m in enumerate(raw))

    record = log.records[0]
    assert [m.event for m in record.events] == ["Webinar Attended"]
    assert record.traits == {"industry": "software"}
    assert log.dropped_after_contact == 2


def test_leads_sales_never_touched_are_observed_as_long_as_contacted_ones_were() -> None:
    def msg(lead: str, kind: str, day: float, **body: Any) -> dict[str, Any]:
        at = iso(START + round(day * US_PER_DAY))
        return {"type": kind, "messageId": f"{lead}:{kind}:{day}", "userId": lead, "timestamp": at, **body}

    raw: list[dict[str, Any]] = []
    for n in range(10):  # contacted within two days of arriving
        raw += [msg(f"c{n}", "identify", 0, traits={}), msg(f"c{n}", "track", 0.5, event="Webinar Attended")]
        raw.append(
            msg(f"c{n}", "action", 1.5 + n / 20, action="contact", actor={"id": "is_ito", "role": "inside_sales"})
        )
    raw += [msg("quiet", "identify", 0, traits={}), msg("quiet", "track", 1, event="Email Opened")]
    raw.append(msg("quiet", "track", 30, event="Email Opened"))  # a month later: outside the window

    log = build_records(parse_message(m, seq=i) for i, m in enumerate(raw))

    assert log.window_days == 2
    quiet = next(r for r in log.records if r.lead_id == "quiet")
    assert [m.ts for m in quiet.events] == [START + US_PER_DAY]


def test_labels_come_from_outcome_traits_or_stages_reached() -> None:
    records = [
        LeadRecord("won-by-trait", 0, None, outcome="customer"),
        LeadRecord("sql-by-trait", 0, None, outcome="sql"),
        LeadRecord("lost", 0, None, outcome="not_converted"),
        LeadRecord("won-by-replay", 0, None),
        LeadRecord("unknown", 0, None),
    ]
    reached = {"won-by-replay": frozenset({"mal", "mql", "sql", "opportunity", "customer"})}

    customer = label_records(records, "customer", reached)
    sql = label_records(records, "sql", reached)

    assert dict(zip(customer.lead_ids, customer.values, strict=True)) == {
        "won-by-trait": 1,
        "sql-by-trait": 0,
        "lost": 0,
        "won-by-replay": 1,
    }
    assert customer.unlabelled == 1  # a history import without an outcome is not a guessed loss
    assert dict(zip(sql.lead_ids, sql.values, strict=True))["sql-by-trait"] == 1


# --- calibration on data with a known generating point table -------------------------------------


def _probe_scores(proposed_text: str, cases: dict[str, tuple[str, int, int]]) -> dict[str, float]:
    """Score probe leads with the proposed agreement through the real engine."""
    raw: list[dict[str, Any]] = []
    for name, (industry, employees, webinars) in cases.items():
        raw += _lead_messages(name, START, {"industry": industry, "employees": employees}, webinars)
    messages = [parse_message(m, seq=i) for i, m in enumerate(raw)]
    result = replay(messages, load_agreement_text(proposed_text), START + US_PER_DAY)
    return {name: result.leads[name].score for name in cases}


def test_calibration_recovers_the_generating_point_table(report: Any) -> None:
    scores = _probe_scores(
        report.proposed_yaml,
        {
            "base": ("retail", 100, 0),
            "software": ("software", 100, 0),
            "finance": ("finance", 100, 0),
            "large": ("retail", 1500, 0),
            "webinars": ("retail", 100, 3),
        },
    )

    def gain(name: str) -> float:
        return scores[name] - scores["base"]

    assert gain("software") == pytest.approx(TRUE_INDUSTRY["software"], abs=4)
    assert gain("finance") == pytest.approx(TRUE_INDUSTRY["finance"], abs=5)
    assert gain("large") == pytest.approx(TRUE_LARGE_COMPANY, abs=6)
    assert gain("webinars") == pytest.approx(3 * TRUE_WEBINAR, abs=7)


def test_reported_figures_are_cross_validated_and_plausible(report: Any) -> None:
    assert report.leads == 3000 and report.folds == 3
    assert 0.65 < report.points.auc < 0.80  # the generating table itself ranks at about 0.71
    assert abs(report.model.auc - report.points.auc) < 0.05
    assert 0 < report.points.top20_capture <= 0.2 / report.base_rate
    assert report.time_split is not None and report.time_split.test_leads > 0


def test_the_proposed_agreement_loads_and_the_engine_scores_it_like_the_table(report: Any) -> None:
    proposed = load_agreement_text(report.proposed_yaml)

    assert proposed.stages.mql == load_agreement_text(report.proposed_yaml).stages.mql
    assert report.engine_agrees == (3000, 3000)
    assert report.proposed_yaml.startswith("# Proposed by `leadpact calibrate`")
    assert proposed.sla == default_agreement().sla  # what calibration did not measure is kept


def test_suggested_threshold_for_sales_capacity_respects_it() -> None:
    result = calibrate(synthetic_history(1000, seed=2), CalibrationOptions(folds=3, capacity_per_week=30))

    assert result.weeks is not None and 11 < result.weeks < 12
    assert result.suggestion.rule == "capacity" and result.suggestion.met
    assert result.suggestion.row.per_week is not None and 25 < result.suggestion.row.per_week <= 30
    assert result.summary()["suggested_threshold"] == result.suggestion.row.threshold


# --- the leakage guard -----------------------------------------------------------------------------


def test_leakage_guard_flags_and_excludes_a_planted_leaky_column() -> None:
    result = calibrate(synthetic_history(1000, seed=3, leaky=True), CalibrationOptions(folds=3))

    findings = {f.feature: f for f in result.leakage}
    assert findings["deal_notes"].reason == "near_perfect" and findings["deal_notes"].excluded
    assert findings["deal_notes"].auc is not None and findings["deal_notes"].auc > 0.9
    assert findings["lead_status"].reason == "post_contact" and findings["lead_status"].excluded
    assert "trait:deal_notes" not in result.features and "trait:industry" in result.features
    assert "deal_notes" not in result.proposed_yaml


def test_an_allowed_feature_is_kept_despite_the_guard() -> None:
    options = CalibrationOptions(folds=3, allow=frozenset({"deal_notes"}))

    result = calibrate(synthetic_history(1000, seed=3, leaky=True), options)

    assert not next(f for f in result.leakage if f.feature == "deal_notes").excluded
    assert "trait:deal_notes" in result.features
    assert result.model.auc > 0.95


def test_declared_post_contact_traits_are_excluded() -> None:
    messages = synthetic_history(600, seed=5)
    declared = {"post_contact_traits": ["industry"]}
    tagged = [replace(m, properties=declared) if m.type == "identify" else m for m in messages]

    result = calibrate(tagged, CalibrationOptions(folds=3))

    assert [f.feature for f in result.leakage] == ["industry"]
    assert "trait:industry" not in result.features


# --- errors, predictions, report -----------------------------------------------------------------


def test_no_converter_is_a_clear_error() -> None:
    messages = [m for m in synthetic_history(200) if m.type != "identify" or m.traits.get("outcome") != "customer"]

    with pytest.raises(CalibrationError, match=r"no lead reached the target 'customer'.*use --target sql"):
        calibrate(messages, CalibrationOptions(folds=3))


def test_predictions_score_every_lead_with_top_factors() -> None:
    predictions = predict_leads(synthetic_history(800, seed=6), CalibrationOptions(folds=3))

    assert len(predictions) == 800
    best = max(predictions, key=lambda p: p.model_score)
    assert 0 < best.model_score < 1
    assert best.positive and all(f.effect > 0 for f in best.positive)
    assert {f.feature for f in best.positive} <= {"industry", "employees", "Webinar Attended"}


def test_current_agreement_scores_come_from_the_engine() -> None:
    history = synthetic_history(800, seed=4)
    options = CalibrationOptions(folds=3, explain=True)

    result = calibrate(history, options, agreement=default_agreement(), agreement_text=default_agreement_text())

    assert result.current is not None and result.current.mql_threshold == 50
    replayed = replay(history, default_agreement(), max(m.ts for m in history))
    assert all(p.current_score == replayed.leads[p.lead_id].score for p in result.predictions)
    assert len({p.current_score for p in result.predictions}) > 10
    assert any(r.candidate.rule_id == "webinar" for r in result.point_rules)  # its own rule, re-weighted
    assert not any(r.group == "event:Webinar Attended" for r in result.point_rules)  # not duplicated


def test_report_renders_the_evidence_in_markdown_and_html(report: Any) -> None:
    inputs = ReportInputs("events.jsonl", "proposed.yaml", "leadpact backtest a.yaml b.yaml events.jsonl")

    markdown = to_markdown(build(report, inputs, "en"))
    page = to_html(build(report, inputs, "ja"), "ja")

    assert f"| Suggested point table | {report.points.auc:.3f} |" in markdown
    assert "leadpact backtest a.yaml b.yaml events.jsonl" in markdown
    assert "推奨MQL閾値" in page and "<table>" in page


@pytest.mark.slow
def test_command_writes_report_proposal_and_json(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from leadpact.entrypoints.cli import app

    events = tmp_path / "events.jsonl"
    raw = synthetic_history(800, seed=11)
    events.write_text("".join(json.dumps(_as_json(m)) + "\n" for m in raw), encoding="utf-8")
    out = tmp_path / "cal"

    result = CliRunner().invoke(
        app,
        [
            "calibrate",
            str(events),
            "--folds",
            "3",
            "--json",
            "--out",
            str(out),
            "--lang",
            "en",
            "--predictions-out",
            str(tmp_path / "pred.jsonl"),
        ],
    )

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {"auc", "points_auc", "top20_capture", "suggested_threshold"} <= set(summary)
    assert summary["backtest"]["proposed"]["mql"] > 0
    for name in (
        "report.md",
        "report.html",
        "lift.png",
        "calibration.png",
        "thresholds.png",
        "proposed-agreement.yaml",
    ):
        assert (out / name).stat().st_size > 0
    load_agreement_text((out / "proposed-agreement.yaml").read_text(encoding="utf-8"))
    first = json.loads((tmp_path / "pred.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert {"lead_id", "model_score", "points_score", "top_positive", "top_negative"} <= set(first)


def test_command_refuses_precision_and_capacity_together(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from leadpact.entrypoints.cli import app

    result = CliRunner().invoke(app, ["calibrate", "x.jsonl", "--precision", "0.5", "--capacity", "10"])

    assert result.exit_code == 2
    assert "either --precision or --capacity" in result.output


def _as_json(msg: Message) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": msg.type,
        "messageId": msg.message_id,
        "userId": msg.user_id,
        "timestamp": iso(msg.ts),
    }
    if msg.type == "identify":
        body["traits"] = dict(msg.traits)
        body["properties"] = dict(msg.properties)
    else:
        body["event"] = msg.event
    return body
