"""The help-desk pages (/mesas): who sees and changes what, the dependency tree and its heads, groups and members,
and the protocol draft: edited as YAML, compared table by table, published; every bad input refused in Spanish with
nothing stored. SQLite, demo data (desks ti and inversiones; coordinador_ti coordinates ti)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import FixedClock
from engine.services.cases.start import start_case
from engine.services.context import ServiceContext
from engine.services.helpdesks import dependencies, desks, groups, heads, protocols, queries, transfer
from engine.services.people.users import add_user, get_actor
from engine.services.views import SYSTEM
from tests.conftest import T0
from tests.helpers import REPORT
from tests.web.conftest import login, post

Doc = dict[str, Any]


def signed_in(client: FlaskClient, user: str) -> FlaskClient:
    """The client after signing in as a demo user."""
    assert login(client, user).status_code == 302
    return client


def draft_yaml(ctx: ServiceContext, code: str = "ti") -> Doc:
    """The draft's document as plain data (after creating the draft if there is none)."""
    try:
        view = queries.get_version(ctx, SYSTEM, code, protocols.DRAFT)
    except Exception:
        view = protocols.create_draft(ctx, SYSTEM, code)
    data = view.document.to_dict()
    data.pop("responsables")
    return data


def save(client: FlaskClient, document: Doc | str, review: str = "", code: str = "ti") -> Any:
    """Post the draft form (the YAML text, notes, next review)."""
    text = document if isinstance(document, str) else yaml.safe_dump(document, allow_unicode=True)
    return post(client, f"/mesas/{code}/protocolo/borrador", {"documento": text, "notas": "Revisión anual",
                                                               "proxima_revision": review})


def test_the_admin_lists_every_desk_with_its_protocol_status(client: FlaskClient) -> None:
    page = signed_in(client, "admin").get("/mesas/")
    assert page.status_code == 200
    assert "Mesa de ayuda de Tecnologías de la Información" in page.text and "inversiones" in page.text
    assert page.text.count("protocol-state--vigente") == 2 and "Crear una mesa de ayuda" in page.text
    assert 'href="/mesas/"' in client.get("/tablero").text  # the menu entry


def test_requesters_are_refused_and_have_no_menu_entry(client: FlaskClient) -> None:
    signed_in(client, "solicitante")
    assert client.get("/mesas/").status_code == 403
    assert client.get("/mesas/ti").status_code == 403
    assert 'href="/mesas/"' not in client.get("/casos").text


