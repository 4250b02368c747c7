"""Sustained ingestion through the HTTP API (GitHub issue #3 "Speed").

Starts a real ``leadpact serve`` on 127.0.0.1 over a fresh store (SQLite file, PostgreSQL
schema, or both), then a load generator on the same machine posts a realistic history
(``leadpact generate``, cached under ``.bench-data/``) to ``/v1/batch``, 100 messages a
request, from several client threads. It reports side by side with the targets:

* sustained ingestion, events/s (target ≥ 20 000);
* request latency p50 / p99;
* stage delay — from the acknowledgement of a probe lead's qualifying batch until the stored
  state (``GET /v1/leads?stage=mql``, which reads the stored snapshot, never re-evaluates)
  shows it as MQL (target ≤ 1 s), measured while the load runs;
* drain — how long after the last request until the online engine has evaluated everything.

Usage::

    python benchmarks/api_ingest.py [--db sqlite|postgres|both] [--leads 20000] [--clients 4]

PostgreSQL: ``LEADPACT_BENCH_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``);
the run uses a fresh schema and drops it afterwards.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from leadpact.domain.timeutil import parse_iso, to_us

ROOT = Path(__file__).resolve().parent.parent
TARGET_EVENTS_PER_S = 20_000
TARGET_STAGE_DELAY_S = 1.0
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def generated_history(leads: int, days: int, seed: int) -> Path:
    cache = ROOT / ".bench-data"
    cache.mkdir(exist_ok=True)
    path = cache / f"history-{leads}-{days}-{seed}.jsonl"
    if not path.exists():
        subprocess.run(
            [
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
                "--lang",
                "en",
            ],
            check=True,
        )
    return path


def batch_bodies(path: Path, size: int) -> tuple[list[bytes], int]:
    """The history as ``/v1/batch`` bodies of ``size`` messages in timestamp order, as a live
    stream arrives (the generator writes the file lead by lead)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    lines.sort(key=lambda line: to_us(parse_iso(json.loads(line)["timestamp"])))
    bodies = [('{"batch":[' + ",".join(lines[i : i + size]) + "]}").encode("utf-8") for i in range(0, len(lines), size)]
    return bodies, len(lines)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def leadpact(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "leadpact", *args], env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


@contextmanager
def store_url(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="leadpact-bench-") as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    import psycopg

    base = os.environ.get("LEADPACT_BENCH_POSTGRES_URL", DEFAULT_PG)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        sep = "&" if "?" in base else "?"
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@contextmanager
def server(env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "leadpact", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("leadpact serve did not start")
        yield proc
    finally:
        proc.terminate()
        proc.wait(30)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError):
                continue
    return found


