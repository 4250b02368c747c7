"""Neglected leads (放置検知): notice each new SLA breach once and post it to webhooks.

``check(now)`` records a notice for every clock still running past its deadline that has
none yet — a notice is unique per (lead, SLA, clock start), so a breach is noticed once no
matter how often clocks are checked or leads re-evaluated. ``deliver(now)`` posts due
notices to each configured webhook (Slack-compatible JSON), retrying failures with
exponential back-off, and marks each delivery done after the receiver's 2xx, so a retry
never follows a success. The ``serve`` loop calls both with the clock; tests pass times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from leadpact.adapters.store.engine import Store
from leadpact.adapters.store.notices_repo import Notice, NoticesRepo
from leadpact.adapters.webhooks import WebhookError
from leadpact.domain.timeutil import US_PER_SECOND, iso
from leadpact.service.agreements import AgreementService

Poster = Callable[[str, dict[str, Any]], None]
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
LEASE_SECONDS = 300


def backoff_us(attempts: int) -> int:
    """Wait after ``attempts + 1`` failed attempts: 30 s, 1 min, 2 min … capped at one hour."""
    seconds: int = min(BACKOFF_BASE_SECONDS * 2**attempts, BACKOFF_MAX_SECONDS)
    return seconds * US_PER_SECOND


def lateness_text(us: int) -> str:
    minutes = max(us // (60 * US_PER_SECOND), 0)
    if minutes == 0:
        return "< 1 min"  # noticed within its first minute late: "0 min late" read as not late
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def slack_escaped(text: str) -> str:
    """Text as Slack reads it literally: ``&``, ``<`` and ``>`` escaped (Slack's rule), so a
    lead id sent by a website (``<!channel>``, ``<http://…|click>``) cannot mention a whole
    channel or show a link in the sales channel; backticks cannot close a code span."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")


def slack_payload(notice: Notice, as_of: int, zone: Any) -> dict[str, Any]:
    lead, sla, department = (slack_escaped(v) for v in (notice.lead_id, notice.sla_id, notice.sla_owner))
    owner = slack_escaped(notice.lead_owner) if notice.lead_owner else "(unassigned / 未割当)"
    late = lateness_text(as_of - notice.deadline)
    ja = (
        f"⏰ SLA超過(放置): リード {lead} の {sla}(担当部門 {department}、"
        f"担当者 {owner})— 期限 {iso(notice.deadline, zone)}、{late} 超過"
    )
    en = (
        f"⏰ SLA breached (neglected lead): {sla} for lead {lead} "
        f"(department {department}, owner {owner}) — deadline {iso(notice.deadline, zone)}, {late} late"
    )
    return {
        "text": f"{ja}\n{en}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": ja}},
            {"type": "section", "text": {"type": "mrkdwn", "text": en}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"lead_id=`{lead}` sla=`{sla}` started_at={iso(notice.started_at, zone)}",
                    }
                ],
            },
        ],
    }


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    delivered: int
    failed: int
    gave_up: int


class SlaWatch:
    def __init__(
        self,
        store: Store,
        agreements: AgreementService,
        urls: Sequence[str],
        poster: Poster,
        *,
        max_attempts: int = 8,
    ) -> None:
        self.store = store
        self.agreements = agreements
        self.urls = list(urls)
        self.poster = poster
        self.max_attempts = max_attempts

    def check(self, now: int) -> list[Notice]:
        """Record a notice (and its deliveries) for each breach not noticed before."""
        with self.store.write() as conn:
            repo = NoticesRepo(conn)
            notices = repo.record_new_breaches(now)
            repo.add_deliveries(notices, self.urls, now)
        return notices

    def deliver(self, now: int, limit: int = 100) -> DeliveryReport:
        with self.store.write() as conn:
            due = NoticesRepo(conn).claim_due(now, now + LEASE_SECONDS * US_PER_SECOND, limit)
        zone = self.agreements.active().agreement.zone
        delivered = failed = gave_up = 0
        for delivery in due:
            attempts = delivery.attempts + 1
            try:
                self.poster(delivery.url, slack_payload(delivery.notice, now, zone))
            except WebhookError as exc:
                give_up = attempts >= self.max_attempts
                with self.store.write() as conn:
                    NoticesRepo(conn).failed(
                        delivery.id, attempts, now + backoff_us(attempts - 1), str(exc), now if give_up else None
                    )
                failed += 1
                gave_up += int(give_up)
                continue
            with self.store.write() as conn:
                NoticesRepo(conn).delivered(delivery.id, now, attempts)
            delivered += 1
        return DeliveryReport(delivered, failed, gave_up)
