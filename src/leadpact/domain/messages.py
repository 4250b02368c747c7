"""The event log's messages (SPEC §3), validated into one typed shape.

A message is Segment-shaped JSON. ``parse_message`` turns one decoded JSON value into a
:class:`Message` or raises :class:`MessageError` naming the field, what was expected and what
was found, so that a bad message is rejected whole and never half-applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from leadpact.domain.timeutil import parse_iso, to_us

MESSAGE_TYPES: Final = ("identify", "track", "page", "group", "action")

ACTIONS: Final = (
    "assign",
    "accept",
    "reject",
    "contact",
    "confirm_bant",
    "open_opportunity",
    "win",
    "lose",
    "recycle",
    "disqualify",
    "create_sgl",
)

ROLES: Final = ("marketing", "inside_sales", "field_sales", "system", "admin", "viewer")

BANT_ITEMS: Final = ("budget", "authority", "need", "timeline", "competitor")

_EMPTY: Final[Mapping[str, Any]] = {}


class MessageError(ValueError):
    """A message failed validation. ``field`` is a dotted path such as ``properties.items``."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(slots=True, eq=False)
class Message:
    """One validated message. ``ts`` is microseconds since the epoch; ``seq`` is arrival order."""

    type: str
    message_id: str
    ts: int
    user_id: str | None = None
    anonymous_id: str | None = None
    traits: Mapping[str, Any] = field(default_factory=dict)
    event: str | None = None
    path: str | None = None
    name: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    group_id: str | None = None
    action: str | None = None
    actor_id: str | None = None
    actor_role: str | None = None
    seq: int = 0

    @property
    def reason(self) -> str | None:
        value = self.properties.get("reason")
        return value if isinstance(value, str) and value.strip() else None


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def describe(value: Any) -> str:
    """How a found value is named in error messages ("string 'ten'", "null", ...)."""
    return _describe(value)


def _opt_str(obj: Mapping[str, Any], key: str, path: str | None = None) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise MessageError(path or key, f"expected a non-empty string, found {_describe(value)}")
    return value


def _opt_obj(obj: Mapping[str, Any], key: str, path: str | None = None) -> Mapping[str, Any]:
    value = obj.get(key)
    if value is None:
        return _EMPTY
    if not isinstance(value, dict):
        raise MessageError(path or key, f"expected an object, found {_describe(value)}")
    return value


def _timestamp(obj: Mapping[str, Any], default: datetime | None) -> int:
    raw = obj.get("timestamp")
    if raw is None:
        if default is None:
            raise MessageError("timestamp", "required (ISO 8601 with offset), found nothing")
        return to_us(default)
    if not isinstance(raw, str):
        raise MessageError("timestamp", f"expected an ISO 8601 string, found {_describe(raw)}")
    try:
        moment = parse_iso(raw)
    except ValueError as exc:
        raise MessageError("timestamp", f"expected ISO 8601 with offset, found {raw!r} ({exc})") from None
    try:
        return to_us(moment)
    except ValueError as exc:
        raise MessageError("timestamp", f"{raw!r} is {exc}") from None


def _page_path(properties: Mapping[str, Any]) -> str | None:
    path = properties.get("path")
    if path is not None:
        if not isinstance(path, str):
            raise MessageError("properties.path", f"expected a string, found {_describe(path)}")
        return path
    url = properties.get("url")
    if url is None:
        return None
    if not isinstance(url, str):
        raise MessageError("properties.url", f"expected a string, found {_describe(url)}")
    return urlsplit(url).path or "/"


def merged_traits(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """Traits from ``context.traits`` (where real SDKs put them) overlaid by root ``traits``."""
    context = _opt_obj(obj, "context")
    nested = _opt_obj(context, "traits", "context.traits")
    root = _opt_obj(obj, "traits")
    if not nested:
        return root
    if not root:
        return nested
    return {**nested, **root}


def _validate_action(obj: Mapping[str, Any], properties: Mapping[str, Any]) -> tuple[str, str, str]:
    action = obj.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        raise MessageError("action", f"expected one of {', '.join(ACTIONS)}, found {_describe(action)}")
    actor = obj.get("actor")
    if not isinstance(actor, dict):
        raise MessageError("actor", f"expected an object {{id, role}}, found {_describe(actor)}")
    role = actor.get("role")
    if not isinstance(role, str) or role not in ROLES:
        raise MessageError("actor.role", f"expected one of {', '.join(ROLES)}, found {_describe(role)}")
    actor_id = actor.get("id", role)
    if not isinstance(actor_id, str) or not actor_id:
        raise MessageError("actor.id", f"expected a non-empty string, found {_describe(actor_id)}")
    for key in ("reason", "owner"):
        value = properties.get(key)
        if value is not None and not isinstance(value, str):
            raise MessageError(f"properties.{key}", f"expected a string, found {_describe(value)}")
    items = properties.get("items")
    if items is not None and (not isinstance(items, list) or not all(isinstance(i, str) for i in items)):
        raise MessageError("properties.items", f"expected a list of strings, found {_describe(items)}")
    return action, actor_id, role


def parse_message(obj: Any, *, seq: int = 0, default_timestamp: datetime | None = None) -> Message:
    """Validate one decoded JSON value as a message.

    ``default_timestamp`` is the receive time used by the HTTP API when a message has none;
    files must carry their own timestamps (SPEC §3).
    """
    if not isinstance(obj, dict):
        raise MessageError("message", f"expected a JSON object, found {_describe(obj)}")
    kind = obj.get("type")
    if kind not in MESSAGE_TYPES:
        raise MessageError("type", f"expected one of {', '.join(MESSAGE_TYPES)}, found {_describe(kind)}")
    message_id = obj.get("messageId")
    if not isinstance(message_id, str) or not message_id:
        raise MessageError("messageId", f"expected a non-empty string, found {_describe(message_id)}")
    ts = _timestamp(obj, default_timestamp)
    user_id = _opt_str(obj, "userId")
    anonymous_id = _opt_str(obj, "anonymousId")
    if user_id is None and anonymous_id is None:
        raise MessageError("userId", "a message needs userId or anonymousId, found neither")
    properties = _opt_obj(obj, "properties")
    msg = Message(
        type=kind,
        message_id=message_id,
        ts=ts,
        user_id=user_id,
        anonymous_id=anonymous_id,
        properties=properties,
        seq=seq,
    )
    if kind == "identify":
        msg.traits = merged_traits(obj)
    elif kind == "track":
        event = obj.get("event")
        if not isinstance(event, str) or not event.strip():
            raise MessageError("event", f"expected a non-empty string, found {_describe(event)}")
        msg.event = event
    elif kind == "page":
        msg.path = _page_path(properties)
        msg.name = _opt_str(obj, "name")
    elif kind == "group":
        group_id = obj.get("groupId")
        if isinstance(group_id, int) and not isinstance(group_id, bool):
            group_id = str(group_id)
        if not isinstance(group_id, str) or not group_id:
            raise MessageError("groupId", f"expected a non-empty string, found {_describe(group_id)}")
        msg.group_id = group_id
        msg.traits = _opt_obj(obj, "traits")
    else:
        if user_id is None:
            raise MessageError("userId", "an action names its lead by userId, found none")
        msg.action, msg.actor_id, msg.actor_role = _validate_action(obj, properties)
        if msg.action == "create_sgl":
            msg.traits = merged_traits(obj)
    return msg
