"""``leadpact ingest FILE`` as a service: streamed in batches, resumable, bad lines reported."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text
from store_checks import assert_store_matches, reference
from store_histories import history

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.domain.messages import parse_message
from leadpact.service.container import Services
from leadpact.service.file_ingest import FileIngest


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _events(services: Services) -> int:
    with services.store.read() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM events")).scalar_one())


def test_a_file_is_ingested_in_batches_and_bad_lines_are_reported(services: Services, tmp_path: Path) -> None:
    objects = history(51, leads=5)
    lines = [json.dumps(o, ensure_ascii=False) for o in objects]
    lines.insert(3, "{not json")
    lines.insert(7, json.dumps({"type": "track", "messageId": "x", "userId": "u", "event": "E"}))  # no timestamp
    path = tmp_path / "events.jsonl"
    _write(path, lines)
    batches: list[int] = []
    with path.open("rb") as stream:
        report = FileIngest(services.store, batch_size=20).run(stream, 0, source=str(path), on_batch=batches.append)
    assert [bad.line for bad in report.bad] == [4, 8]
    assert "timestamp" in report.bad[1].reason
    assert report.stored + report.duplicates == len(objects)
    assert len(batches) > 1 and batches == sorted(batches)
    services.engine.run_pending()
    unique = {o["messageId"]: o for o in objects}
    as_of = max(parse_message(o).ts for o in objects)
    assert_store_matches(services, reference(list(unique.values()), default_agreement(), as_of))


def test_a_rerun_resumes_after_the_last_committed_batch(services: Services, tmp_path: Path) -> None:
    objects = history(52, leads=4)
    path = tmp_path / "events.jsonl"
    _write(path, [json.dumps(o) for o in objects[:30]])
    with path.open("rb") as stream:
        FileIngest(services.store, batch_size=7).run(stream, 0, source=str(path))
    _write(path, [json.dumps(o) for o in objects])  # the log grew
    with path.open("rb") as stream:
        report = FileIngest(services.store, batch_size=7).run(stream, 0, source=str(path))
    assert report.resumed_from_line == 30
    assert report.lines == len(objects)
    assert _events(services) == len({o["messageId"] for o in objects})
    assert report.duplicates == len(objects[30:]) - len(
        {o["messageId"] for o in objects[30:]} - {o["messageId"] for o in objects[:30]}
    )


def test_a_replaced_file_is_read_from_the_start(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    first, second = history(53, leads=2), history(54, leads=2)
    _write(path, [json.dumps(o) for o in first])
    with path.open("rb") as stream:
        FileIngest(services.store).run(stream, 0, source=str(path))
    _write(path, [json.dumps(o) for o in second])
    with path.open("rb") as stream:
        report = FileIngest(services.store).run(stream, 0, source=str(path))
    assert report.resumed_from_line == 0
    assert report.stored == len({o["messageId"] for o in second})
