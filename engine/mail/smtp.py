"""SMTP: parse MESA_SMTP_URL, build an outbox message as an email, send it with smtplib."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal, Protocol
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from engine.config import ConfigError

Security = Literal["plain", "starttls", "tls"]
# scheme -> (how the connection is protected, default port)
SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("plain", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}
DEFAULT_TIMEOUT = 30.0
_EXAMPLE = "p. ej. smtp+starttls://usuario:clave@smtp.ejemplo.org:587?timeout=10"


class SmtpConfigError(ConfigError):
    """MESA_SMTP_URL cannot be used; the message says what is wrong and how to write it."""


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to hand mail over to the SMTP server."""

    host: str
    port: int
    security: Security = "plain"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT


class OutgoingEmail(Protocol):
    """What an email is built from (an outbox row or a copy of one)."""

    @property
    def message_id(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def body(self) -> str: ...


def parse_smtp_url(url: str) -> SmtpConfig:
    """Read `smtp://`, `smtp+starttls://` or `smtps://[usuario[:clave]@]host[:puerto][?timeout=s]`."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise _error(f"el esquema {parts.scheme + '://' if parts.scheme else '(ninguno)'} no se admite; "
                     "use smtp:// (sin cifrado), smtp+starttls:// (STARTTLS) o smtps:// (TLS implícito)")
    security, default_port = SCHEMES[scheme]
    host = parts.hostname
    if not host or any(ch.isspace() for ch in parts.netloc):
        raise _error("falta el servidor o contiene espacios (smtp://servidor:puerto)")
    if parts.path not in ("", "/") or parts.fragment:
        raise _error("no lleva ruta ni fragmento: solo [usuario[:clave]@]servidor[:puerto][?timeout=segundos]")
    username, password = _credentials(parts.username, parts.password)
    return SmtpConfig(host=host, port=_port(parts, default_port), security=security,
                      username=username, password=password, timeout=_timeout(parts.query))


def _error(problem: str) -> SmtpConfigError:
    return SmtpConfigError(f"MESA_SMTP_URL: {problem} ({_EXAMPLE})")


def _port(parts: SplitResult, default: int) -> int:
    try:
        port = parts.port
    except ValueError as exc:
        raise _error("el puerto debe ser un número entre 1 y 65535") from exc
    if port == 0:
        raise _error("el puerto debe ser un número entre 1 y 65535")
    return default if port is None else port


def _credentials(raw_user: str | None, raw_password: str | None) -> tuple[str | None, str | None]:
    # Percent-decoding lets a password hold '@', ':' or '/' (write them as %40, %3A, %2F).
    username = unquote(raw_user) if raw_user else None
    password = unquote(raw_password) if raw_password is not None else None
    if password is not None and not username:
        raise _error("hay clave pero no usuario (usuario:clave@servidor)")
    if username and not password:
        raise _error(f"el usuario {username!r} no tiene clave (usuario:clave@servidor)")
    return username, password


def _timeout(query: str) -> float:
    timeout = DEFAULT_TIMEOUT
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name != "timeout":
            raise _error(f"parámetro {name!r} desconocido; el único admitido es timeout (segundos)")
        try:
            timeout = float(value)
        except ValueError:
            timeout = 0.0
        if not 0 < timeout < float("inf"):
            raise _error(f"timeout={value!r} debe ser un número de segundos mayor que cero")
    return timeout


def build_message(email: OutgoingEmail, *, sender: str, date: datetime) -> EmailMessage:
    """The email for an outbox message; its Message-ID lets receivers drop a retried duplicate."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.recipient
    _set_subject(message, email.subject)
    message["Date"] = format_datetime(date)
    message["Message-ID"] = email.message_id
    # RFC 3834: tells auto-responders (vacation replies) not to answer a machine.
    message["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps the message 7-bit clean, so relays without 8BITMIME pass it unchanged.
    message.set_content(email.body, subtype="plain", charset="utf-8", cte="quoted-printable")
    return message


def _set_subject(message: EmailMessage, subject: str) -> None:
    if subject.isascii():
        message["Subject"] = subject
        return
    # Python 3.11's header folder leaves a space before a fold ahead of an encoded word, so readers show
    # "de  Tecnologías" (CPython gh-144156). Encoded words only, stored as is, decode to the exact text.
    message.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode())


def send(config: SmtpConfig, message: EmailMessage) -> None:
    """Hand one message to the SMTP server; smtplib errors (all OSError) propagate to the caller."""
    context = ssl.create_default_context()
    client = (smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=context)
              if config.security == "tls" else smtplib.SMTP(config.host, config.port, timeout=config.timeout))
    try:
        if config.security == "starttls":
            client.starttls(context=context)
        if config.username:
            client.login(config.username, config.password or "")
        client.send_message(message)
        # The server accepted the message at DATA: a failing QUIT must not turn that into a retry.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            client.quit()
    finally:
        client.close()