def test_the_admin_builds_a_desk_from_its_dependency_to_its_members(client: FlaskClient,
                                                                     sqlite_ctx: ServiceContext) -> None:
    signed_in(client, "admin")
    assert post(client, "/mesas/dependencias", {"codigo": "dnp-gh", "nombre": "Gestión Humana", "tipo": "direccion",
                                                "padre": "secretaria-general"}).status_code == 302
    answer = post(client, "/mesas/", {"codigo": "gh", "nombre": "Mesa de Gestión Humana", "prefijo": "GH",
                                      "dependencia": "dnp-gh"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/mesas/gh"
    assert post(client, "/mesas/gh/grupos", {"grupo": "gh-nivel3-caja", "nivel": "3", "externo": "si",
                                             "descripcion": "Caja de compensación"}).status_code == 302
    assert post(client, "/mesas/gh/grupos/gh-nivel1/miembros", {"usuario": "nivel1"}).status_code == 302
    assert post(client, "/mesas/gh/coordinadores", {"usuario": "coordinador_ti"}).status_code == 302
    found = {g.name: (g.level, g.external, g.members) for g in groups.list_groups(sqlite_ctx, SYSTEM, "gh")}
    assert found == {"gh-nivel1": (1, False, ("nivel1",)), "gh-nivel2": (2, False, ()),
                     "gh-nivel3-caja": (3, True, ())}
    page = client.get("/mesas/gh")
    assert "Proveedor / ente externo" in page.text and "sin protocolo" in page.text
    assert desks.get_help_desk(sqlite_ctx, SYSTEM, "gh").coordinators == ("coordinador_ti",)
    assert post(client, "/mesas/gh/grupos/gh-nivel1/miembros/nivel1/retirar").status_code == 302
    assert groups.list_groups(sqlite_ctx, SYSTEM, "gh")[0].members == ()


def test_a_refused_form_comes_back_with_its_reason_and_stores_nothing(client: FlaskClient,
                                                                       sqlite_ctx: ServiceContext) -> None:
    signed_in(client, "admin")
    answer = post(client, "/mesas/ti/grupos", {"grupo": "ti-nivel2-externo", "nivel": "2", "externo": "si"},
                  follow_redirects=True)
    assert "solo un grupo de nivel 3 puede ser un proveedor o ente externo" in answer.text
    assert "ti-nivel2-externo" not in {g.name for g in groups.list_groups(sqlite_ctx, SYSTEM, "ti")}
    answer = post(client, "/mesas/ti/grupos/ti-nivel1/miembros", {"usuario": "nadie"}, follow_redirects=True)
    assert "el usuario &#39;nadie&#39; no existe o está inactivo" in answer.text
    answer = post(client, "/mesas/dependencias/otsi/eliminar", follow_redirects=True)
    assert "tiene mesas de ayuda" in answer.text
    assert "otsi" in {d.code for d in dependencies.list_dependencies(sqlite_ctx)}


def test_a_coordinator_manages_only_their_desk(client: FlaskClient, sqlite_ctx: ServiceContext) -> None:
    signed_in(client, "coordinador_ti")
    listing = client.get("/mesas/")
    assert "/mesas/ti" in listing.text and "/mesas/inversiones" not in listing.text
    assert "Crear una mesa de ayuda" not in listing.text
    for path in ("/mesas/inversiones", "/mesas/inversiones/protocolo/borrador", "/mesas/inversiones/protocolo/1"):
        assert client.get(path).status_code == 404, path
    assert post(client, "/mesas/inversiones/grupos", {"grupo": "inv-x", "nivel": "2"}).status_code == 404
    assert post(client, "/mesas/inversiones/protocolo/borrador/crear").status_code == 404
    assert post(client, "/mesas/", {"codigo": "zz", "nombre": "Z", "prefijo": "ZZ",
                                    "dependencia": "otsi"}).status_code == 403
    unit = {"codigo": "x", "nombre": "X", "tipo": "subdireccion"}
    assert post(client, "/mesas/dependencias", unit).status_code == 403
    assert post(client, "/mesas/ti/grupos", {"grupo": "ti-nivel2-datos", "nivel": "2"}).status_code == 302
    assert "ti-nivel2-datos" in {g.name for g in groups.list_groups(sqlite_ctx, SYSTEM, "ti")}
    assert "inv-x" not in {g.name for g in groups.list_groups(sqlite_ctx, SYSTEM, "inversiones")}


def test_an_agent_coordinating_nothing_sees_no_desk(client: FlaskClient) -> None:
    signed_in(client, "nivel1")
    assert "No hay mesas de ayuda que pueda administrar" in client.get("/mesas/").text
    assert client.get("/mesas/ti").status_code == 404


def test_the_auditor_reads_every_page_and_changes_nothing(client: FlaskClient, sqlite_ctx: ServiceContext) -> None:
    protocols.create_draft(sqlite_ctx, SYSTEM, "ti")
    signed_in(client, "auditor")
    for path in ("/mesas/", "/mesas/estado", "/mesas/dependencias", "/mesas/ti", "/mesas/ti/protocolo/1",
                 "/mesas/ti/protocolo/borrador", "/mesas/ti/protocolo/borrador/diferencias"):
        page = client.get(path)
        assert page.status_code == 200 and "Guardar" not in page.text and "Publicar versión" not in page.text, path
    for path in ("/mesas/ti/grupos", "/mesas/ti/protocolo/borrador/publicar", "/mesas/", "/mesas/dependencias"):
        assert post(client, path, {"grupo": "ti-x", "nivel": "2"}).status_code == 403, path
    assert queries.get_version(sqlite_ctx, SYSTEM, "ti").number == 1


def test_a_draft_is_edited_compared_and_published(client: FlaskClient, sqlite_ctx: ServiceContext) -> None:
    signed_in(client, "coordinador_ti")
    assert post(client, "/mesas/ti/protocolo/borrador/crear").status_code == 302
    editor = client.get("/mesas/ti/protocolo/borrador")
    assert "SISCONPES" in editor.text and "grupo_nivel2_por_defecto" in editor.text
    document = draft_yaml(sqlite_ctx)
    document["catalogo"]["servicios"].append({"nombre": "Intranet", "descripcion": "Portal interno",
                                              "grupo_nivel2": "ti-nivel2-aplicaciones"})
    document["calendario"]["cierres"] = [{"fecha": "2026-12-24", "motivo": "Nochebuena"}]
    assert save(client, document, "2027-06-30").status_code == 302
    diff = client.get("/mesas/ti/protocolo/borrador/diferencias")
    assert diff.status_code == 200 and "Borrador frente a la versión 1" in diff.text
    assert 'data-row="Intranet" data-status="agregado"' in diff.text
    assert 'data-row="2026-12-24" data-status="agregado"' in diff.text
    assert 'data-row="SISCONPES" data-status="igual"' in diff.text
    published = post(client, "/mesas/ti/protocolo/borrador/publicar", {"proxima_revision": ""})
    assert published.status_code == 302 and published.headers["Location"] == "/mesas/ti"
    current = queries.get_version(sqlite_ctx, SYSTEM, "ti")
    assert (current.number, current.next_review.isoformat() if current.next_review else None) == (2, "2027-06-30")
    page = client.get("/mesas/ti")
    assert "Versión vigente: <strong>2</strong>" in page.text and "Nochebuena" in page.text


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        *parents, last = path.split(".")
        node: Any = document
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value
    return change


BAD_DOCUMENTS = [
    pytest.param(_set("calendario.horario.lunes", ["08:00-12:00", "11:00-17:00"]), "calendario.horario.lunes",
                 "los intervalos 08:00-12:00 y 11:00-17:00 se superponen", id="horas-superpuestas"),
    pytest.param(_set("ans.incidencia.critica.resolucion.valor", 0), "ans.incidencia.critica.resolucion.valor",
                 "debe ser mayor que cero (es 0)", id="meta-cero"),
    pytest.param(_set("ans.peticion.media.primera_respuesta.valor", -4),
                 "ans.peticion.media.primera_respuesta.valor", "debe ser mayor que cero (es -4)", id="meta-negativa"),
    pytest.param(_set("catalogo.servicios.0.grupo_nivel2", "ti-nivel2-inexistente"),
                 "catalogo.servicios.0.grupo_nivel2", "el grupo 'ti-nivel2-inexistente' no existe en esta mesa",
                 id="grupo-desconocido"),
]


@pytest.mark.parametrize(("change", "path", "message"), BAD_DOCUMENTS)
def test_a_bad_protocol_is_refused_with_its_spanish_message_and_nothing_stored(
        client: FlaskClient, sqlite_ctx: ServiceContext, change: Callable[[Doc], None], path: str,
        message: str) -> None:
    document = draft_yaml(sqlite_ctx)
    before = transfer.export_protocol(sqlite_ctx, SYSTEM, "ti", "json", protocols.DRAFT)
    change(document)
    answer = save(signed_in(client, "admin"), document)
    assert answer.status_code == 422
    assert f"<code>{path}</code>: {message}".replace("'", "&#39;") in answer.text
    assert "ti-nivel2-inexistente" in answer.text or "08:00" in answer.text or "valor" in answer.text  # text kept
    assert transfer.export_protocol(sqlite_ctx, SYSTEM, "ti", "json", protocols.DRAFT) == before


def test_a_review_date_more_than_a_year_out_is_refused(client: FlaskClient, sqlite_ctx: ServiceContext) -> None:
    document = draft_yaml(sqlite_ctx)
    answer = save(signed_in(client, "admin"), document, (T0 + timedelta(days=400)).date().isoformat())
    assert answer.status_code == 422
    assert "<code>proxima_revision</code>: la próxima revisión (2028-01-05) debe ser a más tardar el 2027-12-01" \
           in answer.text
    assert queries.get_version(sqlite_ctx, SYSTEM, "ti", protocols.DRAFT).next_review is None
    late = post(client, "/mesas/ti/protocolo/borrador/publicar", {"proxima_revision": "2028-01-05"})
    assert late.status_code == 422 and "el protocolo se revisa al menos una vez al año" in late.text
    assert queries.get_version(sqlite_ctx, SYSTEM, "ti").number == 1


@pytest.mark.parametrize(("name", "content", "message"), [
    ("protocolo.yaml", b"protocolo: [abierto\n", "YAML inválido en la línea"),
    ("protocolo.json", b'{"protocolo": ', "JSON inválido"),
    ("protocolo.json", b'{"protocolo": {"formato": 1}}', "falta esta clave"),
    ("protocolo.txt", b"hola", "no es .yaml, .yml ni .json"),
])
def test_a_malformed_import_file_is_refused_and_nothing_stored(
        client: FlaskClient, sqlite_ctx: ServiceContext, name: str, content: bytes, message: str) -> None:
    protocols.create_draft(sqlite_ctx, SYSTEM, "ti")
    before = transfer.export_protocol(sqlite_ctx, SYSTEM, "ti", "json", protocols.DRAFT)
    answer = post(signed_in(client, "admin"), "/mesas/ti/protocolo/borrador/importar",
                  {"archivo": (BytesIO(content), name)}, content_type="multipart/form-data")  # type: ignore[dict-item]
    assert answer.status_code == 422 and message in answer.text
    assert transfer.export_protocol(sqlite_ctx, SYSTEM, "ti", "json", protocols.DRAFT) == before


def test_an_exported_file_imports_back_as_the_draft(client: FlaskClient, sqlite_ctx: ServiceContext) -> None:
    signed_in(client, "admin")
    download = client.get("/mesas/ti/protocolo/exportar?formato=yaml")
    assert download.status_code == 200 and download.mimetype == "application/yaml"
    assert download.headers["Content-Disposition"] == 'attachment; filename="protocolo-ti-vigente.yaml"'
    data = yaml.safe_load(download.text)
    data["notas"] = "Importado del archivo"
    answer = post(client, "/mesas/ti/protocolo/borrador/importar",
                  {"archivo": (BytesIO(yaml.safe_dump(data).encode()), "ti.yml")},  # type: ignore[dict-item]
                  content_type="multipart/form-data")
    assert answer.status_code == 302
    draft = queries.get_version(sqlite_ctx, SYSTEM, "ti", protocols.DRAFT)
    assert draft.notes == "Importado del archivo"
    assert draft.document == queries.get_version(sqlite_ctx, SYSTEM, "ti").document
    as_json = json.loads(client.get("/mesas/ti/protocolo/exportar?formato=json&version=borrador").text)
    assert as_json["estado"] == "borrador" and as_json["notas"] == "Importado del archivo"
    assert post(client, "/mesas/ti/protocolo/borrador/descartar").status_code == 302
    assert client.get("/mesas/ti/protocolo/borrador").text.count("Crear borrador") == 1


def test_an_overdue_protocol_shows_a_banner_and_is_vencido_on_the_status_page(
        client: FlaskClient, clock: FixedClock) -> None:
    signed_in(client, "admin")
    assert "data-overdue-banner" not in client.get("/mesas/ti").text
    clock.set(T0 + timedelta(days=340))
    assert "data-review-soon" in client.get("/mesas/ti").text
    clock.set(T0 + timedelta(days=400))
    assert "data-overdue-banner" in client.get("/mesas/ti").text
    status = client.get("/mesas/estado").text
    assert status.count("protocol-state--vencido") == 2 and "vencida hace 35 días" in status


def test_the_admin_names_and_removes_heads_on_the_dependency_tree(
        app: Flask, client: FlaskClient, sqlite_ctx: ServiceContext) -> None:
    add_user(sqlite_ctx, "jefa", "jefa@dnp.gov.co", "coordinador", password="jefa")
    case = start_case(sqlite_ctx, get_actor(sqlite_ctx, "solicitante"),
                      {**REPORT, "mesa": "inversiones", "aplicacion": "MGA Web"})
    head = signed_in(app.test_client(), "jefa")
    assert head.get(f"/casos/{case.id}").status_code == 404
    signed_in(client, "admin")
    page = client.get("/mesas/dependencias")
    assert 'action="/mesas/dependencias/sgise/jefes"' in page.text and "Sin jefes" in page.text
    answer = post(client, "/mesas/dependencias/sgise/jefes", {"usuario": " jefa "}, follow_redirects=True)
    assert "jefa es jefe de la dependencia." in answer.text
    assert 'action="/mesas/dependencias/sgise/jefes/jefa/retirar"' in answer.text
    assert heads.list_heads(sqlite_ctx, SYSTEM, "sgise") == ("jefa",)
    assert head.get(f"/casos/{case.id}").status_code == 200  # inversiones belongs to difp, under sgise
    for user, message in (("jefa", "el usuario &#39;jefa&#39; ya es jefe de la dependencia &#39;sgise&#39;"),
                          ("nadie", "el usuario &#39;nadie&#39; no existe"),
                          ("nivel1", "un usuario con rol agente no puede ser jefe de dependencia")):
        answer = post(client, "/mesas/dependencias/sgise/jefes", {"usuario": user}, follow_redirects=True)
        assert answer.status_code == 200 and "No se guardó: " in answer.text and message in answer.text, user
    assert post(client, "/mesas/dependencias/nada/jefes", {"usuario": "jefa"}).status_code == 404
    answer = post(client, "/mesas/dependencias/otsi/jefes/jefa/retirar", follow_redirects=True)
    assert "el usuario &#39;jefa&#39; no es jefe de la dependencia &#39;otsi&#39;" in answer.text
    assert client.post("/mesas/dependencias/sgise/jefes/jefa/retirar").status_code == 400  # no CSRF token
    answer = post(client, "/mesas/dependencias/sgise/jefes/jefa/retirar", follow_redirects=True)
    assert "jefa ya no es jefe de la dependencia." in answer.text
    assert heads.list_heads(sqlite_ctx, SYSTEM, "sgise") == ()
    assert head.get(f"/casos/{case.id}").status_code == 404


def test_a_coordinator_sees_the_heads_and_may_not_change_them(client: FlaskClient,
                                                              sqlite_ctx: ServiceContext) -> None:
    add_user(sqlite_ctx, "jefa", "jefa@dnp.gov.co", "coordinador")
    heads.add_head(sqlite_ctx, SYSTEM, "sgise", "jefa")
    signed_in(client, "coordinador_ti")
    page = client.get("/mesas/dependencias")
    assert page.status_code == 200 and "<span>jefa</span>" in page.text
    assert "/jefes" not in page.text and "Agregar jefe" not in page.text
    assert post(client, "/mesas/dependencias/sgise/jefes", {"usuario": "coordinador_ti"}).status_code == 403
    assert post(client, "/mesas/dependencias/sgise/jefes/jefa/retirar").status_code == 403
    assert heads.list_heads(sqlite_ctx, SYSTEM, "sgise") == ("jefa",)
