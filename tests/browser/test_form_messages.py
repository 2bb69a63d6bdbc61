"""The forms speak Spanish in the browser too: form-js's own English (validator messages, the empty select) is
shown in the server's wording, and choosing an option still shows it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engine.forms.validate import REQUIRED
from tests.browser.conftest import Cast
from tests.browser.pages import REPORT_OPTIONS, FormJs

pytestmark = pytest.mark.browser

MESA, TYPE, SUBJECT, DESCRIPTION = "Mesa de ayuda", "Tipo de solicitud", "Asunto", "Descripción"
ENGLISH = ("Field", "Value", "Select", "Please", "must", "required")


def test_the_report_form_refuses_in_spanish_and_selects_read_in_spanish(cast: Cast) -> None:
    requester = cast.person("solicitante")
    requester.sign_in("/casos", "mis-casos")
    requester.nav("Reportar caso", "reportar-caso")
    form = FormJs(requester, "reporte")
    expect(form.field(MESA).locator(".fjs-select-display")).to_have_text("Seleccione…")

    form.submit_refused("Registrar caso", "reporte-vacio-rechazado")
    expect(form.error_on(MESA)).to_have_text(REQUIRED)
    expect(form.error_on(SUBJECT)).to_have_text(REQUIRED)
    form.fill(SUBJECT, "VPN")
    form.fill(DESCRIPTION, "No sirve")
    expect(form.error_on(SUBJECT)).to_have_text("Debe tener al menos 5 caracteres.")
    expect(form.error_on(DESCRIPTION)).to_have_text("Debe tener al menos 10 caracteres.")
    requester.screenshot("errores-en-espanol")
    errors = form.root.locator(".fjs-form-field-error").all_inner_texts()
    assert errors and not [text for text in errors if any(word in text for word in ENGLISH)], errors

    # Choosing still works after the placeholder was translated: form-js writes the label into the same node.
    form.choose(MESA, REPORT_OPTIONS["mesa"]["ti"])
    form.shows_options_of("ti")  # the desk's catalogue and channels come in with a new import of the form
    form.choose(TYPE, REPORT_OPTIONS["tipo"]["peticion"])
    form.choose(TYPE, REPORT_OPTIONS["tipo"]["problema"])
    expect(form.error_on(MESA)).to_have_count(0)
