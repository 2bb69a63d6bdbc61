"""The incomplete-information loop in the browser: level 1 asks for what is missing, the requester follows the
email's link on a phone, signs in and completes it, and the case is back in level 1's inbox for review."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Cast, LiveApp
from tests.browser.pages import FormJs, Inbox, Mailbox, fill_report
from tests.helpers import INCOMPLETE_REVIEW, REPORT

pytestmark = pytest.mark.browser

SUBJECT = REPORT["asunto"]
REVIEW_TASK = "Revisar y registrar caso"
COMPLETE_TASK = "Completar información"
MISSING = str(INCOMPLETE_REVIEW["informacion_faltante"])
ADDED = "Adjunto el pantallazo: el error aparece al abrir el tablero de control desde la VPN."


def test_level1_asks_for_missing_information_and_gets_it_back(cast: Cast, live_app: LiveApp) -> None:
    # The requester reports a case.
    requester = cast.person("solicitante")
    requester.sign_in("/casos", "mis-casos-vacio")
    requester.nav("Reportar caso", "reportar-caso")
    report = FormJs(requester, "reporte")
    fill_report(report, REPORT)
    report.submit("Registrar caso", "caso-registrado")
    expect(requester.flash()).to_have_text("Caso registrado.")
    case_path = requester.path()
    assert re.fullmatch(r"/casos/\d+", case_path), case_path

    # Level 1 finds the information incomplete and says what is missing.
    level1 = cast.person("nivel1")
    level1.sign_in("/bandeja", "bandeja-asignadas-a-mi")
    inbox = Inbox(level1)
    inbox.tab("De mis grupos", "bandeja-de-mis-grupos")
    inbox.open_task(SUBJECT, REVIEW_TASK, "revisar-y-registrar")
    review = FormJs(level1, "tarea")
    expect(review.input("La información está completa para asignar ticket")).not_to_be_checked()
    review.fill("Información que debe completar el usuario", MISSING)
    review.choose("Categoría", "Software / aplicación")
    review.choose("Impacto", "Medio")
    review.choose("Urgencia", "Media")
    review.submit("Completar tarea", "informacion-solicitada-vuelve-a-la-bandeja")
    expect(level1.flash()).to_have_text("Tarea completada. Estado del caso: pendiente de información.")
    expect(level1.page).to_have_url(live_app.base_url + "/bandeja")
    inbox.tab("De mis grupos", "bandeja-de-mis-grupos-sin-el-caso")
    expect(level1.page.locator("tr.inbox-row").filter(has_text=SUBJECT)).to_have_count(0)

    # The requester gets an email asking for the information, with the link to the case.
    assert live_app.deliver_mail() >= 1
    mailbox = Mailbox(requester)
    mailbox.open_message("solicitante@demo.mesa.local", "Complete la información de su caso", "correo-pide-informacion")
    expect(mailbox.body()).to_contain_text(MISSING)
    expect(mailbox.link_to(case_path)).to_be_visible()
    link = f"{live_app.base_url}{case_path}"

    # ... and opens it on a phone where nobody is signed in: the link goes through the sign-in page to the case.
    phone = cast.person("solicitante", phone=True, label="solicitante-movil")
    phone.visit(link, "enlace-del-correo-pide-iniciar-sesion")
    expect(phone.page).to_have_url(f"{live_app.base_url}/login?next={case_path}")
    phone.assert_fits_the_screen()
    phone.sign_in(case_path, "caso-pendiente-de-informacion", already_on_form=True)
    expect(phone.case_state()).to_have_text("pendiente de información")
    expect(phone.pending().get_by_role("heading")).to_have_text("Tiene una tarea pendiente en este caso")
    phone.assert_fits_the_screen()

    # The requester reads what the help desk asked for and completes it.
    phone.open_pending(COMPLETE_TASK, "completar-informacion")
    complete = FormJs(phone, "tarea")
    expect(complete.input("Información solicitada por la mesa de ayuda")).to_have_value(MISSING)
    expect(complete.input("Información solicitada por la mesa de ayuda")).not_to_be_editable()
    phone.assert_fits_the_screen()
    complete.fill("Información adicional", ADDED)
    complete.submit("Completar tarea", "informacion-completada")
    expect(phone.page).to_have_url(live_app.base_url + case_path)
    expect(phone.flash()).to_have_text("Tarea completada. Estado del caso: en revisión.")
    expect(phone.case_state()).to_have_text("en revisión")
    expect(phone.pending()).to_have_count(0)
    phone.assert_fits_the_screen()

    # Level 1 sees "Revisar y registrar caso" again, and on the case page what the requester added.
    inbox.tab("De mis grupos", "bandeja-de-mis-grupos-con-el-caso-de-nuevo")
    row = inbox.row(SUBJECT, REVIEW_TASK)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("en revisión")
    level1.follow(row.locator(".inbox-row__ticket").get_by_role("link").click, "caso-con-la-informacion")
    expect(level1.page.locator("#historial")).to_contain_text(f"solicitante: Completó «{COMPLETE_TASK}»")
    all_data = level1.page.locator("details.all-data")
    all_data.locator("summary").click()
    expect(all_data).to_contain_text(ADDED)
    level1.screenshot("caso-con-todos-los-datos")
    level1.open_pending(REVIEW_TASK, "revisar-y-registrar-de-nuevo")
    again = FormJs(level1, "tarea")
    expect(again.input("Información que debe completar el usuario")).to_be_visible()
