"""The permission policy enforced on stored rows: load the actor, look up what the policy needs, raise its refusals.

The rules themselves are in `engine.services.people.policy`; this module only reads the rows they are asked about.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import (
    Case,
    Dependency,
    DependencyHead,
    Group,
    HelpDesk,
    HelpDeskCoordinator,
    InboxTask,
    Membership,
    User,
)
from engine.services.errors import NotFoundError
from engine.services.people import policy
from engine.services.views import Actor, Role, TaskView


def load_actor(session: Session, username: str) -> Actor:
    """The active user with their role, group names and whether a group of theirs is an external provider."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise NotFoundError(f"el usuario '{username}' no existe o está inactivo")
    rows = session.execute(select(Group.name, Group.external).join(Membership, Membership.group_id == Group.id)
                           .where(Membership.user_id == user.id)).all()
    # External only when every group is a provider's: a DNP specialist who also follows a provider's group is staff.
    external = bool(rows) and all(ext for _, ext in rows)
    return Actor(user.username, Role(user.role), frozenset(name for name, _ in rows), external)


def group_names(session: Session, user_id: int) -> frozenset[str]:
    """The names of a user's groups."""
    return frozenset(session.scalars(
        select(Group.name).join(Membership, Membership.group_id == Group.id).where(Membership.user_id == user_id)
    ).all())


def actor_help_desks(session: Session, actor: Actor) -> set[str]:
    """Help desks whose groups the actor belongs to."""
    if not actor.groups:
        return set()
    codes = session.scalars(select(Group.help_desk_code).where(Group.name.in_(actor.groups))).all()
    return {code for code in codes if code}


def coordinated_desks(session: Session, actor: Actor) -> set[str]:
    """Codes of the help desks the actor coordinates."""
    return set(session.scalars(
        select(HelpDeskCoordinator.help_desk_code).join(User, User.id == HelpDeskCoordinator.user_id)
        .where(User.username == actor.username)))


def headed_desks(session: Session, actor: Actor) -> set[str]:
    """Codes of the help desks of every dependency under one the actor heads (jefe de dependencia)."""
    heads = set(session.scalars(select(DependencyHead.dependency_code).join(User, User.id == DependencyHead.user_id)
                                .where(User.username == actor.username)))
    if not heads:
        return set()
    units = subtree(dict(session.execute(select(Dependency.code, Dependency.parent_code)).tuples().all()), heads)
    return set(session.scalars(select(HelpDesk.code).where(HelpDesk.dependency_code.in_(units))))


def subtree(parents: dict[str, str | None], roots: set[str]) -> set[str]:
    """The roots and every unit below them; the walk is bounded by the tree's size, so a cycle cannot loop."""
    found = set(roots)
    for _ in range(len(parents)):
        below = {code for code, parent in parents.items() if parent in found} - found
        if not below:
            break
        found |= below
    return found


def case_desks(session: Session, actor: Actor) -> frozenset[str]:
    """The help desks whose every case the actor reads (the policy's `case_desks` over the stored relations)."""
    if actor.external or not policy.reads_by_desk_and_task(actor):
        return frozenset()
    return policy.case_desks(actor, member_of=actor_help_desks(session, actor),
                             coordinated=coordinated_desks(session, actor), headed=headed_desks(session, actor))


def can_view_case(session: Session, actor: Actor, case: Case) -> bool:
    """The policy's answer for a stored case (its help desks and tasks are read only when they decide)."""
    if not policy.needs_desks_and_tasks(actor, case.requester):
        return policy.may_view_case(actor, case.requester, case.help_desk_code)
    rows = session.scalars(select(InboxTask).where(InboxTask.case_id == case.id)).all()
    return policy.may_view_case(actor, case.requester, case.help_desk_code, desks=case_desks(session, actor),
                                tasks=[TaskView.of(row, case) for row in rows])


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
