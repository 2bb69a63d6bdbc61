"""Help desks over /api/v1: desks, groups, members, coordinators, dependencies and their heads, the protocol (draft,
diff, publish, export, import), with the tenant boundary (a coordinator's other desks are 404), auditors read-only
and every bad protocol refused with its problems per path and nothing stored. Answers match the OpenAPI schemas."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import yaml
from werkzeug.test import TestResponse

from engine.services.helpdesks import heads, protocols, queries
from engine.services.people.users import add_user
from engine.services.views import SYSTEM
from tests.conftest import T0
from tests.web.api_support import Api, expect, expect_error, field_errors, start
from web.api import API_PREFIX


def call(api: Api, user: str, method: str, path: str, body: Any = None) -> TestResponse:
    """Any method with a JSON body."""
    return api.client.open(API_PREFIX + path, method=method, headers=api.headers(user), json=body)


def draft_document(api: Api) -> dict[str, Any]:
    """The ti draft's document (created through the API when missing)."""
    found = api.get("admin", "/help-desks/ti/protocol/draft")
    if found.status_code == 404:
        found = api.post("admin", "/help-desks/ti/protocol/draft")
    document: dict[str, Any] = found.get_json()["protocol"]
    return document


def test_the_admin_builds_a_desk_through_the_api(lite: Api) -> None:
    desks = expect(lite.get("admin", "/help-desks"), 200, "HelpDesk")
    assert [d["code"] for d in desks] == ["ti", "inversiones"] or {d["code"] for d in desks} == {"ti", "inversiones"}
    unit = expect(lite.post("admin", "/dependencies", {"code": "dnp-gh", "name": "Gestión Humana",
                                                       "kind": "direccion", "parent": "secretaria-general"}),
                  201, "Dependency")
    assert unit["parent"] == "secretaria-general"
    assert "dnp-gh" in [d["code"] for d in expect(lite.get("admin", "/dependencies"), 200, "Dependency")]
    answer = lite.post("admin", "/help-desks", {"code": "gh", "name": "Mesa de Gestión Humana",
                                                 "ticket_prefix": "GH", "dependency": "dnp-gh"})
    assert expect(answer, 201, "HelpDesk")["level1_group"] == "gh-nivel1"
    assert answer.headers["Location"] == "/api/v1/help-desks/gh"
    group = expect(lite.post("admin", "/help-desks/gh/groups", {"name": "gh-nivel3-caja", "level": 3,
                                                                "external": True}), 201, "HelpDeskGroup")
    assert (group["level"], group["external"]) == (3, True)
    member = expect(lite.post("admin", "/help-desks/gh/groups/gh-nivel1/members", {"user": "nivel1"}), 200,
                    "HelpDeskGroup")
    assert member["members"] == ["nivel1"]
    assert expect(call(lite, "admin", "DELETE", "/help-desks/gh/groups/gh-nivel1/members/nivel1"), 200,
                  "HelpDeskGroup")["members"] == []
    desk = expect(lite.post("admin", "/help-desks/gh/coordinators", {"user": "coordinador_ti"}), 200, "HelpDesk")
    assert desk["coordinators"] == ["coordinador_ti"]
    desk = expect(call(lite, "admin", "PATCH", "/help-desks/gh", {"name": "Gestión Humana", "active": False}),
                  200, "HelpDesk")
    assert (desk["name"], desk["active"]) == ("Gestión Humana", False)
    assert expect(call(lite, "admin", "DELETE", "/help-desks/gh/coordinators/coordinador_ti"), 200,
                  "HelpDesk")["coordinators"] == []
    assert expect(lite.get("admin", "/help-desks/status"), 200, "ProtocolStatus")[-1]["state"] in (
        "sin protocolo", "vigente")


def test_bad_desk_bodies_are_422_with_a_message_per_member(lite: Api) -> None:
    errors = field_errors(lite.post("admin", "/help-desks", {"code": "X Y", "name": "", "ticket_prefix": "x",
                                                             "dependency": "otsi"}))
    assert errors["name"] == ["Debe ser un texto."]
    errors = field_errors(lite.post("admin", "/help-desks", {"code": "X Y", "name": "Mesa", "ticket_prefix": "x",
                                                             "dependency": "otsi"}))
    assert errors == {"codigo": ["use de 2 a 40 minúsculas, dígitos o '-'"],
                      "prefijo": ["use de 2 a 12 mayúsculas o dígitos (p. ej. TI)"]}
    assert "ya existe" in expect_error(lite.post("admin", "/help-desks/ti/groups", {"name": "ti-nivel1",
                                                                                    "level": 1}), 409)


def test_a_coordinator_reaches_only_their_desk(lite: Api) -> None:
    assert [d["code"] for d in expect(lite.get("coordinador_ti", "/help-desks"), 200, "HelpDesk")] == ["ti"]
    for method, path, body in (("GET", "/help-desks/inversiones", None),
                               ("GET", "/help-desks/inversiones/protocol", None),
                               ("POST", "/help-desks/inversiones/groups", {"name": "inv-x", "level": 2}),
                               ("PUT", "/help-desks/inversiones/protocol/draft", {"protocol": {}}),
                               ("POST", "/help-desks/inversiones/protocol/publish", None)):
        expect_error(call(lite, "coordinador_ti", method, path, body), 404)
    assert "administrador" in expect_error(lite.post("coordinador_ti", "/dependencies", {
        "code": "x", "name": "X", "kind": "subdireccion"}), 403)
    expect(lite.post("coordinador_ti", "/help-desks/ti/groups", {"name": "ti-nivel2-datos", "level": 2}), 201)


