"""First run of an install without --demo, in the browser: the administrator creates a dependency, a help desk, its
groups and members, prepares its protocol (a file imported, then edited as YAML, a bad edit refused), compares it
with the current one and publishes it; then a requester reports a case to that desk in the browser and the agents
(through the engine services) walk it to closure."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from engine.services.cases.start import get_case
from engine.services.context import ServiceContext
from engine.services.people.users import add_user, get_actor
from engine.setup.bootstrap import initialise
from tests.browser.conftest import Cast, LiveApp, serve_live_app
from tests.browser.pages import FormJs, Person
from tests.helpers import ACCEPT, COMPLETE_REVIEW, ESCALATE, LEVEL2, REVIEW, SOLVE_AT_LEVEL2, VALIDATE, Walker

pytestmark = pytest.mark.browser

# Who exists after `mesa-ayuda init` and `mesa-ayuda users add`: nobody belongs to a help desk yet.
PEOPLE = (("admin", "admin"), ("sofia", "solicitante"), ("agente1", "agente"), ("agente2", "agente"))
DESK_NAME = "Mesa de ayuda de Tecnologías de la Información"
SERVICES = [{"nombre": "SISCONPES", "descripcion": "Seguimiento de documentos CONPES", "grupo_nivel2": "ti-nivel2",
             "grupo_nivel3": "ti-nivel3-proveedor"},
            {"nombre": "Correo electrónico", "descripcion": "Buzones institucionales", "grupo_nivel2": "ti-nivel2"}]


def _fresh_install(ctx: ServiceContext) -> None:
    initialise(ctx, "admin")
    for username, role in PEOPLE:
        add_user(ctx, username, f"{username}@example.org", role, password=username)


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[LiveApp]:
    """Like tests/browser/conftest.py's, but a fresh install: the schema and process deployed, four users, no demo."""
    with serve_live_app(tmp_path, _fresh_install) as app:
        yield app


def submit(person: Person, form: str, button: str, shot: str, *, status: int = 200) -> None:
    """Press a button of the form named by its heading or label and wait for the answer."""
    person.follow(person.page.locator(form).get_by_role("button", name=button).click, shot, status=status)


def build_desk(admin: Person) -> None:
    """Dependency, help desk, a level-3 provider group and one member per level."""
    admin.nav("Mesas de ayuda", "mesas-vacio")
    expect(admin.main()).to_contain_text("No hay mesas de ayuda")
    admin.click_link("Dependencias", "dependencias-vacio", within=admin.main())
    admin.page.get_by_label("Código").fill("otsi")
    admin.page.get_by_label("Nombre").fill("Oficina de Tecnologías y Sistemas de Información")
    admin.page.get_by_label("Tipo").select_option(label="Dirección")
    submit(admin, "form:has(#tipo)", "Agregar", "dependencia-agregada")
    expect(admin.flash()).to_have_text("Dependencia agregada.")
    admin.click_link("← Mesas de ayuda", "mesas-con-dependencia")
    admin.page.get_by_label("Código").fill("ti")
    admin.page.get_by_label("Nombre").fill(DESK_NAME)
    admin.page.get_by_label("Prefijo de los tickets").fill("TI")
    submit(admin, "form:has(#prefijo)", "Crear mesa", "mesa-creada")
    expect(admin.page).to_have_url(admin.base_url + "/mesas/ti")
    admin.page.get_by_label("Nuevo grupo").fill("ti-nivel3-proveedor")
    admin.page.get_by_label("Nivel", exact=True).select_option("3")
    admin.page.get_by_label("Proveedor / ente externo (nivel 3)").check()
    submit(admin, "form[aria-label='Agregar un grupo']", "Agregar grupo", "grupo-nivel3")
    for group, user in (("ti-nivel1", "agente1"), ("ti-nivel2", "agente2"), ("ti-nivel3-proveedor", "agente2")):
        admin.page.get_by_label(f"Usuario para {group}").fill(user)
        submit(admin, f"[data-group='{group}']", "Agregar", f"miembro-{group}")
        expect(admin.page.locator(f"[data-group='{group}'] .members")).to_contain_text(user)
    expect(admin.page.locator("[data-group='ti-nivel3-proveedor']")).to_contain_text("Proveedor / ente externo")


