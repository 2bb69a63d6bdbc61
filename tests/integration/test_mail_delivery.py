"""Outbox delivery against a real SMTP server (aiosmtpd) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select, update

from engine.clock import FixedClock
from engine.db.models import OutboxMessage
from engine.mail import delivery
from engine.mail.delivery import NOT_CONFIGURED, RETRY, DeliveryReport, claim_next, deliver_due
from engine.mail.outbox import queue_email
from engine.mail.smtp import send
from engine.services.context import ServiceContext
from tests.conftest import T0
from tests.integration import RecordingHandler, free_port, outbox, smtp_server, walk_to_ticket, with_smtp

VALUES = {"ticket": "TI-2026-000042", "mesa_nombre": "Mesa de ayuda de Tecnologías de la Información",
          "nombre": "Sofía Solicitante", "asunto": "No carga el tablero", "prioridad": "alta",
          "enlace_caso": "http://127.0.0.1:5000/casos/1"}


@pytest.fixture
def server() -> Iterator[tuple[str, RecordingHandler]]:
    """A running SMTP server that accepts everything (until a test changes handler.reply)."""
    with smtp_server() as running:
        yield running


def queue(ctx: ServiceContext, count: int = 1, recipient: str = "sofia@example.org") -> list[str]:
    """Queue `count` ticket emails in one committed transaction; returns their Message-IDs."""
    with ctx.db.write() as session:
        rows = [queue_email(session, case_id=None, template="notificar_ticket", recipient=recipient,
                            values=VALUES, now=ctx.clock.now()) for _ in range(count)]
        return [row.message_id for row in rows]


def test_ticket_email_from_the_process_reaches_the_server(ctx: ServiceContext,
                                                          server: tuple[str, RecordingHandler]) -> None:
    url, handler = server
    walk_to_ticket(ctx)
    [row] = outbox(ctx)
    assert (row.status, row.attempts, row.template) == ("pending", 0, "notificar_ticket")

    report = deliver_due(with_smtp(ctx, url))

    assert (report.enabled, report.sent, report.retried, report.failed) == (True, 1, 0, 0)
    assert [(o.outbox_id, o.status, o.attempt) for o in report.outcomes] == [(row.id, "sent", 1)]
    [envelope] = handler.envelopes
    assert envelope.mail_from == "mesadeayuda@localhost"
    assert envelope.rcpt_tos == ["solicitante@demo.mesa.local"]
    [message] = handler.messages()
    assert message["From"] == ctx.settings.mail_from
    assert message["To"] == "solicitante@demo.mesa.local"
    assert message["Subject"] == ("[TI-2026-000001] Su caso fue registrado en la "
                                  "Mesa de ayuda de Tecnologías de la Información")
    assert message["Message-ID"] == row.message_id
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"].datetime == T0
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert "Hola Sofía Solicitante:" in body
    assert '"No carga el tablero de control"' in body
    assert body.replace("\r\n", "\n") == row.body  # CRLF on the wire
    [sent] = outbox(ctx)
    assert (sent.status, sent.sent_at, sent.attempts, sent.last_error) == ("sent", T0, 1, None)


def test_sent_messages_are_not_sent_again(ctx: ServiceContext, server: tuple[str, RecordingHandler]) -> None:
    url, handler = server
    queue(ctx, 2)
    assert deliver_due(with_smtp(ctx, url)).sent == 2
    assert deliver_due(with_smtp(ctx, url)) == DeliveryReport(enabled=True)
    assert len(handler.envelopes) == 2


def test_limit_bounds_one_run(sqlite_ctx: ServiceContext, server: tuple[str, RecordingHandler]) -> None:
    url, handler = server
    queue(sqlite_ctx, 3)
    assert deliver_due(with_smtp(sqlite_ctx, url), limit=2).sent == 2
    assert deliver_due(with_smtp(sqlite_ctx, url), limit=2).sent == 1
    assert len({m["Message-ID"] for m in handler.messages()}) == 3


def test_without_smtp_url_messages_stay_pending(ctx: ServiceContext) -> None:
    queue(ctx)
    report = deliver_due(ctx)
    assert report == DeliveryReport(enabled=False, note=NOT_CONFIGURED)
    [row] = outbox(ctx)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, T0)


def test_server_down_backs_off_then_gives_up(ctx: ServiceContext, clock: FixedClock) -> None:
    mail = with_smtp(ctx, f"smtp://127.0.0.1:{free_port()}?timeout=2")
    queue(ctx)
    delays = [1, 2, 4, 8, 16, 32, 60]  # minutes: doubling, capped at one hour
    for attempt, minutes in enumerate(delays, start=1):
        [outcome] = deliver_due(mail).outcomes
        assert (outcome.status, outcome.attempt) == ("retry", attempt)
        [row] = outbox(ctx)
        assert (row.status, row.attempts) == ("pending", attempt)
        assert row.next_attempt_at == clock.now() + timedelta(minutes=minutes) == outcome.next_attempt_at
        assert row.last_error is not None and "Connection refused" in row.last_error
        clock.set(row.next_attempt_at - timedelta(seconds=1))
        assert deliver_due(mail).outcomes == ()  # not due yet
        clock.set(row.next_attempt_at)
    report = deliver_due(mail)
    assert (report.failed, report.outcomes[0].attempt) == (1, RETRY.max_attempts)
    [row] = outbox(ctx)
    assert (row.status, row.attempts, row.sent_at) == ("failed", 8, None)
    clock.advance(timedelta(days=1))
    assert deliver_due(mail).outcomes == ()  # given up for good


def test_server_down_stops_the_run_and_leaves_the_rest_untouched(sqlite_ctx: ServiceContext) -> None:
    queue(sqlite_ctx, 3)
    report = deliver_due(with_smtp(sqlite_ctx, f"smtp://127.0.0.1:{free_port()}?timeout=2"))
    assert report.retried == 1 and len(report.outcomes) == 1
    assert report.note is not None and "entrega detenida" in report.note
    assert [row.attempts for row in outbox(sqlite_ctx)] == [1, 0, 0]


def test_rejected_message_fails_with_the_servers_reply(ctx: ServiceContext,
                                                       server: tuple[str, RecordingHandler]) -> None:
    url, handler = server
    handler.reply = "550 5.7.1 Mensaje rechazado por politica"
    queue(ctx, 2)
    report = deliver_due(with_smtp(ctx, url))
    # A refusal of one message is about that message: the run goes on with the next one.
    assert (report.failed, report.note) == (2, None)
    for row in outbox(ctx):
        assert (row.status, row.attempts) == ("failed", 1)
        assert row.last_error == "SMTPDataError: 550 5.7.1 Mensaje rechazado por politica"
    assert handler.envelopes == []


def test_temporary_refusal_is_retried(ctx: ServiceContext, server: tuple[str, RecordingHandler],
                                      clock: FixedClock) -> None:
    url, handler = server
    handler.reply = "451 4.3.0 Intente mas tarde"
    queue(ctx)
    [outcome] = deliver_due(with_smtp(ctx, url)).outcomes
    assert (outcome.status, outcome.error) == ("retry", "SMTPDataError: 451 4.3.0 Intente mas tarde")
    handler.reply = "250 OK"
    clock.advance(timedelta(minutes=1))
    assert deliver_due(with_smtp(ctx, url)).sent == 1
    [row] = outbox(ctx)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 2, T0 + timedelta(minutes=1))


class RefuseRecipients(RecordingHandler):
    """Refuses every recipient at RCPT."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        return "550 5.1.1 Buzon inexistente"


