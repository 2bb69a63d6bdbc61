"""Read-side verbs for the web: case lists, a task with its form, the start form, the case on its diagram."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from engine.db.models import Case, Deployment, InboxTask
from engine.forms import default_values
from engine.services.cases.caseview import case_view
from engine.services.cases.lookups import form_options, option_labels, start_options
from engine.services.cases.start import MAIN_PROCESS, latest_deployment, start_form_of
from engine.services.cases.stepping import deployed_of, load_workflow
from engine.services.context import ServiceContext
from engine.services.errors import NotFoundError
from engine.services.people import policy
from engine.services.people.enforce import ensure_can_view, ensure_can_view_task
from engine.services.people.visibility import visible_cases
from engine.services.views import Actor, CaseView, TaskView
from engine.workflow.script_engine import SafeScriptEngine


@dataclass(frozen=True)
class FormScreen:
    """What a form page needs: the Camunda Form as designed, and the data to show in it."""

    form_id: str | None
    schema: dict[str, Any] | None
    data: dict[str, Any]


@dataclass(frozen=True)
class TaskDetail:
    """A task, its case and its form, and whether the actor may complete it."""

    task: TaskView
    case: CaseView
    form: FormScreen
    may_complete: bool


@dataclass(frozen=True)
class StartScreen:
    """The start form of a process's newest version."""

    process_id: str
    version: int
    name: str
    form: FormScreen


@dataclass(frozen=True)
class CaseDiagram:
    """The case's BPMN (its pinned version) with the path taken and where it waits."""

    bpmn_xml: str
    completed: list[str]
    active: list[str]


def list_cases(ctx: ServiceContext, actor: Actor, *, mine: bool = False, state: str | None = None,
               is_open: bool | None = None, limit: int = 100, offset: int = 0) -> list[CaseView]:
    """Cases the actor may see, newest first (mine = reported by the actor)."""
    with ctx.db.read() as session:
        query = _visible_cases(session, actor, mine)
        if state:
            query = query.where(Case.state == state)
        if is_open is not None:
            query = query.where(Case.is_open.is_(is_open))
        rows = session.scalars(query.order_by(Case.created_at.desc(), Case.id.desc())
                               .limit(min(limit, 500)).offset(offset)).all()
        return [case_view(session, row) for row in rows]


def _visible_cases(session: Session, actor: Actor, mine: bool) -> Select[tuple[Case]]:
    query = select(Case)
    if mine or policy.sees_only_own_cases(actor):
        return query.where(Case.requester == actor.username)
    visible = visible_cases(session, actor)
    return query if visible is None else query.where(visible)


def task_detail(ctx: ServiceContext, actor: Actor, task_id: str) -> TaskDetail:
    """A task with its form schema and the values to show (current data, defaults, option lists)."""
    with ctx.db.read() as session:
        row = session.get(InboxTask, task_id)
        if row is None:
            raise NotFoundError(f"la tarea {task_id} no existe")
        case = session.get(Case, row.case_id)
        assert case is not None  # foreign key
        ensure_can_view_task(session, actor, case, task_id)
        shown = TaskView.of(row, case)
        if not policy.may_open_task(actor, shown):
            # Agents' tasks carry their working data: to a requester they answer like any unknown id.
            raise NotFoundError(f"la tarea {task_id} no existe")
        deployed = deployed_of(ctx, session, case)
        form = deployed.form_for(row.element_id)
        variables = _task_variables(ctx, session, case, task_id)
        screen = FormScreen(None, None, {})
        if form is not None:
            data = {**default_values(form, variables), **form_options(session, form, variables, case.help_desk_code)}
            screen = FormScreen(form.id, form.raw, data)
        view = case_view(session, case, with_history=True)
        view = dataclasses.replace(view, labels=option_labels(session, deployed, view.data, case.help_desk_code))
        return TaskDetail(shown, view, screen, policy.may_complete(actor, shown))


def _task_variables(ctx: ServiceContext, session: Session, case: Case, task_id: str) -> dict[str, Any]:
    """The data the task itself carries (falls back to the case's data once it is no longer ready)."""
    workflow = load_workflow(case, deployed_of(ctx, session, case), SafeScriptEngine())
    task = workflow.ready_task(task_id)
    return dict(task.data) if task is not None else workflow.variables()


def start_screen(ctx: ServiceContext, process_id: str = MAIN_PROCESS) -> StartScreen:
    """The start form of the newest version of a process, with its option lists."""
    with ctx.db.read() as session:
        deployment = latest_deployment(session, process_id)
        deployed = ctx.specs.get(session, deployment.id)
        _, form = start_form_of(deployed)
        screen = FormScreen(None, None, {})
        if form is not None:
            screen = FormScreen(form.id, form.raw, {**default_values(form, {}), **start_options(ctx, session, form)})
        return StartScreen(process_id, deployment.version, deployment.name, screen)


def case_diagram(ctx: ServiceContext, actor: Actor, case_id: int) -> CaseDiagram:
    """The diagram of the version the case runs on, with completed and active elements."""
    with ctx.db.read() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFoundError(f"el caso {case_id} no existe")
        ensure_can_view(session, actor, case)
        deployment = session.get(Deployment, case.deployment_id)
        assert deployment is not None  # foreign key
        workflow = load_workflow(case, deployed_of(ctx, session, case), SafeScriptEngine())
        completed, active = workflow.path_taken()
        return CaseDiagram(deployment.bpmn_xml, completed, active)
