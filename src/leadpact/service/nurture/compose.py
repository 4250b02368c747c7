"""Compose the MIME message of one nurture mail: text + HTML alternative, tracking pixel,
one-click unsubscribe headers (RFC 8058) and a Message-ID derived from the idempotency key.

The Message-ID is the mail's identity across retries and restarts: every attempt of one outbox
row sends byte-identical content with the same Message-ID, so the receiving side (and anyone
reading MTA logs) can recognise a duplicate.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape

from leadpact.domain.timeutil import from_us
from leadpact.service.nurture.templates import RenderedEmail

_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


class AddressError(ValueError):
    """The recipient or sender address cannot be used."""


def message_id_for(key: str, domain: str) -> str:
    """``<hash-of-key@domain>``: the same key always yields the same Message-ID."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def header_name(name: str) -> str:
    """A person's name as a display name: header fields cannot carry line breaks or control
    characters, and a name typed into a form sometimes has them, so every run of whitespace
    (line breaks included) becomes one space and other control characters are dropped. The
    mail still goes out, addressed to the same person."""
    printable = "".join(ch for ch in name if ch.isspace() or unicodedata.category(ch) != "Cc")
    return " ".join(printable.split())


def mail_address(addr_spec: str, display_name: str = "") -> Address:
    """An RFC 5322 address; raises :class:`AddressError` for anything SMTP cannot carry.
    ``display_name`` is cleaned by :func:`header_name`, so only the address itself can fail."""
    spec = addr_spec.strip()
    if not spec.isascii():
        raise AddressError(f"{spec!r}: non-ASCII addresses are not supported (SMTPUTF8)")
    try:
        address = Address(display_name=header_name(display_name), addr_spec=spec)
    except (ValueError, IndexError) as exc:
        raise AddressError(f"{spec!r}: not an e-mail address ({exc})") from None
    if not address.username or not address.domain or "." not in address.domain:
        raise AddressError(f"{spec!r}: not an e-mail address")
    return address


def with_pixel(html: str, pixel_url: str) -> str:
    tag = f'<img src="{escape(pixel_url)}" width="1" height="1" alt="" style="display:none">'
    ends = list(_BODY_END.finditer(html))
    if not ends:
        return html + tag
    at = ends[-1].start()
    return html[:at] + tag + html[at:]


def compose(
    rendered: RenderedEmail,
    *,
    sender: Address,
    recipient: Address,
    key: str,
    message_id: str,
    date_us: int,
    unsubscribe_url: str,
    pixel_url: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(from_us(date_us))
    message["Message-ID"] = message_id
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["X-Leadpact-Key"] = key
    message.set_content(rendered.text, charset="utf-8")
    if rendered.html is not None:
        message.add_alternative(with_pixel(rendered.html, pixel_url), subtype="html", charset="utf-8")
    message["Content-Language"] = rendered.language  # after the body: set_content drops Content-*
    return message