def test_auditors_read_and_are_refused_every_write(lite: Api) -> None:
    expect(lite.get("auditor", "/help-desks/ti"), 200, "HelpDesk")
    expect(lite.get("auditor", "/help-desks/ti/protocol", version="1"), 200, "ProtocolVersion")
    for method, path, body in (("POST", "/help-desks/ti/groups", {"name": "ti-x", "level": 2}),
                               ("PATCH", "/help-desks/ti", {"name": "X"}),
                               ("POST", "/help-desks/ti/protocol/draft", None),
                               ("POST", "/help-desks", {"code": "zz", "name": "Z", "ticket_prefix": "ZZ",
                                                        "dependency": "otsi"})):
        expect_error(call(lite, "auditor", method, path, body), 403)
    expect_error(lite.get("solicitante", "/help-desks"), 403)


def test_a_draft_is_replaced_compared_published_and_exported(lite: Api) -> None:
    document = draft_document(lite)
    document["catalogo"]["servicios"].append({"nombre": "Intranet", "descripcion": "Portal interno",
                                              "grupo_nivel2": "ti-nivel2-aplicaciones"})
    saved = expect(call(lite, "coordinador_ti", "PUT", "/help-desks/ti/protocol/draft",
                        {"protocol": document, "notes": "Intranet", "next_review": "2027-09-30"}),
                   200, "ProtocolVersion")
    assert (saved["status"], saved["number"], saved["next_review"]) == ("borrador", None, "2027-09-30")
    tables = expect(lite.get("auditor", "/help-desks/ti/protocol/draft/diff"), 200, "ProtocolTableDiff")
    catalogue = next(t for t in tables if t["name"] == "catalogo")
    assert [r["status"] for r in catalogue["rows"] if r["key"] == "Intranet"] == ["agregado"]
    assert len(tables) == 10
    published = expect(lite.post("coordinador_ti", "/help-desks/ti/protocol/publish"), 200, "ProtocolVersion")
    assert (published["number"], published["status"], published["approved_by"]) == (2, "publicado",
                                                                                    "coordinador_ti")
    assert expect(lite.get("admin", "/help-desks/ti/protocol", version="1"), 200)["status"] == "reemplazado"
    versions = expect(lite.get("admin", "/help-desks/ti/protocol/versions"), 200, "ProtocolVersion")
    assert [v["number"] for v in versions] == [2, 1]
    exported = lite.get("admin", "/help-desks/ti/protocol/export", format="yaml", version="2")
    assert exported.status_code == 200 and exported.mimetype == "application/yaml"
    assert yaml.safe_load(exported.text)["version"] == 2
    text = lite.get("admin", "/help-desks/ti/protocol/export", format="json").text
    imported = expect(lite.post("admin", "/help-desks/ti/protocol/import", {"text": text, "format": "json"}), 200,
                      "ProtocolVersion")
    assert imported["status"] == "borrador" and imported["notes"] == "Intranet"
    assert call(lite, "admin", "DELETE", "/help-desks/ti/protocol/draft").status_code == 204
    expect_error(lite.get("admin", "/help-desks/ti/protocol/draft"), 404)


@pytest.mark.parametrize(("path", "value", "message"), [
    ("calendario.horario.martes", ["07:00-13:00", "12:30-16:00"], "los intervalos 07:00-13:00 y 12:30-16:00 se "
                                                                  "superponen"),
    ("ans.problema.baja.resolucion.valor", 0, "debe ser mayor que cero (es 0)"),
    ("ans.incidencia.alta.primera_respuesta.valor", -1, "debe ser mayor que cero (es -1)"),
    ("catalogo.servicios.1.grupo_nivel3", "ti-nivel3-nadie", "el grupo 'ti-nivel3-nadie' no existe en esta mesa"),
])
def test_a_bad_protocol_is_422_per_path_and_nothing_stored(lite: Api, path: str, value: Any, message: str) -> None:
    document = draft_document(lite)
    before = lite.get("admin", "/help-desks/ti/protocol/draft").get_json()
    node: Any = document
    *parents, last = path.split(".")
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value
    errors = field_errors(call(lite, "admin", "PUT", "/help-desks/ti/protocol/draft", {"protocol": document}))
    assert errors == {path: [message]}
    assert lite.get("admin", "/help-desks/ti/protocol/draft").get_json() == before


