"""A whole case in the browser: reported, registered and escalated by level 1, solved by level 2, validated
and rated by the requester through the link of the demo mail, and shown closed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from engine.forms.validate import REQUIRED
from tests.browser.conftest import Cast, LiveApp
from tests.browser.pages import FormJs, Inbox, Mailbox, Person, fill_report
from tests.helpers import ACCEPT, REPORT, SOLVE_AT_LEVEL2

pytestmark = pytest.mark.browser

SUBJECT = REPORT["asunto"]
DIAGNOSIS, SOLUTION = str(SOLVE_AT_LEVEL2["diagnostico"]), str(SOLVE_AT_LEVEL2["solucion"])
TICKET = "TI-2026-000001"  # the first ticket of the help desk "ti" in the year of the tests' clock (T0)
CONTACT = "Correo o teléfono de contacto"
LEVEL2_GROUP = "ti-nivel2-sistemas-informacion"  # what the escalation matrix proposes for SISCONPES
LEVEL2_GROUP_LABEL = "Nivel 2 · Sistemas de información"  # how the form shows that group
REVIEW_TASK = "Revisar y registrar caso"
ESCALATE_TASK = "Escalar a nivel 2"
SOLVE_TASK = "Analizar y solucionar"
VALIDATE_TASK = "Validar solución y calificar el servicio"


def report_with_errors_first(requester: Person) -> str:
    """Report the case, first with a contact the browser refuses, then one only the server refuses."""
    requester.nav("Reportar caso", "reportar-caso")
    form = FormJs(requester, "reporte")
    fill_report(form, {**REPORT, "contacto": "no es un contacto"})
    form.submit_refused("Registrar caso", "reporte-rechazado-por-el-navegador")
    expect(form.error_on(CONTACT)).to_be_visible()

    # Spaces match the contact pattern in the browser, but the server trims them: the field is empty.
    form.fill(CONTACT, " " * 8)
    form.submit("Registrar caso", "reporte-rechazado-por-el-servidor", status=422)
    summary = requester.page.locator("[data-error-summary]")
    expect(summary).to_contain_text(f"{CONTACT}: {REQUIRED}")
    expect(summary).to_be_focused()
    form = FormJs(requester, "reporte")
    expect(form.error_on(CONTACT)).to_have_text(REQUIRED)  # the server's message, on the field itself
    expect(form.input(CONTACT)).to_have_attribute("aria-invalid", "true")
    expect(form.input("Asunto")).to_have_value(SUBJECT)  # nothing typed is lost
    expect(form.shows("Tipo de solicitud")).to_have_text("Incidencia")

    form.fill(CONTACT, REPORT["contacto"])
    expect(form.error_on(CONTACT)).to_have_count(0)  # editing the field clears the server's error
    form.submit("Registrar caso", "caso-registrado")
    expect(requester.flash()).to_have_text("Caso registrado.")
    expect(requester.page).to_have_url(re.compile(r"/casos/\d+$"))
    return requester.path()


def assert_diagram(person: Person, *, active: str | None, completed: tuple[str, ...] = ()) -> None:
    """The bpmn-js diagram is drawn (an SVG) with the path taken in green and the waiting step in blue."""
    diagram = person.page.locator(".diagram")
    expect(diagram.locator("svg").first).to_be_visible()
    for element in ("StartEvent_CasoReportado", *completed):
        expect(diagram.locator(f'[data-element-id="{element}"].case-completed')).to_have_count(1)
    if active is None:
        expect(diagram.locator(".case-active")).to_have_count(0)
    else:
        expect(diagram.locator(".case-active")).to_have_count(1)
        expect(diagram.locator(f'[data-element-id="{active}"].case-active')).to_have_count(1)


def test_a_case_from_report_to_closure(cast: Cast, live_app: LiveApp) -> None:
    # The requester signs in, lands on "Mis casos" and reports the case.
    requester = cast.person("solicitante")
    requester.sign_in("/casos", "mis-casos-vacio")
    expect(requester.main()).to_contain_text("No hay casos abiertos")
    case_path = report_with_errors_first(requester)
    expect(requester.case_state()).to_have_text("en revisión")
    expect(requester.main()).to_contain_text("Aún sin ticket")
    assert_diagram(requester, active="Activity_RevisarRegistrar")

    requester.nav("Mis casos", "mis-casos")
    row = requester.page.locator("table.cases-table tbody tr").filter(has_text=SUBJECT)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Sin ticket")
    expect(row).to_contain_text("Abierto en revisión")
    expect(row.get_by_role("link", name=SUBJECT)).to_have_attribute("href", case_path)

    # Level 1 finds it in the inbox of its groups, registers it and gets a ticket.
    level1 = cast.person("nivel1")
    level1.sign_in("/bandeja", "bandeja-asignadas-a-mi")
    inbox = Inbox(level1)
    inbox.tab("De mis grupos", "bandeja-de-mis-grupos")
    expect(inbox.row(SUBJECT, REVIEW_TASK)).to_contain_text("Sin asignar")
    inbox.open_task(SUBJECT, REVIEW_TASK, "revisar-y-registrar")
    review = FormJs(level1, "tarea")
    missing = review.input("Información que debe completar el usuario")
    expect(missing).to_be_visible()  # the information is incomplete until the agent says otherwise
    review.tick("La información está completa para asignar ticket")
    expect(missing).to_have_count(0)
    review.choose("Categoría", "Software / aplicación")
    review.choose("Impacto", "Alto")
    review.choose("Urgencia", "Media")
    review.submit("Completar tarea", "caso-registrado-con-ticket")
    expect(level1.flash()).to_have_text("Tarea completada. Estado del caso: registrado.")
    expect(level1.page).to_have_url(live_app.base_url + case_path)  # the agent's next task is on this case
    expect(level1.page.get_by_role("heading", level=1)).to_have_text(f"{TICKET} · {SUBJECT}")
    expect(level1.case_state()).to_have_text("registrado")
    assert_diagram(level1, active="Activity_EscalarNivel2", completed=("Activity_RevisarRegistrar",))

    # Level 1 escalates: the escalation matrix already chose the level-2 group of the application.
    level1.open_pending(ESCALATE_TASK, "escalar-a-nivel-2")
    escalate = FormJs(level1, "tarea")
    expect(escalate.shows("Grupo de nivel 2")).to_have_text(LEVEL2_GROUP_LABEL)
    escalate.fill("Observaciones del escalamiento", "Error 500 reproducido; revisar el servidor de aplicaciones")
    escalate.submit("Completar tarea", "escalado-vuelve-a-la-bandeja")
    expect(level1.flash()).to_have_text("Tarea completada. Estado del caso: asignado a nivel 2.")
    expect(level1.page).to_have_url(live_app.base_url + "/bandeja")  # nothing left for level 1 on this case

    # Level 2 takes it from the inbox of its groups and solves it.
    level2 = cast.person("nivel2")
    level2.sign_in("/bandeja", "bandeja-asignadas-a-mi")
    inbox = Inbox(level2)
    inbox.tab("De mis grupos", "bandeja-de-mis-grupos")
    row = inbox.row(SUBJECT, SOLVE_TASK)
    expect(row.locator(".inbox-row__ticket")).to_have_text(TICKET)
    expect(row).to_contain_text(f"Grupos: {LEVEL2_GROUP}")
    level2.follow(row.get_by_role("button", name=re.compile(r"^Tomar")).click, "tarea-tomada")
    expect(level2.flash()).to_contain_text(f"Tomó la tarea «{SOLVE_TASK}»")
    inbox.tab("Asignadas a mí", "bandeja-asignadas-a-mi-con-la-tarea")
    expect(inbox.row(SUBJECT, SOLVE_TASK)).to_contain_text("nivel2 (usted)")
    inbox.open_task(SUBJECT, SOLVE_TASK, "analizar-y-solucionar")
    solve = FormJs(level2, "tarea")
    solve.fill("Diagnóstico", DIAGNOSIS)
    expect(solve.input("Grupo de nivel 3")).to_have_count(0)  # only shown when escalating to level 3
    solve.fill("Solución o respuesta", SOLUTION)
    solve.submit("Completar tarea", "solucionado-vuelve-a-la-bandeja")
    expect(level2.flash()).to_have_text("Tarea completada. Estado del caso: solucionado.")

    # The requester reads the notification in the demo mailbox and follows its link to the case.
    assert live_app.deliver_mail() >= 1
    mailbox = Mailbox(requester)
    mailbox.open_message("solicitante@demo.mesa.local", f"[{TICKET}] Su caso tiene una solución", "correo-solucion")
    expect(mailbox.body()).to_contain_text(SOLUTION)
    requester.follow(mailbox.link_to(case_path).click, "caso-por-validar")
    expect(requester.page).to_have_url(live_app.base_url + case_path)
    expect(requester.case_state()).to_have_text("solucionado")
    expect(requester.pending().get_by_role("heading")).to_have_text("Tiene una tarea pendiente en este caso")

    # ... validates the solution and rates the service.
    requester.open_pending(VALIDATE_TASK, "validar-y-calificar")
    validate = FormJs(requester, "tarea")
    expect(validate.input("Solución recibida")).to_have_value(SOLUTION)
    expect(validate.input("Solución recibida")).not_to_be_editable()
    expect(validate.input("Motivo del rechazo")).to_be_visible()
    validate.tick("La solución resuelve mi caso")
    expect(validate.input("Motivo del rechazo")).to_have_count(0)
    validate.fill("Calificación del servicio (1 a 5)", str(ACCEPT["calificacion"]))
    validate.fill("Comentarios", str(ACCEPT["comentario_validacion"]))
    validate.submit("Completar tarea", "caso-cerrado")

    # The case shows closed, with the whole path on the diagram and nothing left to do.
    expect(requester.page).to_have_url(live_app.base_url + case_path)
    expect(requester.flash()).to_have_text("Tarea completada. El caso quedó cerrado.")
    expect(requester.case_state()).to_have_text("cerrado")
    expect(requester.page.locator(".case-heading .badge")).to_have_text("Cerrado")
    expect(requester.page.locator("#tareas")).to_contain_text("El caso está cerrado.")
    expect(requester.pending()).to_have_count(0)
    assert_diagram(requester, active=None, completed=(
        "Activity_RevisarRegistrar", "Activity_EscalarNivel2", "Activity_AnalizarSolucionar",
        "Activity_ValidarSolucion"))

    # "Mis casos" lists it among the closed ones.
    requester.nav("Mis casos", "mis-casos-abiertos")
    expect(requester.main()).to_contain_text("No hay casos abiertos")
    requester.page.get_by_label("Mostrar").select_option(label="Cerrados")
    requester.follow(requester.page.get_by_role("button", name="Filtrar").click, "mis-casos-cerrados")
    row = requester.page.locator("table.cases-table tbody tr").filter(has_text=SUBJECT)
    expect(row).to_contain_text(TICKET)
    expect(row).to_contain_text("Cerrado cerrado")
