"""What the lead page shows, derived from the hand-off packet (``LeadService.get``) and the
lead's own messages: SLA clocks with time left or lateness, the actions the viewer's role may
take in the lead's stage, and one timeline of events and stage changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from leadpact.domain.agreement import Agreement
from leadpact.domain.lifecycle import ACTION_RULES, REASON_REQUIRED, role_may
from leadpact.domain.messages import BANT_ITEMS, Message
from leadpact.domain.timeutil import iso, parse_iso, to_us
from leadpact.entrypoints.web.formatting import Formatter
from leadpact.entrypoints.web.i18n import Words
from leadpact.service.handoff import profile_keys

ACTION_ORDER: Final = (
    "accept",
    "contact",
    "confirm_bant",
    "open_opportunity",
    "win",
    "assign",
    "reject",
    "recycle",
    "lose",
    "disqualify",
)
"""The order a salesperson meets them in; create_sgl creates leads and has no place here."""
PRIMARY: Final = frozenset({"accept", "open_opportunity", "win"})
DANGER: Final = frozenset({"reject", "recycle", "lose", "disqualify"})
TIMELINE_SHOWN: Final = 60
TIMELINE_MAX: Final = 2000


@dataclass(frozen=True, slots=True)
class ActionForm:
    name: str
    reason: bool
    choices: tuple[str, ...] = ()

    @property
    def primary(self) -> bool:
        return self.name in PRIMARY

    @property
    def danger(self) -> bool:
        return self.name in DANGER


def available_actions(role: str, stage: str, confirmed: Sequence[str]) -> list[ActionForm]:
    """The actions ``role`` may take on a lead in ``stage`` (SPEC §5). Showing them is a
    convenience: the server checks role and stage again when one is sent."""
    forms = []
    for name in ACTION_ORDER:
        rule = ACTION_RULES[name]
        if stage not in rule.allowed_from or not role_may(role, name):
            continue
        choices = tuple(item for item in BANT_ITEMS if item not in confirmed) if name == "confirm_bant" else ()
        if name == "confirm_bant" and not choices:
            continue
        forms.append(ActionForm(name, name in REASON_REQUIRED, choices))
    return forms


def us(value: str | None) -> int | None:
    return to_us(parse_iso(value)) if value else None


def sla_rows(clocks: Sequence[Mapping[str, Any]], now: int, words: Words, fmt: Formatter) -> list[dict[str, Any]]:
    """Each clock with a note: time left while running, how late when breached."""
    rows = []
    for clock in clocks:
        note = None
        deadline = us(clock["deadline"]) or 0
        if clock["status"] == "running":
            note = words("lead.sla_left", left=fmt.duration(deadline - now))
        elif clock["status"] == "breached" and clock["stopped_at"] is None:
            note = words("lead.sla_late", late=fmt.duration(now - deadline))
        elif clock["status"] == "breached":
            note = words("lead.sla_late_stop", late=fmt.duration((us(clock["stopped_at"]) or 0) - deadline))
        rows.append({**clock, "note": note})
    return rows


def decay_text(agreement: Agreement, words: Words, fmt: Formatter) -> str | None:
    decay = agreement.decay
    if decay is None:
        return None
    after, factor, half_life = (getattr(decay, name, None) for name in ("after_days", "factor", "half_life_days"))
    if half_life is not None:
        return words("lead.decay_half_life", days=fmt.number(half_life))
    if after is not None and factor is not None:
        return words("lead.decay_after", days=fmt.number(after), share=fmt.percent(factor, 0))
    return None


def profile(traits: Mapping[str, Any], words: Words) -> list[tuple[str, str]]:
    """Traits in a reading order (who, then the rest alphabetically), coded values named."""
    return [(key, words.trait_value(key, _text(traits[key]))) for key in profile_keys(traits)]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "✓" if value else "—"
    if isinstance(value, int | float):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value)


def timeline(
    messages: Sequence[Message], history: Sequence[Mapping[str, Any]], words: Words, zone: Any
) -> list[dict[str, Any]]:
    """Events and stage changes, newest first; a stage change is listed above the event
    that caused it."""
    items: list[tuple[int, int, int, dict[str, Any]]] = []
    for msg in messages:
        items.append((msg.ts, 0, msg.seq, _message_item(msg, words)))
    for ordinal, entry in enumerate(history):
        at = us(entry["at"]) or 0
        detail = []
        if entry.get("from_stage") and entry["from_stage"] != entry["stage"]:
            detail.append(words("tl.from", stage=words.stage(entry["from_stage"])))
        if entry.get("fast_track"):
            detail.append(words("tl.fast_track"))
        actor = entry.get("actor") or {}
        if actor.get("id") and actor.get("role") != "system":
            detail.append(f"{actor['id']} ({words.role(actor.get('role') or '')})")
        if entry.get("reason"):
            detail.append(words("tl.reason", reason=entry["reason"]))
        title = words("tl.stage", stage=words.stage(entry["stage"]))
        items.append((at, 1, ordinal, {"kind": "stage", "title": title, "detail": " · ".join(detail)}))
    items.sort(key=lambda item: item[:3], reverse=True)
    out = []
    for at, _, _, item in items:
        out.append({**item, "at": at, "iso": iso(at, zone)})
    return out


def _message_item(msg: Message, words: Words) -> dict[str, Any]:
    if msg.type == "page":
        return {"kind": "page", "title": words("tl.page", path=msg.path or "/"), "detail": msg.name or ""}
    if msg.type == "track":
        shown = [str(v) for k, v in msg.properties.items() if isinstance(v, str | int) and k != "channel"][:2]
        return {"kind": "track", "title": words.event(msg.event or ""), "detail": " · ".join(shown)}
    if msg.type == "identify":
        keys = ", ".join(words.trait(k) for k in sorted(msg.traits))
        return {"kind": "identify", "title": words("tl.identify"), "detail": keys}
    if msg.type == "group":
        name = msg.traits.get("name") or msg.group_id or ""
        return {"kind": "group", "title": words("tl.group", name=name), "detail": ""}
    detail = [f"{msg.actor_id} ({words.role(msg.actor_role or '')})"]
    reason = msg.properties.get("reason")
    if isinstance(reason, str) and reason:
        detail.append(words("tl.reason", reason=reason))
    items = msg.properties.get("items")
    if isinstance(items, list):
        detail.append(", ".join(words.bant(str(i)) for i in items))
    return {"kind": "action", "title": words.action(msg.action or ""), "detail": " · ".join(detail)}
