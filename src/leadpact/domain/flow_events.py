"""The track events flows write into the log, as Segment-shaped JSON (SPEC §3).

One definition used by the engine (which replays its own emits), the simulator (which also
assumes every send happened) and the runner (which records what really happened). Message ids
derive from the effect key, so a recorded event and the engine's own copy are the same message
and the log's duplicate rule keeps one.
"""

from __future__ import annotations

from typing import Any

from leadpact.domain.flow_runs import Emit, SendEmail
from leadpact.domain.flows import EMAIL_BOUNCED, EMAIL_FAILED, EMAIL_SENT
from leadpact.domain.timeutil import iso

Json = dict[str, Any]


def flow_properties(flow_id: str, version: str, run: int, step_id: str) -> Json:
    """The properties that tie an event to one step of one run (branches match on them)."""
    return {"flow": flow_id, "flow_version": version, "run": run, "step": step_id}


def emit_event(effect: Emit) -> Json:
    return {
        "type": "track",
        "messageId": effect.key,
        "timestamp": iso(effect.at),
        "userId": effect.lead_id,
        "event": effect.event,
        "properties": {
            **dict(effect.properties),
            **flow_properties(effect.flow_id, effect.flow_version, effect.run, effect.step_id),
        },
    }


def _mail_event(send: SendEmail, event: str, suffix: str, at: int, extra: Json) -> Json:
    return {
        "type": "track",
        "messageId": f"{send.key}:{suffix}",
        "timestamp": iso(at),
        "userId": send.lead_id,
        "event": event,
        "properties": {
            **flow_properties(send.flow_id, send.flow_version, send.run, send.step_id),
            "template": send.template,
            "language": send.language,
            **extra,
        },
    }


def sent_event(send: SendEmail, at: int, message_id_header: str | None = None, *, confirmed: bool = True) -> Json:
    """``Email Sent``: the SMTP server accepted the mail (``confirmed``), or the end of the
    data went out and the reply was lost in a crash (``confirmed: false``, see docs/nurture.md)."""
    extra: Json = {"confirmed": confirmed}
    if message_id_header is not None:
        extra["message_id"] = message_id_header
    return _mail_event(send, EMAIL_SENT, "sent", at, extra)


def failed_event(send: SendEmail, at: int, error: str, *, bounced: bool, attempts: int) -> Json:
    """``Email Bounced`` (permanent refusal, 5xx) or ``Email Failed`` (gave up after retries)."""
    event = EMAIL_BOUNCED if bounced else EMAIL_FAILED
    return _mail_event(send, event, "bounced" if bounced else "failed", at, {"error": error, "attempts": attempts})
