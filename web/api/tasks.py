"""Tasks: the inbox by scope, one task with its form, claim, release, assign and complete."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from engine.services.cases import queries as case_queries
from engine.services.cases import start as engine_cases
from engine.services.cases import tasks as engine_tasks
from engine.services.cases.tasks import SORTS, Scope, TaskFilter
from engine.services.errors import NotFoundError
from web.api import params
from web.api.bearer import actor, services
from web.api.errors import api_error, service_error
from web.api.responses import listing, page
from web.api.serialize import case_json, task_detail_json, task_json

bp = Blueprint("tasks", __name__)
LIST_PARAMS = ("scope", "help_desk", "application", "state", "text", "sort", "limit", "offset")
SCOPES: dict[str, Scope] = {"mine": "mine", "groups": "groups", "all": "all"}
# Their only NotFound causes are the task and its case: both answer as an unknown task.
SINGLE_CAUSE = frozenset({"api.tasks.get_task", "api.tasks.claim_task", "api.tasks.release_task",
                          "api.tasks.complete_task"})


@bp.errorhandler(NotFoundError)
def task_not_found(error: NotFoundError) -> Response:
    """A task of a case the caller may not see answers like an unknown one (the engine names the case)."""
    task_id = (request.view_args or {}).get("task_id")
    if request.endpoint not in SINGLE_CAUSE or task_id is None:
        return service_error(error)
    return api_error(404, f"La tarea {task_id} no existe.")


@bp.get("/tasks")
def list_tasks() -> ResponseReturnValue:
    """Open tasks: assigned to the caller (mine), of their groups, or all they may see."""
    args = params.query(LIST_PARAMS)
    scope = SCOPES[params.choice(args, "scope", SCOPES, "mine")]
    limit, offset = page(args, 200, 1000)
    filters = TaskFilter(
        help_desk=params.text(args, "help_desk"), application=params.text(args, "application"),
        state=params.text(args, "state"), text=params.text(args, "text"),
        sort=params.choice(args, "sort", tuple(SORTS), "due"), limit=limit, offset=offset,
    )
    found = engine_tasks.list_tasks(services(), actor(), scope, filters)
    return listing([task_json(task) for task in found], limit, offset)


@bp.get("/tasks/<task_id>")
def get_task(task_id: str) -> ResponseReturnValue:
    """A task with its form (schema and current values) and whether the caller may complete it."""
    return jsonify(task_detail_json(case_queries.task_detail(services(), actor(), task_id)))


@bp.post("/tasks/<task_id>/claim")
def claim_task(task_id: str) -> ResponseReturnValue:
    """Take an unassigned task the caller is a candidate for."""
    return jsonify(task_json(engine_tasks.claim_task(services(), actor(), task_id)))


@bp.post("/tasks/<task_id>/release")
def release_task(task_id: str) -> ResponseReturnValue:
    """Give the task back to its candidates."""
    return jsonify(task_json(engine_tasks.release_task(services(), actor(), task_id)))


@bp.post("/tasks/<task_id>/assign")
def assign_task(task_id: str) -> ResponseReturnValue:
    """Assign the task to a user: {"user": NAME}."""
    user = params.body({"user": params.USER})["user"].strip()
    return jsonify(task_json(engine_tasks.assign_task(services(), actor(), task_id, user)))


@bp.post("/tasks/<task_id>/complete")
def complete_task(task_id: str) -> ResponseReturnValue:
    """Complete the task with its form data: {"data": {...}}; answers the case after the step."""
    data = params.body({"data": params.DATA})["data"]
    return jsonify(case_json(engine_cases.complete_task(services(), actor(), task_id, data), actor()))
