"""Who may see a case and who may act on a task: one place for the rules."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import Case, Group, InboxTask, Membership, User
from engine.services.errors import ForbiddenError, NotFoundError
from engine.services.views import Actor

READ_ALL_ROLES = frozenset({"admin", "auditor", "dueno"})


def load_actor(session: Session, username: str) -> Actor:
    """The active user with their role and group names."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise NotFoundError(f"el usuario '{username}' no existe o está inactivo")
    groups = session.scalars(
        select(Group.name).join(Membership, Membership.group_id == Group.id).where(Membership.user_id == user.id)
    ).all()
    return Actor(user.username, user.role, frozenset(groups))


def actor_help_desks(session: Session, actor: Actor) -> set[str]:
    """Help desks whose groups the actor belongs to."""
    if not actor.groups:
        return set()
    codes = session.scalars(select(Group.help_desk_code).where(Group.name.in_(actor.groups))).all()
    return {code for code in codes if code}


def can_view_case(session: Session, actor: Actor, case: Case) -> bool:
    """Requesters see their own cases; agents those of their help desks or tasks; auditors and owners all."""
    if actor.is_system or actor.role in READ_ALL_ROLES or case.requester == actor.username:
        return True
    if actor.role != "agente":
        return False
    if case.help_desk_code and case.help_desk_code in actor_help_desks(session, actor):
        return True
    rows = session.scalars(select(InboxTask).where(InboxTask.case_id == case.id)).all()
    return any(may_work_on(actor, row) for row in rows)


def ensure_can_view(session: Session, actor: Actor, case: Case) -> None:
    """NotFound (never Forbidden) for cases the actor may not see: ids leak nothing."""
    if not can_view_case(session, actor, case):
        raise NotFoundError(f"el caso {case.id} no existe")


def ensure_can_view_task(session: Session, actor: Actor, case: Case, task_id: str) -> None:
    """Like ensure_can_view, but the error speaks of the task: the case's id is not revealed."""
    if not can_view_case(session, actor, case):
        raise NotFoundError(f"la tarea {task_id} no existe")


OUTCOMES = {"completed": "completada", "cancelled": "cancelada"}


def outcome_text(row: InboxTask) -> str:
    """How a closed task ended, in Spanish ('completada por nivel1')."""
    text = OUTCOMES.get(row.outcome or "", row.outcome or "cerrada")
    return f"{text} por {row.completed_by}" if row.completed_by else text


def is_candidate(actor: Actor, row: InboxTask) -> bool:
    """The actor is among the task's candidate users or groups."""
    users = set(filter(None, row.candidate_users.split(",")))
    groups = set(filter(None, row.candidate_groups.split(",")))
    return actor.username in users or bool(actor.groups & groups)


def may_work_on(actor: Actor, row: InboxTask) -> bool:
    """Assignee, or a candidate of an unassigned task, or an administrator."""
    if actor.is_system or actor.role == "admin":
        return True
    if row.assignee:
        return row.assignee == actor.username
    return is_candidate(actor, row)


def ensure_may_complete(actor: Actor, row: InboxTask) -> None:
    """Raise ForbiddenError unless the actor may complete the task."""
    if actor.role == "auditor":
        raise ForbiddenError("los auditores solo pueden consultar")
    if not may_work_on(actor, row):
        owner = f"está asignada a {row.assignee}" if row.assignee else "no es de sus grupos"
        raise ForbiddenError(f"no puede completar la tarea '{row.name}': {owner}")
