"""Signed tracking links: forged or altered links never become events; verified ones become
exactly one event each, which the agreement scores."""

from __future__ import annotations

import base64
import json

import pytest
from factories import identify, jst, make_agreement, messages, track, us

from leadpact.domain.flow_runs import SendEmail
from leadpact.domain.messages import parse_message
from leadpact.domain.replay import replay
from leadpact.service.nurture.links import (
    CLICK,
    OPEN,
    UNSUBSCRIBE,
    InvalidLinkError,
    LinkBuilder,
    TrackingLink,
    parse_tracking_url,
    sign,
    tracking_event,
    verify,
)

SECRET = b"s3cret"
MAIL = SendEmail("nurture:f:1:u1:1:invite", "u1", "f", "1", 1, "invite", "webinar_invite", (), "ja", "Asia/Tokyo", 0)
LINKS = LinkBuilder("https://t.example.com/", SECRET)


def token_of(url: str) -> str:
    return parse_tracking_url(url)[1]


def test_a_signed_link_verifies_to_what_was_signed() -> None:
    url = LINKS.click_url(MAIL, "https://example.com/webinar?x=1&y=2")
    assert url.startswith("https://t.example.com/t/c/")
    link = verify(token_of(url), [SECRET], CLICK)
    assert link == TrackingLink(CLICK, "u1", "f", "1", 1, "invite", "https://example.com/webinar?x=1&y=2")
    assert link.mail_key == MAIL.key


@pytest.mark.parametrize(
    "change",
    [
        {"lead_id": "someone-else"},
        {"run": 2},
        {"step_id": "other"},
        {"flow_version": "2"},
        {"url": "https://evil.example/phish"},
    ],
)
def test_changing_any_signed_field_breaks_the_signature(change: dict[str, object]) -> None:
    token = token_of(LINKS.click_url(MAIL, "https://example.com/webinar"))
    payload, mac = token.split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    index = {"lead_id": 1, "flow_version": 3, "run": 4, "step_id": 5, "url": 6}
    for name, value in change.items():
        fields[index[name]] = value
    forged = base64.urlsafe_b64encode(json.dumps(fields, separators=(",", ":")).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidLinkError, match="bad signature"):
        verify(f"{forged}.{mac}", [SECRET], CLICK)


def test_links_signed_with_another_secret_are_rejected_and_rotation_keeps_old_links_valid() -> None:
    old = token_of(LinkBuilder("https://t", b"old").open_url(MAIL))
    with pytest.raises(InvalidLinkError, match="bad signature"):
        verify(old, [SECRET])
    assert verify(old, [SECRET, b"old"], OPEN).kind == OPEN


def test_a_link_of_one_kind_cannot_be_used_as_another() -> None:
    pixel = token_of(LINKS.open_url(MAIL))
    with pytest.raises(InvalidLinkError, match="expected an unsubscribe link, found an open link"):
        verify(pixel, [SECRET], UNSUBSCRIBE)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "!!!.???", "e30.AAAA"])
def test_malformed_tokens_are_rejected_not_crashed_on(token: str) -> None:
    with pytest.raises(InvalidLinkError):
        verify(token, [SECRET])


def test_only_web_links_can_be_tracked_and_a_secret_is_required() -> None:
    with pytest.raises(ValueError, match="only http"):
        LINKS.click_url(MAIL, "javascript:alert(1)")
    with pytest.raises(ValueError, match="secret is empty"):
        sign(TrackingLink(OPEN, "u1", "f", "1", 1, "s"), b"")


def test_each_mail_is_opened_once_each_link_clicked_once_however_often_fetched() -> None:
    opened = [
        tracking_event(verify(token_of(LINKS.open_url(MAIL)), [SECRET]), us(jst(2026, 1, 13, h))) for h in (10, 11)
    ]
    assert opened[0]["messageId"] == opened[1]["messageId"] == "nurture:f:1:u1:1:invite:opened"
    assert opened[0]["properties"] == {"flow": "f", "flow_version": "1", "run": 1, "step": "invite"}
    clicks = {
        tracking_event(verify(token_of(LINKS.click_url(MAIL, url)), [SECRET]), 0)["messageId"]
        for url in ("https://a.example/", "https://b.example/", "https://a.example/")
    }
    assert len(clicks) == 2
    unsubscribed = tracking_event(verify(token_of(LINKS.unsubscribe_url(MAIL)), [SECRET]), 0)
    assert (unsubscribed["event"], unsubscribed["userId"]) == ("Unsubscribed", "u1")


def test_the_open_event_of_a_verified_pixel_raises_the_score_by_the_agreed_point() -> None:
    history = [identify("u1", at=jst(2026, 1, 5, 10), traits={"job_level": "staff"}), track("Whitepaper Downloaded")]
    link = verify(token_of(LINKS.open_url(MAIL)), [SECRET], OPEN)
    event = parse_message(tracking_event(link, us(jst(2026, 1, 13, 10))), seq=99)
    as_of = us(jst(2026, 1, 14))
    before = replay(messages(*history), make_agreement(), as_of).leads["u1"]
    after = replay([*messages(*history), event], make_agreement(), as_of).leads["u1"]
    assert after.score - before.score == 1
    assert ("email_open", 1) in [(r.rule, r.count) for r in after.reasons]


def test_a_url_that_is_not_a_tracking_url_is_rejected() -> None:
    with pytest.raises(InvalidLinkError, match="not a tracking URL"):
        parse_tracking_url("https://t.example.com/other/o/abc")


def test_a_token_has_one_spelling_only() -> None:
    """base64 decoders ignore the unused low bits of the last character; a re-spelt token with
    those bits changed must not verify (one link, one token)."""
    token = token_of(LINKS.open_url(MAIL))
    payload, mac = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    unused_bits = (6 * len(mac)) % 8  # the bits of the last character that carry no data
    assert unused_bits > 0
    respelt = mac[:-1] + alphabet[alphabet.index(mac[-1]) ^ 1]
    pad = "=" * (-len(mac) % 4)
    assert base64.urlsafe_b64decode(respelt + pad) == base64.urlsafe_b64decode(mac + pad)
    with pytest.raises(InvalidLinkError):
        verify(f"{payload}.{respelt}", [SECRET], OPEN)
    assert verify(token, [SECRET], OPEN).kind == OPEN
