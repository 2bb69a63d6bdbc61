"""The inbox projection: READY user tasks as indexed rows, kept in step with each case."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import InboxTask, TaskCandidate
from engine.expressions import ExpressionError, evaluate_text
from engine.services.context import DeployedProcess
from engine.services.errors import ProcessError
from engine.workflow.facade import ReadyTask

DEFAULT_PRIORITY = 50


@dataclass(frozen=True)
class InboxChange:
    """Where and when a step changes a case's inbox rows: its session, case, version, instant and actor."""

    session: Session
    case_id: int
    deployed: DeployedProcess
    now: datetime
    actor: str
    functions: Mapping[str, Callable[..., Any]]
    is_new: bool = False


def sync_inbox(change: InboxChange, ready: list[ReadyTask], completed_task_id: str | None) -> list[InboxTask]:
    """Close rows of tasks no longer ready, add rows for newly ready ones (assignments on open rows stay);
    return the open rows in creation order."""
    open_rows: dict[str, InboxTask] = {}
    if not change.is_new:  # a case being started has no rows yet
        open_rows = {row.id: row for row in change.session.scalars(
            select(InboxTask).where(InboxTask.case_id == change.case_id, InboxTask.completed_at.is_(None)))}
    ready_ids = {task.task_id for task in ready}
    for row_id, row in open_rows.items():
        if row_id not in ready_ids:
            completed = row_id == completed_task_id
            row.completed_at = change.now
            row.completed_by = change.actor if completed else None
            row.outcome = "completed" if completed else "cancelled"
    still_open = [row for row_id, row in open_rows.items() if row_id in ready_ids]
    for task in ready:
        if task.task_id not in open_rows:
            still_open.append(_add_row(change, task))
    # Candidate rows of closed tasks stay (who could have done it); inbox queries join on open tasks only.
    return still_open


def _add_row(change: InboxChange, task: ReadyTask) -> InboxTask:
    element_id, camunda = task.element_id, task.camunda
    values = _Evaluator(task, change.functions)
    groups = values.names(camunda.get("candidateGroups"), "candidateGroups")
    users = values.names(camunda.get("candidateUsers"), "candidateUsers")
    form = change.deployed.form_for(element_id)
    row = InboxTask(
        id=task.task_id, case_id=change.case_id, element_id=element_id, name=task.name, lane=task.lane,
        candidate_groups=",".join(groups), candidate_users=",".join(users),
        assignee=values.text(camunda.get("assignee"), "assignee"),
        due_at=values.instant(camunda.get("dueDate"), "dueDate"),
        follow_up_at=values.instant(camunda.get("followUpDate"), "followUpDate"),
        priority=values.priority(camunda.get("priority")),
        form_id=form.id if form else None, created_at=change.now,
    )
    change.session.add(row)
    change.session.add_all([TaskCandidate(task_id=row.id, kind="group", name=g) for g in groups]
                         + [TaskCandidate(task_id=row.id, kind="user", name=u) for u in users])
    return row


class _Evaluator:
    """Evaluates a task's assignment attributes over its data, naming the element on failure."""

    def __init__(self, task: ReadyTask, functions: Mapping[str, Callable[..., Any]]) -> None:
        self.task, self.functions = task, functions

    def _value(self, text: str | None, attribute: str) -> Any:
        if text is None or not text.strip():
            return None
        try:
            return evaluate_text(text.strip(), self.task.data, self.functions)
        except ExpressionError as exc:
            element = self.task.element_id
            raise ProcessError(f"camunda:{attribute} de {element}: {exc}", element) from exc

    def text(self, text: str | None, attribute: str) -> str | None:
        value = self._value(text, attribute)
        return str(value) if value not in (None, "") else None

    def names(self, text: str | None, attribute: str) -> list[str]:
        value = self._value(text, attribute)
        items = value if isinstance(value, list | tuple) else str(value or "").split(",")
        return sorted({str(item).strip() for item in items if str(item).strip()})

    def instant(self, text: str | None, attribute: str) -> datetime | None:
        value = self.text(text, attribute)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ProcessError(f"camunda:{attribute} de {self.task.element_id}: '{value}' no es una fecha "
                               "ISO-8601", self.task.element_id) from exc
        if moment.tzinfo is None:
            raise ProcessError(f"camunda:{attribute} de {self.task.element_id}: '{value}' no tiene zona "
                               "horaria", self.task.element_id)
        return moment

    def priority(self, text: str | None) -> int:
        value = self._value(text, "priority")
        if value is None:
            return DEFAULT_PRIORITY
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            element = self.task.element_id
            raise ProcessError(f"camunda:priority de {element}: '{value}' no es un entero", element) from exc
