"""Case verbs: start a case, complete a task, read a case with its tasks and history."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.audit import NewEvent
from engine.db.models import Case, Deployment, HelpDesk, InboxTask, User
from engine.forms import FormSchema, validate_submission
from engine.helpdesk.pinned import PinnedProtocol
from engine.services.cases.caseview import case_view
from engine.services.cases.lookups import (
    desk_field_errors,
    form_options,
    option_labels,
    published_protocol,
    routing_errors,
)
from engine.services.cases.stepping import Step, deployed_of, lock_case
from engine.services.context import DeployedProcess, ServiceContext
from engine.services.errors import ConflictError, FormValidationError, NotFoundError
from engine.services.people import policy
from engine.services.people.enforce import ensure_can_view, ensure_can_view_task, outcome_text
from engine.services.views import Actor, CaseView, TaskView
from engine.workflow.facade import SERIALIZER_VERSION

MAIN_PROCESS = "mesa_de_ayuda"


def start_case(ctx: ServiceContext, actor: Actor, data: Mapping[str, Any], *, process_id: str = MAIN_PROCESS,
               requester: str | None = None) -> CaseView:
    """Start a case of the newest version of a process with its start-form data."""
    policy.ensure(policy.start_refusal(actor, requester))
    now = ctx.clock.now()
    with ctx.db.write() as session:
        if requester and requester != actor.username:
            _ensure_active_user(session, requester)
        deployment = latest_deployment(session, process_id)
        deployed = ctx.specs.get(session, deployment.id)
        start_id, form = start_form_of(deployed)
        # The requester's desk decides the options (its catalogue and channels) and the protocol the case runs on.
        protocol = published_protocol(ctx, session, _desk_code(data))
        variables = _validated(session, form, data, {}, None, protocol) if form else {}
        desk = _help_desk(session, variables)
        protocol = protocol if desk is not None else None
        owner = requester or actor.username
        initiator = deployed.camunda(start_id).get("initiator") if start_id else None
        if initiator:
            variables[initiator] = owner
        if desk is not None:
            variables.update(grupo_nivel1=desk.level1_group, mesa_nombre=desk.name)
        case = Case(
            deployment_id=deployment.id, process_id=process_id, help_desk_code=desk.code if desk else None,
            protocol_version_id=protocol.version_id if protocol else None,
            requester=owner, subject=str(variables.get("asunto", ""))[:300],
            application=str(variables.get("aplicacion", ""))[:200], state="iniciado", is_open=True, data_json="{}",
            workflow_json="", serializer_version=SERIALIZER_VERSION, created_at=now, updated_at=now,
        )
        session.add(case)
        session.flush()
        step = Step(ctx, session, case, actor, now)
        step.new()
        step.run(lambda: step.workflow.start(variables, now, step.log))
        step.finish(NewEvent("case.started", actor.username, now, start_id,
                             {"process_id": process_id, "version": deployment.version, "data": dict(variables),
                              "requester": owner, **_protocol_payload(protocol)}))
        return step.view()


def complete_task(ctx: ServiceContext, actor: Actor, task_id: str, data: Mapping[str, Any]) -> CaseView:
    """Complete a READY user task with form data; exactly one of two concurrent completions wins."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        row = session.get(InboxTask, task_id)
        if row is None:
            raise NotFoundError(f"la tarea {task_id} no existe")
        case = lock_case(session, row.case_id)
        if session.get_bind().dialect.name == "postgresql":
            session.refresh(row)  # read before the row lock: another completion may have committed since
        shown = TaskView.of(row, case)
        if not policy.may_work_on(actor, shown):
            ensure_can_view_task(session, actor, case, task_id)
        if row.completed_at is not None:
            raise ConflictError(f"la tarea '{row.name}' ya no está pendiente ({outcome_text(row)})")
        policy.ensure(policy.complete_refusal(actor, shown))
        step = Step(ctx, session, case, actor, now)
        workflow = step.load()
        task = workflow.ready_task(task_id)
        if task is None:
            raise ConflictError(f"la tarea '{row.name}' ya no está lista en el proceso")
        form = step.deployed.form_for(row.element_id)
        protocol = step.effects.protocol
        values = _validated(session, form, data, task.data, case.help_desk_code, protocol) if form else {}
        if form is None and data:
            raise FormValidationError({key: ["la tarea no tiene formulario"] for key in data})
        step.run(lambda: workflow.complete(task_id, values, now, step.log))
        step.finish(NewEvent("task.completed", actor.username, now, row.element_id,
                             {"task_id": task_id, "name": row.name, "data": values}), completed_task_id=task_id)
        return step.view()


def get_case(ctx: ServiceContext, actor: Actor, case_id: int, *, with_history: bool = True,
             with_labels: bool = False) -> CaseView:
    """A case with its ready tasks, (by default) its audit history and (when asked) its options' labels."""
    with ctx.db.read() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFoundError(f"el caso {case_id} no existe")
        ensure_can_view(session, actor, case)
        view = case_view(session, case, with_history=with_history)
        if not with_labels:
            return view
        return dataclasses.replace(view, labels=option_labels(session, deployed_of(ctx, session, case),
                                                               view.data, case.help_desk_code))


def latest_deployment(session: Session, process_id: str) -> Deployment:
    """The newest deployed version of a process."""
    row = session.scalar(select(Deployment).where(Deployment.process_id == process_id)
                         .order_by(Deployment.version.desc()).limit(1))
    if row is None:
        raise NotFoundError(f"el proceso '{process_id}' no está desplegado (ejecute mesa-ayuda init)")
    return row


def start_form_of(deployed: DeployedProcess) -> tuple[str | None, FormSchema | None]:
    """The start event's element id and its form (None when the process has no start form)."""
    for element in deployed.process.elements():
        if element.kind == "StartEvent":
            return element.element_id, deployed.form_for(element.element_id)
    return None, None


def _validated(session: Session, form: FormSchema, data: Mapping[str, Any], current: Mapping[str, Any],
               help_desk_code: str | None, protocol: PinnedProtocol | None) -> dict[str, Any]:
    options = form_options(session, form, current, help_desk_code, protocol)
    result = validate_submission(form, data, current=current, options=options)
    if not result.ok:
        raise FormValidationError(routing_errors(desk_field_errors(form, result.errors), help_desk_code))
    return dict(result.data)


def _desk_code(data: Mapping[str, Any]) -> str | None:
    code = data.get("mesa")
    return code if isinstance(code, str) and code else None


def _protocol_payload(protocol: PinnedProtocol | None) -> dict[str, Any]:
    """The protocol version a case is pinned to, as its start event records it."""
    if protocol is None:
        return {}
    return {"protocol": {"help_desk": protocol.help_desk_code, "number": protocol.number,
                         "version_id": protocol.version_id}}


def _ensure_active_user(session: Session, username: str) -> None:
    if session.scalar(select(User.id).where(User.username == username, User.active.is_(True))) is None:
        raise FormValidationError({"requester": [f"no hay un usuario activo '{username}'"]})


def _help_desk(session: Session, variables: Mapping[str, Any]) -> HelpDesk | None:
    code = variables.get("mesa")
    if not code:
        return None
    desk = session.get(HelpDesk, str(code))
    if desk is None or not desk.active:
        raise FormValidationError({"mesa": [f"la mesa de ayuda '{code}' no existe o no está activa"]})
    return desk
