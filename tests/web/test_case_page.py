"""The case page (data, tasks, history, comments, diagram), claiming, and the task form page."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.services.cases.notes import add_comment
from engine.services.cases.start import complete_task
from engine.services.context import ServiceContext
from engine.services.people.users import add_user, get_actor
from engine.services.views import CaseView
from tests.helpers import (
    ACCEPT,
    COMPLETE_REVIEW,
    INCOMPLETE_REVIEW,
    REPORT,
    SOLVE_AT_LEVEL2,
    Walker,
    emails,
)
from tests.web.conftest import login, make_app, post
from tests.web.portal_support import as_form_js, fill_and_submit, form_payload, location, submit_form, task_links


@pytest.fixture
def walker(sqlite_ctx: ServiceContext) -> Walker:
    """A case reported by the demo requester, waiting on level 1's review."""
    walker = Walker(sqlite_ctx)
    walker.start()
    return walker


@pytest.fixture
def case(walker: Walker) -> CaseView:
    """The walker's case."""
    assert walker.case is not None
    return walker.case


def _signed_in(app: Flask, user: str) -> FlaskClient:
    client = app.test_client()
    assert location(login(client, user)) != "/login"
    return client


def _other_requester(ctx: ServiceContext) -> None:
    add_user(ctx, "otra", "otra@demo.mesa.local", "solicitante", password="otra")


# --- the case page --------------------------------------------------------------------------------------------

def test_case_page_access(app: Flask, sqlite_ctx: ServiceContext, case: CaseView) -> None:
    path = f"/casos/{case.id}"
    assert location(app.test_client().get(path)) == f"/login?next={path}"
    for user in ("solicitante", "nivel1", "auditor", "dueno", "admin"):
        assert _signed_in(app, user).get(path).status_code == 200, user
    _other_requester(sqlite_ctx)
    assert _signed_in(app, "otra").get(path).status_code == 404
    assert _signed_in(app, "nivel1").get("/casos/9999").status_code == 404


def test_case_page_shows_what_is_needed_to_act(app: Flask, case: CaseView) -> None:
    page = _signed_in(app, "nivel1").get(f"/casos/{case.id}").text
    for text in ("Revisar y registrar caso", "Nivel 1", "ti-nivel1", "Mesa de ayuda de Tecnologías de la Información",
                 "SISCONPES", REPORT["descripcion"], "Tomar tarea", "Abrir formulario", "Todos los datos del caso",
                 'data-diagram-url="/casos/1/diagrama.json"', "Tiene una tarea pendiente"):
        assert text in page, text
    assert task_links(page) == [case.ready_tasks[0].id]
    requester_page = _signed_in(app, "solicitante").get(f"/casos/{case.id}").text
    assert "Tiene una tarea pendiente" not in requester_page and "Tomar tarea" not in requester_page
    assert task_links(requester_page) == [] and "Todos los datos del caso" not in requester_page


def _facts(page: str) -> dict[str, str]:
    """The case's data list: label → value as shown."""
    section = page.split('id="datos-titulo"', 1)[1].split("</dl>", 1)[0]
    return {dt: re.sub(r"\s+", " ", dd).strip()
            for dt, dd in re.findall(r"<dt>([^<]*)</dt><dd[^>]*>(.*?)</dd>", section, re.S)}


def test_case_data_shows_options_by_their_labels(app: Flask, walker: Walker) -> None:
    walker.complete("nivel1", COMPLETE_REVIEW, "Activity_RevisarRegistrar")
    case = walker.refresh()
    facts = _facts(_signed_in(app, "solicitante").get(f"/casos/{case.id}").text)
    assert (facts["Tipo de solicitud"], facts["Canal"], facts["Categoría"]) == (
        "Incidencia", "Portal web", "Software / aplicación")
    assert case.data["tipo"] == "incidencia"  # what is stored (and what the API returns) stays the value
    staff_page = _signed_in(app, "nivel1").get(f"/casos/{case.id}").text
    assert "<dt><code>tipo</code></dt><dd class=\"prewrap\">incidencia</dd>" in staff_page  # all data: raw
    task_page = _signed_in(app, "nivel1").get(f"/tareas/{case.ready_tasks[0].id}").text
    assert '<dt>Categoría</dt><dd class="prewrap">Software / aplicación</dd>' in task_page


def test_diagram_json_has_the_bpmn_and_the_path(app: Flask, sqlite_ctx: ServiceContext, case: CaseView) -> None:
    path = f"/casos/{case.id}/diagrama.json"
    assert location(app.test_client().get(path)) == f"/login?next={path}"
    body = _signed_in(app, "solicitante").get(path).get_json()
    assert "bpmn:definitions" in body["xml"] and "StartEvent_CasoReportado" in body["completed"]
    assert body["active"] == ["Activity_RevisarRegistrar"]
    _other_requester(sqlite_ctx)
    assert _signed_in(app, "otra").get(path).status_code == 404


