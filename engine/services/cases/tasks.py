"""Inbox verbs: list tasks for a user; claim, release and assign (no workflow is loaded)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, defer

from engine.db.audit import NewEvent, append_events
from engine.db.models import Case, InboxTask, TaskCandidate
from engine.services.cases.stepping import lock_case
from engine.services.context import ServiceContext
from engine.services.errors import ConflictError, NotFoundError
from engine.services.people import policy
from engine.services.people.enforce import ensure_can_view_task, load_actor, outcome_text
from engine.services.people.visibility import offered_tasks, visible_cases
from engine.services.views import Actor, TaskView

Scope = Literal["mine", "groups", "all"]
SORTS: dict[str, tuple[Any, ...]] = {
    # The running ANS clock due first; tasks of cases without a running clock after, by their own due date.
    "ans": (InboxTask.ans_due_at.is_(None), InboxTask.ans_due_at, InboxTask.due_at.is_(None), InboxTask.due_at,
            InboxTask.priority.desc()),
    "due": (InboxTask.due_at.is_(None), InboxTask.due_at, InboxTask.priority.desc()),
    "priority": (InboxTask.priority.desc(), InboxTask.due_at.is_(None), InboxTask.due_at),
    "created": (InboxTask.created_at,),
}


@dataclass(frozen=True)
class TaskFilter:
    """Optional inbox filters."""

    help_desk: str | None = None
    application: str | None = None
    state: str | None = None
    text: str | None = None
    sort: str = "due"
    limit: int = 200
    offset: int = 0


def list_tasks(ctx: ServiceContext, actor: Actor, scope: Scope = "mine",
               filters: TaskFilter | None = None) -> list[TaskView]:
    """Open tasks: assigned to me, of my groups, or all I may see."""
    filters = filters or TaskFilter()
    with ctx.db.read() as session:
        query = _scoped(session, actor, scope)
        query = _filtered(query, filters).order_by(*SORTS.get(filters.sort, SORTS["due"]), InboxTask.id)
        rows = session.execute(query.limit(min(filters.limit, 1000)).offset(filters.offset)).all()
        return [TaskView.of(task, case) for task, case in rows]


def count_tasks(ctx: ServiceContext, actor: Actor, scope: Scope, filters: TaskFilter | None = None) -> int:
    """How many open tasks a scope holds (for inbox tabs)."""
    with ctx.db.read() as session:
        query = _filtered(_scoped(session, actor, scope), filters or TaskFilter())
        return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _scoped(session: Session, actor: Actor, scope: Scope) -> Select[tuple[InboxTask, Case]]:
    # The saved workflow and data are never needed for a list: do not even read them.
    query = (select(InboxTask, Case).join(Case, Case.id == InboxTask.case_id)
             .options(defer(Case.workflow_json), defer(Case.data_json))
             .where(InboxTask.completed_at.is_(None)))
    candidate = exists().where(TaskCandidate.task_id == InboxTask.id, or_(
        (TaskCandidate.kind == "group") & TaskCandidate.name.in_(actor.groups or {""}),
        (TaskCandidate.kind == "user") & (TaskCandidate.name == actor.username)))
    if scope == "mine":
        return query.where(InboxTask.assignee == actor.username)
    if scope == "groups":
        return query.where(candidate)
    visible = visible_cases(session, actor)
    if visible is None:
        return query
    if actor.external:
        # A provider's inbox holds only the tasks offered to them, not the other open tasks of those cases.
        return query.where(visible, offered_tasks(actor))
    return query.where(or_(visible, InboxTask.assignee == actor.username, candidate))


def _filtered(query: Select[tuple[InboxTask, Case]], f: TaskFilter) -> Select[tuple[InboxTask, Case]]:
    if f.help_desk:
        query = query.where(Case.help_desk_code == f.help_desk)
    if f.application:
        query = query.where(Case.application == f.application)
    if f.state:
        query = query.where(Case.state == f.state)
    if f.text:
        pattern = f"%{f.text.lower()}%"
        query = query.where(or_(func.lower(Case.subject).like(pattern), func.lower(InboxTask.name).like(pattern),
                                func.lower(func.coalesce(Case.ticket, "")).like(pattern)))
    return query


def claim_task(ctx: ServiceContext, actor: Actor, task_id: str) -> TaskView:
    """Take an unassigned task the actor is a candidate for."""
    return _change_assignee(ctx, actor, task_id, actor.username, "task.claimed")


def release_task(ctx: ServiceContext, actor: Actor, task_id: str) -> TaskView:
    """Give a task back to its candidates."""
    return _change_assignee(ctx, actor, task_id, None, "task.released")


def assign_task(ctx: ServiceContext, actor: Actor, task_id: str, username: str) -> TaskView:
    """Assign a task to a candidate (administrators: to anybody), never to the requester of an agents' task."""
    return _change_assignee(ctx, actor, task_id, username, "task.assigned")


def _change_assignee(ctx: ServiceContext, actor: Actor, task_id: str, new: str | None, kind: str) -> TaskView:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        row = session.get(InboxTask, task_id)
        if row is None:
            raise NotFoundError(f"la tarea {task_id} no existe")
        case = lock_case(session, row.case_id)
        ensure_can_view_task(session, actor, case, task_id)
        session.refresh(row)
        if row.completed_at is not None:
            raise ConflictError(f"la tarea '{row.name}' ya no está pendiente ({outcome_text(row)})")
        _check_assignment(session, actor, TaskView.of(row, case), new, kind)
        old, row.assignee = row.assignee, new
        append_events(session, case, [NewEvent(kind, actor.username, now, row.element_id, {
            "task_id": task_id, "name": row.name, "assignee": {"before": old, "after": new}})])
        case.updated_at = now
        session.flush()
        return TaskView.of(row, case)


def _check_assignment(session: Session, actor: Actor, task: TaskView, new: str | None, kind: str) -> None:
    if kind == "task.claimed":
        policy.ensure(policy.claim_refusal(actor, task))
    elif kind == "task.released":
        policy.ensure(policy.release_refusal(actor, task))
    else:
        assert new is not None  # assign_task always names someone
        policy.ensure(policy.assign_refusal(actor, task))
        target = load_actor(session, new)
        policy.ensure(policy.assignee_refusal(actor, task, target.username,
                                              candidate=policy.is_candidate(target, task)))
