"""Seeded random event histories (Segment-shaped dicts) that exercise the whole lifecycle.

Leads browse anonymously, identify (linking their anonymous id), join companies, earn
engagement, get acted on by sales (some actions refused), get recycled and requalify; some
messages are repeated. Timestamps are distinct per message, so every arrival order has one
correct answer.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

_PAGES = ["/", "/products/a", "/pricing", "/case-studies/x", "/blog/post"]
_EVENTS = [
    "Whitepaper Downloaded",
    "Case Study Downloaded",
    "Webinar Attended",
    "Email Opened",
    "Email Link Clicked",
    "Contact Form Submitted",
    "Document Requested",
    "Unsubscribed",
    "Demo Requested",
]
_LEVELS = ["executive", "director", "manager", "staff", "student"]
_INDUSTRIES = ["manufacturing", "software", "retail", "it_services"]
_ACTIONS = [
    ("accept", "inside_sales"),
    ("reject", "inside_sales"),
    ("contact", "inside_sales"),
    ("confirm_bant", "inside_sales"),
    ("open_opportunity", "field_sales"),
    ("win", "field_sales"),
    ("lose", "field_sales"),
    ("recycle", "field_sales"),
    ("assign", "marketing"),
    ("disqualify", "marketing"),
    ("accept", "viewer"),
]


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def history(seed: int, leads: int = 12, events_per_lead: int = 14) -> list[dict[str, Any]]:
    """Messages in timestamp order (callers shuffle or batch them as the test needs)."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    used: set[int] = set()
    counter = 0

    def stamp() -> datetime:
        while True:
            minute = rng.randrange(0, 60 * 24 * 40)  # forty days
            if minute not in used:
                used.add(minute)
                return START + timedelta(minutes=minute)

    def message(kind: str, **fields: Any) -> dict[str, Any]:
        nonlocal counter
        counter += 1
        return {"type": kind, "messageId": f"m{seed}-{counter}", "timestamp": _iso(stamp()), **fields}

    for n in range(leads):
        user = f"lead-{seed}-{n:03d}"
        anon = f"anon-{seed}-{n:03d}"
        employees = rng.choice([20, 150, 400, 1200])
        out.append(
            message(
                "identify",
                userId=user,
                anonymousId=anon,
                traits={
                    "email": f"p{n}@{'rival.example' if rng.random() < 0.05 else 'corp.example'}",
                    "job_level": rng.choice(_LEVELS),
                    "industry": rng.choice(_INDUSTRIES),
                    "employees": employees,
                },
            )
        )
        if rng.random() < 0.5:
            out.append(
                message(
                    "group",
                    userId=user,
                    groupId=f"co-{n % 4}",
                    traits={"industry": rng.choice(_INDUSTRIES), "employees": employees},
                )
            )
        for _ in range(events_per_lead):
            who: dict[str, Any] = {"anonymousId": anon} if rng.random() < 0.3 else {"userId": user}
            roll = rng.random()
            if roll < 0.35:
                out.append(message("page", properties={"path": rng.choice(_PAGES)}, **who))
            elif roll < 0.75:
                out.append(message("track", event=rng.choice(_EVENTS), **who))
            elif roll < 0.8:
                out.append(message("identify", userId=user, traits={"job_level": rng.choice(_LEVELS)}))
            else:
                action, role = rng.choice(_ACTIONS)
                props: dict[str, Any] = {}
                if action in ("reject", "lose", "recycle", "disqualify"):
                    props["reason"] = "timing"
                if action == "confirm_bant":
                    props["items"] = rng.sample(["budget", "authority", "need", "timeline"], 2)
                if action == "assign":
                    props["owner"] = rng.choice(["mk_a", "mk_b"])
                out.append(
                    message(
                        "action", userId=user, action=action, actor={"id": f"{role}-1", "role": role}, properties=props
                    )
                )
    # an anonymous visitor who never identifies, an action on an unknown lead, an SGL
    out.append(message("page", anonymousId=f"ghost-{seed}", properties={"path": "/pricing"}))
    out.append(
        message("action", userId=f"nobody-{seed}", action="accept", actor={"id": "is-1", "role": "inside_sales"})
    )
    out.append(
        message(
            "action",
            userId=f"sgl-{seed}",
            action="create_sgl",
            actor={"id": "fs-1", "role": "field_sales"},
            traits={"company": "Referral KK"},
        )
    )
    out.sort(key=lambda m: m["timestamp"])
    # repeat a few messages verbatim: they must count once
    out.extend(rng.sample(out, k=min(5, len(out))))
    return out
