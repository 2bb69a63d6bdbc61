"""The inbox listing never loads workflow state: it reads the inbox projection, not the saved workflows.

Every workflow restore goes through engine.workflow.runtime.loads and, below it, SpiffWorkflow's
BpmnWorkflowSerializer.deserialize_json. Both are wrapped with counting mocks (they still work), the
inbox is listed through the service and through GET /api/v1/tasks for every scope, and the counters must
stay at zero. A control completes a task the same way and sees them move, so the patch is known to bite.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from unittest import mock

import pytest
from flask.testing import FlaskClient
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer

from engine.services.cases import tasks
from engine.services.cases.start import complete_task, start_case
from engine.services.cases.tasks import Scope, TaskFilter
from engine.services.context import ServiceContext
from engine.services.people.users import get_actor, issue_token
from engine.workflow import runtime
from tests.helpers import COMPLETE_REVIEW, INCOMPLETE_REVIEW, REPORT
from web import create_app

SCOPES: tuple[Scope, ...] = ("mine", "groups", "all")
USERS = ("solicitante", "nivel1", "nivel2", "auditor", "admin")
FILTERS = (TaskFilter(), TaskFilter(sort="priority", limit=2), TaskFilter(text="vpn", sort="created"),
           TaskFilter(help_desk="ti", application="VPN", state="en revisión", offset=1))
API_QUERIES: tuple[dict[str, str], ...] = (
    {}, {"sort": "priority", "limit": "2"}, {"text": "vpn", "sort": "created"},
    {"help_desk": "ti", "application": "VPN", "offset": "1"})


@dataclass
class WorkflowLoads:
    """Counting wrappers around the two ways to restore a saved workflow."""

    loads: mock.MagicMock
    deserialize: mock.MagicMock

    @property
    def total(self) -> int:
        """Restores seen by either wrapper since the last reset."""
        return self.loads.call_count + self.deserialize.call_count

    def reset(self) -> None:
        """Forget the calls so far (e.g. those of the setup)."""
        self.loads.reset_mock()
        self.deserialize.reset_mock()


@pytest.fixture
def workflow_loads() -> Iterator[WorkflowLoads]:
    """runtime.loads and BpmnWorkflowSerializer.deserialize_json, counted but still doing their work."""
    original = BpmnWorkflowSerializer.deserialize_json
    with mock.patch.object(runtime, "loads", wraps=runtime.loads) as loads, \
            mock.patch.object(BpmnWorkflowSerializer, "deserialize_json", autospec=True,
                              side_effect=original) as deserialize:
        yield WorkflowLoads(loads, deserialize)


@pytest.fixture
def busy_inbox(ctx: ServiceContext) -> ServiceContext:
    """Cases waiting in several tasks: review, escalation (claimed by nivel1), missing information, level 2."""
    requester, agent = get_actor(ctx, "solicitante"), get_actor(ctx, "nivel1")
    started = [start_case(ctx, requester, {**REPORT, "asunto": f"{subject} #{n}", "aplicacion": app})
               for n, (subject, app) in enumerate([("VPN no conecta", "VPN"), ("Sin correo", "Correo electrónico"),
                                                   ("VPN lenta", "VPN"), ("Tablero caído", "SISCONPES"),
                                                   ("Reporte vacío", "SUIFP")])]
    escalating = complete_task(ctx, agent, started[1].ready_tasks[0].id, COMPLETE_REVIEW)
    tasks.claim_task(ctx, agent, escalating.ready_tasks[0].id)
    complete_task(ctx, agent, started[2].ready_tasks[0].id, INCOMPLETE_REVIEW)
    at_level2 = complete_task(ctx, agent, started[3].ready_tasks[0].id, COMPLETE_REVIEW)
    complete_task(ctx, agent, at_level2.ready_tasks[0].id, {"grupo_nivel2": at_level2.data["grupo_nivel2"]})
    return ctx


def api_client(ctx: ServiceContext) -> FlaskClient:
    """The real application over the test's services."""
    return create_app({"TESTING": True, "SECRET_KEY": "x", "MESA_CONTEXT": ctx}).test_client()


def bearer(ctx: ServiceContext, user: str) -> dict[str, str]:
    """An Authorization header with a fresh API token of the user."""
    return {"Authorization": f"Bearer {issue_token(ctx, user)}"}


def test_service_listing_loads_no_workflow(busy_inbox: ServiceContext, workflow_loads: WorkflowLoads) -> None:
    ctx = busy_inbox
    actors = {user: get_actor(ctx, user) for user in USERS}
    workflow_loads.reset()
    listed = {(user, scope): tasks.list_tasks(ctx, actor, scope) for user, actor in actors.items() for scope in SCOPES}
    for actor in actors.values():
        for scope in SCOPES:
            for filters in FILTERS:
                tasks.list_tasks(ctx, actor, scope, filters)
                tasks.count_tasks(ctx, actor, scope, filters)
    assert workflow_loads.total == 0
    # The listings were not trivially empty: every kind of task was read from the projection.
    assert len(listed["nivel1", "groups"]) == 3 and [t.assignee for t in listed["nivel1", "mine"]] == ["nivel1"]
    assert [t.name for t in listed["nivel2", "groups"]] == ["Analizar y solucionar"]
    assert [t.name for t in listed["solicitante", "mine"]] == ["Completar información"]  # assigned to the requester
    assert len(listed["auditor", "all"]) == len(listed["admin", "all"]) == 5


def test_api_listing_loads_no_workflow(busy_inbox: ServiceContext, workflow_loads: WorkflowLoads) -> None:
    ctx = busy_inbox
    client, headers = api_client(ctx), {user: bearer(ctx, user) for user in USERS}
    client.get("/api/v1/tasks", headers=headers["auditor"])  # first request of the app: nothing lazy left
    workflow_loads.reset()
    sizes: dict[tuple[str, str], int] = {}
    for user in USERS:
        for scope in SCOPES:
            for query in API_QUERIES:
                response = client.get("/api/v1/tasks", query_string={"scope": scope, **query}, headers=headers[user])
                assert response.status_code == 200, response.get_data(as_text=True)
                sizes.setdefault((user, scope), len(response.get_json()))
    assert workflow_loads.total == 0
    assert sizes["nivel1", "groups"] == 3 and sizes["nivel2", "groups"] == 1 and sizes["solicitante", "mine"] == 1
    assert sizes["auditor", "all"] == 5


def test_control_completing_a_task_does_load_its_workflow(busy_inbox: ServiceContext,
                                                          workflow_loads: WorkflowLoads) -> None:
    ctx = busy_inbox
    agent = get_actor(ctx, "nivel1")
    review = [t for t in tasks.list_tasks(ctx, agent, "groups") if t.element_id == "Activity_RevisarRegistrar"]
    assert len(review) == 2
    workflow_loads.reset()
    complete_task(ctx, agent, review[0].id, COMPLETE_REVIEW)
    assert workflow_loads.loads.call_count == 1 and workflow_loads.deserialize.call_count == 1
    response = api_client(ctx).post(f"/api/v1/tasks/{review[1].id}/complete", json={"data": COMPLETE_REVIEW},
                                    headers=bearer(ctx, "nivel1"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert workflow_loads.loads.call_count == 2 and workflow_loads.deserialize.call_count == 2