def test_refused_recipient_fails(sqlite_ctx: ServiceContext) -> None:
    queue(sqlite_ctx, recipient="nadie@example.org")
    with smtp_server(RefuseRecipients()) as (url, _):
        report = deliver_due(with_smtp(sqlite_ctx, url))
    assert report.failed == 1
    [row] = outbox(sqlite_ctx)
    assert row.last_error == "SMTPRecipientsRefused: nadie@example.org: 550 5.1.1 Buzon inexistente"


def test_rolled_back_step_queues_nothing(ctx: ServiceContext, server: tuple[str, RecordingHandler]) -> None:
    url, handler = server
    with pytest.raises(RuntimeError, match="el paso falló"), ctx.db.write() as session:
        queue_email(session, case_id=None, template="notificar_ticket", recipient="sofia@example.org",
                    values=VALUES, now=ctx.clock.now())
        session.flush()  # the row really reached the database before the rollback
        raise RuntimeError("el paso falló")
    assert outbox(ctx) == []
    assert deliver_due(with_smtp(ctx, url)).outcomes == ()
    assert handler.envelopes == []


def test_crash_after_sending_resends_when_the_lease_runs_out(
        ctx: ServiceContext, server: tuple[str, RecordingHandler], clock: FixedClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    url, handler = server
    [message_id] = queue(ctx)

    def send_then_die(config: Any, message: EmailMessage) -> None:
        send(config, message)
        raise RuntimeError("proceso interrumpido")  # not an SMTP error: it must propagate

    monkeypatch.setattr(delivery, "send", send_then_die)
    with pytest.raises(RuntimeError, match="proceso interrumpido"):
        deliver_due(with_smtp(ctx, url))
    [row] = outbox(ctx)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, T0 + RETRY.lease)
    monkeypatch.setattr(delivery, "send", send)
    clock.set(T0 + RETRY.lease - timedelta(seconds=1))
    assert deliver_due(with_smtp(ctx, url)).outcomes == ()  # still leased
    clock.set(T0 + RETRY.lease)
    assert deliver_due(with_smtp(ctx, url)).sent == 1
    # At least once: the receiver got it twice, with one Message-ID to de-duplicate on.
    assert [m["Message-ID"] for m in handler.messages()] == [message_id, message_id]
    [row] = outbox(ctx)
    assert (row.status, row.attempts) == ("sent", 2)