def _postgres_cpu() -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += _cpu_seconds(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return total


def _cursor_before(lead_id: str) -> str:
    """A list cursor that makes ``lead_id`` the first candidate (ids sort just before it)."""
    before = lead_id[:-1] + chr(ord(lead_id[-1]) - 1) + "\uffff"
    raw = json.dumps(before).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


@dataclass
class Run:
    db: str
    events: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    stage_delays: list[float] = field(default_factory=list)
    drain_seconds: float = 0.0
    errors: int = 0
    cpu_us: dict[str, float] = field(default_factory=dict)
    """CPU microseconds per event, by process group, over load + drain."""
    load_average: tuple[float, float] = (0.0, 0.0)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _probe_body(lead_id: str) -> bytes:
    """Three messages that take a fresh lead to MQL under the default agreement (score 65)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    messages = [
        {
            "type": "identify",
            "messageId": f"{lead_id}-1",
            "userId": lead_id,
            "timestamp": stamp,
            "traits": {"email": f"{lead_id}@corp.example", "job_level": "director"},
        },
        {
            "type": "track",
            "messageId": f"{lead_id}-2",
            "userId": lead_id,
            "timestamp": stamp,
            "event": "Contact Form Submitted",
        },
        {
            "type": "track",
            "messageId": f"{lead_id}-3",
            "userId": lead_id,
            "timestamp": stamp,
            "event": "Webinar Attended",
        },
    ]
    return json.dumps({"batch": messages}).encode("utf-8")


def measure(kind: str, bodies: list[bytes], total_events: int, clients: int, batch: int) -> Run:
    run = Run(kind)
    with store_url(kind) as url:
        env = {**os.environ, "LEADPACT_DATABASE_URL": url, "LEADPACT_SLA_CHECK_SECONDS": "3600"}
        leadpact(env, "db", "upgrade")
        ingest_key = (
            leadpact(env, "keys", "create", "--user", "bench-import", "--role", "system").strip().splitlines()[-1]
        )
        read_key = (
            leadpact(env, "keys", "create", "--user", "bench-reader", "--role", "viewer").strip().splitlines()[-1]
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with server(env, port) as proc:
            warm = max(1, len(bodies) // 50)
            with httpx.Client(base_url=base, auth=(ingest_key, "")) as client:
                for body in bodies[:warm]:
                    client.post("/v1/batch", content=body, headers={"content-type": "application/json"})
            load = bodies[warm:]
            run.events = total_events - warm * batch
            order = itertools.count()
            lock = threading.Lock()
            stop_probes = threading.Event()

            basic = "Basic " + base64.b64encode(f"{ingest_key}:".encode()).decode()

            def worker() -> None:
                """One keep-alive connection posting pre-serialised bodies (http.client: the
                load generator should spend as little of the shared CPU as possible)."""
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                headers = {"Authorization": basic, "Content-Type": "application/json"}
                while True:
                    with lock:
                        index = next(order)
                    if index >= len(load):
                        connection.close()
                        return
                    started = time.perf_counter()
                    connection.request("POST", "/v1/batch", body=load[index], headers=headers)
                    response = connection.getresponse()
                    response.read()
                    elapsed = time.perf_counter() - started
                    with lock:
                        run.latencies.append(elapsed)
                        if response.status != 200:
                            run.errors += 1

            outstanding: dict[str, float] = {}

            def prober() -> None:
                """Every half second a new lead qualifies (three messages); its ack time is noted."""
                with httpx.Client(base_url=base, auth=(ingest_key, ""), timeout=60) as client:
                    for n in itertools.count(1):
                        if stop_probes.wait(0.5):
                            return
                        lead_id = f"probe-{n:06d}"
                        client.post(
                            "/v1/batch", content=_probe_body(lead_id), headers={"content-type": "application/json"}
                        )
                        with lock:
                            outstanding[lead_id] = time.perf_counter()

            def poller() -> None:
                """One list request per round finds every probe already stored as MQL (probe ids
                sort together, after the history's lead ids)."""
                headers = {"Authorization": f"Bearer {read_key}"}
                with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                    while not (stop_probes.is_set() and not outstanding):
                        with lock:
                            first = min(outstanding, default=None)
                        if first is None:
                            time.sleep(0.02)
                            continue
                        params = {"stage": "mql", "limit": "500", "cursor": _cursor_before(first)}
                        items = client.get("/v1/leads", params=params).json()["items"]
                        seen = time.perf_counter()
                        with lock:
                            for item in items:
                                acked = outstanding.pop(item["lead_id"], None)
                                if acked is not None:
                                    run.stage_delays.append(seen - acked)
                        time.sleep(0.02)

            threads = [threading.Thread(target=worker) for _ in range(clients)]
            probe = threading.Thread(target=prober)
            poll = threading.Thread(target=poller)
            evaluators = _children(proc.pid)
            cpu_before = {
                "server": _cpu_seconds(proc.pid),
                "evaluator": sum(_cpu_seconds(p) for p in evaluators),
                "postgres": _postgres_cpu() if kind == "postgres" else 0.0,
                "load generator": time.process_time(),
            }
            load_before = os.getloadavg()[0]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            probe.start()
            poll.start()
            for thread in threads:
                thread.join()
            run.seconds = time.perf_counter() - started
            drain_start = time.perf_counter()
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {read_key}"}) as client:
                while client.get("/v1/status").json()["pending_evaluation"] > 0:
                    time.sleep(0.05)
            run.drain_seconds = time.perf_counter() - drain_start
            stop_probes.set()
            probe.join()
            poll.join()
            cpu_after = {
                "server": _cpu_seconds(proc.pid),
                "evaluator": sum(_cpu_seconds(p) for p in evaluators),
                "postgres": _postgres_cpu() if kind == "postgres" else 0.0,
                "load generator": time.process_time(),
            }
            run.cpu_us = {
                name: (cpu_after[name] - cpu_before[name]) / run.events * 1e6
                for name in cpu_before
                if kind == "postgres" or name != "postgres"
            }
            run.load_average = (load_before, os.getloadavg()[0])
    return run


def report(runs: list[Run], leads: int, clients: int, batch: int) -> str:
    lines = [
        f"Load: {leads:,}-lead history from `leadpact generate`, {batch} messages per POST /v1/batch, "
        f"{clients} client threads, default agreement, 2-core machine shared with the load generator.",
        "",
        "| store | events | events/s | vs target (20 000/s) | p50 latency | p99 latency | "
        "stage delay p50 / p99 / max | vs target (1 s) | drain after load | HTTP errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        delay99 = _percentile(run.stage_delays, 0.99)
        lines.append(
            f"| {run.db} | {run.events:,} | {run.rate:,.0f} | {run.rate / TARGET_EVENTS_PER_S:.2f}× | "
            f"{_percentile(run.latencies, 0.5) * 1000:.1f} ms | {_percentile(run.latencies, 0.99) * 1000:.1f} ms | "
            f"{_percentile(run.stage_delays, 0.5):.2f} / {delay99:.2f} / "
            f"{max(run.stage_delays, default=float('nan')):.2f} s "
            f"(n={len(run.stage_delays)}) | {TARGET_STAGE_DELAY_S / delay99 if delay99 else float('nan'):.2f}× | "
            f"{run.drain_seconds:.1f} s | {run.errors} |"
        )
    names = list(dict.fromkeys(name for run in runs for name in run.cpu_us))
    lines += [
        "",
        "CPU per event (µs) over load and drain, and the machine's 1-minute load average "
        "(other work on the machine included):",
        "",
        "| store | " + " | ".join(names) + " | total | ceiling on 2 cores | load average before → after |",
        "|---|" + "---|" * (len(names) + 3),
    ]
    for run in runs:
        cpu = dict.fromkeys(names, 0.0) | run.cpu_us
        total = sum(cpu.values())
        lines.append(
            f"| {run.db} | "
            + " | ".join(f"{v:.0f}" for v in cpu.values())
            + f" | {total:.0f} | {2e6 / total:,.0f} events/s | {run.load_average[0]:.1f} → {run.load_average[1]:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    history = generated_history(args.leads, args.days, args.seed)
    bodies, total = batch_bodies(history, args.batch)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    runs = [measure(kind, bodies, total, args.clients, args.batch) for kind in kinds]
    print(report(runs, args.leads, args.clients, args.batch))


if __name__ == "__main__":
    main()
