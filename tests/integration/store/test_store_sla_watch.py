"""Neglected leads: each new breach is noticed once and posted once per webhook, with retries."""

from __future__ import annotations

from typing import Any

from store_checks import ingest
from store_factories import mql_burst, us

from leadpact.adapters.store.lead_queries import LeadFilter, OverdueFilter
from leadpact.adapters.webhooks import WebhookError
from leadpact.domain.timeutil import US_PER_SECOND
from leadpact.service.container import Services
from leadpact.service.sla_watch import SlaWatch, backoff_us, lateness_text


class Receiver:
    """A webhook that fails ``failures`` times, then accepts."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.accepted: list[dict[str, Any]] = []

    def __call__(self, url: str, payload: dict[str, Any]) -> None:
        self.posts.append((url, payload))
        if self.failures > 0:
            self.failures -= 1
            raise WebhookError("HTTP 503: busy")
        self.accepted.append(payload)


def _watch(services: Services, receiver: Receiver, urls: tuple[str, ...] = ("http://hooks/a",)) -> SlaWatch:
    return SlaWatch(services.store, services.agreements, urls, receiver, max_attempts=3)


def _neglected_lead(services: Services) -> None:
    ingest(services, mql_burst("u1"))  # MQL at minute 1: handoff SLA (24 h) and first_contact start
    services.engine.run_pending()


def test_overdue_lists_running_clocks_past_their_deadline(services: Services) -> None:
    _neglected_lead(services)
    # the system assigns at MQL (stopping `handoff`); `first_contact` has 3 JP business days:
    # MQL Mon 2026-01-05 19:01 JST → deadline the end of Thu 2026-01-08
    assert services.leads.overdue(us(0, days=3), OverdueFilter()).items == []
    late = services.leads.overdue(us(0, days=4), OverdueFilter())
    assert [(i["lead_id"], i["sla_id"], i["lead_owner"]) for i in late.items] == [("u1", "first_contact", "is_sato")]
    assert late.items[0]["deadline"] == "2026-01-08T23:59:59.999999+09:00"
    assert late.items[0]["overdue_seconds"] > 0


def test_each_breach_is_posted_once_however_often_clocks_are_checked(services: Services) -> None:
    _neglected_lead(services)
    receiver = Receiver()
    watch = _watch(services, receiver, ("http://hooks/a", "http://hooks/b"))
    assert watch.check(us(0, days=1)) == []  # within 24 h: nothing yet
    first = watch.check(us(0, days=10))
    assert [(n.lead_id, n.sla_id) for n in first] == [("u1", "first_contact")]
    assert watch.check(us(0, days=11)) == []  # already noticed
    watch.deliver(us(0, days=10))
    watch.deliver(us(0, days=12))
    assert len(receiver.accepted) == 2 * len(first)  # once per breach and webhook
    assert {url for url, _ in receiver.posts} == {"http://hooks/a", "http://hooks/b"}
    payload = receiver.accepted[0]
    assert "u1" in payload["text"] and "SLA" in payload["text"] and payload["blocks"]


def test_a_failed_delivery_is_retried_after_back_off_and_then_stops(services: Services) -> None:
    _neglected_lead(services)
    receiver = Receiver(failures=1)
    watch = _watch(services, receiver)
    now = us(0, days=10)
    notices = watch.check(now)
    report = watch.deliver(now)
    assert (report.delivered, report.failed) == (0, len(notices))
    assert watch.deliver(now + backoff_us(0) - US_PER_SECOND).delivered == 0  # still backing off
    assert watch.deliver(now + backoff_us(0)).delivered == len(notices)
    assert watch.deliver(now + 10 * backoff_us(5)).delivered == 0  # never twice
    assert len(receiver.accepted) == len(notices)


def test_a_webhook_that_keeps_failing_is_given_up_after_max_attempts(services: Services) -> None:
    _neglected_lead(services)
    receiver = Receiver(failures=100)
    watch = _watch(services, receiver)
    now = us(0, days=10)
    notices = watch.check(now)
    gave_up = 0
    for attempt in range(6):
        gave_up += watch.deliver(now + attempt * 3600 * US_PER_SECOND).gave_up
    assert gave_up == len(notices)
    assert len(receiver.posts) == 3 * len(notices)  # max_attempts


def test_a_lead_id_from_a_website_cannot_mention_a_channel_or_show_a_link(services: Services) -> None:
    """Slack reads <!channel> and <url|text> in text; a write key embedded in a website can
    choose a userId, so what the engine interpolates is escaped (&, <, > as Slack requires)."""
    hostile = "<!channel> *urgent* <http://evil.example|click me> & `x`"
    ingest(services, mql_burst(hostile))
    services.engine.run_pending()
    receiver = Receiver()
    watch = _watch(services, receiver)
    watch.check(us(0, days=10))
    watch.deliver(us(0, days=10))
    (payload,) = receiver.accepted
    texts = [
        payload["text"],
        *(b["text"]["text"] for b in payload["blocks"][:2]),
        payload["blocks"][2]["elements"][0]["text"],
    ]
    escaped = "&lt;!channel&gt; *urgent* &lt;http://evil.example|click me&gt; &amp; 'x'"
    for text in texts:
        assert escaped in text
        assert "<!channel>" not in text and "<http" not in text


def test_overdue_as_of_an_earlier_moment_counts_a_clock_stopped_after_it(services: Services) -> None:
    """The stored clocks are as of the lead's last event: one contacted late is stopped in the
    store, but as of a moment between its deadline and the contact it was neglected."""
    _neglected_lead(services)
    services.actions.act(
        "u1", "contact", actor_id="is_sato", actor_role="inside_sales", properties={}, traits={}, now=us(0, days=6)
    )
    services.engine.run_pending()
    between = services.leads.overdue(us(0, days=4), OverdueFilter())
    assert [(i["lead_id"], i["sla_id"]) for i in between.items] == [("u1", "first_contact")]
    assert services.leads.overdue(us(0, days=7), OverdueFilter()).items == []  # contacted by then
    listed = services.leads.list(LeadFilter(overdue=True), us(0, days=4))
    assert [item["lead_id"] for item in listed.items] == ["u1"]


def test_a_breach_noticed_in_its_first_minute_is_not_called_0_min_late() -> None:
    assert lateness_text(30 * US_PER_SECOND) == "< 1 min"
    assert lateness_text(61 * US_PER_SECOND) == "1 min"
    assert lateness_text(3_723 * US_PER_SECOND) == "1 h 2 min"
