"""Deliver nurture mail over SMTP with :mod:`smtplib` (STARTTLS and login optional).

The SMTP transaction is driven step by step (MAIL, RCPT, DATA, body, then the final ``.``)
instead of ``sendmail()``, because the outbox must record the instant between "the body is
written" and "the message is complete": a server accepts a message only when it receives the
final ``.`` (RFC 5321 §4.1.1.4), so a crash before that point can never have delivered it.
One connection is reused across mails; any unexpected exception drops it without a QUIT, so a
half-written message is discarded by the server, never completed.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from leadpact.service.nurture.delivery import DeliveryError, TransportConfigError

_LINE_END = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    local_hostname: str | None = None
    tls_context: ssl.SSLContext | None = None
    """None: the system's default trust store, certificate and host name verified."""


def dot_stuffed(content: bytes) -> bytes:
    """The DATA payload without its final ``.``: CRLF line ends, leading dots doubled."""
    data = _LINE_END.sub(b"\r\n", content)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return _LEADING_DOT.sub(b"..", data)


def _refusal(stage: str, code: int, reply: bytes) -> DeliveryError:
    text = reply.decode("utf-8", "replace").strip()
    return DeliveryError(f"{stage} refused: {code} {text}", permanent=500 <= code < 600)


class SmtpMailer:
    """:class:`leadpact.service.nurture.delivery.Mailer` over one reusable SMTP connection."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        try:
            conn = smtplib.SMTP(cfg.host, cfg.port, local_hostname=cfg.local_hostname, timeout=cfg.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"cannot connect to {cfg.host}:{cfg.port}: {exc}", permanent=False) from None
        try:
            conn.ehlo()
            if cfg.starttls:
                if not conn.has_extn("starttls"):
                    raise TransportConfigError(f"{cfg.host}:{cfg.port} does not offer STARTTLS")
                conn.starttls(context=cfg.tls_context or ssl.create_default_context())
                conn.ehlo()
            if cfg.username is not None:
                conn.login(cfg.username, cfg.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            conn.close()
            raise TransportConfigError(f"SMTP login as {cfg.username!r} refused: {exc.smtp_code}") from None
        except smtplib.SMTPNotSupportedError as exc:
            conn.close()
            raise TransportConfigError(f"{cfg.host}:{cfg.port}: {exc}") from None
        except ssl.SSLError as exc:
            conn.close()
            raise TransportConfigError(f"STARTTLS with {cfg.host}:{cfg.port} failed: {exc}") from None
        except (OSError, smtplib.SMTPException) as exc:
            conn.close()
            raise DeliveryError(f"SMTP session with {cfg.host}:{cfg.port} failed: {exc}", permanent=False) from None
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def send(self, content: bytes, sender: str, recipient: str, on_end_of_data: Callable[[], None]) -> None:
        conn = self._conn or self._connect()
        try:
            code, reply = conn.mail(sender)
            if code != 250:
                raise _refusal("MAIL FROM", code, reply)
            code, reply = conn.rcpt(recipient)
            if code not in (250, 251):
                raise _refusal(f"RCPT TO <{recipient}>", code, reply)
            code, reply = conn.docmd("DATA")
            if code != 354:
                raise _refusal("DATA", code, reply)
            conn.send(dot_stuffed(content))
            on_end_of_data()
            conn.send(b".\r\n")
            code, reply = conn.getreply()
            if code != 250:
                raise _refusal("message", code, reply)
        except DeliveryError:
            self._reset()
            raise
        except (OSError, smtplib.SMTPException) as exc:
            self._abort()
            raise DeliveryError(f"SMTP connection lost: {exc}", permanent=False) from None
        except BaseException:
            self._abort()  # never let a half-written message be completed by a later command
            raise

    def _reset(self) -> None:
        """After a refusal the session is still usable once the transaction is reset."""
        if self._conn is None:
            return
        try:
            self._conn.rset()
        except (OSError, smtplib.SMTPException):
            self._abort()

    def _abort(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.quit()
        except (OSError, smtplib.SMTPException):
            self._conn.close()
        self._conn = None
