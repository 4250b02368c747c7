"""One lead's messages as they are generated.

Each message is kept three ways, built once: the SPEC §3 dict (what Parquet stores), the
engine's :class:`Message` (what the simulation feeds the replay, sharing the dict's nested
objects) and, for page views (the most common message), its JSON line pre-rendered from cached
fragments. Generation speed is dominated by such per-message work, so this module avoids doing
anything twice. Messages outside the window are not recorded: the history is "as of" its end.

Ids (``messageId``, ``userId``, ``anonymousId``) are generated from digits, letters and ``-``
only, so they can be placed in JSON text without escaping.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from leadpact.adapters.synthetic.timeline import Timeline
from leadpact.domain.messages import Message

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Entry:
    """A generated message: when, in which creation order, and its three forms."""

    __slots__ = ("line", "message", "n", "obj", "ts")

    def __init__(self, ts: int, n: int, obj: dict[str, Any], message: Message, line: str | None) -> None:
        self.ts = ts
        self.n = n
        self.obj = obj
        self.message = message
        self.line = line

    def json_line(self) -> str:
        return self.line if self.line is not None else _dumps(self.obj)


@lru_cache(maxsize=1024)
def _page_parts(path: str, title: str) -> tuple[dict[str, str], str]:
    """A page's shared ``properties`` object and the JSON text of the message's tail."""
    properties = {"path": path, "title": title}
    return properties, f',"name":{_dumps(title)},"properties":{_dumps(properties)}}}'


def _order(entry: Entry) -> tuple[int, int]:
    return entry.ts, entry.n


class LeadLog:
    __slots__ = ("_count", "_end", "_id_prefix", "_iso", "_origin", "anonymous_id", "entries", "user_id")

    def __init__(self, timeline: Timeline, id_prefix: str, user_id: str, anonymous_id: str | None) -> None:
        self._iso = timeline.iso
        self._origin = timeline.origin
        self._end = timeline.end
        self._id_prefix = id_prefix
        self._count = 0
        self.user_id = user_id
        self.anonymous_id = anonymous_id
        self.entries: list[Entry] = []

    def _start(self, ts: int, kind: str, anonymous: bool) -> tuple[dict[str, Any], Message] | None:
        """The common head of a message (type, id, timestamp, who), or None outside the window."""
        if not self._origin <= ts < self._end:
            return None
        self._count += 1
        message_id = f"{self._id_prefix}{self._count}"
        obj: dict[str, Any] = {"type": kind, "messageId": message_id, "timestamp": self._iso(ts)}
        if anonymous:
            obj["anonymousId"] = self.anonymous_id
            return obj, Message(kind, message_id, ts, None, self.anonymous_id)
        obj["userId"] = self.user_id
        return obj, Message(kind, message_id, ts, self.user_id)

    def _keep(self, ts: int, obj: dict[str, Any], message: Message, line: str | None = None) -> None:
        self.entries.append(Entry(ts, self._count, obj, message, line))

    def page(self, ts: int, path: str, title: str, *, anonymous: bool = False) -> None:
        if not self._origin <= ts < self._end:
            return
        self._count += 1
        message_id = f"{self._id_prefix}{self._count}"
        stamp = self._iso(ts)
        properties, tail = _page_parts(path, title)
        if anonymous:
            who_key, who = "anonymousId", self.anonymous_id
            message = Message("page", message_id, ts, None, who, properties=properties, path=path, name=title)
        else:
            who_key, who = "userId", self.user_id
            message = Message("page", message_id, ts, who, None, properties=properties, path=path, name=title)
        obj = {
            "type": "page",
            "messageId": message_id,
            "timestamp": stamp,
            who_key: who,
            "name": title,
            "properties": properties,
        }
        line = f'{{"type":"page","messageId":"{message_id}","timestamp":"{stamp}","{who_key}":"{who}"{tail}'
        self.entries.append(Entry(ts, self._count, obj, message, line))

    def track(self, ts: int, event: str, properties: dict[str, Any], *, anonymous: bool = False) -> None:
        head = self._start(ts, "track", anonymous)
        if head is not None:
            obj, message = head
            obj["event"] = event
            obj["properties"] = properties
            message.event = event
            message.properties = properties
            self._keep(ts, obj, message)

    def identify(self, ts: int, traits: dict[str, Any], *, link: bool = False) -> None:
        """``link``: also carry the anonymous id, tying earlier anonymous visits to the lead."""
        head = self._start(ts, "identify", False)
        if head is not None:
            obj, message = head
            if link and self.anonymous_id:
                obj["anonymousId"] = self.anonymous_id
                message.anonymous_id = self.anonymous_id
            obj["traits"] = traits
            message.traits = traits
            self._keep(ts, obj, message)

    def group(self, ts: int, group_id: str, traits: dict[str, Any]) -> None:
        head = self._start(ts, "group", False)
        if head is not None:
            obj, message = head
            obj["groupId"] = group_id
            obj["traits"] = traits
            message.group_id = group_id
            message.traits = traits
            self._keep(ts, obj, message)

    def action(
        self,
        ts: int,
        action: str,
        actor_id: str,
        role: str,
        properties: dict[str, Any] | None = None,
        traits: dict[str, Any] | None = None,
    ) -> Entry | None:
        head = self._start(ts, "action", False)
        if head is None:
            return None
        obj, message = head
        obj["action"] = action
        obj["actor"] = {"id": actor_id, "role": role}
        message.action, message.actor_id, message.actor_role = action, actor_id, role
        if properties:
            obj["properties"] = properties
            message.properties = properties
        if traits:
            obj["traits"] = traits
            message.traits = traits
        self._keep(ts, obj, message)
        return self.entries[-1]

    def sorted_entries(self) -> list[Entry]:
        """By timestamp, creation order breaking ties (the engine's arrival order)."""
        return sorted(self.entries, key=_order)
