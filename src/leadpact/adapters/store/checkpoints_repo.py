"""How far ``leadpact ingest FILE`` got in a file (resumable ingestion)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Connection, Table, select

from leadpact.adapters.store.dialect import upsert
from leadpact.adapters.store.log_models import IngestCheckpointRow

_C = cast(Table, IngestCheckpointRow.__table__)


class CheckpointsRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, source: str) -> tuple[str, int, int] | None:
        """(fingerprint, byte offset, line number) already ingested from ``source``, or None."""
        row = self.conn.execute(select(_C.c.fingerprint, _C.c.offset, _C.c.line).where(_C.c.source == source)).first()
        return (str(row[0]), int(row[1]), int(row[2])) if row else None

    def set(self, source: str, fingerprint: str, offset: int, line: int, at: int) -> None:
        stmt = upsert(self.conn, _C).values(
            fingerprint=fingerprint, source=source, offset=offset, line=line, updated_at=at
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["source"],
            set_={"offset": offset, "line": line, "updated_at": at, "fingerprint": fingerprint},
        )
        self.conn.execute(stmt)
