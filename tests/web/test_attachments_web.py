"""Attachments through the case page: limits and types, downloads with safe headers, who may get them."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine.services.cases.files import MAX_BYTES, add_attachment, list_attachments
from engine.services.context import ServiceContext
from engine.services.people.users import add_user, get_actor
from engine.services.views import CaseView
from tests.helpers import Walker
from tests.web.conftest import csrf_token, login, make_app
from tests.web.portal_support import location
from web.attachments import REQUEST_LIMIT

PDF = b"%PDF-1.4\n% prueba\n"


@pytest.fixture
def case(sqlite_ctx: ServiceContext) -> CaseView:
    """A case reported by the demo requester."""
    return Walker(sqlite_ctx).start()


def _signed_in(app: Flask, user: str) -> FlaskClient:
    client = app.test_client()
    location(login(client, user))
    return client


def _upload(client: FlaskClient, case_id: int, name: str, content: bytes, **fields: str) -> TestResponse:
    data = {"archivo": (io.BytesIO(content), name), "csrf_token": csrf_token(client), **fields}
    return client.post(f"/casos/{case_id}/adjuntos", data=data, content_type="multipart/form-data")


def _download(client: FlaskClient, path: str) -> TestResponse:
    """GET a download and close it (send_file streams from an open file, as a WSGI server would close it)."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


def _download_links(html: str) -> list[str]:
    return re.findall(r'href="(/adjuntos/[0-9a-f-]{36})"', html)


def test_upload_form_states_the_limits(app: Flask, case: CaseView) -> None:
    page = _signed_in(app, "solicitante").get(f"/casos/{case.id}").text
    assert 'enctype="multipart/form-data"' in page and 'name="archivo"' in page
    assert "Hasta 10 MB. Tipos permitidos: .csv, .docx" in page and 'accept=".csv,.docx,' in page
    assert "Solo para agentes" not in page
    assert "Solo para agentes" in _signed_in(app, "nivel1").get(f"/casos/{case.id}").text


def test_upload_then_download_with_safe_headers(app: Flask, sqlite_ctx: ServiceContext, case: CaseView) -> None:
    client = _signed_in(app, "solicitante")
    response = _upload(client, case.id, "Pantallazo del error.pdf", PDF)
    assert location(response) == f"/casos/{case.id}#adjuntos"
    page = client.get(f"/casos/{case.id}").text
    assert "Se adjuntó «Pantallazo del error.pdf»." in page and "Adjuntó el archivo" in page
    [link] = _download_links(page)
    download = _download(client, link)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "Pantallazo" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert "no-store" in download.headers["Cache-Control"]
    assert _download(_signed_in(app, "nivel1"), link).status_code == 200
    assert _download(_signed_in(app, "auditor"), link).status_code == 200


def test_text_files_download_as_text_never_as_a_page(app: Flask, case: CaseView) -> None:
    client = _signed_in(app, "solicitante")
    location(_upload(client, case.id, "registro.txt", "<html><script>alert(1)</script> ñ".encode()))
    [link] = _download_links(client.get(f"/casos/{case.id}").text)
    download = _download(client, link)
    assert download.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert download.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(("name", "content", "message"), [
    ("pagina.html", b"<html></html>", "Tipo de archivo no permitido"),
    ("programa.exe", b"MZ\x90\x00", "Tipo de archivo no permitido"),
    ("falso.pdf", b"<script>no soy un pdf</script>", "El contenido no corresponde a un archivo .pdf."),
    ("vacio.txt", b"", "El archivo debe tener entre 1 byte y 10 MB."),
    ("binario.txt", b"\xff\xfe\x00", "El archivo de texto debe estar en UTF-8."),
])
def test_refused_files_come_back_with_the_reason(app: Flask, sqlite_ctx: ServiceContext, case: CaseView,
                                                 name: str, content: bytes, message: str) -> None:
    response = _upload(_signed_in(app, "solicitante"), case.id, name, content)
    assert response.status_code == 422
    assert message in response.text and 'aria-invalid="true"' in response.text
    assert list_attachments(sqlite_ctx, get_actor(sqlite_ctx, "auditor"), case.id) == []