def test_a_late_review_date_and_malformed_imports_are_refused(lite: Api) -> None:
    document = draft_document(lite)
    late = (T0 + timedelta(days=366)).date().isoformat()
    errors = field_errors(call(lite, "admin", "PUT", "/help-desks/ti/protocol/draft",
                               {"protocol": document, "next_review": late}))
    assert errors["proxima_revision"][0].endswith("el protocolo se revisa al menos una vez al año")
    assert field_errors(lite.post("admin", "/help-desks/ti/protocol/publish", {"next_review": late}))
    assert field_errors(lite.post("admin", "/help-desks/ti/protocol/publish", {"next_review": "mañana"})) == {
        "next_review": ["«mañana» no es una fecha AAAA-MM-DD."]}
    for text, fmt, message in (("protocolo: [", "yaml", "YAML inválido"), ("{", "json", "JSON inválido"),
                               ("protocolo: 3", "yaml", "debe ser un objeto"), ("x", "toml", "formato 'toml'")):
        errors = field_errors(lite.post("admin", "/help-desks/ti/protocol/import", {"text": text, "format": fmt}))
        assert any(message in m for messages in errors.values() for m in messages), errors
    assert queries.get_version(lite.ctx, SYSTEM, "ti", protocols.DRAFT).notes == ""
    assert queries.get_version(lite.ctx, SYSTEM, "ti").number == 1


def test_the_admin_names_and_removes_heads_through_the_api(lite: Api) -> None:
    add_user(lite.ctx, "jefa", "jefa@dnp.gov.co", "coordinador")
    case = start(lite)  # a case of ti, whose dependency is otsi
    expect_error(lite.get("jefa", f"/cases/{case['id']}"), 404)
    assert expect(lite.get("auditor", "/dependencies/otsi/heads"), 200, "DependencyHeads") == {
        "dependency": "otsi", "heads": []}
    named = expect(lite.post("admin", "/dependencies/otsi/heads", {"user": "jefa"}), 201, "DependencyHeads")
    assert named == {"dependency": "otsi", "heads": ["jefa"]}
    assert expect(lite.get("jefa", f"/cases/{case['id']}"), 200, "Case")["id"] == case["id"]
    assert expect_error(lite.post("admin", "/dependencies/otsi/heads", {"user": "jefa"}), 409) == \
        "El usuario 'jefa' ya es jefe de la dependencia 'otsi'."
    assert expect_error(lite.post("admin", "/dependencies/nada/heads", {"user": "jefa"}), 404) == \
        "La dependencia 'nada' no existe."
    assert expect_error(lite.post("admin", "/dependencies/otsi/heads", {"user": "nadie"}), 404) == \
        "El usuario 'nadie' no existe."
    assert field_errors(lite.post("admin", "/dependencies/otsi/heads", {"user": "nivel1"})) == {"usuario": [
        "un usuario con rol agente no puede ser jefe de dependencia; use el rol coordinador"]}
    assert set(field_errors(lite.post("admin", "/dependencies/otsi/heads", {}))) == {"user"}
    expect_error(lite.get("admin", "/dependencies/nada/heads"), 404)
    assert expect_error(call(lite, "admin", "DELETE", "/dependencies/sgise/heads/jefa"), 409) == \
        "El usuario 'jefa' no es jefe de la dependencia 'sgise'."
    expect_error(call(lite, "admin", "DELETE", "/dependencies/otsi/heads/nadie"), 404)
    assert expect(call(lite, "admin", "DELETE", "/dependencies/otsi/heads/jefa"), 200, "DependencyHeads") == {
        "dependency": "otsi", "heads": []}
    expect_error(lite.get("jefa", f"/cases/{case['id']}"), 404)


def test_only_administrators_change_heads_over_the_api(lite: Api) -> None:
    add_user(lite.ctx, "jefa", "jefa@dnp.gov.co", "coordinador")
    heads.add_head(lite.ctx, SYSTEM, "sgise", "jefa")
    assert expect(lite.get("coordinador_ti", "/dependencies/sgise/heads"), 200, "DependencyHeads")["heads"] == [
        "jefa"]
    for user in ("coordinador_ti", "auditor", "nivel1"):
        expect_error(lite.post(user, "/dependencies/sgise/heads", {"user": "coordinador_ti"}), 403)
        expect_error(call(lite, user, "DELETE", "/dependencies/sgise/heads/jefa"), 403)
    expect_error(lite.get("solicitante", "/dependencies/sgise/heads"), 403)
    assert heads.list_heads(lite.ctx, SYSTEM, "sgise") == ("jefa",)


def test_the_openapi_document_describes_the_heads_like_the_other_dependency_endpoints(lite: Api) -> None:
    paths = expect(lite.get(None, "/openapi.json"), 200)["paths"]
    listing, one = paths["/dependencies/{dependency}/heads"], paths["/dependencies/{dependency}/heads/{username}"]
    assert {method: op["operationId"] for method, op in {**listing, **one}.items()} == {
        "get": "listDependencyHeads", "post": "addDependencyHead", "delete": "removeDependencyHead"}
    writes = set(paths["/dependencies"]["post"]["responses"])
    assert set(listing["post"]["responses"]) == writes == (set(one["delete"]["responses"]) - {"200"}) | {"201"}
    assert listing["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/UserRef"}
    assert set(listing["get"]["responses"]) == {"200", "400", "401", "403", "404", "500"}
