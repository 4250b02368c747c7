"""Run a real ``leadpact serve`` on 127.0.0.1 over a fresh store, with keys for each role and a
local webhook receiver for SLA breach posts."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx

from leadpact.config import Settings
from leadpact.service.container import build_services

ROLES = ("admin", "marketing", "inside_sales", "field_sales", "viewer", "system")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Hooks:
    """Webhook receiver: records every JSON body posted to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.received = threading.Condition()
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with hooks.received:
                    hooks.bodies.append(json.loads(body))
                    hooks.received.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        with self.received:
            self.received.wait_for(lambda: len(self.bodies) >= count, timeout)
            return list(self.bodies)

    def close(self) -> None:
        self.server.shutdown()


@dataclass
class Server:
    database_url: str
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    log: Path | None = None

    def start(self) -> None:
        """Start ``leadpact serve`` (its output goes to ``log``, never to an unread pipe)."""
        if self.log is None:
            self.log = Path(tempfile.mkstemp(prefix="leadpact-serve-", suffix=".log")[1])
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "leadpact", "serve", "--port", str(self.port), "--log-level", "warning"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"leadpact serve exited: {self.proc.stderr.read().decode() if self.proc.stderr else ''}"
                )
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("leadpact serve did not start within 60 s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(30)
        self.proc = None

    def client(self, role: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.keys[role]}"}, timeout=30)

    def writer(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=(self.keys["write"], ""), timeout=30)

    def settle(self, timeout: float = 30) -> None:
        """Wait until the online engine has evaluated everything stored."""
        deadline = time.monotonic() + timeout
        with self.client("viewer") as client:
            while client.get("/v1/status").json()["pending_evaluation"] > 0:
                if time.monotonic() > deadline:
                    raise AssertionError("the engine did not drain its queue")
                time.sleep(0.05)


def create_keys(database_url: str) -> dict[str, str]:
    services = build_services(Settings.model_validate({"database_url": database_url}))
    try:
        keys = {role: services.access.create_user_key(f"{role}-user", role, 0) for role in ROLES}
        keys["write"] = services.access.create_write_key("tests", 0)
        return keys
    finally:
        services.close()


def make_server(tmp: Path, hooks: Hooks, **env: str) -> Server:
    url = f"sqlite:///{tmp / 'leadpact.db'}"
    server = Server(
        url,
        {
            **os.environ,
            "LEADPACT_DATABASE_URL": url,
            "LEADPACT_SLA_CHECK_SECONDS": "0.3",
            "LEADPACT_WEBHOOK_URLS": hooks.url,
            **env,
        },
    )
    server.keys = create_keys(url)
    server.log = tmp / "serve.log"
    return server