def prepare_protocol(admin: Person, tmp_path: Path) -> None:
    """A draft from the default protocol, the catalogue imported from a file, a bad edit refused, a good one saved."""
    admin.click_link("Preparar una versión nueva", "sin-borrador")
    submit(admin, "main", "Crear borrador", "borrador-creado")
    text = admin.page.get_by_label("Protocolo (YAML)").input_value()
    document = yaml.safe_load(text)
    document["catalogo"]["servicios"] = SERVICES
    exported = tmp_path / "protocolo-ti.yaml"
    exported.write_text(yaml.safe_dump({"notas": "Primera versión", "protocolo": document}, allow_unicode=True),
                        encoding="utf-8")
    admin.page.locator("#archivo").set_input_files(str(exported))
    submit(admin, "form[aria-label='Importar un archivo']", "Importar como borrador", "borrador-importado")
    expect(admin.flash()).to_contain_text("importado como borrador")
    editor = admin.page.get_by_label("Protocolo (YAML)")
    expect(editor).to_have_value(re.compile("SISCONPES"))
    document = yaml.safe_load(editor.input_value())
    document["calendario"]["horario"]["viernes"] = ["08:00-13:00", "12:00-16:00"]
    editor.fill(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    submit(admin, "form:has(#documento)", "Guardar borrador", "borrador-rechazado", status=422)
    expect(admin.page.locator("[data-problems]")).to_contain_text(
        "calendario.horario.viernes: los intervalos 08:00-13:00 y 12:00-16:00 se superponen")
    document["calendario"]["horario"]["viernes"] = ["08:00-12:00", "13:00-16:00"]
    admin.page.get_by_label("Protocolo (YAML)").fill(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    submit(admin, "form:has(#documento)", "Guardar borrador", "borrador-guardado")
    expect(admin.flash()).to_have_text("Borrador guardado.")


def compare_and_publish(admin: Person) -> None:
    """The side-by-side diff (every row added: there is no current version yet), then publish."""
    admin.click_link("Comparar con la versión vigente", "diferencias", exact=True)
    expect(admin.page.get_by_role("heading", level=1)).to_have_text(
        "Borrador frente a ninguna versión (primera publicación)")
    expect(admin.page.locator("[data-table]")).to_have_count(10)
    expect(admin.page.locator("[data-table='reglas_ans']")).to_contain_text("registro")
    expect(admin.page.locator("[data-table='catalogo'] [data-row='SISCONPES']")).to_have_attribute(
        "data-status", "agregado")
    expect(admin.page.locator("[data-table='horario'] [data-row='viernes']")).to_contain_text("13:00-16:00")
    admin.click_link("← Borrador de " + DESK_NAME, "borrador-de-nuevo")
    submit(admin, "section[aria-labelledby='publicar-titulo'] form.form-row", "Publicar versión", "mesa-publicada")
    expect(admin.flash()).to_contain_text("Versión 1 publicada")
    expect(admin.page.locator(".protocol-state")).to_have_text("vigente")
    expect(admin.main()).to_contain_text("Seguimiento de documentos CONPES")


def report_case(requester: Person) -> int:
    """The requester reports a SISCONPES incident to the new desk."""
    requester.nav("Reportar caso", "reportar-caso")
    form = FormJs(requester, "reporte")
    form.choose("Mesa de ayuda", DESK_NAME)
    # The catalogue is a searchable select: type part of the name, pick the option.
    application = form.field("Aplicación o servicio")
    application.locator("input").fill("SISC")
    application.locator(".fjs-dropdownlist-item").filter(has_text="SISCONPES").click()
    expect(application.locator("input")).to_have_value("SISCONPES")
    form.choose("Tipo de solicitud", "Incidencia")
    form.fill("Asunto", "No carga el tablero de control")
    form.fill("Descripción", "Al ingresar al tablero aparece un error 500 desde esta mañana.")
    form.choose("Canal de atención", "Portal web")
    form.fill("Correo o teléfono de contacto", "sofia@example.org")
    form.submit("Registrar caso", "caso-registrado")
    expect(requester.flash()).to_have_text("Caso registrado.")
    match = re.search(r"/casos/(\d+)$", requester.path())
    assert match, requester.path()
    return int(match.group(1))


def test_an_admin_sets_up_the_first_help_desk_and_a_case_runs_to_closure(
        cast: Cast, live_app: LiveApp, tmp_path: Path) -> None:
    admin = cast.person("admin")
    admin.sign_in("/tablero", "tablero")
    build_desk(admin)
    prepare_protocol(admin, tmp_path)
    compare_and_publish(admin)

    requester = cast.person("sofia")
    requester.sign_in("/casos", "mis-casos")
    case_id = report_case(requester)
    ctx = live_app.ctx
    walk = Walker(ctx)
    walk.case = get_case(ctx, get_actor(ctx, "admin"), case_id)
    assert walk.waiting_on() == [REVIEW] and walk.task().candidate_groups == ("ti-nivel1",)
    case = walk.complete("agente1", COMPLETE_REVIEW, REVIEW)
    assert case.ticket == "TI-2026-000001" and case.data["grupo_nivel2"] == "ti-nivel2"
    walk.complete("agente1", {"grupo_nivel2": "ti-nivel2"}, ESCALATE)
    walk.complete("agente2", SOLVE_AT_LEVEL2, LEVEL2)
    case = walk.complete("sofia", ACCEPT, VALIDATE)
    assert (case.state, case.closed_at is not None) == ("cerrado", True)
    requester.visit(f"/casos/{case_id}", "caso-cerrado")
    expect(requester.case_state()).to_have_text("cerrado")
