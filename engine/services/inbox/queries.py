"""Read-side helpers of the web inbox: filter choices, one visible open task, the people a task may go to."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import Group, HelpDesk, InboxTask, Membership, User

# The inbox's visibility rule lives in tasks._scoped; reusing it keeps "what the list shows" and
# "what these helpers answer about" the same set of tasks.
from engine.services.cases.tasks import _scoped
from engine.services.context import ServiceContext
from engine.services.errors import NotFoundError
from engine.services.views import Actor, TaskView


@dataclass(frozen=True)
class Choice:
    """One option of a select: the value sent and the label shown."""

    value: str
    label: str


@dataclass(frozen=True)
class FilterChoices:
    """The values the inbox filters can take for this actor."""

    help_desks: tuple[Choice, ...]
    applications: tuple[Choice, ...]
    states: tuple[Choice, ...]

    def help_desk_names(self) -> dict[str, str]:
        """Help desk code -> name."""
        return {choice.value: choice.label for choice in self.help_desks}


@dataclass(frozen=True)
class Person:
    """Someone a task can be assigned to."""

    username: str
    full_name: str

    @property
    def label(self) -> str:
        """'Full Name (username)', or the user name alone."""
        return f"{self.full_name} ({self.username})" if self.full_name else self.username


def filter_choices(ctx: ServiceContext, actor: Actor) -> FilterChoices:
    """Help desks, applications and case states among the open tasks the actor may see."""
    with ctx.db.read() as session:
        visible = _scoped(session, actor, "all").subquery()
        desks = session.execute(
            select(visible.c.help_desk_code, HelpDesk.name).distinct()
            .outerjoin(HelpDesk, HelpDesk.code == visible.c.help_desk_code)
            .where(visible.c.help_desk_code.is_not(None))).all()
        applications = session.scalars(select(visible.c.application).distinct()).all()
        states = session.scalars(select(visible.c.state).distinct()).all()
    return FilterChoices(help_desks=_sorted(Choice(code, name or code) for code, name in desks),
                         applications=_sorted(Choice(name, name) for name in applications if name),
                         states=_sorted(Choice(name, name) for name in states if name))


def _sorted(choices: Iterable[Choice]) -> tuple[Choice, ...]:
    return tuple(sorted(choices, key=lambda choice: (choice.label.casefold(), choice.value)))


def find_open_task(ctx: ServiceContext, actor: Actor, task_id: str) -> TaskView:
    """An open task the actor may see in their inbox; NotFoundError for any other id (leaks nothing)."""
    with ctx.db.read() as session:
        row = session.execute(_scoped(session, actor, "all").where(InboxTask.id == task_id)).first()
        if row is None:
            raise NotFoundError(f"la tarea {task_id} no existe")
        task, case = row
        return TaskView.of(task, case)


def candidate_people(ctx: ServiceContext, tasks: Sequence[TaskView]) -> dict[str, tuple[Person, ...]]:
    """For each task id: the active members of its candidate groups and its active candidate users, by name."""
    groups = {name for task in tasks for name in task.candidate_groups}
    users = {name for task in tasks for name in task.candidate_users}
    with ctx.db.read() as session:
        members = _members(session, groups)
        named = {p.username: p for p in _people(session, users)}
    result: dict[str, tuple[Person, ...]] = {}
    for task in tasks:
        found = {p.username: p for group in task.candidate_groups for p in members.get(group, ())}
        found.update((u, named[u]) for u in task.candidate_users if u in named)
        result[task.id] = tuple(sorted(found.values(), key=lambda p: (p.label.casefold(), p.username)))
    return result


def _members(session: Session, groups: Iterable[str]) -> dict[str, list[Person]]:
    names = sorted(groups)
    if not names:
        return {}
    rows = session.execute(
        select(Group.name, User.username, User.full_name)
        .join(Membership, Membership.group_id == Group.id).join(User, User.id == Membership.user_id)
        .where(Group.name.in_(names), User.active.is_(True))).all()
    members: dict[str, list[Person]] = {}
    for group, username, full_name in rows:
        members.setdefault(group, []).append(Person(username, full_name))
    return members


def _people(session: Session, usernames: Iterable[str]) -> list[Person]:
    names = sorted(usernames)
    if not names:
        return []
    rows = session.execute(select(User.username, User.full_name)
                           .where(User.username.in_(names), User.active.is_(True))).all()
    return [Person(username, full_name) for username, full_name in rows]
