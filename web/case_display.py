"""How a case's tasks look to the signed-in actor: what they may do, and why not.

The answers come from the engine's permission policy, the same functions the engine enforces each action with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from engine.services.people import policy
from engine.services.views import Actor, CaseView, TaskView
from web.context import current_actor
from web.layout import local_datetime
from web.timeline import display_value

# Shown with the case's data; every other variable is listed under "Todos los datos" for staff.
SUMMARY_KEYS = (("descripcion", "Descripción"), ("tipo", "Tipo de solicitud"), ("canal", "Canal"),
                ("contacto", "Contacto"), ("prioridad", "Prioridad"), ("categoria", "Categoría"),
                ("informacion_faltante", "Información solicitada"),
                ("informacion_adicional", "Información agregada por el solicitante"))


def signed_in() -> Actor:
    """The actor of a view behind login_required."""
    actor = current_actor()
    assert actor is not None  # login_required
    return actor


def pending_for(actor: Actor, case: CaseView) -> list[TaskView]:
    """The case's ready tasks the actor may complete now."""
    return [task for task in case.ready_tasks if policy.may_complete(actor, task)]


def why_read_only(actor: Actor, task: TaskView) -> str:
    """Why the actor only sees the task's form (empty when they may complete it)."""
    if task.completed_at is not None:
        who = f" por {task.completed_by}" if task.completed_by else ""
        return f"Esta tarea ya no está pendiente: se cerró el {local_datetime(task.completed_at)}{who}."
    if not policy.may_write(actor):
        return "Su rol solo permite consultar."
    if policy.may_complete(actor, task):
        return ""
    if task.assignee:
        return f"La tarea está asignada a {task.assignee}."
    return "La tarea corresponde a otro grupo o persona."


def responsible(task: TaskView) -> str:
    """Who is expected to act: the assignee, else the candidates, else the lane."""
    if task.assignee:
        return task.assignee
    names = [*task.candidate_users, *task.candidate_groups]
    return ", ".join(names) or task.lane or "sin asignar"


def is_overdue(task: TaskView, now: datetime) -> bool:
    """The task's due date has passed."""
    return task.due_at is not None and task.due_at < now


@dataclass(frozen=True)
class TaskRow:
    """A ready task with what the actor may do about it."""

    task: TaskView
    may_complete: bool
    may_claim: bool
    may_release: bool
    responsible: str
    overdue: bool


def task_rows(actor: Actor, tasks: Iterable[TaskView], now: datetime) -> list[TaskRow]:
    """The tasks for the page, the ones the actor may complete first."""
    rows = [TaskRow(task, policy.may_complete(actor, task), policy.may_claim(actor, task),
                    policy.may_release(actor, task), responsible(task), is_overdue(task, now)) for task in tasks]
    return sorted(rows, key=lambda row: not row.may_complete)


def case_summary(case: CaseView) -> list[tuple[str, str]]:
    """The main variables, options by their labels ("Incidencia", not "incidencia")."""
    return [(label, display_value(case.shown(key))) for key, label in SUMMARY_KEYS
            if case.data.get(key) not in (None, "")]
