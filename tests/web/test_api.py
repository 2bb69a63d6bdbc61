"""The JSON API /api/v1 through the Flask test client: every endpoint, its errors and its OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import update

from engine.db.models import User
from engine.services.cases import start as engine_cases
from engine.services.errors import ProcessError
from engine.services.people.users import add_user
from engine.services.processes import deploy
from tests.helpers import COMPLETE_REVIEW, REPORT, REVIEW
from tests.web.api_support import (
    Api,
    expect,
    expect_error,
    field_errors,
    flask_routes,
    references,
    resolve,
    review_task,
    start,
)

# --- OpenAPI ---------------------------------------------------------------------------------------------


def test_openapi_is_public_and_describes_every_route(lite: Api) -> None:
    doc = expect(lite.get(None, "/openapi.json"), 200)
    assert doc["openapi"] == "3.1.0" and doc["servers"] == [{"url": "/api/v1"}]
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "token de API de un usuario activo"}
    documented = {path: {method.upper() for method in item} for path, item in doc["paths"].items()}
    assert documented == flask_routes(lite.app)
    operations = [(path, op) for path, item in doc["paths"].items() for op in item.values()]
    assert len({op["operationId"] for _, op in operations}) == len(operations)
    for path, op in operations:
        in_path = {name for name in path.replace("}", "{").split("{")[1::2]}
        assert in_path == {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}, path
        assert ("401" in op["responses"]) == (op.get("security") != []), path
        assert "500" in op["responses"] and any(code.startswith("2") for code in op["responses"])
    for reference in set(references(doc)):
        assert resolve(reference, doc), reference


@pytest.mark.parametrize("path", ["/cases", "/tasks"])
def test_every_documented_query_parameter_is_accepted(lite: Api, path: str) -> None:
    parameters = expect(lite.get(None, "/openapi.json"), 200)["paths"][path]["get"]["parameters"]
    query = {p["name"]: _sample(p["schema"]) for p in parameters}
    assert expect(lite.get("auditor", path, **query), 200) == []
    assert "desconocido" in expect_error(lite.get("auditor", path, **query, estado="x"), 400)


def _sample(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return str(schema["enum"][-1])
    return {"boolean": "true", "integer": str(schema.get("default", 1))}.get(schema["type"], "x")


# --- Authentication ----------------------------------------------------------------------------------------


def test_every_route_but_the_document_needs_a_valid_token(lite: Api) -> None:
    routes = [(re.sub(r"\{[a-z_]+\}", "1", path), method)
              for path, methods in flask_routes(lite.app).items() for method in methods if path != "/openapi.json"]
    assert len(routes) >= 12  # every protected route, whatever later issues add
    for path, method in routes:
        for header in ({}, {"Authorization": "Bearer mda_falso"}, {"Authorization": "Basic bml2ZWwxOm5pdmVsMQ=="},
                       {"Authorization": "Bearer "}):
            response = lite.client.open("/api/v1" + path, method=method, headers=header, json={"data": {}})
            assert "token" in expect_error(response, 401), (method, path)
            assert response.headers["WWW-Authenticate"].startswith('Bearer realm="mesa-de-ayuda"')
    bad = lite.client.get("/api/v1/cases", headers={"Authorization": "Bearer mda_falso"})
    assert 'error="invalid_token"' in bad.headers["WWW-Authenticate"]


def test_a_deactivated_users_token_stops_working(lite: Api) -> None:
    expect(lite.get("nivel1", "/tasks"), 200)
    with lite.ctx.db.write() as session:
        session.execute(update(User).where(User.username == "nivel1").values(active=False))
    expect_error(lite.get("nivel1", "/tasks"), 401)


# --- Processes and starting cases --------------------------------------------------------------------------


def test_processes_lists_the_deployed_versions(lite: Api) -> None:
    [process] = expect(lite.get("solicitante", "/processes"), 200, "Process")
    assert (process["id"], process["version"], [v["version"] for v in process["versions"]]) == (
        "mesa_de_ayuda", 1, [1])
    assert "reportar_caso" in process["versions"][0]["forms"]
    assert process["versions"][0]["deployed_at"] == "2026-12-01T14:00:00+00:00"


def test_start_case_answers_201_with_the_case(api: Api) -> None:
    response = api.post("solicitante", "/cases", {"data": REPORT})
    case = expect(response, 201, "Case")
    assert response.headers["Location"] == f"/api/v1/cases/{case['id']}"
    assert (case["state"], case["open"], case["ticket"], case["requester"]) == (
        "en revisión", True, None, "solicitante")
    assert (case["process_id"], case["process_version"], case["data"]["asunto"]) == (
        "mesa_de_ayuda", 1, REPORT["asunto"])
    assert case["created_at"] == "2026-12-01T14:00:00+00:00" and case["closed_at"] is None
    assert case["ready_tasks"][0]["candidate_groups"] == ["ti-nivel1"]
    assert expect(api.get("solicitante", f"/cases/{case['id']}"), 200, "Case") == case
    other = expect(api.post("solicitante", "/processes/mesa_de_ayuda/cases", {"data": REPORT}), 201, "Case")
    assert other["id"] != case["id"] and other["process_id"] == "mesa_de_ayuda"
    assert response.headers["Cache-Control"] == "no-store"


def test_agents_register_cases_for_requesters_and_requesters_do_not(api: Api) -> None:
    body = {"data": REPORT, "requester": "solicitante"}
    assert expect(api.post("nivel1", "/cases", body), 201, "Case")["requester"] == "solicitante"
    expect_error(api.post("solicitante", "/cases", {**body, "requester": "nivel2"}), 403)


def test_starting_an_unknown_process_is_404(lite: Api) -> None:
    assert "no está desplegado" in expect_error(lite.post("solicitante", "/processes/otro/cases", {"data": {}}), 404)


@pytest.mark.parametrize(("change", "field"), [
    ({"asunto": None}, "asunto"),            # required
    ({"color": "rojo"}, "color"),            # not in the form
    ({"tipo": "queja"}, "tipo"),             # not one of the options
    ({"asunto": ["una", "lista"]}, "asunto"),  # wrong type
    ({"mesa": "otra"}, "mesa"),              # help desk that does not exist (looked up in the database)
])
def test_start_form_data_is_validated(api: Api, change: dict[str, Any], field: str) -> None:
    data = {key: value for key, value in {**REPORT, **change}.items() if value is not None}
    assert list(field_errors(api.post("solicitante", "/cases", {"data": data}))) == [field]
    assert expect(api.get("solicitante", "/cases"), 200) == []


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"data": "asunto=hola", "content_type": "text/plain"}, "body"),
    ({"data": "{\"data\": {", "content_type": "application/json"}, "body"),
    ({"data": "{\"data\": NaN}", "content_type": "application/json"}, "body"),
    ({"data": b"\xff\xfe", "content_type": "application/json"}, "body"),
    ({"json": [REPORT]}, "body"),
    ({"json": {}}, "data"),
    ({"json": {"data": [REPORT]}}, "data"),
    ({"json": {"data": REPORT, "requester": 7}}, "requester"),
    ({"json": {"data": REPORT, "asunto": "fuera de data"}}, "asunto"),
])
def test_malformed_bodies_are_422_with_a_message_per_member(lite: Api, kwargs: dict[str, Any], key: str) -> None:
    errors = field_errors(lite.post("solicitante", "/cases", **kwargs))
    assert list(errors) == [key] and errors[key][0]


def test_bodies_over_the_limit_are_413(lite: Api) -> None:
    huge = {"data": {**REPORT, "descripcion": "x" * (1024 * 1024)}}
    assert "tamaño" in expect_error(lite.post("solicitante", "/cases", huge), 413)
    lite.app.config["MESA_API_MAX_BODY"] = 100
    expect_error(lite.post("nivel1", f"/tasks/{'t' * 8}/assign", {"user": "n" * 200}), 413)
    expect(lite.get("solicitante", "/cases"), 200)


# --- Reading cases -----------------------------------------------------------------------------------------


def test_case_list_filters_and_pages(api: Api) -> None:
    ids = [start(api)["id"] for _ in range(3)]
    expect(api.post("nivel1", f"/tasks/{review_task(expect(api.get('nivel1', f'/cases/{ids[0]}'), 200))}/complete",
                    {"data": COMPLETE_REVIEW}), 200, "Case")
    listed = expect(api.get("solicitante", "/cases"), 200, "Case")
    assert [c["id"] for c in listed] == ids[::-1]
    assert [c["id"] for c in expect(api.get("solicitante", "/cases", state="registrado"), 200)] == ids[:1]
    assert expect(api.get("solicitante", "/cases", open="false"), 200) == []
    assert len(expect(api.get("nivel1", "/cases", open="true", mine="false"), 200)) == 3
    assert expect(api.get("nivel1", "/cases", mine="true"), 200) == []
    first = api.get("solicitante", "/cases", limit=2)
    assert [c["id"] for c in expect(first, 200)] == ids[:0:-1]
    assert first.headers["Link"] == '</api/v1/cases?limit=2&offset=2>; rel="next"'
    last = api.get("solicitante", "/cases", limit=2, offset=2)
    assert [c["id"] for c in expect(last, 200)] == ids[:1] and "Link" not in last.headers


@pytest.mark.parametrize("query", [
    {"mine": "quizá"}, {"open": "abierto"}, {"limit": "abc"}, {"limit": "0"}, {"limit": "501"}, {"offset": "-1"},
    {"pagina": "2"}, {"limit": "١٠"},
])
def test_bad_case_list_parameters_are_400(lite: Api, query: dict[str, str]) -> None:
    message = expect_error(lite.get("solicitante", "/cases", **query), 400)
    assert next(iter(query)) in message


def test_repeated_parameters_are_400(lite: Api) -> None:
    response = lite.client.get("/api/v1/cases?state=a&state=b", headers=lite.headers("auditor"))
    assert "más de una vez" in expect_error(response, 400)


def test_case_events_are_the_audit_trail(api: Api) -> None:
    case = start(api)
    expect(api.post("nivel1", f"/tasks/{review_task(case)}/claim"), 200, "Task")
    events = expect(api.get("auditor", f"/cases/{case['id']}/events"), 200, "Event")
    assert [(e["kind"], e["actor"], e["element_id"]) for e in events] == [
        ("case.started", "solicitante", "StartEvent_CasoReportado"), ("task.claimed", "nivel1", REVIEW)]
    assert [e["seq"] for e in events] == [1, 2] and events[0]["occurred_at"] == "2026-12-01T14:00:00+00:00"
    assert events[1]["payload"]["assignee"] == {"before": None, "after": "nivel1"}


def test_nobody_learns_about_cases_and_tasks_they_may_not_see(api: Api) -> None:
    add_user(api.ctx, "otra", "otra@example.org", "solicitante")
    case = start(api)
    task = review_task(case)
    assert expect(api.get("otra", "/cases"), 200) == [] and expect(api.get("otra", "/tasks", scope="all"), 200) == []
    for path, unknown in ((f"/cases/{case['id']}", "/cases/999999"), (f"/tasks/{task}", "/tasks/no-existe"),
                          (f"/cases/{case['id']}/events", "/cases/999999/events")):
        hidden = expect_error(api.get("otra", path), 404)
        assert hidden == expect_error(api.get("otra", unknown), 404).replace("999999", str(case["id"])).replace(
            "no-existe", task)  # same answer as for an id that does not exist
    for verb, body in (("claim", None), ("release", None), ("assign", {"user": "otra"}),
                       ("complete", {"data": {}})):
        hidden = expect_error(api.post("otra", f"/tasks/{task}/{verb}", body), 404)
        unknown = expect_error(api.post("otra", f"/tasks/no-existe/{verb}", body), 404)
        if verb != "assign":  # the engine names the case there; see the report
            assert hidden == unknown.replace("no-existe", task)
    assert expect(api.get("solicitante", f"/cases/{case['id']}"), 200)["ready_tasks"][0]["assignee"] is None


# --- Errors the engine raises ------------------------------------------------------------------------------


def test_a_process_that_cannot_advance_is_422_with_its_element(lite: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    task = review_task(start(lite))

    def stuck(*args: Any, **kwargs: Any) -> None:
        raise ProcessError("el proceso no pudo avanzar: la condición falló", "Gateway_InformacionCompleta")

    monkeypatch.setattr(engine_cases, "complete_task", stuck)
    body = expect(lite.post("nivel1", f"/tasks/{task}/complete", {"data": COMPLETE_REVIEW}), 422, "ProcessError")
    assert body == {"error": "El proceso no pudo avanzar: la condición falló.",
                    "element_id": "Gateway_InformacionCompleta"}


def test_unexpected_failures_are_500_without_details(lite: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("contraseña=secreta en /srv/mesa/engine.py")

    monkeypatch.setattr(deploy, "list_deployments", broken)
    response = lite.get("auditor", "/processes")
    message = expect_error(response, 500)
    assert "inesperado" in message and "secreta" not in response.get_data(as_text=True)
