"""The policy's case visibility as SQL conditions, so lists filter thousands of cases in the database.

`policy.may_view_case` answers for one case in Python; `visible_cases` is the same rule on the `cases` table (and
`tests/integration/test_tenancy.py` checks that both agree for every kind of actor).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from engine.db.models import Case, InboxTask, TaskCandidate
from engine.services.people import policy
from engine.services.people.enforce import case_desks
from engine.services.views import Actor


def visible_cases(session: Session, actor: Actor) -> ColumnElement[bool] | None:
    """A condition on Case selecting the cases the actor may see (None: every case)."""
    if policy.reads_all_cases(actor):
        return None
    mine = Case.requester == actor.username
    if not policy.reads_by_desk_and_task(actor):
        return mine
    clauses = [mine, Case.id.in_(select(InboxTask.case_id).where(offered_tasks(actor)))]
    desks = case_desks(session, actor)
    if desks:
        clauses.append(Case.help_desk_code.in_(desks))
    return or_(*clauses)


def offered_tasks(actor: Actor) -> ColumnElement[bool]:
    """A condition on InboxTask: `policy.was_offered` (open or completed tasks alike)."""
    candidate = select(TaskCandidate.task_id).where(or_(
        (TaskCandidate.kind == "group") & TaskCandidate.name.in_(actor.groups or {""}),
        (TaskCandidate.kind == "user") & (TaskCandidate.name == actor.username)))
    return or_(InboxTask.assignee == actor.username, InboxTask.completed_by == actor.username,
               InboxTask.id.in_(candidate))
