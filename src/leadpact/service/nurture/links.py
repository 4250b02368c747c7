"""Signed tracking links: the open pixel, click redirects and the one-click unsubscribe.

A link carries (kind, lead, flow, version, run, step, target URL) and an HMAC-SHA256 of exactly
those, keyed with a secret from settings. Nobody without the secret can make a link for another
lead, another mail or another target, so nobody can forge ``Email Opened`` / ``Email Link
Clicked`` / ``Unsubscribed`` events, and the click redirect is not an open redirect.

Verification accepts several secrets (the first signs), so a secret can be rotated without
breaking the links in mail already sent. Pure: no I/O, no clock.

:func:`tracking_event` turns a verified link into the event to append to the log. Message ids
are derived from the link, so the first open of a mail, the first click on each of its links
and an unsubscribe count once however often the link is fetched (image proxies prefetch).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from leadpact.domain.flow_events import flow_properties
from leadpact.domain.flow_runs import SendEmail, effect_key
from leadpact.domain.flows import EMAIL_CLICKED, EMAIL_OPENED, UNSUBSCRIBED
from leadpact.domain.timeutil import iso

OPEN: Final = "o"
CLICK: Final = "c"
UNSUBSCRIBE: Final = "u"
KINDS: Final = (OPEN, CLICK, UNSUBSCRIBE)
_DOMAIN: Final = b"leadpact-tracking-link-v1\n"
_MAC_BYTES: Final = 16
"""A 128-bit truncated HMAC-SHA256: forging one takes ~2^128 guesses, and URLs stay short."""

Json = dict[str, Any]


class InvalidLinkError(ValueError):
    """The link was tampered with, signed with an unknown secret, or is malformed."""


@dataclass(frozen=True, slots=True)
class TrackingLink:
    kind: str
    lead_id: str
    flow_id: str
    flow_version: str
    run: int
    step_id: str
    url: str | None = None
    """The click target (click links only)."""

    @classmethod
    def for_mail(cls, kind: str, mail: SendEmail, url: str | None = None) -> TrackingLink:
        return cls(kind, mail.lead_id, mail.flow_id, mail.flow_version, mail.run, mail.step_id, url)

    @property
    def mail_key(self) -> str:
        """The idempotency key of the mail this link belongs to."""
        return effect_key(self.flow_id, self.flow_version, self.lead_id, self.run, self.step_id)


def _payload(link: TrackingLink) -> bytes:
    fields = [link.kind, link.lead_id, link.flow_id, link.flow_version, link.run, link.step_id, link.url]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _DOMAIN + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """Decode base64url, accepting only the canonical spelling: the decoder ignores the unused
    low bits of the last character, so without this check one token would have several
    spellings that all verify."""
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise binascii.Error("not canonical base64url")
    return data


def sign(link: TrackingLink, secret: bytes) -> str:
    """The token of ``link``: ``<payload>.<mac>``, both base64url (safe in a URL path)."""
    if not secret:
        raise ValueError("the tracking secret is empty; set LEADPACT_TRACKING_SECRET")
    if link.kind not in KINDS:
        raise ValueError(f"unknown link kind {link.kind!r}")
    if (link.kind == CLICK) != (link.url is not None):
        raise ValueError("click links, and only click links, carry a target URL")
    payload = _payload(link)
    return f"{_b64(payload)}.{_b64(_mac(secret, payload))}"


def verify(token: str, secrets: Sequence[bytes], kind: str | None = None) -> TrackingLink:
    """The link a token stands for, or :class:`InvalidLinkError`. ``kind``: the kind the endpoint
    serves (an open pixel token is not an unsubscribe)."""
    encoded, dot, mac_text = token.partition(".")
    if not dot or not encoded or not mac_text:
        raise InvalidLinkError("malformed token")
    try:
        payload = _unb64(encoded)
        mac = _unb64(mac_text)
    except (binascii.Error, ValueError):
        raise InvalidLinkError("malformed token") from None
    if not any(secret and hmac.compare_digest(mac, _mac(secret, payload)) for secret in secrets):
        raise InvalidLinkError("bad signature")
    try:
        found_kind, lead, flow, version, run, step, url = json.loads(payload.decode("utf-8"))
    except (ValueError, TypeError):
        raise InvalidLinkError("malformed payload") from None  # only reachable with a valid secret
    link = TrackingLink(found_kind, lead, flow, version, run, step, url)
    if kind is not None and link.kind != kind:
        raise InvalidLinkError(f"expected {_KIND_NAMES[kind]}, found {_KIND_NAMES.get(link.kind, repr(link.kind))}")
    return link


_KIND_NAMES: Final = {OPEN: "an open link", CLICK: "a click link", UNSUBSCRIBE: "an unsubscribe link"}


@dataclass(frozen=True, slots=True)
class LinkBuilder:
    """Builds the URLs of one deployment: ``{base_url}/t/{kind}/{token}``."""

    base_url: str
    secret: bytes

    def url(self, link: TrackingLink) -> str:
        return f"{self.base_url.rstrip('/')}/t/{link.kind}/{sign(link, self.secret)}"

    def open_url(self, mail: SendEmail) -> str:
        return self.url(TrackingLink.for_mail(OPEN, mail))

    def click_url(self, mail: SendEmail, target: str) -> str:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"only http(s) links can be tracked, found {target!r}")
        return self.url(TrackingLink.for_mail(CLICK, mail, target))

    def unsubscribe_url(self, mail: SendEmail) -> str:
        return self.url(TrackingLink.for_mail(UNSUBSCRIBE, mail))


def parse_tracking_url(url: str) -> tuple[str, str]:
    """(kind, token) from a URL built by :class:`LinkBuilder`; :class:`InvalidLinkError` otherwise."""
    parts = urlsplit(url).path.rstrip("/").split("/")
    if len(parts) < 3 or parts[-3] != "t" or parts[-2] not in KINDS:
        raise InvalidLinkError("not a tracking URL")
    return parts[-2], parts[-1]


def tracking_event(link: TrackingLink, at: int) -> Json:
    """The track message a verified link records at ``at`` (µs): ``Email Opened``,
    ``Email Link Clicked`` (with ``url``) or ``Unsubscribed``."""
    key = link.mail_key
    props = flow_properties(link.flow_id, link.flow_version, link.run, link.step_id)
    if link.kind == OPEN:
        event, message_id = EMAIL_OPENED, f"{key}:opened"
    elif link.kind == CLICK:
        assert link.url is not None
        event = EMAIL_CLICKED
        message_id = f"{key}:clicked:{hashlib.sha256(link.url.encode('utf-8')).hexdigest()[:16]}"
        props["url"] = link.url
    else:
        event, message_id = UNSUBSCRIBED, f"{key}:unsubscribed"
        props["source"] = "email_link"
    return {
        "type": "track",
        "messageId": message_id,
        "timestamp": iso(at),
        "userId": link.lead_id,
        "event": event,
        "properties": props,
    }
