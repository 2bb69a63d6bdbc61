"""The process owners' pages: processes, versions with case counts, a version's diagram, diffs and upload."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from engine.db.models import Deployment
from engine.services.context import ServiceContext
from tests.conftest import FIXTURES
from tests.helpers import ACCEPT, Walker, walk_to_validation
from tests.integration.test_versions import LINEAL, PROCESS, lineal_v2
from tests.web.conftest import csrf_token, login

BROKEN = LINEAL.replace('camunda:formRef="lineal_a"', 'camunda:formRef="no_existe"')
SCRIPT_NAME = LINEAL.replace('name="Proceso lineal"', 'name="&lt;script&gt;alert(1)&lt;/script&gt;"')


def signed_in(app: Flask, user: str) -> FlaskClient:
    """A client signed in as a demo user."""
    client = app.test_client()
    login(client, user)
    return client


def upload(client: FlaskClient, bpmn: str = LINEAL, *, token: bool = True, **kwargs: Any) -> TestResponse:
    """POST the upload form with a diagram and the lineal forms."""
    data: dict[str, Any] = {
        "bpmn": (BytesIO(bpmn.encode("utf-8")), "lineal.bpmn"),
        "forms": [(BytesIO(path.read_bytes()), path.name) for path in sorted(FIXTURES.glob("lineal_*.form"))],
    }
    if token:
        data["csrf_token"] = csrf_token(client)
    return client.post("/procesos/desplegar", data=data, content_type="multipart/form-data", **kwargs)


def deployment_count(ctx: ServiceContext) -> int:
    """How many versions are stored."""
    with ctx.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Deployment)) or 0)


def test_owner_uploads_a_version_and_identical_content_adds_none(app: Flask, sqlite_ctx: ServiceContext) -> None:
    client = signed_in(app, "dueno")
    assert 'type="file"' in client.get("/procesos/desplegar").get_data(as_text=True)
    page = upload(client, follow_redirects=True)
    assert page.request.path == f"/procesos/{PROCESS}" and "Versión 1 desplegada" in page.get_data(as_text=True)
    count = deployment_count(sqlite_ctx)
    again = upload(client, follow_redirects=True).get_data(as_text=True)
    assert "Sin cambios: contenido idéntico a la versión 1" in again
    assert deployment_count(sqlite_ctx) == count


def test_a_refused_upload_lists_file_line_element_and_message_and_stores_nothing(
        app: Flask, sqlite_ctx: ServiceContext) -> None:
    client, count = signed_in(app, "admin"), deployment_count(sqlite_ctx)
    response = upload(client, BROKEN)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    line = next(i for i, text in enumerate(BROKEN.splitlines(), 1) if "no_existe" in text)
    assert "lineal.bpmn" in html and f'<td class="num">{line}</td>' in html
    assert "<code>Activity_A</code>" in html and "no_existe" in html
    assert deployment_count(sqlite_ctx) == count


def test_upload_without_the_csrf_token_is_400(app: Flask, sqlite_ctx: ServiceContext) -> None:
    count = deployment_count(sqlite_ctx)
    assert upload(signed_in(app, "dueno"), token=False).status_code == 400
    assert deployment_count(sqlite_ctx) == count


@pytest.mark.parametrize("user", ["auditor", "nivel1", "solicitante"])
def test_only_owners_and_admins_deploy(app: Flask, sqlite_ctx: ServiceContext, user: str) -> None:
    client, count = signed_in(app, user), deployment_count(sqlite_ctx)
    assert client.get("/procesos/desplegar").status_code == 403
    assert upload(client).status_code == 403
    assert deployment_count(sqlite_ctx) == count


def test_auditors_read_versions_and_agents_do_not(app: Flask) -> None:
    auditor, agent = signed_in(app, "auditor"), signed_in(app, "nivel1")
    assert '<a href="/procesos/" aria-current="page">Procesos</a>' in auditor.get("/procesos/").get_data(as_text=True)
    agent_home = agent.get("/bandeja/").get_data(as_text=True)
    assert "Bandeja</a>" in agent_home and 'href="/procesos/"' not in agent_home
    for path in ("/procesos/", "/procesos/mesa_de_ayuda", "/procesos/mesa_de_ayuda/1",
                 "/procesos/mesa_de_ayuda/1/diagrama.json", "/procesos/mesa_de_ayuda/diff?de=1&a=1"):
        assert auditor.get(path).status_code == 200, path
        assert agent.get(path).status_code == 403, path
    assert "Desplegar una versión" not in auditor.get("/procesos/").get_data(as_text=True)
    assert app.test_client().get("/procesos/").status_code == 302


def test_versions_page_counts_open_and_closed_cases(app: Flask, sqlite_ctx: ServiceContext) -> None:
    walk_to_validation(sqlite_ctx).complete("solicitante", ACCEPT)
    Walker(sqlite_ctx).start()
    Walker(sqlite_ctx).start()
    html = signed_in(app, "dueno").get("/procesos/mesa_de_ayuda").get_data(as_text=True)
    row = html.split("<tbody>")[1].split("</tr>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[0] == "1" and cells[1] == "dueno" and (cells[4], cells[5]) == ("2", "1")
    with sqlite_ctx.db.read() as session:
        full = session.scalar(select(Deployment.content_hash).where(Deployment.process_id == "mesa_de_ayuda")) or ""
    assert f'title="{full}">{full[:12]}</code>' in row


def test_a_versions_diagram_json_and_page(app: Flask, sqlite_ctx: ServiceContext) -> None:
    client = signed_in(app, "dueno")
    upload(client)
    diagram = client.get(f"/procesos/{PROCESS}/1/diagrama.json").get_json()
    assert diagram == {"xml": LINEAL, "completed": [], "active": []}
    page = client.get(f"/procesos/{PROCESS}/1").get_data(as_text=True)
    assert f'data-diagram-url="/procesos/{PROCESS}/1/diagrama.json"' in page and "js/diagram.js" in page
    assert client.get(f"/procesos/{PROCESS}/7").status_code == 404
    assert client.get("/procesos/no_existe").status_code == 404


def test_diff_page_shows_the_renamed_task_the_added_task_and_the_removed_flow(app: Flask) -> None:
    client = signed_in(app, "dueno")
    upload(client)
    upload(client, lineal_v2())
    assert 'name="de"' in client.get(f"/procesos/{PROCESS}").get_data(as_text=True)
    html = client.get(f"/procesos/{PROCESS}/diff?de=1&a=2").get_data(as_text=True)
    added, rest = html.split('id="agregados"')[1].split('id="eliminados"')
    removed, changed = rest.split('id="cambiados"')
    assert "Agregados (3)" in html and "<code>Activity_D</code>" in added and "Tarea D" in added
    assert "<code>Flow_5</code>" in removed and "Activity_" not in removed
    assert "Tarea A revisada" in changed and "Cambiados (3)" in html
    assert client.get(f"/procesos/{PROCESS}/diff?de=1", follow_redirects=True).request.path == f"/procesos/{PROCESS}"


def test_a_script_in_a_process_name_is_escaped(app: Flask) -> None:
    client = signed_in(app, "dueno")
    upload(client, SCRIPT_NAME)
    for path in ("/procesos/", f"/procesos/{PROCESS}", f"/procesos/{PROCESS}/1"):
        html = client.get(path).get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html, path
