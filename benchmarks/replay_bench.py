"""Reference replay throughput on one core (GitHub issue #2 "Speed").

Generates a realistic history with ``leadpact generate`` (cached under ``.bench-data/``), then
measures, in one run and side by side with the target:

* parse — JSONL lines → validated messages (``adapters.jsonl``), events/s;
* replay — ``domain.replay.replay`` on the default agreement, events/s (the issue's figure);
* end to end — both, as ``leadpact score`` does them.

"One core" is measured as CPU time of this single-threaded process (``time.process_time``),
the fastest of ``--repeat`` runs, so other work on the machine disturbs the figure little;
wall-clock seconds are printed beside it.

Usage: ``python benchmarks/replay_bench.py [--leads 20000] [--days 365] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.adapters.jsonl import read_messages
from leadpact.domain.replay import replay
from leadpact.domain.timeutil import parse_iso, to_us

TARGET_REPLAY_EVENTS_PER_S = 200_000
T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent


def generated_history(leads: int, days: int, seed: int) -> Path:
    cache = ROOT / ".bench-data"
    cache.mkdir(exist_ok=True)
    path = cache / f"history-{leads}-{days}-{seed}.jsonl"
    if not path.exists():
        command = [
            sys.executable,
            "-m",
            "leadpact",
            "generate",
            "--leads",
            str(leads),
            "--days",
            str(days),
            "--seed",
            str(seed),
            "--out",
            str(path),
        ]
        subprocess.run(command, check=True)
    return path


def best_of(repeat: int, work: Callable[[], T]) -> tuple[float, float, T]:
    """(CPU seconds, wall seconds, result) of the fastest of ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        result = work()
        runs.append((time.process_time() - cpu, time.perf_counter() - wall))
    cpu_s, wall_s = min(runs)
    return cpu_s, wall_s, result  # repeat ≥ 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    path = generated_history(args.leads, args.days, args.seed)
    parse_s, parse_wall, parsed = best_of(args.repeat, lambda: read_messages(path))
    messages, bad = parsed
    n = len(messages)
    agreement = default_agreement()
    as_of = max(m.ts for m in messages) if messages else to_us(parse_iso("2026-01-01T00:00:00+09:00"))
    replay_s, replay_wall, result = best_of(args.repeat, lambda: replay(messages, agreement, as_of))
    leads = len(result.leads)
    stages = statistics.mode(lead.stage for lead in result.leads.values()) if leads else "-"

    rate_parse = n / parse_s
    rate_replay = n / replay_s
    rate_total = n / (parse_s + replay_s)
    print(f"history: {path.name}: {n:,} events, {leads:,} leads, {len(bad)} bad lines; most common stage: {stages}")
    print(f"{'measure':<28}{'events/s (CPU)':>16}{'target':>10}{'ratio':>7}{'CPU s':>8}{'wall s':>8}")
    rows = [
        ("replay (one core)", rate_replay, TARGET_REPLAY_EVENTS_PER_S, replay_s, replay_wall),
        ("parse JSONL → messages", rate_parse, None, parse_s, parse_wall),
        ("end to end (parse+replay)", rate_total, None, parse_s + replay_s, parse_wall + replay_wall),
    ]
    for name, rate, target, cpu_s, wall_s in rows:
        target_text = f"{target:,}" if target else "-"
        ratio = f"{rate / target:.2f}" if target else "-"
        print(f"{name:<28}{rate:>16,.0f}{target_text:>10}{ratio:>7}{cpu_s:>8.2f}{wall_s:>8.2f}")


if __name__ == "__main__":
    main()
