"""MESA_SMTP_URL parsing (every scheme, defaults, percent-decoding, errors) and the email built from a row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from engine.config import ConfigError
from engine.mail.smtp import DEFAULT_TIMEOUT, SmtpConfig, SmtpConfigError, build_message, parse_smtp_url


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.example.org", SmtpConfig("mail.example.org", 25, "plain")),
    ("smtp+starttls://mail.example.org", SmtpConfig("mail.example.org", 587, "starttls")),
    ("smtps://mail.example.org", SmtpConfig("mail.example.org", 465, "tls")),
    ("smtp://127.0.0.1:2525", SmtpConfig("127.0.0.1", 2525, "plain")),
    ("smtp+starttls://mail.example.org:25/", SmtpConfig("mail.example.org", 25, "starttls")),
    ("SMTPS://Mail.Example.ORG:10465", SmtpConfig("mail.example.org", 10465, "tls")),
    ("smtp://[::1]:2525", SmtpConfig("::1", 2525, "plain")),
    ("  smtp://relay  ", SmtpConfig("relay", 25, "plain")),
])
def test_schemes_hosts_and_default_ports(url: str, expected: SmtpConfig) -> None:
    assert parse_smtp_url(url) == expected


def test_credentials_and_timeout() -> None:
    config = parse_smtp_url("smtp+starttls://mesa:s3creta@smtp.example.org:587?timeout=10")
    assert (config.username, config.password, config.timeout) == ("mesa", "s3creta", 10.0)


def test_default_timeout_and_no_credentials() -> None:
    config = parse_smtp_url("smtp://relay")
    assert (config.username, config.password, config.timeout) == (None, None, DEFAULT_TIMEOUT)


def test_user_and_password_are_percent_decoded() -> None:
    config = parse_smtp_url("smtps://mesa%40dnp.gov.co:p%40ss%3Aw%2Frd%25%20x@smtp.example.org?timeout=2.5")
    assert config.username == "mesa@dnp.gov.co"
    assert config.password == "p@ss:w/rd% x"
    assert config.timeout == 2.5


def test_password_is_kept_out_of_repr() -> None:
    config = parse_smtp_url("smtp://mesa:s3creta@relay")
    assert "s3creta" not in repr(config)


@pytest.mark.parametrize(("url", "fragment"), [
    ("http://mail.example.org", "esquema http://"),
    ("mail.example.org:25", "esquema"),
    ("", "esquema (ninguno)"),
    ("smtp://", "falta el servidor"),
    ("smtp://:25", "falta el servidor"),
    ("smtp://mail example.org", "espacios"),
    ("smtp://mail.example.org:puerto", "puerto"),
    ("smtp://mail.example.org:70000", "puerto"),
    ("smtp://mail.example.org:0", "puerto"),
    ("smtp://mail.example.org/buzon", "ruta"),
    ("smtp://mail.example.org#x", "fragmento"),
    ("smtp://mail.example.org?timeout=0", "timeout='0'"),
    ("smtp://mail.example.org?timeout=-1", "mayor que cero"),
    ("smtp://mail.example.org?timeout=abc", "timeout='abc'"),
    ("smtp://mail.example.org?timeout=inf", "mayor que cero"),
    ("smtp://mail.example.org?timeout=", "timeout=''"),
    ("smtp://mail.example.org?tls=1", "parámetro 'tls' desconocido"),
    ("smtp://mesa@mail.example.org", "no tiene clave"),
    ("smtp://:clave@mail.example.org", "no usuario"),
])
def test_bad_urls_say_what_and_how(url: str, fragment: str) -> None:
    with pytest.raises(SmtpConfigError) as info:
        parse_smtp_url(url)
    message = str(info.value)
    assert message.startswith("MESA_SMTP_URL: ")
    assert fragment in message
    assert "smtp+starttls://usuario:clave@" in message  # how to write it
    assert isinstance(info.value, ConfigError)  # handled wherever settings errors are


def test_errors_never_echo_the_password() -> None:
    with pytest.raises(SmtpConfigError) as info:
        parse_smtp_url("smtp://mesa:s3creta@mail.example.org:99999")
    assert "s3creta" not in str(info.value)


@dataclass(frozen=True)
class _Row:
    message_id: str
    recipient: str
    subject: str
    body: str


def test_ascii_subject_is_kept_readable() -> None:
    row = _Row("<abc@mesa-de-ayuda>", "sofia@example.org", "[TI-1] Caso registrado", "Hola\n")
    raw = build_message(row, sender="mesa@example.org", date=datetime(2026, 12, 1, tzinfo=UTC)).as_bytes()
    assert b"\nSubject: [TI-1] Caso registrado\n" in raw


def test_message_headers_and_utf8_body() -> None:
    row = _Row("<abc@mesa-de-ayuda>", "sofia@example.org",
               "[TI-2026-000001] Su caso fue registrado en la Mesa de ayuda de Tecnologías de la Información",
               "Hola Sofía:\n\nSu solicitud «No carga» está en revisión. ¿Dudas? Escríbanos.\n")
    message = build_message(row, sender="Mesa de Ayuda DNP <mesa@example.org>",
                            date=datetime(2026, 12, 1, 14, 0, tzinfo=UTC))
    raw = message.as_bytes()
    assert raw.isascii()  # quoted-printable body, RFC 2047 subject: any relay passes it unchanged
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["From"] == "Mesa de Ayuda DNP <mesa@example.org>"
    assert parsed["To"] == "sofia@example.org"
    assert parsed["Subject"] == row.subject  # long: folded, yet decoded without a stray space
    assert max(len(line) for line in raw.splitlines()) <= 78
    assert parsed["Message-ID"] == "<abc@mesa-de-ayuda>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Date"].datetime == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content_charset() == "utf-8"
    assert parsed.get_content() == row.body
