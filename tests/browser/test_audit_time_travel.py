"""The auditor in the browser: opens a closed case's audit page from the menu, sees it on its diagram, travels
back step by step (state, data and diagram markers change), and verifies the case."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Cast, LiveApp
from tests.browser.pages import Person
from tests.helpers import ACCEPT, ESCALATE, LEVEL2, REPORT, REVIEW, VALIDATE, walk_to_validation

pytestmark = pytest.mark.browser

SUBJECT = REPORT["asunto"]


def diagram_marks(person: Person, element: str) -> tuple[int, int]:
    """How many times the element is drawn as completed and as active on the page's diagram."""
    diagram = person.page.locator(".diagram")
    expect(diagram.locator("svg").first).to_be_visible()
    base = f'[data-element-id="{element}"]'
    return diagram.locator(f"{base}.case-completed").count(), diagram.locator(f"{base}.case-active").count()


def test_the_auditor_travels_back_through_a_closed_case(cast: Cast, live_app: LiveApp) -> None:
    walk = walk_to_validation(live_app.ctx)
    walk.complete("solicitante", ACCEPT, VALIDATE)
    assert live_app.deliver_mail() == 3  # ticket, solution and closure notices: the history shows them sent

    auditor = cast.person("auditor")
    auditor.sign_in("/tablero", "tablero")
    auditor.nav("Auditoría de casos", "auditoria-de-casos")
    auditor.click_link(SUBJECT, "caso-ahora")
    expect(auditor.page.get_by_role("heading", level=1)).to_contain_text(f"Auditoría de TI-2026-000001 · {SUBJECT}")
    page = auditor.page
    travel = page.locator(".travel__moment")

    # Now (the last step): closed, nothing waits, the whole path green.
    expect(page.locator("[data-travel-step]")).to_have_text("Paso 5 de 5")
    expect(travel.locator("[data-travel-state]")).to_have_text("cerrado")
    expect(travel.locator("[data-travel-ready]")).to_have_text("ninguna")
    expect(page.locator(".diagram .case-active")).to_have_count(0)
    for element in (REVIEW, ESCALATE, LEVEL2, VALIDATE):
        assert diagram_marks(auditor, element) == (1, 0), element
    expect(page.locator('[data-email-status="sent"]')).to_have_count(3)

    # One step back: solved, waiting for the requester's validation.
    auditor.click_link("‹ Anterior", "paso-4")
    expect(page.locator("[data-travel-step]")).to_have_text("Paso 4 de 5")
    expect(travel.locator("[data-travel-state]")).to_have_text("solucionado")
    expect(travel.locator("[data-travel-ready]")).to_have_text("Validar solución y calificar el servicio")
    expect(travel.locator('tr[data-variable="solucion"][data-changed]')).to_contain_text(
        "Se limpió la caché del servidor de aplicaciones")
    expect(travel.locator('tr[data-variable="calificacion"]')).to_have_count(0)
    assert diagram_marks(auditor, VALIDATE) == (0, 1)
    assert diagram_marks(auditor, LEVEL2) == (1, 0)

    # Straight to step 2 from the list: registered with its ticket, waiting for the escalation.
    steps = page.get_by_role("navigation", name="Pasos del caso")
    auditor.click_link("Paso 2 ·", "paso-2", within=steps, exact=False)
    expect(page.locator("[data-travel-step]")).to_have_text("Paso 2 de 5")
    expect(travel.locator("[data-travel-state]")).to_have_text("registrado")
    expect(travel.locator("[data-travel-version]")).to_have_text("1")
    expect(travel.locator('tr[data-variable="ticket"][data-changed]')).to_contain_text("TI-2026-000001")
    assert diagram_marks(auditor, ESCALATE) == (0, 1)
    assert diagram_marks(auditor, REVIEW) == (1, 0)
    assert diagram_marks(auditor, LEVEL2) == (0, 0)

    # The verification: chain intact, replay identical at every step.
    auditor.click_link("Verificar el caso", "verificacion")
    expect(page.locator('[data-verdict="ok"]')).to_contain_text("Verificación correcta")
    expect(page.locator('[data-step-ok="true"]')).to_have_count(5)
    expect(page.locator('[data-step-ok="false"]')).to_have_count(0)
    assert auditor.posts == [f"{live_app.base_url}/login"]  # auditing changed nothing
