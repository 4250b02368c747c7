"""``leadpact ingest FILE`` as a service: streamed in batches, resumable, bad lines reported."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from sqlalchemy import text
from store_checks import assert_store_matches, reference
from store_histories import history

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.adapters.store.checkpoints_repo import CheckpointsRepo
from leadpact.domain.messages import parse_message
from leadpact.service.container import Services
from leadpact.service.file_ingest import FileIngest, FileIngestReport, validate_file


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


def _track(prefix: str, number: int, page: str = "") -> str:
    """One event line; ``page`` pads it (the files below must outgrow the 64 KB head)."""
    event = {
        "type": "track",
        "messageId": f"{prefix}-{number}",
        "userId": f"lead-{number % 40}",
        "timestamp": "2026-02-02T10:00:00+09:00",
        "event": "Page Viewed",
        "properties": {"path": f"/docs/{page}{number}"} if page else {},
    }
    return json.dumps(event)


def _ingest(services: Services, path: Path, batch_size: int = 1000) -> FileIngestReport:
    with path.open("rb") as stream:
        return FileIngest(services.store, batch_size).run(stream, 0, source=str(path))


def test_a_replaced_file_shorter_than_the_saved_position_is_read_from_the_start(
    services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    original = [_track("a", n, page="getting-started/") for n in range(3000)]
    _write(path, original)
    _ingest(services, path)
    saved = path.stat().st_size
    _write(path, original[:1500] + [_track("b", n) for n in range(1500)])  # same first 64 KB, new ending
    assert path.stat().st_size < saved
    report = _ingest(services, path)
    assert (report.resumed_from_line, report.restarted) == (0, True)
    assert (report.stored, report.duplicates) == (1500, 1500)


def test_a_file_changed_before_the_saved_position_is_read_from_the_start(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    original = [_track("a", n, page="getting-started/") for n in range(3000)]
    _write(path, original)
    _ingest(services, path)
    changed = [_track("b", n, page="getting-started/") for n in range(1500, 3010)]  # as long as before, and more
    _write(path, original[:1500] + changed)
    report = _ingest(services, path)
    assert (report.resumed_from_line, report.restarted) == (0, True)
    assert (report.stored, report.duplicates) == (1510, 1500)


def test_a_large_file_that_only_grew_resumes_run_after_run(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = [_track("a", n, page="getting-started/") for n in range(3000)]
    _write(path, lines[:1000])
    _ingest(services, path, batch_size=333)
    for grown_to in (2000, 3000):
        _write(path, lines[:grown_to])
        report = _ingest(services, path, batch_size=333)
        assert (report.resumed_from_line, report.restarted) == (grown_to - 1000, False)
        assert (report.stored, report.duplicates, report.lines) == (1000, 0, grown_to)


def test_a_checkpoint_of_the_old_format_reads_the_file_again(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = [_track("a", n, page="getting-started/") for n in range(1200)]
    _write(path, lines[:1000])
    _ingest(services, path)
    with services.store.read() as conn:
        checkpoint = CheckpointsRepo(conn).get(str(path))
    assert checkpoint is not None
    old_fingerprint = hashlib.sha256(path.read_bytes()[: 64 * 1024]).hexdigest()  # a SHA-256 of the head alone
    with services.store.write() as conn:
        CheckpointsRepo(conn).set(str(path), old_fingerprint, checkpoint[1], checkpoint[2], 0)
    _write(path, lines)
    report = _ingest(services, path)
    assert (report.resumed_from_line, report.restarted) == (0, True)
    assert (report.stored, report.duplicates) == (200, 1000)


def test_an_unterminated_last_line_is_left_for_the_next_run(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = [_track("a", n) for n in range(12)]
    _write(path, lines[:10])
    with path.open("ab") as out:
        out.write(lines[10][:30].encode())  # the writer is in the middle of line 11
    report = _ingest(services, path)
    assert (report.stored, report.bad, report.lines, report.incomplete_line) == (10, [], 10, 11)
    with path.open("ab") as out:
        out.write(lines[10][30:].encode() + b"\n" + lines[11].encode())  # line 12 parses, but has no newline yet
    report = _ingest(services, path)
    assert (report.resumed_from_line, report.stored, report.bad, report.incomplete_line) == (10, 1, [], 12)
    with path.open("ab") as out:
        out.write(b"\n")
    report = _ingest(services, path)
    assert (report.resumed_from_line, report.stored, report.bad, report.incomplete_line) == (11, 1, [], None)
    assert _events(services) == 12


def test_a_line_being_written_is_not_a_bad_line_for_strict_validation(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(_track("a", 1).encode() + b"\n" + _track("a", 2).encode()[:20])
    with path.open("rb") as stream:
        assert validate_file(stream) == []


def test_a_pipe_is_ingested_whole_without_a_checkpoint(services: Services) -> None:
    lines = [_track("a", n) for n in range(30)]
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "wb") as writer:
        writer.write("\n".join(lines).encode())  # stdin ends for good: its last line needs no newline
    with os.fdopen(read_end, "rb") as stream:
        report = FileIngest(services.store, batch_size=7).run(stream, 0, source=None)
    assert (report.stored, report.lines, report.bad, report.incomplete_line) == (30, 30, [], None)
    with services.store.read() as conn:
        assert int(conn.execute(text("SELECT COUNT(*) FROM ingest_checkpoints")).scalar_one()) == 0
