"""The demo mail sink (a real SMTP server) and the /correo pages."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask

from engine.mail.delivery import deliver_due
from engine.mail.sink import MailSink, list_mail, mail_folder, read_mail
from engine.services.context import ServiceContext
from tests.integration import walk_to_ticket
from tests.web.conftest import login, make_app, with_settings
from web.mailbox import linkify

BASE = "http://127.0.0.1:5000"


@pytest.fixture
def sink(sqlite_ctx: ServiceContext) -> Iterator[MailSink]:
    """The sink of the test instance, listening on a free port; always stopped."""
    running = MailSink(mail_folder(sqlite_ctx.settings.instance_path))
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def demo_ctx(sqlite_ctx: ServiceContext, sink: MailSink) -> ServiceContext:
    """Services in demo mode, their mail going to the sink."""
    return with_settings(sqlite_ctx, demo_mail=True, smtp_url=sink.url)


@pytest.fixture
def demo_app(demo_ctx: ServiceContext) -> Flask:
    """The app in demo mode."""
    return make_app(demo_ctx)


def send(sink: MailSink, subject: str, body: str, to: str = "sofia@example.org") -> None:
    """Hand a message to the sink over SMTP, as any client would."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "mesa@localhost", to, subject
    message["Date"] = "Tue, 01 Dec 2026 09:00:00 -0500"
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as client:
        client.send_message(message)


def test_mail_from_the_outbox_reaches_the_sink_and_the_page(demo_ctx: ServiceContext, demo_app: Flask) -> None:
    walk_to_ticket(demo_ctx)
    report = deliver_due(demo_ctx)
    assert report.sent == 1
    [stored] = list_mail(mail_folder(demo_ctx.settings.instance_path))
    assert stored.to == "solicitante@demo.mesa.local"
    assert stored.subject.startswith("[TI-2026-000001] Su caso fue registrado")
    client = demo_app.test_client()
    login(client, "solicitante")
    listing = client.get("/correo/").get_data(as_text=True)
    assert "solicitante@demo.mesa.local" in listing and f'href="/correo/{stored.id}"' in listing
    page = client.get(f"/correo/{stored.id}").get_data(as_text=True)
    assert "Hola Sofía Solicitante:" in page


def test_messages_are_listed_newest_first(demo_app: Flask, sink: MailSink) -> None:
    for subject in ("primero", "segundo", "tercero"):
        send(sink, subject, "cuerpo")
    assert [m.subject for m in list_mail(sink.folder)] == ["tercero", "segundo", "primero"]
    client = demo_app.test_client()
    login(client, "nivel1")
    html = client.get("/correo/").get_data(as_text=True)
    assert html.index("tercero") < html.index("segundo") < html.index("primero")


def test_a_message_is_escaped_and_only_links_to_this_site_are_clickable(demo_app: Flask, sink: MailSink) -> None:
    send(sink, "<b>asunto</b>", f"Hola <script>alert(1)</script>\nVea {BASE}/casos/1.\n"
                                 "Y no https://malo.example/robar ni javascript:alert(2)\n")
    [stored] = list_mail(sink.folder)
    client = demo_app.test_client()
    login(client, "solicitante")
    html = client.get(f"/correo/{stored.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;asunto&lt;/b&gt;" in html
    assert f'<a href="{BASE}/casos/1">{BASE}/casos/1</a>.' in html
    assert 'href="https://malo.example' not in html and "https://malo.example/robar" in html
    assert 'href="javascript' not in html


@pytest.mark.parametrize("mail_id", ["../secret_key", "..%2Fsecret_key", "nada.eml", "1-x.eml"])
def test_unknown_or_crafted_ids_are_404(demo_app: Flask, mail_id: str) -> None:
    client = demo_app.test_client()
    login(client, "solicitante")
    assert client.get(f"/correo/{mail_id}").status_code == 404


def test_reading_refuses_names_outside_the_folder(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("x")
    assert read_mail(tmp_path, "../secret_key") is None
    assert list_mail(tmp_path / "no-existe") == []


def test_in_demo_mode_anonymous_visitors_must_sign_in(demo_app: Flask) -> None:
    response = demo_app.test_client().get("/correo/")
    assert response.headers["Location"] == "/login?next=/correo/"


def test_outside_demo_mode_only_administrators_see_the_mailbox(app: Flask) -> None:
    requester, admin = app.test_client(), app.test_client()
    assert requester.get("/correo/").status_code == 404
    login(requester, "solicitante")
    assert requester.get("/correo/").status_code == 404
    assert "Correo de demostración" not in requester.get("/tablero").get_data(as_text=True)
    login(admin, "admin")
    assert admin.get("/correo/").status_code == 200


def test_the_menu_shows_the_mailbox_in_demo_mode(demo_app: Flask) -> None:
    client = demo_app.test_client()
    login(client, "auditor")
    html = client.get("/tablero").get_data(as_text=True)
    assert '<a href="/correo/">Correo de demostración</a>' in html
    assert "Modo demostración" in html


@pytest.mark.parametrize(("text", "html"), [
    (f"{BASE}/casos/1, listo", f'<a href="{BASE}/casos/1">{BASE}/casos/1</a>, listo'),
    (f"({BASE}/x?a=1&b=2)", f'(<a href="{BASE}/x?a=1&amp;b=2">{BASE}/x?a=1&amp;b=2</a>)'),
    (f"{BASE}", f'<a href="{BASE}">{BASE}</a>'),
    ("http://127.0.0.1:50001/casos", "http://127.0.0.1:50001/casos"),
    ("http://127.0.0.1:5000@malo.example/", "http://127.0.0.1:5000@malo.example/"),
    (f'{BASE}/"><script>', f'<a href="{BASE}/">{BASE}/</a>&#34;&gt;&lt;script&gt;'),
])
def test_linkify(text: str, html: str) -> None:
    assert str(linkify(text, BASE)) == html
