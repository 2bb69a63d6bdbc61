"""The export page: auditors, owners and administrators pick a filter and download the log."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from lxml import etree

from engine.services.context import ServiceContext
from tests.conftest import FIXTURES
from tests.helpers import walk_to_ticket
from tests.web.conftest import login

SCHEMA = etree.XMLSchema(etree.parse(str(FIXTURES / "xes" / "xes.xsd")))
PAGE = "/auditoria/exportar/"


@pytest.mark.parametrize("user", ["auditor", "dueno", "admin"])
def test_the_page_offers_help_desks_versions_and_formats(client: FlaskClient, user: str) -> None:
    login(client, user)
    page = client.get(PAGE).get_data(as_text=True)
    assert 'href="/auditoria/exportar/"' in page and ">Exportar registro</a>" in page  # in the menu
    assert '<option value="ti">' in page and '<option value="mesa_de_ayuda:1">' in page
    assert 'name="formato" value="xes"' in page and 'name="formato" value="csv"' in page


@pytest.mark.parametrize("user", ["nivel1", "solicitante"])
def test_agents_and_requesters_neither_see_nor_open_it(client: FlaskClient, user: str) -> None:
    login(client, user)
    assert ">Exportar registro</a>" not in client.get("/", follow_redirects=True).get_data(as_text=True)
    assert client.get(PAGE).status_code == 403
    assert client.get(PAGE + "descargar").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get(PAGE + "descargar?formato=csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_download_is_the_filtered_log(client: FlaskClient, sqlite_ctx: ServiceContext) -> None:
    walk_to_ticket(sqlite_ctx)
    login(client, "auditor")
    query = "formato=xes&mesa=ti&desde=2026-12-01&hasta=2026-12-01&proceso=mesa_de_ayuda:1&transiciones=todas"
    response = client.get(f"{PAGE}descargar?{query}")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/xml"
    assert response.headers["Content-Disposition"] == 'attachment; filename="mesa-ayuda.xes"'
    document = etree.fromstring(response.get_data())
    SCHEMA.assertValid(document)
    assert len(list(document.iter("trace"))) == 1
    later = client.get(f"{PAGE}descargar?formato=csv&desde=2026-12-02")
    assert later.get_data(as_text=True).splitlines() == [
        "case_id,ticket,activity,lifecycle,timestamp,resource,group,help_desk,process_id,process_version,event_seq"]


@pytest.mark.parametrize(("query", "message"), [
    ("desde=ayer", "Desde: &#39;ayer&#39; no es una fecha"), ("formato=pdf", "Elija el formato"),
    ("proceso=mesa_de_ayuda:uno", "versión del proceso"),
])
def test_a_wrong_field_shows_the_form_again_with_the_reason(client: FlaskClient, query: str, message: str) -> None:
    login(client, "auditor")
    response = client.get(f"{PAGE}descargar?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)
