"""A ``leadpact serve``-equivalent server for the browser tests: the API app with the dashboard
and report routes, served by uvicorn on a free 127.0.0.1 port in a thread, over a fresh SQLite
store filled through the real ingestion path with a generated history.

The agreement is the default one with one change: accepting an MQL also stops the
first-contact clock (``stops: [accept, contact, reject]``), as many inside-sales teams agree,
so that "accept it and see the SLA stop" can be shown. The clock is fixed one day after the
history ends, so the CLI can be asked for the same moment.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import uvicorn

from leadpact.adapters.agreement_yaml import default_agreement_text, load_agreement_text
from leadpact.adapters.synthetic import GeneratorConfig, generate_to_file
from leadpact.config import Settings
from leadpact.domain.timeutil import parse_iso, to_us
from leadpact.entrypoints.api.app import create_app
from leadpact.service.clock import FixedClock
from leadpact.service.container import Services, build_services
from leadpact.service.file_ingest import FileIngest

START = date(2026, 1, 5)
DAYS = 45
NOW = (START + timedelta(days=DAYS)).isoformat() + "T12:00:00+09:00"
USERS = {
    "inside_sales": "is_sato",
    "field_sales": "fs_kimura",
    "marketing": "mkt_ono",
    "viewer": "coo_view",
}
AGREEMENT = (
    default_agreement_text()
    .replace('version: "2026.1"', 'version: "2026.1-accept"')
    .replace("stops: [contact, reject]", "stops: [accept, contact, reject]")
)


VIEWPORT = {"width": 1280, "height": 800}
"""Browser pages (and so screenshots) are 1280 px wide."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class WebServer:
    root: Path
    services: Services
    clock: FixedClock
    events: Path
    agreement: Path
    keys: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None
    app: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        app = self.app = create_app(self.services, clock=self.clock, background=True)
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        )
        self.thread = threading.Thread(target=self.server.run, name="leadpact-web-test", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the dashboard server did not start within 30 s")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(10)
        dashboard = getattr(self.app.state, "dashboard", None) if self.app is not None else None
        if dashboard is not None:
            dashboard.close()
        self.services.close()


def make_server(root: Path, *, leads: int = 250, seed: int = 5) -> WebServer:
    """Generate, store and evaluate the history (what ``leadpact generate`` + ``leadpact
    ingest`` do), with the agreement above activated first."""
    agreement_path = root / "agreement.yaml"
    agreement_path.write_text(AGREEMENT, encoding="utf-8")
    agreement = load_agreement_text(AGREEMENT, str(agreement_path))
    events = root / "events.jsonl"
    generate_to_file(GeneratorConfig(leads, START, DAYS, seed, agreement), events, "jsonl")
    settings = Settings.model_validate({"database_url": f"sqlite:///{root / 'leadpact.db'}", "sla_check_seconds": 3600})
    services = build_services(settings, poster=lambda url, payload: None)
    clock = FixedClock(to_us(parse_iso(NOW)))
    services.agreements.upload(AGREEMENT, "agreement.yaml", "setup", clock.now_us())
    services.agreements.activate(agreement.version, "setup", clock.now_us())
    while services.engine.reevaluate_step(clock.now_us()) is not None:
        pass
    with events.open("rb") as stream:
        FileIngest(services.store).run(stream, clock.now_us(), source=str(events.resolve()))
    while services.engine.run_pending():
        pass
    server = WebServer(root, services, clock, events, agreement_path)
    for role, user in USERS.items():
        server.keys[role] = services.access.create_user_key(user, role, clock.now_us())
    return server
