"""System assignment requests in round-robin order: (team, rr_at, lead_id, ordinal), and the
per-team marker of where renumbering must start."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Connection

from leadpact.adapters.store.raw import Raw

RequestKey = tuple[int, str, int]
"""(rr_at, lead_id, ordinal): the global order of SPEC §4.4 (MQL entry time, then lead id)."""


class Request(NamedTuple):
    lead_id: str
    ordinal: int
    owner: str | None
    turn: int | None


_AFTER = "(rr_at > ? OR (rr_at = ? AND (lead_id > ? OR (lead_id = ? AND ordinal >= ?))))"
_BEFORE = "(rr_at < ? OR (rr_at = ? AND (lead_id < ? OR (lead_id = ? AND ordinal < ?))))"


def _key_params(key: RequestKey) -> tuple[int, int, str, str, int]:
    rr_at, lead_id, ordinal = key
    return rr_at, rr_at, lead_id, lead_id, ordinal


class RoundRobinRepo:
    def __init__(self, conn: Connection) -> None:
        self.raw = Raw(conn)

    def teams(self) -> list[str]:
        return [row[0] for row in self.raw.fetchall("SELECT DISTINCT team FROM assignments WHERE team IS NOT NULL")]

    def turns_before(self, team: str, key: RequestKey) -> int:
        """How many of ``team``'s requests come before ``key``."""
        rows = self.raw.fetchall(
            f"SELECT turn FROM assignments WHERE team = ? AND {_BEFORE} "
            "ORDER BY rr_at DESC, lead_id DESC, ordinal DESC LIMIT 1",
            (team, *_key_params(key)),
        )
        if not rows:
            return 0
        if rows[0][0] is not None:
            return int(rows[0][0]) + 1
        return int(
            self.raw.fetchall(
                f"SELECT COUNT(*) FROM assignments WHERE team = ? AND {_BEFORE}", (team, *_key_params(key))
            )[0][0]
        )

    def requests_from(self, team: str, key: RequestKey | None) -> list[Request]:
        if key is None:
            rows = self.raw.fetchall(
                "SELECT lead_id, ordinal, owner, turn FROM assignments WHERE team = ? ORDER BY rr_at, lead_id, ordinal",
                (team,),
            )
        else:
            rows = self.raw.fetchall(
                f"SELECT lead_id, ordinal, owner, turn FROM assignments WHERE team = ? AND {_AFTER} "
                "ORDER BY rr_at, lead_id, ordinal",
                (team, *_key_params(key)),
            )
        return [Request(*row) for row in rows]

    def set_turns(self, updates: Sequence[Request]) -> None:
        self.raw.executemany(
            "UPDATE assignments SET owner = ?, turn = ? WHERE lead_id = ? AND ordinal = ?",
            [(u.owner, u.turn, u.lead_id, u.ordinal) for u in updates],
        )

    # --- deferred renumbering -----------------------------------------------------------------
    def pending(self) -> dict[str, RequestKey]:
        rows = self.raw.fetchall("SELECT team, rr_at, lead_id, ordinal FROM round_robin_pending")
        return {team: (rr_at, lead_id, ordinal) for team, rr_at, lead_id, ordinal in rows}

    def add_pending(self, starts: dict[str, RequestKey]) -> None:
        """Remember, per team, the earliest request to renumber from."""
        current = self.pending()
        for team, key in starts.items():
            if team in current and current[team] <= key:
                continue
            self.raw.execute(
                "INSERT INTO round_robin_pending (team, rr_at, lead_id, ordinal) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (team) DO UPDATE SET rr_at = excluded.rr_at, lead_id = excluded.lead_id, "
                "ordinal = excluded.ordinal",
                (team, *key),
            )

    def clear_pending(self) -> None:
        self.raw.execute("DELETE FROM round_robin_pending")
