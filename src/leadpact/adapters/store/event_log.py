"""The event log repository: append messages, resolve identities, queue leads for evaluation.

Every method runs inside a transaction opened by :class:`~leadpact.adapters.store.engine.Store`;
writers hold the store's write lock, so reads followed by writes here never race. The per-event
statements use the driver directly (:mod:`leadpact.adapters.store.raw`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from sqlalchemy import Connection

from leadpact.adapters import fastjson
from leadpact.adapters.store.raw import Raw, chunks
from leadpact.domain.messages import Message

T = TypeVar("T")

EVENT_COLUMNS = (
    "id",
    "message_id",
    "type",
    "ts",
    "user_id",
    "anonymous_id",
    "lead_id",
    "traits",
    "event",
    "path",
    "name",
    "properties",
    "group_id",
    "action",
    "actor_id",
    "actor_role",
    "received_at",
)
_READ_COLUMNS = (
    "id, message_id, type, ts, user_id, anonymous_id, traits, event, path, name, properties, "
    "group_id, action, actor_id, actor_role, lead_id"
)


def _dumps(value: Any) -> str | None:
    return fastjson.dumps(value) if value else None


def event_row(msg: Message, lead_id: str | None, received_at: int) -> tuple[Any, ...]:
    """The ``events`` row of a message, in :data:`EVENT_COLUMNS` order."""
    return (
        msg.seq,
        msg.message_id,
        msg.type,
        msg.ts,
        msg.user_id,
        msg.anonymous_id,
        lead_id,
        _dumps(msg.traits),
        msg.event,
        msg.path,
        msg.name,
        _dumps(msg.properties),
        msg.group_id,
        msg.action,
        msg.actor_id,
        msg.actor_role,
        received_at,
    )


def _message(row: Sequence[Any]) -> Message:
    """A row of :data:`_READ_COLUMNS` as a message (positional: this runs for every event the
    engine reads)."""
    seq, message_id, kind, ts, user_id, anonymous_id, traits, event, path, name, properties, group_id = row[:12]
    return Message(
        kind,
        message_id,
        ts,
        user_id,
        anonymous_id,
        _loads(traits) if traits else {},
        event,
        path,
        name,
        _loads(properties) if properties else {},
        group_id,
        row[12],
        row[13],
        row[14],
        seq,
    )


_loads = fastjson.loads
_POSITIONAL = (
    "type",
    "message_id",
    "ts",
    "user_id",
    "anonymous_id",
    "traits",
    "event",
    "path",
    "name",
    "properties",
    "group_id",
    "action",
    "actor_id",
    "actor_role",
    "seq",
)
if tuple(f.name for f in fields(Message))[: len(_POSITIONAL)] != _POSITIONAL:  # pragma: no cover
    raise RuntimeError("leadpact.domain.messages.Message changed its field order; update event_log._message")


@dataclass(frozen=True, slots=True)
class Link:
    user_id: str
    ts: int
    seq: int


class EventLog:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.raw = Raw(conn)

    # --- appending -------------------------------------------------------------------------
    def existing_message_ids(self, message_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for part in chunks(message_ids):
            where, params = self.raw.in_list("message_id", part)
            found.update(row[0] for row in self.raw.fetchall(f"SELECT message_id FROM events WHERE {where}", params))
        return found

    def message_by_id(self, message_id: str) -> Message | None:
        """The stored message with this ``messageId`` (None: not stored)."""
        rows = self.raw.fetchall(f"SELECT {_READ_COLUMNS} FROM events WHERE message_id = ?", (message_id,))
        return _message(rows[0]) if rows else None

    def next_id(self) -> int:
        """The next arrival number (only meaningful under the write lock)."""
        return int(self.raw.fetchall("SELECT COALESCE(MAX(id), 0) FROM events")[0][0]) + 1

    def append(self, rows: Sequence[Sequence[Any]]) -> None:
        self.raw.insert_many("events", EVENT_COLUMNS, rows)

    def count(self) -> int:
        return int(self.raw.fetchall("SELECT COUNT(*) FROM events")[0][0])

    # --- identities ---------------------------------------------------------------------------
    def links(self, anonymous_ids: Iterable[str]) -> dict[str, Link]:
        wanted = sorted(set(anonymous_ids))
        found: dict[str, Link] = {}
        for part in chunks(wanted):
            where, params = self.raw.in_list("anonymous_id", part)
            for anon, user, ts, seq in self.raw.fetchall(
                f"SELECT anonymous_id, user_id, ts, seq FROM identities WHERE {where}", params
            ):
                found[anon] = Link(user, ts, seq)
        return found

    def set_link(self, anonymous_id: str, link: Link) -> None:
        self.raw.execute(
            "INSERT INTO identities (anonymous_id, user_id, ts, seq) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (anonymous_id) DO UPDATE SET user_id = excluded.user_id, ts = excluded.ts, seq = excluded.seq",
            (anonymous_id, link.user_id, link.ts, link.seq),
        )

    def repoint_anonymous(self, anonymous_id: str, lead_id: str) -> set[str | None] | None:
        """Give the stored anonymous-only events of ``anonymous_id`` to ``lead_id``.

        Returns the leads they belonged to before (None: unlinked), or None if there were none.
        """
        where = "anonymous_id = ? AND user_id IS NULL"
        before = {
            row[0] for row in self.raw.fetchall(f"SELECT DISTINCT lead_id FROM events WHERE {where}", (anonymous_id,))
        }
        if not before:
            return None
        self.raw.execute(f"UPDATE events SET lead_id = ? WHERE {where}", (lead_id, anonymous_id))
        return before

    # --- reading a lead's history ------------------------------------------------------------
    def lead_messages(self, lead_ids: Sequence[str], *, ordered: bool = True) -> dict[str, list[Message]]:
        """Each lead's messages in id order (``ordered`` False: in no particular order, for a
        caller that sorts them itself — sorting a whole chunk in SQL costs more)."""
        out: dict[str, list[Message]] = {lead: [] for lead in lead_ids}
        order = " ORDER BY id" if ordered else ""
        for part in chunks(lead_ids):
            where, params = self.raw.in_list("lead_id", part)
            for row in self.raw.fetchall(f"SELECT {_READ_COLUMNS} FROM events WHERE {where}{order}", params):
                out[row[-1]].append(_message(row))
        return out

    def messages_after(self, after: dict[str, int]) -> dict[str, list[Message]]:
        """Each lead's messages with an id above the lead's own ``after`` value, in no
        particular order (the caller sorts each lead's few messages; an ORDER BY over the
        whole chunk cost a third of the query)."""
        out: dict[str, list[Message]] = {lead: [] for lead in after}
        columns = ", ".join(f"e.{c.strip()}" for c in _READ_COLUMNS.split(","))
        for part in chunks(sorted(after.items())):
            if self.raw.postgres:
                sql = (
                    f"SELECT {columns} FROM unnest(%s::varchar[], %s::bigint[]) AS v(l, a) "
                    'JOIN events e ON e.lead_id = v.l COLLATE "C" AND e.id > v.a'
                )
                params: list[Any] = [[lead for lead, _ in part], [last for _, last in part]]
            else:
                values = ", ".join(["(?, ?)"] * len(part))
                sql = (
                    f"SELECT {columns} FROM (VALUES {values}) AS v "
                    "JOIN events e ON e.lead_id = v.column1 AND e.id > v.column2"
                )
                params = [item for pair in part for item in pair]
            for row in self.raw.fetchall(sql, params):
                out[row[-1]].append(_message(row))
        return out

    def messages_between(self, after: int, upto: int, target: Callable[[str], T | None]) -> list[tuple[T, Message]]:
        """The messages with an id in (``after``, ``upto``] whose lead has a ``target`` (not
        None), each with it, in id order: a range of the primary key, read once by the online
        engine as it follows the log (only rows with a target are decoded)."""
        rows = self.raw.fetchall(
            f"SELECT {_READ_COLUMNS} FROM events WHERE id > ? AND id <= ? AND lead_id IS NOT NULL ORDER BY id",
            (after, upto),
        )
        out: list[tuple[T, Message]] = []
        for row in rows:
            found = target(row[-1])
            if found is not None:
                out.append((found, _message(row)))
        return out

    def all_messages(self, batch: int = 10_000) -> Iterable[Message]:
        """The whole log in arrival order (for fresh replays and exports)."""
        last = 0
        while True:
            rows = self.raw.fetchall(
                f"SELECT {_READ_COLUMNS} FROM events WHERE id > ? ORDER BY id LIMIT ?", (last, batch)
            )
            if not rows:
                return
            for row in rows:
                yield _message(row)
            last = rows[-1][0]

    def all_lead_ids_after(self, after: str | None, limit: int) -> list[str]:
        if after is None:
            rows = self.raw.fetchall(
                "SELECT DISTINCT lead_id FROM events WHERE lead_id IS NOT NULL ORDER BY lead_id LIMIT ?", (limit,)
            )
        else:
            rows = self.raw.fetchall(
                "SELECT DISTINCT lead_id FROM events WHERE lead_id > ? ORDER BY lead_id LIMIT ?", (after, limit)
            )
        return [row[0] for row in rows]

    def count_lead_ids(self) -> int:
        return int(self.raw.fetchall("SELECT COUNT(DISTINCT lead_id) FROM events")[0][0])

    def first_events_after(self, lead_ids: Sequence[str], event_id: int) -> dict[str, int]:
        """Those of ``lead_ids`` that have an event with an id above ``event_id``, each with
        the first such id.

        The events appended since ``event_id`` are read by id (a range of the primary key):
        the engine asks right after evaluating, when they are few."""
        wanted = set(lead_ids)
        rows = self.raw.fetchall("SELECT lead_id, id FROM events WHERE id > ? ORDER BY id", (event_id,))
        first: dict[str, int] = {}
        for lead, event in rows:
            if lead in wanted and lead not in first:
                first[lead] = int(event)
        return first

    def event_counts(self, lead_ids: Sequence[str], up_to: int) -> dict[str, int]:
        """How many events with an id up to ``up_to`` each of ``lead_ids`` has (absent: none)."""
        counts: dict[str, int] = {}
        for part in chunks(lead_ids):
            where, params = self.raw.in_list("lead_id", part)
            rows = self.raw.fetchall(
                f"SELECT lead_id, COUNT(*) FROM events WHERE {where} AND id <= ? GROUP BY lead_id", [*params, up_to]
            )
            counts.update((lead, int(count)) for lead, count in rows)
        return counts

    # --- the evaluation queue -----------------------------------------------------------------
    def mark_dirty(self, since: dict[str, int], rebuild: set[str]) -> None:
        plain = [(lead, seq, False) for lead, seq in since.items() if lead not in rebuild]
        self.raw.executemany(
            "INSERT INTO dirty_leads (lead_id, since_id, rebuild) VALUES (?, ?, ?) ON CONFLICT (lead_id) DO NOTHING",
            plain,
        )
        forced = [(lead, since.get(lead, 0), True) for lead in sorted(rebuild)]
        self.raw.executemany(
            "INSERT INTO dirty_leads (lead_id, since_id, rebuild) VALUES (?, ?, ?) "
            "ON CONFLICT (lead_id) DO UPDATE SET rebuild = excluded.rebuild",
            forced,
        )

    def queue(self, limit: int) -> list[tuple[str, int, bool]]:
        """The ``limit`` longest-waiting queued leads: (lead, first event id, rebuild)."""
        rows = self.raw.fetchall(
            "SELECT lead_id, since_id, rebuild FROM dirty_leads ORDER BY since_id, lead_id LIMIT ?", (limit,)
        )
        return [(lead, int(since), bool(rebuild)) for lead, since, rebuild in rows]

    def dirty(self, limit: int, lead_ids: Sequence[str] | None = None) -> list[tuple[str, bool]]:
        if lead_ids is None:
            rows = self.raw.fetchall(
                "SELECT lead_id, rebuild FROM dirty_leads ORDER BY since_id, lead_id LIMIT ?", (limit,)
            )
        else:
            where, params = self.raw.in_list("lead_id", lead_ids)
            rows = self.raw.fetchall(f"SELECT lead_id, rebuild FROM dirty_leads WHERE {where}", params)
        return [(lead, bool(rebuild)) for lead, rebuild in rows]

    def oldest_queued_received_at(self) -> int | None:
        """When the event that queued the longest-waiting lead was received (µs); None when
        nothing waits. Two index lookups: ingestion asks it to pace itself."""
        rows = self.raw.fetchall(
            "SELECT e.received_at FROM events e WHERE e.id = (SELECT MIN(since_id) FROM dirty_leads WHERE since_id > 0)"
        )
        return int(rows[0][0]) if rows else None

    def dirty_count(self) -> int:
        return int(self.raw.fetchall("SELECT COUNT(*) FROM dirty_leads")[0][0])

    def requeue_from(self, first_ids: dict[str, int]) -> None:
        """Queued leads evaluated up to some event that got more meanwhile stay queued, now
        waiting since the first of those (``first_ids``): the engine's lag, by which
        ingestion paces itself, is then the age of what it has not evaluated yet."""
        self.raw.executemany(
            "UPDATE dirty_leads SET since_id = ? WHERE lead_id = ? AND since_id > 0 AND since_id < ?",
            [(first, lead, first) for lead, first in sorted(first_ids.items())],
        )

    def clear_dirty(self, lead_ids: Sequence[str], *, unless_rebuild: bool = False) -> None:
        """Dequeue ``lead_ids``; with ``unless_rebuild``, those flagged for a rebuild (their
        identity was re-linked since the caller looked) stay queued."""
        condition = " AND NOT rebuild" if unless_rebuild else ""
        for part in chunks(lead_ids):
            where, params = self.raw.in_list("lead_id", part)
            self.raw.execute(f"DELETE FROM dirty_leads WHERE {where}{condition}", params)
