"""Generated histories replayed by the real engine: a plausible funnel, SLA breaches, SGLs,
few refused actions; Parquet equal to JSONL; constant memory."""

from __future__ import annotations

import io
import json
import tracemalloc
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from leadpact.adapters.agreement_yaml import default_agreement, default_agreement_text, load_agreement_text
from leadpact.adapters.jsonl import read_messages
from leadpact.adapters.synthetic import (
    GenerationStats,
    Generator,
    GeneratorConfig,
    generate_to_file,
    generate_to_stream,
)
from leadpact.adapters.synthetic.writer import ParquetWriter, iter_parquet_messages
from leadpact.domain.agreement import Agreement
from leadpact.domain.replay import ReplayResult, replay

START = date(2025, 4, 1)


@dataclass
class Run:
    stats: GenerationStats
    result: ReplayResult
    actions: int

    def reached(self, stage: str) -> set[str]:
        return {lead.lead_id for lead in self.result.leads.values() if any(h.stage == stage for h in lead.history)}


def generate_and_replay(agreement: Agreement, leads: int, tmp: Path, seed: int = 11) -> Run:
    path = tmp / "events.jsonl"
    config = GeneratorConfig(leads=leads, start=START, days=365, seed=seed, agreement=agreement)
    stats = generate_to_file(config, path, "jsonl")
    messages, bad = read_messages(path)
    assert bad == []
    as_of = max(m.ts for m in messages)
    actions = sum(1 for m in messages if m.type == "action")
    return Run(stats, replay(messages, agreement, as_of), actions)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return generate_and_replay(default_agreement(), 2000, tmp_path_factory.mktemp("funnel"))


def test_about_fifteen_percent_of_leads_reach_an_opportunity(default_run: Run) -> None:
    share = len(default_run.reached("opportunity")) / len(default_run.result.leads)
    assert 0.11 <= share <= 0.20


def test_most_mqls_never_become_sql(default_run: Run) -> None:
    mqls = default_run.reached("mql")
    converted = mqls & default_run.reached("sql")
    assert 0.15 <= len(converted) / len(mqls) <= 0.40


def test_the_waterfall_narrows_stage_by_stage(default_run: Run) -> None:
    counts = [len(default_run.reached(s)) for s in ("mal", "mql", "sal", "opportunity", "customer")]
    assert counts == sorted(counts, reverse=True)
    assert counts[-1] > 0


def test_some_slas_are_breached_and_most_are_met(default_run: Run) -> None:
    as_of = default_run.result.as_of
    status = Counter((c.id, c.status(as_of)) for lead in default_run.result.leads.values() for c in lead.sla)
    for sla in ("first_contact", "meeting"):
        assert status[(sla, "breached")] > 0
        assert status[(sla, "met")] > 2 * status[(sla, "breached")]


def test_sales_generated_leads_enter_at_sql(default_run: Run) -> None:
    sgls = [lead for lead in default_run.result.leads.values() if lead.origin == "sales"]
    assert len(sgls) >= 20
    assert all(lead.history[0].stage == "sql" for lead in sgls)


def test_competitors_and_students_are_disqualified_by_the_exclusion_gate(default_run: Run) -> None:
    excluded = [
        lead
        for lead in default_run.result.leads.values()
        if lead.history and lead.history[-1].stage == "disqualified" and lead.history[-1].actor_role == "system"
    ]
    domains = Counter(lead.traits.get("email_domain") == "rival.example" for lead in excluded)
    levels = Counter(lead.traits.get("job_level") for lead in excluded)
    assert domains[True] > 0 and levels["student"] > 0


def test_few_actions_are_refused_and_only_double_submits(default_run: Run) -> None:
    refused = [e for lead in default_run.result.leads.values() for e in lead.errors]
    assert refused, "a handful of deliberate double accepts is expected"
    assert len(refused) < 0.02 * default_run.actions
    assert {e.reason for e in refused} == {"accept is not allowed in stage sal (allowed from: mql)"}
    assert default_run.result.unknown_lead_actions == []


