"""The inbox pages: tabs and counts, filters, sorting, paging, due markers, claim/release/reassign, access."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from flask import Blueprint, Flask, url_for
from flask.testing import FlaskClient

from engine.clock import FixedClock
from engine.services.cases import start as cases
from engine.services.cases import tasks
from engine.services.context import ServiceContext
from engine.services.inbox.queries import find_open_task
from engine.services.people.desks import HelpDeskSpec, add_help_desk
from engine.services.people.users import add_user, get_actor
from engine.workflow import runtime
from tests.conftest import T0
from tests.helpers import COMPLETE_REVIEW, INCOMPLETE_REVIEW, REPORT, Walker, publish_default_protocol
from tests.web.conftest import login, make_app, post
from web.inbox import Badge, due_badge, priority_badge

ROW = re.compile(r'<tr class="inbox-row[^"]*" data-task-id="([^"]+)">.*?</tr>', re.S)
TAB = re.compile(r'<a href="([^"]+)"(?: aria-current="page")?>\s*(.+?) <span class="inbox-tabs__count">(\d+)<')
FLASH = re.compile(r'<p class="flash flash--(\w+)">(.*?)</p>', re.S)
ACTION = '<form method="post" action="/bandeja/tareas/'


@dataclass(frozen=True)
class Desk:
    """Four open cases of the demo help desk, reported ten minutes apart, each waiting on another step.

    Task ids; created in the order info, review, escalate, level2, so each sort gives another order.
    """

    app: Flask
    ctx: ServiceContext
    info: str  # case 1, 'Completar información', the requester's, priority 50, due 8 Dec 14:00 UTC
    review: str  # case 2, 'Revisar y registrar caso', VPN, level 1, priority 50, due 2 Dec 14:10 UTC
    escalate: str  # case 3, 'Escalar a nivel 2', SISCONPES, level 1, priority 70, due 2 Dec 14:20 UTC
    level2: str  # case 4, 'Analizar y solucionar', SUIFP, level 2, priority 70, due 4 Dec 14:30 UTC

    def client(self, user: str) -> FlaskClient:
        """A client signed in as a user."""
        client = self.app.test_client()
        assert login(client, user).status_code == 302
        return client

    def assignee(self, task_id: str) -> str | None:
        """Who the task is assigned to now (read through the engine)."""
        return find_open_task(self.ctx, get_actor(self.ctx, "auditor"), task_id).assignee


def _report(ctx: ServiceContext, **changes: str) -> Walker:
    walk = Walker(ctx)
    walk.start({**REPORT, **changes})
    return walk


def build_desk(ctx: ServiceContext, clock: FixedClock) -> Desk:
    """The four cases and a second level-1 agent (nivel1b)."""
    add_user(ctx, "nivel1b", "nivel1b@example.org", "agente", groups=["ti-nivel1"], full_name="Beatriz Nivel Uno")
    info = _report(ctx, asunto="Pantallazo pendiente")
    info.complete("nivel1", INCOMPLETE_REVIEW)
    clock.advance(timedelta(minutes=10))
    review = _report(ctx, aplicacion="VPN", asunto="Sin acceso remoto a la VPN")
    clock.advance(timedelta(minutes=10))
    escalate = _report(ctx, asunto="No carga el tablero de control")
    escalate.complete("nivel1", COMPLETE_REVIEW)
    clock.advance(timedelta(minutes=10))
    level2 = _report(ctx, aplicacion="SUIFP", asunto="Error al guardar el proyecto")
    level2.complete("nivel1", COMPLETE_REVIEW)
    assert level2.case is not None
    level2.complete("nivel1", {"grupo_nivel2": level2.case.data["grupo_nivel2"]}, "Activity_EscalarNivel2")
    return Desk(make_app(ctx), ctx, info.task().id, review.task().id, escalate.task().id, level2.task().id)


@pytest.fixture
def desk(ctx: ServiceContext, clock: FixedClock) -> Desk:
    """The four cases on SQLite and PostgreSQL."""
    return build_desk(ctx, clock)


@pytest.fixture
def lite_desk(sqlite_ctx: ServiceContext, clock: FixedClock) -> Desk:
    """The four cases on SQLite (for what the database does not change)."""
    return build_desk(sqlite_ctx, clock)


def page(client: FlaskClient, **query: str | int) -> str:
    """The inbox page's HTML (asserting 200)."""
    response = client.get("/bandeja", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def rows(text: str) -> dict[str, str]:
    """Task id -> row HTML, in page order."""
    return {match[1]: match[0] for match in ROW.finditer(text)}


def tabs(text: str) -> dict[str, tuple[int, str]]:
    """Tab label -> (count, link)."""
    return {label.strip(): (int(count), html.unescape(href)) for href, label, count in TAB.findall(text)}


def flashes(text: str) -> list[tuple[str, str]]:
    """(category, message) of the flash messages, unescaped."""
    return [(category, html.unescape(message)) for category, message in FLASH.findall(text)]


def test_anonymous_visitors_go_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/bandeja?vista=grupos")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert post(client, "/bandeja/tareas/x/tomar").status_code == 302


def test_tabs_and_counts_for_level1_and_level2(desk: Desk) -> None:
    nivel1 = desk.client("nivel1")
    first = page(nivel1)
    assert {k: v[0] for k, v in tabs(first).items()} == {
        "Asignadas a mí": 0, "De mis grupos": 2, "Todas las que puedo ver": 4}
    assert rows(first) == {} and "No tiene tareas asignadas" in first
    assert list(rows(page(nivel1, vista="grupos"))) == [desk.review, desk.escalate]
    assert set(rows(page(nivel1, vista="todas"))) == {desk.review, desk.escalate, desk.level2, desk.info}
    nivel2 = desk.client("nivel2")
    assert {k: v[0] for k, v in tabs(page(nivel2)).items()} == {
        "Asignadas a mí": 0, "De mis grupos": 1, "Todas las que puedo ver": 4}
    assert list(rows(page(nivel2, vista="grupos"))) == [desk.level2]
    post(nivel1, f"/bandeja/tareas/{desk.review}/tomar")
    mine = page(nivel1)
    assert tabs(mine)["Asignadas a mí"][0] == 1 and list(rows(mine)) == [desk.review]
    assert "nivel1 <span class=\"muted\">(usted)</span>" in rows(mine)[desk.review]


def test_rows_show_the_task_the_case_and_link_to_both(lite_desk: Desk) -> None:
    row = rows(page(lite_desk.client("nivel1"), vista="grupos"))[lite_desk.escalate]
    case_id = find_open_task(lite_desk.ctx, get_actor(lite_desk.ctx, "auditor"), lite_desk.escalate).case_id
    for text in ("TI-2026-", "No carga el tablero de control", "Escalar a nivel 2", "Nivel 1", "SISCONPES",
                 '<abbr title="Mesa de ayuda de Tecnologías de la Información">TI</abbr>', "registrado",
                 "Sin asignar", "Grupos: ti-nivel1", '<span class="badge badge--alta">alta</span>', "2026-12-02 09:20"):
        assert text in row, text
    assert f'href="/casos/{case_id}"' in row and f'href="/tareas/{lite_desk.escalate}"' in row


def test_links_go_to_the_portal_pages_once_they_exist(sqlite_ctx: ServiceContext) -> None:
    task_id = _report(sqlite_ctx).task().id
    app = make_app(sqlite_ctx)
    if "portal.case_page" not in app.view_functions:
        portal = Blueprint("portal", __name__, url_prefix="/portal")
        portal.add_url_rule("/c/<int:case_id>", "case_page", lambda case_id: "")
        portal.add_url_rule("/t/<task_id>", "task_page", lambda task_id: "")
        app.register_blueprint(portal)
    client = app.test_client()
    login(client, "nivel1")
    with app.test_request_context():
        expected = (url_for("portal.task_page", task_id=task_id), url_for("portal.case_page", case_id=1))
    row = rows(page(client, vista="grupos"))[task_id]
    assert all(f'href="{url}"' in row for url in expected)


def test_filters_narrow_the_list_and_stay_in_the_tab_links(desk: Desk) -> None:
    auditor = desk.client("auditor")
    assert list(rows(page(auditor, aplicacion="VPN"))) == [desk.review]
    assert list(rows(page(auditor, texto="GUARDAR"))) == [desk.level2]
    assert list(rows(page(auditor, estado="pendiente de información"))) == [desk.info]
    assert len(rows(page(auditor, mesa="ti"))) == 4
    none = page(auditor, mesa="otra")
    assert rows(none) == {} and "Ninguna tarea coincide con los filtros" in none
    nivel1 = page(desk.client("nivel1"), vista="grupos", aplicacion="SISCONPES", orden="prioridad")
    assert list(rows(nivel1)) == [desk.escalate]
    assert {k: v[0] for k, v in tabs(nivel1).items()} == {
        "Asignadas a mí": 0, "De mis grupos": 1, "Todas las que puedo ver": 2}
    assert tabs(nivel1)["Todas las que puedo ver"][1] == "/bandeja?vista=todas&orden=prioridad&aplicacion=SISCONPES"


def test_sorting_changes_the_order(desk: Desk) -> None:
    auditor = desk.client("auditor")
    r, e, l2, i = desk.review, desk.escalate, desk.level2, desk.info
    assert list(rows(page(auditor))) == [r, e, l2, i] == list(rows(page(auditor, orden="vencimiento")))
    assert list(rows(page(auditor, orden="prioridad"))) == [e, l2, r, i]
    assert list(rows(page(auditor, orden="creacion"))) == [i, r, e, l2]


def test_pages_of_tasks_and_lenient_parameters(lite_desk: Desk) -> None:
    auditor = lite_desk.client("auditor")
    first = page(auditor, orden="creacion", limite=3)
    assert list(rows(first)) == [lite_desk.info, lite_desk.review, lite_desk.escalate]
    assert 'href="/bandeja?vista=todas&amp;orden=creacion&amp;limite=3&amp;desde=3" rel="next"' in first
    second = page(auditor, orden="creacion", limite=3, desde=3)
    assert list(rows(second)) == [lite_desk.level2] and 'rel="prev"' in second and 'rel="next"' not in second
    assert "No hay tareas en esta página" in page(auditor, desde=40)
    assert len(rows(page(auditor, vista="mias", orden="nombre", limite="abc", desde="-1"))) == 4


def test_overdue_and_due_soon_follow_the_engine_clock(lite_desk: Desk, clock: FixedClock) -> None:
    auditor = lite_desk.client("auditor")

    def marks() -> dict[str, list[str]]:
        found = rows(page(auditor))
        return {task: re.findall(r'badge--(?:vencida|pronto)">([^<]+)<', row) for task, row in found.items()}

    assert marks() == {lite_desk.review: ["Vence pronto"], lite_desk.escalate: ["Vence pronto"],
                       lite_desk.level2: [], lite_desk.info: []}
    clock.set(datetime(2026, 12, 2, 15, 0, tzinfo=UTC))
    assert marks() == {lite_desk.review: ["Vencida"], lite_desk.escalate: ["Vencida"],
                       lite_desk.level2: [], lite_desk.info: []}
    clock.set(datetime(2026, 12, 3, 15, 0, tzinfo=UTC))
    assert marks()[lite_desk.level2] == ["Vence pronto"]
    assert 'class="inbox-row inbox-row--vencida"' in rows(page(auditor))[lite_desk.review]


def test_claim_and_release_redirect_back_to_the_same_list(desk: Desk) -> None:
    nivel1 = desk.client("nivel1")
    back = "vista=grupos&orden=prioridad&texto=VPN"
    response = post(nivel1, f"/bandeja/tareas/{desk.review}/tomar", {"volver": back})
    assert (response.status_code, response.headers["Location"]) == (302, "/bandeja?" + back)
    assert desk.assignee(desk.review) == "nivel1"
    listing = nivel1.get(response.headers["Location"]).get_data(as_text=True)
    assert flashes(listing) == [("success", "Tomó la tarea «Revisar y registrar caso» del caso #2.")]
    row = rows(listing)[desk.review]
    assert "/liberar" in row and "/tomar" not in row
    response = post(nivel1, f"/bandeja/tareas/{desk.review}/liberar", {"volver": back}, follow_redirects=True)
    assert desk.assignee(desk.review) is None
    assert flashes(response.get_data(as_text=True))[0][1].startswith("Liberó la tarea «Revisar y registrar caso»")


def test_claiming_a_task_someone_else_took_says_so(desk: Desk) -> None:
    nivel1 = desk.client("nivel1")
    assert "/tomar" in rows(page(nivel1, vista="grupos"))[desk.review]
    tasks.claim_task(desk.ctx, get_actor(desk.ctx, "nivel1b"), desk.review)  # while nivel1's page is open
    response = post(nivel1, f"/bandeja/tareas/{desk.review}/tomar", {"volver": "vista=grupos"}, follow_redirects=True)
    assert response.status_code == 200 and desk.assignee(desk.review) == "nivel1b"
    assert flashes(response.get_data(as_text=True)) == [
        ("warning", "Otra persona tomó la tarea: la tarea ya fue tomada por nivel1b.")]
    assert "/tomar" not in rows(response.get_data(as_text=True))[desk.review]
    released = post(nivel1, f"/bandeja/tareas/{desk.review}/liberar", follow_redirects=True)
    assert flashes(released.get_data(as_text=True))[0][0] == "error" and desk.assignee(desk.review) == "nivel1b"


def test_an_agent_outside_the_groups_is_offered_nothing_and_refused(lite_desk: Desk) -> None:
    nivel2 = lite_desk.client("nivel2")
    assert ACTION not in rows(page(nivel2, vista="todas"))[lite_desk.review]
    response = post(nivel2, f"/bandeja/tareas/{lite_desk.review}/tomar", follow_redirects=True)
    assert flashes(response.get_data(as_text=True)) == [
        ("error", "No se pudo tomar la tarea: solo los candidatos de la tarea pueden tomarla.")]
    assert lite_desk.assignee(lite_desk.review) is None


def test_reassign_within_the_candidate_groups(desk: Desk) -> None:
    nivel1 = desk.client("nivel1")
    post(nivel1, f"/bandeja/tareas/{desk.review}/tomar")
    row = rows(page(nivel1))[desk.review]
    assert '<option value="nivel1b">Beatriz Nivel Uno (nivel1b)</option>' in row
    assert '<option value="nivel1">' not in row and 'name="usuario" list=' not in row  # no free text
    outside = post(nivel1, f"/bandeja/tareas/{desk.review}/asignar", {"usuario": "nivel2"}, follow_redirects=True)
    assert flashes(outside.get_data(as_text=True)) == [
        ("error", "Solo puede asignar la tarea a personas de sus grupos candidatos.")]
    empty = post(nivel1, f"/bandeja/tareas/{desk.review}/asignar", {"usuario": " "}, follow_redirects=True)
    assert flashes(empty.get_data(as_text=True)) == [("error", "Elija la persona a quien asignar la tarea.")]
    assert desk.assignee(desk.review) == "nivel1"
    response = post(nivel1, f"/bandeja/tareas/{desk.review}/asignar", {"usuario": "nivel1b", "volver": "vista=mias"})
    assert response.headers["Location"] == "/bandeja?vista=mias" and desk.assignee(desk.review) == "nivel1b"
    text = nivel1.get(response.headers["Location"]).get_data(as_text=True)
    assert flashes(text) == [("success", "Asignó la tarea «Revisar y registrar caso» del caso #2 a nivel1b.")]
    assert rows(text) == {}


def test_administrators_reassign_to_anyone_by_name(desk: Desk) -> None:
    admin = desk.client("admin")
    row = rows(page(admin))[desk.level2]
    assert 'name="usuario" list="personas-' in row and '<option value="nivel2">Natalia Nivel Dos (nivel2)' in row
    huge = post(admin, f"/bandeja/tareas/{desk.level2}/asignar", {"usuario": "x" * 5000}, follow_redirects=True)
    assert flashes(huge.get_data(as_text=True)) == [("error", "Ese nombre de usuario es demasiado largo.")]
    unknown = post(admin, f"/bandeja/tareas/{desk.level2}/asignar", {"usuario": "nadie"}, follow_redirects=True)
    assert flashes(unknown.get_data(as_text=True)) == [("error", "El usuario «nadie» no existe o está inactivo.")]
    done = post(admin, f"/bandeja/tareas/{desk.level2}/asignar", {"usuario": "nivel3"}, follow_redirects=True)
    assert flashes(done.get_data(as_text=True))[0][0] == "success" and desk.assignee(desk.level2) == "nivel3"
    again = post(admin, f"/bandeja/tareas/{desk.level2}/asignar", {"usuario": "nivel3"}, follow_redirects=True)
    assert flashes(again.get_data(as_text=True)) == [("error", "La tarea ya está asignada a nivel3.")]
    post(admin, f"/bandeja/tareas/{desk.level2}/liberar")
    assert desk.assignee(desk.level2) is None


@pytest.mark.parametrize("action", ["tomar", "liberar", "asignar"])
def test_unknown_or_hidden_tasks_are_404(ctx: ServiceContext, action: str) -> None:
    add_help_desk(ctx, HelpDeskSpec("rh", "Mesa de Talento Humano", "RH", "rh-nivel1", "rh-nivel2"))
    publish_default_protocol(ctx, "rh")
    hidden = _report(ctx, mesa="rh", aplicacion="otra").task().id
    client = make_app(ctx).test_client()
    login(client, "nivel1")
    for task_id in ("no-existe", hidden):
        response = post(client, f"/bandeja/tareas/{task_id}/{action}", {"usuario": "nivel1"})
        assert response.status_code == 404, task_id
        assert "no existe" in response.get_data(as_text=True) and "rh-nivel1" not in response.get_data(as_text=True)
    assert hidden not in page(client, vista="todas") and 'value="rh"' not in page(client)


def test_a_closed_task_is_a_conflict_not_an_error_page(lite_desk: Desk) -> None:
    nivel1 = lite_desk.client("nivel1")
    cases.complete_task(lite_desk.ctx, get_actor(lite_desk.ctx, "nivel1"), lite_desk.review, COMPLETE_REVIEW)
    for action in ("tomar", "asignar"):
        response = post(nivel1, f"/bandeja/tareas/{lite_desk.review}/{action}", {"usuario": "nivel1b"},
                        follow_redirects=True)
        [(category, message)] = flashes(response.get_data(as_text=True))
        assert category == "warning" and "ya no está pendiente (completada por nivel1)" in message


@pytest.mark.parametrize("user", ["auditor", "dueno"])
def test_auditors_and_owners_read_only(lite_desk: Desk, user: str) -> None:
    client = lite_desk.client(user)
    text = page(client, vista="mias")
    assert list(tabs(text)) == ["Todas las que puedo ver"] and len(rows(text)) == 4
    assert "solo lectura" in text and ACTION not in text and "Acciones</th>" not in text
    for action in ("tomar", "liberar", "asignar"):
        assert post(client, f"/bandeja/tareas/{lite_desk.review}/{action}", {"usuario": "nivel1"}).status_code == 403
    assert lite_desk.assignee(lite_desk.review) is None


def test_requesters_are_forbidden(lite_desk: Desk) -> None:
    client = lite_desk.client("solicitante")
    assert client.get("/bandeja").status_code == 403
    assert post(client, f"/bandeja/tareas/{lite_desk.info}/liberar").status_code == 403
    assert lite_desk.assignee(lite_desk.info) == "solicitante"


@pytest.mark.parametrize("action", ["tomar", "liberar", "asignar"])
def test_posts_without_the_csrf_token_are_400(lite_desk: Desk, action: str) -> None:
    client = lite_desk.client("admin")
    post(client, f"/bandeja/tareas/{lite_desk.escalate}/tomar")  # something to release
    response = client.post(f"/bandeja/tareas/{lite_desk.review}/{action}", data={"usuario": "nivel1"})
    assert response.status_code == 400
    bad = client.post(f"/bandeja/tareas/{lite_desk.review}/{action}", data={"usuario": "nivel1", "csrf_token": "x"})
    assert bad.status_code == 400 and lite_desk.assignee(lite_desk.review) is None


def test_the_way_back_keeps_only_list_parameters(lite_desk: Desk) -> None:
    nivel1 = lite_desk.client("nivel1")
    response = post(nivel1, f"/bandeja/tareas/{lite_desk.review}/tomar",
                    {"volver": "vista=grupos&next=https://evil.example&texto=a%20b"})
    assert response.headers["Location"] == "/bandeja?vista=grupos&texto=a+b"


def test_stored_text_is_escaped(sqlite_ctx: ServiceContext) -> None:
    task_id = _report(sqlite_ctx, asunto="<script>alert('x')</script>").task().id
    client = make_app(sqlite_ctx).test_client()
    login(client, "nivel1")
    text = page(client, vista="grupos", texto="<script>")
    assert list(rows(text)) == [task_id]
    assert "<script>alert" not in text and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text


def test_the_page_reads_the_projection_and_loads_no_workflow(lite_desk: Desk) -> None:
    clients = {user: lite_desk.client(user) for user in ("nivel1", "admin")}
    with mock.patch.object(runtime, "loads", wraps=runtime.loads) as loads:
        for client in clients.values():
            for vista in ("mias", "grupos", "todas"):
                page(client, vista=vista)
                page(client, vista=vista, orden="prioridad", texto="a", aplicacion="VPN", estado="en revisión")
    assert loads.call_count == 0


def test_agents_land_on_the_inbox_and_see_it_in_the_menu(client: FlaskClient) -> None:
    login(client, "nivel1")
    assert client.get("/").headers["Location"] == "/bandeja"
    assert 'href="/bandeja" aria-current="page">Bandeja</a>' in page(client)


@pytest.mark.parametrize(("value", "label"), [
    (100, "crítica"), (90, "crítica"), (89, "alta"), (70, "alta"), (69, "media"), (50, "media"), (49, "baja"),
    (30, "baja"), (29, "planificada"), (0, "planificada"), (-5, "planificada"),
])
def test_priority_badges(value: int, label: str) -> None:
    assert priority_badge(value).label == label


def test_due_badges() -> None:
    assert due_badge(None, T0) is None
    assert due_badge(T0 - timedelta(seconds=1), T0) == Badge("Vencida", "vencida")
    assert due_badge(T0, T0) == Badge("Vence pronto", "pronto")
    assert due_badge(T0 + timedelta(hours=24), T0) == Badge("Vence pronto", "pronto")
    assert due_badge(T0 + timedelta(hours=24, seconds=1), T0) is None
