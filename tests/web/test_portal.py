"""The requester portal: report a case with the start form (form-js JSON), and the list of cases."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.services.cases.queries import list_cases
from engine.services.cases.start import start_case
from engine.services.context import ServiceContext
from engine.services.people.users import get_actor
from tests.helpers import INCOMPLETE_REVIEW, REPORT, Walker
from tests.web.conftest import login, post
from tests.web.portal_support import as_form_js, form_payload, location, submit_form

NEW = "/casos/nuevo"
XSS = "<script>alert('x')</script> & </script><b>negrita</b>"


def _only_case(ctx: ServiceContext, user: str = "solicitante") -> int:
    found = list_cases(ctx, get_actor(ctx, "auditor"))
    assert len(found) == 1 and found[0].requester == user
    return found[0].id


# --- the start form -------------------------------------------------------------------------------------------

def test_anonymous_is_sent_to_sign_in_and_back(client: FlaskClient) -> None:
    assert location(client.get(NEW)) == "/login?next=/casos/nuevo"
    assert location(client.get("/casos")) == "/login?next=/casos"


@pytest.mark.parametrize("user", ["solicitante", "nivel1", "dueno", "admin"])
def test_start_form_page_renders_the_deployed_form_for_form_js(client: FlaskClient, user: str) -> None:
    login(client, user)
    page = client.get(NEW)
    assert page.status_code == 200
    payload = form_payload(page.text, "reporte")
    assert payload["schema"]["id"] == "reportar_caso"
    assert {c["key"] for c in payload["schema"]["components"]} >= {"mesa", "asunto", "descripcion"}
    assert payload["data"]["canal"] == "portal"  # the start options' default channel
    assert payload["data"]["mesas"] == [  # the demo's active help desks, by name
        {"label": "Mesa de ayuda de Inversiones y Finanzas Públicas", "value": "inversiones"},
        {"label": "Mesa de ayuda de Tecnologías de la Información", "value": "ti"}]
    assert payload["errors"] == {} and payload["readOnly"] is False
    assert "vendor/form-js/form-viewer.umd.js" in page.text and "js/forms.js" in page.text
    assert "<noscript>" in page.text and "necesita JavaScript" in page.text
    assert ('name="a_nombre_de"' in page.text) == (user in ("nivel1", "admin"))


def test_auditors_may_not_report(client: FlaskClient) -> None:
    login(client, "auditor")
    assert client.get(NEW).status_code == 403
    assert submit_form(client, NEW, REPORT).status_code == 403


def test_a_valid_report_starts_the_case_and_opens_its_page(client: FlaskClient, sqlite_ctx: ServiceContext) -> None:
    login(client, "solicitante")
    response = submit_form(client, NEW, as_form_js(form_payload(client.get(NEW).text, "reporte"), REPORT))
    case_id = _only_case(sqlite_ctx)
    assert location(response) == f"/casos/{case_id}"
    page = client.get(f"/casos/{case_id}")
    assert "Caso registrado" in page.text and REPORT["asunto"] in page.text


def test_server_errors_come_back_on_the_fields_with_what_was_typed(client: FlaskClient,
                                                                   sqlite_ctx: ServiceContext) -> None:
    login(client, "solicitante")
    typed = {**REPORT, "asunto": "abc", "mesa": "no-existe", "descripcion": "Sigue fallando el tablero de control"}
    response = submit_form(client, NEW, typed)
    assert response.status_code == 422
    payload = form_payload(response.text, "reporte")
    assert set(payload["errors"]) == {"asunto", "mesa"}
    assert payload["data"]["descripcion"] == typed["descripcion"] and payload["data"]["asunto"] == "abc"
    assert [m["value"] for m in payload["data"]["mesas"]] == ["inversiones", "ti"]  # option lists still there
    assert "Revise los datos del formulario" in response.text and "<strong>Asunto</strong>" in response.text
    assert list_cases(sqlite_ctx, get_actor(sqlite_ctx, "auditor")) == []


def test_typed_keys_that_are_not_fields_are_not_echoed_back(client: FlaskClient) -> None:
    login(client, "solicitante")
    response = submit_form(client, NEW, {**REPORT, "asunto": "", "mesas": [{"label": "falsa", "value": "x"}]})
    assert response.status_code == 422
    assert [m["value"] for m in form_payload(response.text, "reporte")["data"]["mesas"]] == ["inversiones", "ti"]


@pytest.mark.parametrize("raw", ["", "no es json", "[1, 2]", '"texto"'])
def test_malformed_form_data_is_a_bad_request(client: FlaskClient, raw: str) -> None:
    login(client, "solicitante")
    response = post(client, NEW, {"datos": raw})
    assert response.status_code == 400 and "recargue la página" in response.text


def test_posting_without_the_csrf_token_is_refused(client: FlaskClient, sqlite_ctx: ServiceContext) -> None:
    login(client, "solicitante")
    assert client.post(NEW, data={"datos": json.dumps(REPORT)}).status_code == 400
    assert client.post(NEW, data={"datos": json.dumps(REPORT), "csrf_token": "otro"}).status_code == 400
    assert list_cases(sqlite_ctx, get_actor(sqlite_ctx, "auditor")) == []


def test_an_agent_registers_on_behalf_of_a_requester(client: FlaskClient, sqlite_ctx: ServiceContext) -> None:
    login(client, "nivel1")
    response = submit_form(client, NEW, REPORT, a_nombre_de=" Solicitante ")
    case_id = _only_case(sqlite_ctx, "solicitante")
    assert location(response) == f"/casos/{case_id}"
    assert "a nombre de solicitante" in client.get(f"/casos/{case_id}").text


def test_on_behalf_of_nobody_is_a_field_error_and_keeps_the_form(client: FlaskClient,
                                                                 sqlite_ctx: ServiceContext) -> None:
    login(client, "nivel1")
    response = submit_form(client, NEW, REPORT, a_nombre_de="fantasma")
    assert response.status_code == 422
    assert 'value="fantasma"' in response.text and 'aria-invalid="true"' in response.text
    assert "No hay un usuario activo con ese nombre." in response.text
    assert form_payload(response.text, "reporte")["data"]["asunto"] == REPORT["asunto"]
    assert list_cases(sqlite_ctx, get_actor(sqlite_ctx, "auditor")) == []


def test_a_requester_may_not_report_on_behalf_of_someone_else(client: FlaskClient) -> None:
    login(client, "solicitante")
    assert submit_form(client, NEW, REPORT, a_nombre_de="nivel2").status_code == 403
    assert submit_form(client, NEW, REPORT, a_nombre_de="no-existe").status_code == 403  # no account probing


def test_a_script_in_the_description_is_data_everywhere(client: FlaskClient, sqlite_ctx: ServiceContext) -> None:
    login(client, "solicitante")
    location(submit_form(client, NEW, {**REPORT, "asunto": "Falla <script>alert(1)</script>", "descripcion": XSS}))
    case_id = _only_case(sqlite_ctx)
    page = client.get(f"/casos/{case_id}").text
    assert "<script>alert" not in page and "</script><b>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;/script&gt;&lt;b&gt;negrita&lt;/b&gt;" in page
    assert "Falla &lt;script&gt;alert(1)&lt;/script&gt;" in page
    # In the JSON for form-js nothing can close the <script> element: <, >, & and ' are \\u-escaped.
    response = submit_form(client, NEW, {**REPORT, "asunto": "", "descripcion": XSS})
    assert response.status_code == 422
    assert "</script><b>" not in response.text and "alert('x')" not in response.text
    assert "\\u003cscript\\u003ealert(\\u0027x\\u0027)\\u003c/script\\u003e \\u0026" in response.text
    assert form_payload(response.text, "reporte")["data"]["descripcion"] == XSS


# --- Mis casos ------------------------------------------------------------------------------------------------

def test_requesters_see_only_their_cases_with_the_pending_action(app: Flask, sqlite_ctx: ServiceContext) -> None:
    walker = Walker(sqlite_ctx)
    waiting = walker.start()
    walker.complete("nivel1", INCOMPLETE_REVIEW)
    other = start_case(sqlite_ctx, get_actor(sqlite_ctx, "nivel2"), {**REPORT, "asunto": "Caso de otra persona"})
    client = app.test_client()
    login(client, "solicitante")
    page = client.get("/casos")
    assert page.status_code == 200
    assert f'href="/casos/{waiting.id}"' in page.text and f'href="/casos/{other.id}"' not in page.text
    assert "Debe atender:</strong> Completar información" in page.text and "row--pending" in page.text
    assert "Caso de otra persona" not in page.text


def test_staff_filter_by_open_closed_state_and_mine(app: Flask, sqlite_ctx: ServiceContext) -> None:
    first = Walker(sqlite_ctx).start()
    mine = start_case(sqlite_ctx, get_actor(sqlite_ctx, "nivel1"), {**REPORT, "asunto": "Reportado por nivel1"})
    client = app.test_client()
    login(client, "nivel1")
    everything = client.get("/casos").text
    assert f'href="/casos/{first.id}"' in everything and f'href="/casos/{mine.id}"' in everything
    assert "Solicitante" in everything  # staff columns
    only_mine = client.get("/casos?mios=1").text
    assert f'href="/casos/{first.id}"' not in only_mine and f'href="/casos/{mine.id}"' in only_mine
    assert f'href="/casos/{first.id}"' not in client.get("/casos?ver=cerrados").text
    assert f'href="/casos/{first.id}"' in client.get("/casos?ver=todos&estado=en+revisi%C3%B3n").text
    assert "No hay casos" in client.get("/casos?estado=cerrado").text
    assert client.get("/casos?ver=raro&pagina=x").status_code == 200  # nonsense falls back to the defaults


def test_the_list_pages_through_many_cases(app: Flask, sqlite_ctx: ServiceContext) -> None:
    requester = get_actor(sqlite_ctx, "solicitante")
    for number in range(27):
        start_case(sqlite_ctx, requester, {**REPORT, "asunto": f"Caso número {number:02d}"})
    client = app.test_client()
    login(client, "solicitante")
    first = client.get("/casos").text
    assert first.count('href="/casos/') - first.count('href="/casos/nuevo"') == 25
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/casos?pagina=2").text
    assert "Caso número 00" in second and "Caso número 26" not in second and 'rel="prev"' in second
    assert 'rel="next"' not in second


def test_auditors_list_every_case(app: Flask, sqlite_ctx: ServiceContext) -> None:
    case = Walker(sqlite_ctx).start()
    client = app.test_client()
    login(client, "auditor")
    page = client.get("/casos")
    assert page.status_code == 200 and f'href="/casos/{case.id}"' in page.text
    assert 'href="/casos/nuevo"' not in page.text