def test_requesters_get_a_simplified_timeline(app: Flask, sqlite_ctx: ServiceContext, walker: Walker) -> None:
    walker.complete("nivel1", COMPLETE_REVIEW)
    walker.complete("nivel1", {"grupo_nivel2": "ti-nivel2-sistemas-informacion"})
    add_comment(sqlite_ctx, get_actor(sqlite_ctx, "nivel1"), walker.case.id, "Revisar el servidor 3", "internal")
    path = f"/casos/{walker.case.id}"
    staff = _signed_in(app, "nivel1").get(path).text
    for text in ("Paso automático: «Asignar número de ticket»", "Datos enviados", "Valores cambiados",
                 "Correos en cola: 1", "Escribió una nota interna", "Revisar el servidor 3", "Activity_EscalarNivel2",
                 "registrado → <strong>asignado a nivel 2</strong>", "<code>ticket</code>: — → TI-2026-000001"):
        assert text in staff, text
    requester = _signed_in(app, "solicitante").get(path).text
    assert "Completó «Revisar y registrar caso»" in requester and "asignado a nivel 2" in requester
    for text in ("Paso automático", "Datos enviados", "Correos en cola", "nota interna", "Revisar el servidor 3",
                 "Activity_EscalarNivel2", "Nota interna"):
        assert text not in requester, text


# --- comments -------------------------------------------------------------------------------------------------

def test_agents_write_internal_notes_and_replies(app: Flask, sqlite_ctx: ServiceContext, case: CaseView) -> None:
    agent = _signed_in(app, "nivel1")
    path = f"/casos/{case.id}/comentarios"
    assert 'value="internal" checked' in agent.get(f"/casos/{case.id}").text  # the safe default
    assert location(post(agent, path, {"cuerpo": "Nota solo para agentes", "visibilidad": "internal"})) \
        == f"/casos/{case.id}#comentarios"
    location(post(agent, path, {"cuerpo": "Estamos revisando su caso", "visibilidad": "public"}))
    assert [m.template for m in emails(sqlite_ctx, case.id)][-1] == "respuesta_caso"
    requester = _signed_in(app, "solicitante")
    page = requester.get(f"/casos/{case.id}").text
    assert "Estamos revisando su caso" in page and "Nota solo para agentes" not in page
    assert 'name="visibilidad" value="public"' in page and "Nota interna" not in page
    location(post(requester, path, {"cuerpo": "Gracias, quedo atenta"}))
    assert "Gracias, quedo atenta" in agent.get(f"/casos/{case.id}").text


def test_comment_errors_keep_the_text(app: Flask, case: CaseView) -> None:
    agent = _signed_in(app, "nivel1")
    long_text = "x" * 4001
    response = post(agent, f"/casos/{case.id}/comentarios", {"cuerpo": long_text, "visibilidad": "public"})
    assert response.status_code == 422
    assert long_text in response.text and "Escriba entre 1 y 4000 caracteres." in response.text
    assert 'value="public" checked' in response.text and 'aria-invalid="true"' in response.text


def test_comment_refusals(app: Flask, sqlite_ctx: ServiceContext, case: CaseView) -> None:
    path = f"/casos/{case.id}/comentarios"
    requester = _signed_in(app, "solicitante")
    assert post(requester, path, {"cuerpo": "¿interna?", "visibilidad": "internal"}).status_code == 403
    assert requester.post(path, data={"cuerpo": "sin token"}).status_code == 400
    auditor = _signed_in(app, "auditor")
    assert 'action="/casos/1/comentarios"' not in auditor.get(f"/casos/{case.id}").text
    assert post(auditor, path, {"cuerpo": "no"}).status_code == 403
    _other_requester(sqlite_ctx)
    assert post(_signed_in(app, "otra"), path, {"cuerpo": "hola"}).status_code == 404
    anonymous = app.test_client()
    assert anonymous.post(path, data={"cuerpo": "x"}).status_code == 400  # CSRF is checked first
    assert location(post(anonymous, path, {"cuerpo": "x"})) == f"/login?next={path}"