def test_no_file_is_a_field_error(app: Flask, case: CaseView) -> None:
    client = _signed_in(app, "solicitante")
    response = client.post(f"/casos/{case.id}/adjuntos", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 422 and "Seleccione un archivo." in response.text


def test_too_large_gets_a_friendly_413(sqlite_ctx: ServiceContext, case: CaseView) -> None:
    app = make_app(sqlite_ctx, MAX_CONTENT_LENGTH=4096)
    client = _signed_in(app, "solicitante")
    response = _upload(client, case.id, "grande.pdf", PDF + b"0" * 8192)
    assert response.status_code == 413
    assert "Archivo demasiado grande" in response.text and "hasta 10 MB" in response.text
    assert f'href="/casos/{case.id}#adjuntos"' in response.text
    assert list_attachments(sqlite_ctx, get_actor(sqlite_ctx, "auditor"), case.id) == []


def test_request_bodies_are_capped_by_default(app: Flask) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == REQUEST_LIMIT
    assert MAX_BYTES < REQUEST_LIMIT < MAX_BYTES + 1024 * 1024


def test_who_may_upload_and_download(app: Flask, sqlite_ctx: ServiceContext, case: CaseView) -> None:
    internal = add_attachment(sqlite_ctx, get_actor(sqlite_ctx, "nivel1"), case.id, "interno.txt", b"solo agentes",
                              "internal")
    public = add_attachment(sqlite_ctx, get_actor(sqlite_ctx, "solicitante"), case.id, "publico.txt", b"hola")
    requester = _signed_in(app, "solicitante")
    page = requester.get(f"/casos/{case.id}").text
    assert "publico.txt" in page and "interno.txt" not in page
    assert _download(requester, f"/adjuntos/{internal.id}").status_code == 404
    assert _download(requester, f"/adjuntos/{public.id}").status_code == 200
    assert _download(_signed_in(app, "nivel1"), f"/adjuntos/{internal.id}").status_code == 200
    add_user(sqlite_ctx, "otra", "otra@demo.mesa.local", "solicitante", password="otra")
    other = _signed_in(app, "otra")
    assert _download(other, f"/adjuntos/{public.id}").status_code == 404
    assert other.get("/adjuntos/no-existe").status_code == 404
    assert _upload(other, case.id, "a.txt", b"hola").status_code == 404
    assert _upload(_signed_in(app, "auditor"), case.id, "a.txt", b"hola").status_code == 403
    assert _upload(requester, case.id, "a.txt", b"hola", visibilidad="internal").status_code == 403
    anonymous = app.test_client()
    assert location(_download(anonymous, f"/adjuntos/{public.id}")) == f"/login?next=/adjuntos/{public.id}"
    assert location(_upload(anonymous, case.id, "a.txt", b"hola")) == f"/login?next=/casos/{case.id}/adjuntos"


def test_agents_attach_internal_files(app: Flask, sqlite_ctx: ServiceContext, case: CaseView) -> None:
    agent = _signed_in(app, "nivel1")
    location(_upload(agent, case.id, "diagnostico.txt", b"detalle interno", visibilidad="internal"))
    [stored] = list_attachments(sqlite_ctx, get_actor(sqlite_ctx, "nivel1"), case.id)
    assert stored.visibility == "internal" and "Interno" in agent.get(f"/casos/{case.id}").text
    assert list_attachments(sqlite_ctx, get_actor(sqlite_ctx, "solicitante"), case.id) == []


def test_upload_without_the_csrf_token_is_refused(app: Flask, sqlite_ctx: ServiceContext, case: CaseView) -> None:
    client = _signed_in(app, "solicitante")
    data = {"archivo": (io.BytesIO(PDF), "a.pdf")}
    assert client.post(f"/casos/{case.id}/adjuntos", data=data, content_type="multipart/form-data").status_code == 400
    assert list_attachments(sqlite_ctx, get_actor(sqlite_ctx, "auditor"), case.id) == []


def test_file_names_are_escaped(app: Flask, case: CaseView) -> None:
    client = _signed_in(app, "solicitante")
    location(_upload(client, case.id, "<img src=x onerror=alert(1)>.txt", b"hola"))
    page = client.get(f"/casos/{case.id}").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;.txt" in page


def test_uploads_work_on_every_database(ctx: ServiceContext) -> None:
    case = Walker(ctx).start()
    client = _signed_in(make_app(ctx), "solicitante")
    location(_upload(client, case.id, "captura.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16))
    [link] = _download_links(client.get(f"/casos/{case.id}").text)
    assert _download(client, link).headers["Content-Type"] == "image/png"
