"""The JSON API's task endpoints: inbox scopes and filters, a task with its form, claim/release/assign, complete."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.clock import FixedClock
from engine.services.context import ServiceContext
from engine.services.people.users import add_user
from tests.helpers import COMPLETE_REVIEW
from tests.web.api_support import Api, expect, expect_error, field_errors, review_task, start


@pytest.fixture
def api(ctx: ServiceContext) -> Api:
    """The API over SQLite and PostgreSQL, with a second level-1 agent (nivel1b)."""
    add_user(ctx, "nivel1b", "nivel1b@example.org", "agente", groups=["ti-nivel1"])
    return Api(ctx)


def ids(response: Any) -> list[str]:
    """The task ids of a 200 task listing."""
    return [task["id"] for task in expect(response, 200, "Task")]


def test_inbox_scopes(api: Api) -> None:
    task = review_task(start(api))
    assert ids(api.get("nivel1", "/tasks")) == [] and ids(api.get("nivel1", "/tasks", scope="mine")) == []
    assert ids(api.get("nivel1", "/tasks", scope="groups")) == [task] == ids(api.get("nivel1", "/tasks", scope="all"))
    assert ids(api.get("nivel2", "/tasks", scope="groups")) == [] and ids(api.get("auditor", "/tasks", scope="all"))
    expect(api.post("nivel1", f"/tasks/{task}/claim"), 200, "Task")
    [mine] = expect(api.get("nivel1", "/tasks", scope="mine"), 200, "Task")
    assert (mine["id"], mine["assignee"], mine["candidate_groups"], mine["ticket"]) == (
        task, "nivel1", ["ti-nivel1"], None)
    assert (mine["case_state"], mine["help_desk"], mine["form_id"]) == ("en revisión", "ti", "revisar_registrar")
    assert mine["due"] == "2026-12-02T14:00:00+00:00"


def test_inbox_filters_sorts_and_pages(api: Api, clock: FixedClock) -> None:
    tasks = []
    for application, subject in (("SISCONPES", "No carga el tablero"), ("VPN", "Sin acceso remoto"),
                                 ("SUIFP", "Error al guardar")):
        tasks.append(review_task(start(api, aplicacion=application, asunto=subject)))
        clock.advance(timedelta(minutes=5))
    groups = {"scope": "groups", "sort": "created"}
    assert ids(api.get("nivel1", "/tasks", **groups)) == tasks
    assert ids(api.get("nivel1", "/tasks", **groups, application="VPN")) == tasks[1:2]
    assert ids(api.get("nivel1", "/tasks", **groups, text="ACCESO")) == tasks[1:2]
    assert ids(api.get("nivel1", "/tasks", **groups, help_desk="ti", state="en revisión")) == tasks
    assert ids(api.get("nivel1", "/tasks", **groups, help_desk="otra")) == []
    assert sorted(ids(api.get("nivel1", "/tasks", **{**groups, "sort": "priority"}))) == sorted(tasks)
    first = api.get("nivel1", "/tasks", **groups, limit=2)
    assert ids(first) == tasks[:2]
    assert first.headers["Link"] == '</api/v1/tasks?scope=groups&sort=created&limit=2&offset=2>; rel="next"'
    assert ids(api.get("nivel1", "/tasks", **groups, limit=2, offset=2)) == tasks[2:]


@pytest.mark.parametrize("query", [
    {"scope": "otra"}, {"sort": "nombre"}, {"limit": "abc"}, {"limit": "1001"}, {"offset": "x"},
    {"text": "x" * 201}, {"grupo": "ti"},
])
def test_bad_inbox_parameters_are_400(lite: Api, query: dict[str, str]) -> None:
    assert next(iter(query)) in expect_error(lite.get("nivel1", "/tasks", **query), 400)


def test_a_task_comes_with_its_form_and_whether_the_caller_may_complete_it(api: Api) -> None:
    task = review_task(start(api))
    detail = expect(api.get("nivel1", f"/tasks/{task}"), 200, "TaskDetail")
    assert (detail["id"], detail["name"], detail["may_complete"]) == (task, "Revisar y registrar caso", True)
    assert detail["form"]["id"] == "revisar_registrar"
    assert {c.get("key") for c in detail["form"]["schema"]["components"]} >= set(COMPLETE_REVIEW)
    assert detail["form"]["data"]["informacion_completa"] is False
    for reader in ("auditor", "dueno"):
        assert expect(api.get(reader, f"/tasks/{task}"), 200, "TaskDetail")["may_complete"] is False
    expect_error(api.get("solicitante", f"/tasks/{task}"), 404)  # agents' working data stays with agents


def test_claim_release_and_assign(api: Api) -> None:
    task = review_task(start(api))
    claimed = expect(api.post("nivel1", f"/tasks/{task}/claim"), 200, "Task")
    assert claimed["assignee"] == "nivel1"
    assert "nivel1" in expect_error(api.post("nivel1b", f"/tasks/{task}/claim"), 409)
    expect_error(api.post("nivel1b", f"/tasks/{task}/release"), 403)
    assert expect(api.post("nivel1", f"/tasks/{task}/release"), 200, "Task")["assignee"] is None
    expect_error(api.post("nivel2", f"/tasks/{task}/claim"), 403)  # sees the help desk, is no candidate
    expect_error(api.post("nivel1", f"/tasks/{task}/release"), 409)
    assigned = expect(api.post("nivel1", f"/tasks/{task}/assign", {"user": "nivel1b"}), 200, "Task")
    assert assigned["assignee"] == "nivel1b"
    expect_error(api.post("nivel1", f"/tasks/{task}/assign", {"user": "nivel1"}), 403)  # no longer theirs
    assert "fantasma" in expect_error(api.post("admin", f"/tasks/{task}/assign", {"user": "fantasma"}), 404)
    assert list(field_errors(api.post("admin", f"/tasks/{task}/assign", {"user": " "}))) == ["user"]
    assert set(field_errors(api.post("admin", f"/tasks/{task}/assign", {"usuario": "nivel1"}))) == {
        "usuario", "user"}
    assert expect(api.get("nivel1b", "/tasks", scope="mine"), 200)[0]["id"] == task


def test_complete_answers_the_case_after_the_step_and_only_once(api: Api) -> None:
    case = start(api)
    task = review_task(case)
    expect(api.post("nivel1", f"/tasks/{task}/claim"), 200)
    assert "nivel1" in expect_error(api.post("nivel1b", f"/tasks/{task}/complete", {"data": COMPLETE_REVIEW}), 403)
    after = expect(api.post("nivel1", f"/tasks/{task}/complete", {"data": COMPLETE_REVIEW}), 200, "Case")
    assert (after["id"], after["state"], after["ticket"][:8]) == (case["id"], "registrado", "TI-2026-")
    assert [t["element_id"] for t in after["ready_tasks"]] == ["Activity_EscalarNivel2"]
    assert after["data"]["prioridad"] == "alta" and after["ready_tasks"][0]["priority"] == 70
    again = api.post("nivel1", f"/tasks/{task}/complete", {"data": COMPLETE_REVIEW})
    assert "ya no está pendiente" in expect_error(again, 409)
    expect_error(api.post("nivel1", f"/tasks/{task}/claim"), 409)
    done = expect(api.get("auditor", f"/tasks/{task}"), 200, "TaskDetail")
    assert (done["completed_by"], done["may_complete"]) == ("nivel1", False)


@pytest.mark.parametrize(("change", "field"), [
    ({"categoria": None}, "categoria"),                      # required
    ({"resolucion": "rápida"}, "resolucion"),                # not in the form
    ({"informacion_completa": "quizá"}, "informacion_completa"),  # wrong type
    ({"impacto": "enorme"}, "impacto"),                      # not one of the options
])
def test_complete_validates_the_form_data(api: Api, change: dict[str, Any], field: str) -> None:
    task = review_task(start(api))
    data = {key: value for key, value in {**COMPLETE_REVIEW, **change}.items() if value is not None}
    assert field in field_errors(api.post("nivel1", f"/tasks/{task}/complete", {"data": data}))
    assert ids(api.get("nivel1", "/tasks", scope="groups")) == [task]


def test_auditors_read_everything_and_write_nothing(api: Api) -> None:
    case = start(api)
    task = review_task(case)
    for path in ("/processes", "/cases", f"/cases/{case['id']}", f"/cases/{case['id']}/events", f"/tasks/{task}"):
        expect(api.get("auditor", path), 200)
    assert ids(api.get("auditor", "/tasks", scope="all")) == [task]
    expect(api.post("nivel1", f"/tasks/{task}/claim"), 200)
    for path, body in (("/cases", {"data": {}}), ("/processes/mesa_de_ayuda/cases", {"data": {}}),
                       (f"/tasks/{task}/claim", None), (f"/tasks/{task}/release", None),
                       (f"/tasks/{task}/assign", {"user": "auditor"}), (f"/tasks/{task}/complete", {"data": {}})):
        assert "auditores" in expect_error(api.post("auditor", path, body), 403), path
    after = expect(api.get("auditor", f"/cases/{case['id']}"), 200, "Case")
    assert (after["state"], after["ready_tasks"][0]["assignee"]) == ("en revisión", "nivel1")
    assert expect(api.get("auditor", "/cases"), 200) == [after]