def test_attempts_used_up_by_interrupted_sends_fail_without_sending(
        sqlite_ctx: ServiceContext, server: tuple[str, RecordingHandler]) -> None:
    url, handler = server
    queue(sqlite_ctx)
    with sqlite_ctx.db.write() as session:
        session.execute(update(OutboxMessage).values(attempts=RETRY.max_attempts))
    [outcome] = deliver_due(with_smtp(sqlite_ctx, url)).outcomes
    assert (outcome.status, outcome.attempt) == ("failed", RETRY.max_attempts + 1)
    [row] = outbox(sqlite_ctx)
    assert row.status == "failed" and row.last_error is not None and "interrumpido" in row.last_error
    assert handler.envelopes == []


class SlowRecorder(RecordingHandler):
    """Accepts slowly, so two deliverers really overlap."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)


def test_concurrent_deliverers_never_send_a_message_twice(ctx: ServiceContext) -> None:
    queued = set(queue(ctx, 20))
    barrier = threading.Barrier(2, timeout=30)

    def deliver() -> DeliveryReport:
        barrier.wait()
        return deliver_due(mail)

    with smtp_server(SlowRecorder()) as (url, handler):
        mail = with_smtp(ctx, url)
        with ThreadPoolExecutor(2) as pool:
            reports = [future.result() for future in [pool.submit(deliver), pool.submit(deliver)]]
    received = [m["Message-ID"] for m in handler.messages()]
    assert sorted(received) == sorted(queued)  # every message exactly once
    assert sum(r.sent for r in reports) == 20
    assert all(r.sent > 0 for r in reports), "both deliverers worked at the same time"
    assert {(row.status, row.attempts) for row in outbox(ctx)} == {("sent", 1)}


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_postgresql_claims_skip_a_message_another_worker_holds(ctx: ServiceContext) -> None:
    queue(ctx, 2)
    first, second = outbox(ctx)
    with ctx.db.write() as session:
        session.scalar(select(OutboxMessage).where(OutboxMessage.id == first.id).with_for_update())
        claimed = claim_next(ctx)  # another connection: must not wait for, nor take, the locked row
    assert claimed is not None and claimed.id == second.id


def test_login_uses_the_percent_decoded_credentials(sqlite_ctx: ServiceContext) -> None:
    seen: list[tuple[str, bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        seen.append((mechanism, data.login, data.password))
        return AuthResult(success=data.password == b"p@ss:w/rd", handled=False)

    queue(sqlite_ctx)
    with smtp_server(authenticator=authenticator, auth_require_tls=False) as (url, handler):
        url = url.replace("smtp://", "smtp://mesa%40dnp:p%40ss%3Aw%2Frd@")
        assert deliver_due(with_smtp(sqlite_ctx, url)).sent == 1
    assert [(login, password) for _, login, password in seen] == [(b"mesa@dnp", b"p@ss:w/rd")]
    assert len(handler.envelopes) == 1


def test_wrong_password_is_retried_not_failed(sqlite_ctx: ServiceContext) -> None:
    queue(sqlite_ctx, 2)
    refuse = lambda *_: AuthResult(success=False, handled=False)  # noqa: E731
    with smtp_server(authenticator=refuse, auth_require_tls=False) as (url, _):
        report = deliver_due(with_smtp(sqlite_ctx, url.replace("smtp://", "smtp://mesa:mala@")))
    # Credentials are about us, not the message: keep it for when the configuration is fixed.
    [outcome] = report.outcomes
    assert outcome.status == "retry" and outcome.error is not None
    assert outcome.error.startswith("SMTPAuthenticationError: 535")
    assert [row.attempts for row in outbox(sqlite_ctx)] == [1, 0]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("el comando openssl no está instalado: no se prueban las conexiones TLS")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert, key


def _server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_tls_connections_deliver_when_the_certificate_is_trusted(
        sqlite_ctx: ServiceContext, certificate: tuple[Path, Path], scheme: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # what ssl's default context trusts
    options = ({"tls_context": _server_tls(certificate), "require_starttls": True} if scheme == "smtp+starttls"
               else {"ssl_context": _server_tls(certificate)})
    queue(sqlite_ctx)
    with smtp_server(**options) as (url, handler):
        assert deliver_due(with_smtp(sqlite_ctx, url.replace("smtp://", f"{scheme}://"))).sent == 1
    assert len(handler.envelopes) == 1


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_tls_connections_refuse_an_untrusted_certificate(
        sqlite_ctx: ServiceContext, certificate: tuple[Path, Path], scheme: str) -> None:
    options = ({"tls_context": _server_tls(certificate), "require_starttls": True} if scheme == "smtp+starttls"
               else {"ssl_context": _server_tls(certificate)})
    queue(sqlite_ctx)
    with smtp_server(**options) as (url, handler):
        [outcome] = deliver_due(with_smtp(sqlite_ctx, url.replace("smtp://", f"{scheme}://"))).outcomes
    assert outcome.status == "retry" and outcome.error is not None
    assert "CERTIFICATE_VERIFY_FAILED" in outcome.error
    assert handler.envelopes == []
