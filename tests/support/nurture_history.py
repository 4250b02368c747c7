"""Nurture test data shared across layers: two recipients (Japanese and English), and the small
history the flow-report tests use — two staff leads download the whitepaper and get the
webinar invite; one opens it, clicks and attends (the flow's goal)."""

from __future__ import annotations

from typing import Any

TWO_MAILS = """\
id: two_mails
version: "1"
trigger: {event: Whitepaper Downloaded}
steps:
  - {id: first, send_email: webinar_invite}
  - wait: {days: 3}
  - {id: second, send_email: case_study}
"""
"""A flow of two mails three days apart."""
ONE_MAIL = """\
id: one_mail
version: "1"
trigger: {event: Whitepaper Downloaded}
steps:
  - {id: invite, send_email: webinar_invite}
"""
"""A flow of one mail: its runs end ("completed") the moment the mail is due, whether it went
out or still waits."""
DECISION_MAKER = {"job_level": "executive", "industry": "software", "employees": 500}
"""Fit 35: with the whitepaper (15) an MQL at once, so inside sales may accept it."""
TARO = {
    "email": "taro@buyer.example",
    "name": "山田 太郎",
    "company": "買い手株式会社",
    "job_level": "staff",
    "employees": 50,
}
JANE = {"email": "jane@corp.example", "name": "Jane Doe", "first_name": "Jane", "language": "en", "employees": 50}
MAIL = {"flow": "whitepaper_webinar", "flow_version": "1", "run": 1, "step": "invite"}


Json = dict[str, Any]


def track(user: str, event: str, when: str) -> Json:
    """A track event whose messageId is derived from what it says (a repeat is a duplicate)."""
    return {"type": "track", "messageId": f"{event}:{user}:{when}", "timestamp": when, "userId": user, "event": event}


def act(user: str, action: str, when: str, role: str, **properties: Any) -> Json:
    """A §5 action by ``<role>-1``, sent as a message (as a history import would)."""
    return {
        "type": "action",
        "messageId": f"{action}:{user}:{when}",
        "timestamp": when,
        "userId": user,
        "action": action,
        "actor": {"id": f"{role}-1", "role": role},
        "properties": properties,
    }


def msg(kind: str, user: str, at: str, n: int, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "messageId": f"{user}-{n}", "timestamp": at, "userId": user, **fields}


def nurture_history() -> list[dict[str, Any]]:
    staff = {"job_level": "staff", "employees": 50}
    out: list[dict[str, Any]] = []
    for user, minute in (("n1", 1), ("n2", 2)):
        out += [
            msg("identify", user, "2026-01-05T09:00:00+09:00", 1, traits={**staff, "email": f"{user}@x.example"}),
            msg("track", user, "2026-01-05T11:00:00+09:00", 2, event="Whitepaper Downloaded"),
            msg("track", user, f"2026-01-13T09:0{minute}:00+09:00", 3, event="Email Sent", properties=MAIL),
        ]
    out += [
        msg("track", "n1", "2026-01-13T10:00:00+09:00", 4, event="Email Opened", properties=MAIL),
        msg("track", "n1", "2026-01-13T10:01:00+09:00", 5, event="Email Link Clicked", properties=MAIL),
        msg("track", "n1", "2026-01-15T15:00:00+09:00", 6, event="Webinar Attended"),
    ]
    return out