def test_a_script_in_a_comment_is_shown_as_text(app: Flask, case: CaseView) -> None:
    agent = _signed_in(app, "nivel1")
    location(post(agent, f"/casos/{case.id}/comentarios", {"cuerpo": "<script>alert(1)</script>",
                                                            "visibilidad": "public"}))
    page = _signed_in(app, "solicitante").get(f"/casos/{case.id}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- claim and release ----------------------------------------------------------------------------------------

def test_claim_and_release_from_the_case_page(app: Flask, sqlite_ctx: ServiceContext, case: CaseView) -> None:
    task = case.ready_tasks[0]
    base = f"/casos/{case.id}/tareas/{task.id}"
    agent = _signed_in(app, "nivel1")
    assert location(post(agent, f"{base}/tomar")) == f"/casos/{case.id}"
    page = agent.get(f"/casos/{case.id}").text
    assert "Tomó la tarea «Revisar y registrar caso»." in page and "Liberar tarea" in page
    add_user(sqlite_ctx, "nivel1b", "n1b@demo.mesa.local", "agente", groups=("ti-nivel1",), password="nivel1b")
    colleague = _signed_in(app, "nivel1b")
    assert location(post(colleague, f"{base}/tomar")) == f"/casos/{case.id}"  # conflict: flash, then the case
    assert "No se pudo: la tarea ya fue tomada por nivel1" in colleague.get(f"/casos/{case.id}").text
    assert location(post(agent, f"{base}/liberar", {"volver": "tarea"})) == f"/tareas/{task.id}"
    assert "Liberó la tarea" in agent.get(f"/tareas/{task.id}").text
    assert location(post(colleague, f"{base}/tomar", {"volver": "tarea"})) == f"/tareas/{task.id}"


def test_claim_refusals(app: Flask, sqlite_ctx: ServiceContext, case: CaseView) -> None:
    base = f"/casos/{case.id}/tareas/{case.ready_tasks[0].id}"
    assert post(_signed_in(app, "solicitante"), f"{base}/tomar").status_code == 403
    assert post(_signed_in(app, "auditor"), f"{base}/tomar").status_code == 403
    agent = _signed_in(app, "nivel1")
    assert agent.post(f"{base}/tomar").status_code == 400  # no CSRF token
    assert agent.post(f"{base}/liberar", data={"csrf_token": "otro"}).status_code == 400
    assert post(agent, f"/casos/{case.id}/tareas/no-existe/tomar").status_code == 404
    _other_requester(sqlite_ctx)
    assert post(_signed_in(app, "otra"), f"{base}/tomar").status_code == 404
    assert location(post(app.test_client(), f"{base}/tomar")) == f"/login?next={base}/tomar"


# --- the task page --------------------------------------------------------------------------------------------

def test_task_page_renders_the_form_with_values_and_options(app: Flask, walker: Walker) -> None:
    walker.complete("nivel1", COMPLETE_REVIEW)
    task = walker.task("Activity_EscalarNivel2")
    path = f"/tareas/{task.id}"
    assert location(app.test_client().get(path)) == f"/login?next={path}"
    page = _signed_in(app, "nivel1").get(path)
    assert page.status_code == 200
    payload = form_payload(page.text, "tarea")
    assert payload["schema"]["id"] == "escalar_nivel2" and payload["readOnly"] is False
    assert payload["data"]["grupo_nivel2"] == "ti-nivel2-sistemas-informacion"  # proposed by the matrix
    assert "ti-nivel2-infraestructura" in {option["value"] for option in payload["data"]["grupos_nivel2"]}
    assert 'id="tarea-envio"' in page.text and "Completar tarea" in page.text


def test_task_page_is_read_only_with_the_reason(app: Flask, sqlite_ctx: ServiceContext, case: CaseView) -> None:
    path = f"/tareas/{case.ready_tasks[0].id}"
    for user, reason in (("auditor", "Su rol solo permite consultar."),
                         ("nivel2", "La tarea corresponde a otro grupo o persona.")):
        page = _signed_in(app, user).get(path)
        assert page.status_code == 200, user
        assert reason in page.text and 'id="tarea-envio"' not in page.text
        assert form_payload(page.text, "tarea")["readOnly"] is True
    complete_task(sqlite_ctx, get_actor(sqlite_ctx, "nivel1"), case.ready_tasks[0].id, COMPLETE_REVIEW)
    done = _signed_in(app, "nivel1").get(path).text
    assert "ya no está pendiente" in done and "por nivel1" in done and 'id="tarea-envio"' not in done


def test_requesters_may_not_open_other_peoples_tasks(app: Flask, sqlite_ctx: ServiceContext, case: CaseView) -> None:
    path = f"/tareas/{case.ready_tasks[0].id}"
    assert _signed_in(app, "solicitante").get(path).status_code == 404  # the agents' working form
    _other_requester(sqlite_ctx)
    other = _signed_in(app, "otra")
    assert other.get(path).status_code == 404
    assert submit_form(other, path, COMPLETE_REVIEW).status_code == 404
    assert _signed_in(app, "nivel1").get("/tareas/no-existe").status_code == 404


def test_task_errors_come_back_on_the_fields(app: Flask, case: CaseView) -> None:
    path = f"/tareas/{case.ready_tasks[0].id}"
    agent = _signed_in(app, "nivel1")
    typed = {"informacion_completa": True, "categoria": "software", "impacto": "muy-alto",
             "observaciones_nivel1": "Revisado por teléfono"}
    response = submit_form(agent, path, typed)
    assert response.status_code == 422
    payload = form_payload(response.text, "tarea")
    assert set(payload["errors"]) == {"impacto", "urgencia"}
    assert payload["data"]["observaciones_nivel1"] == "Revisado por teléfono"
    assert payload["data"]["impacto"] == "muy-alto"
    assert "<strong>Urgencia</strong>" in response.text


def test_task_refusals(app: Flask, case: CaseView) -> None:
    path = f"/tareas/{case.ready_tasks[0].id}"
    assert submit_form(_signed_in(app, "nivel2"), path, COMPLETE_REVIEW).status_code == 403
    assert submit_form(_signed_in(app, "auditor"), path, COMPLETE_REVIEW).status_code == 403
    agent = _signed_in(app, "nivel1")
    assert agent.post(path, data={"datos": "{}"}).status_code == 400  # no CSRF token
    assert post(agent, path, {"datos": "no-json"}).status_code == 400
    assert location(submit_form(app.test_client(), path, {})) == f"/login?next={path}"


def test_a_task_completed_by_someone_else_is_a_clear_conflict(ctx: ServiceContext) -> None:
    app = make_app(ctx)
    walker = Walker(ctx)
    case = walker.start()
    path = f"/tareas/{case.ready_tasks[0].id}"
    late = _signed_in(app, "nivel1")
    opened = late.get(path)
    assert opened.status_code == 200
    walker.complete("admin", COMPLETE_REVIEW)
    response = submit_form(late, path, as_form_js(form_payload(opened.text, "tarea"), COMPLETE_REVIEW))
    assert location(response) == f"/casos/{case.id}"
    assert "Otra persona ya completó esta tarea" in late.get(f"/casos/{case.id}").text
    assert walker.refresh().state == "registrado"


# --- the link in the emails, and a whole case through the pages ------------------------------------------------

def test_an_email_link_leads_through_sign_in_to_the_pending_task(app: Flask, sqlite_ctx: ServiceContext,
                                                                  walker: Walker) -> None:
    case = walker.complete("nivel1", INCOMPLETE_REVIEW)
    mail = [m for m in emails(sqlite_ctx, case.id) if m.template == "solicitar_informacion"][-1]
    link = re.search(r"https?://\S+/casos/\d+", mail.body)
    assert link and link.group(0) == f"{sqlite_ctx.settings.base_url}/casos/{case.id}"
    path = link.group(0).removeprefix(sqlite_ctx.settings.base_url)
    client = app.test_client()
    sign_in = location(client.get(path))
    assert sign_in == f"/login?next={path}"
    assert f'name="next" value="{path}"' in client.get(sign_in).text
    assert location(login(client, "solicitante", next=path)) == path
    page = client.get(path).text
    pending = page.index("Tiene una tarea pendiente")
    assert pending < page.index("Datos del caso")
    assert page.index(f'href="/tareas/{case.ready_tasks[0].id}"') > pending
    assert "Completar información" in page


INBOX = "/bandeja"  # agents with nothing left on the case go back to their inbox


def test_a_whole_case_through_the_pages(ctx: ServiceContext) -> None:
    app = make_app(ctx)
    requester = _signed_in(app, "solicitante")
    case_path = location(fill_and_submit(requester, "/casos/nuevo", "reporte", REPORT))
    assert re.fullmatch(r"/casos/\d+", case_path)

    level1 = _signed_in(app, "nivel1")
    [review] = task_links(level1.get(case_path).text)
    assert location(fill_and_submit(level1, f"/tareas/{review}", "tarea", COMPLETE_REVIEW)) == case_path
    [escalate] = task_links(level1.get(case_path).text)  # Escalar a nivel 2, the agent's next task, comes first
    assert location(fill_and_submit(level1, f"/tareas/{escalate}", "tarea", {})) in (INBOX, case_path)

    level2 = _signed_in(app, "nivel2")
    [solve] = task_links(level2.get(case_path).text)
    assert location(fill_and_submit(level2, f"/tareas/{solve}", "tarea", SOLVE_AT_LEVEL2)) in (INBOX, case_path)

    page = requester.get(case_path).text
    assert "Tiene una tarea pendiente" in page and "Validar solución y calificar el servicio" in page
    [validate] = task_links(page)
    form = requester.get(f"/tareas/{validate}").text
    assert form_payload(form, "tarea")["data"]["solucion"] == SOLVE_AT_LEVEL2["solucion"]  # readonly, shown
    assert location(fill_and_submit(requester, f"/tareas/{validate}", "tarea", ACCEPT)) == case_path
    closed = requester.get(case_path).text
    assert "Tarea completada. El caso quedó cerrado." in closed
    assert "<strong data-case-state>cerrado</strong>" in closed and "badge--closed" in closed
    assert "El caso está cerrado." in closed and task_links(closed) == []