def test_rejections_and_losses_carry_realistic_reasons(default_run: Run) -> None:
    reasons = Counter(h.reason for lead in default_run.result.leads.values() for h in lead.history if h.stage == "lost")
    assert "competitor chosen" in reasons or "競合に決定" in reasons
    assert all(reasons)


def test_the_generators_own_counts_match_the_replay(default_run: Run) -> None:
    """Sales reacted to the engine's decisions: the per-lead view while generating and a
    replay of the written file agree stage by stage."""
    for stage in ("mql", "sal", "sql", "opportunity", "customer", "lost", "disqualified"):
        assert default_run.stats.reached[stage] == len(default_run.reached(stage)), stage
    assert default_run.stats.refused == sum(len(lead.errors) for lead in default_run.result.leads.values())


def test_sales_follow_a_stricter_agreement(tmp_path: Path) -> None:
    text = default_agreement_text().replace("mql: {when: {score_gte: 50}}", "mql: {when: {score_gte: 80}}")
    assert text != default_agreement_text()
    strict = load_agreement_text(text, "strict.yaml")
    run = generate_and_replay(strict, 400, tmp_path)
    refused = sum(len(lead.errors) for lead in run.result.leads.values())
    assert refused < 0.02 * run.actions
    for stage in ("mql", "sal", "sql"):
        assert run.stats.reached[stage] == len(run.reached(stage))
    (tmp_path / "baseline").mkdir()
    baseline = generate_and_replay(default_agreement(), 400, tmp_path / "baseline")
    assert len(run.reached("mql")) < 0.8 * len(baseline.reached("mql"))


def test_inside_sales_disqualify_competitors_an_agreement_lets_through(tmp_path: Path) -> None:
    text = default_agreement_text()
    start = text.index("exclusions:")
    end = text.index("stages:")
    lenient = load_agreement_text(text[:start] + text[end:], "no-exclusions.yaml")
    assert lenient.exclusions == ()
    run = generate_and_replay(lenient, 600, tmp_path)
    by_is = [
        lead
        for lead in run.result.leads.values()
        if lead.traits.get("email_domain") == "rival.example"
        and any(h.stage == "disqualified" and h.actor_role == "inside_sales" for h in lead.history)
    ]
    assert by_is
    assert all(h.reason == "競合他社のため対象外" for lead in by_is for h in lead.history if h.stage == "disqualified")


def test_parquet_holds_the_same_messages_as_jsonl(tmp_path: Path) -> None:
    config = GeneratorConfig(leads=150, start=START, days=120, seed=2, agreement=default_agreement())
    stream = io.StringIO()
    generate_to_stream(config, stream)
    expected = [json.loads(line) for line in stream.getvalue().splitlines()]
    generate_to_file(config, tmp_path / "events.parquet", "parquet")
    assert list(iter_parquet_messages(tmp_path / "events.parquet")) == expected


def _count_only(generator: Generator) -> int:
    total = 0
    for block in generator.blocks():
        total += len(block)
    return total


@pytest.mark.slow
def test_memory_stays_constant_for_a_large_run() -> None:
    config = GeneratorConfig(leads=10_000, start=START, days=365, seed=4, agreement=default_agreement())
    tracemalloc.start()
    try:
        generated = _count_only(Generator(config))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert generated >= 200_000
    assert peak < 16 * 1024 * 1024  # bounded caches only; the messages would take hundreds of MB


def test_parquet_writer_buffers_at_most_one_row_group(tmp_path: Path) -> None:
    config = GeneratorConfig(leads=100, start=START, days=90, seed=2, agreement=default_agreement())
    writer = ParquetWriter(tmp_path / "x.parquet", row_group=500)
    written = 0
    for block in Generator(config).blocks():
        writer.write(block)
        written += len(block)
        assert writer.buffered_rows < 500
    writer.close()
    assert written > 1000
    assert sum(1 for _ in iter_parquet_messages(tmp_path / "x.parquet")) == written
