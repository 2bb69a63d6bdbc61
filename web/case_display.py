"""How a case's tasks look to the signed-in actor: what they may do, and why not.

These only choose which buttons to show; the engine checks every action again when it is made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from engine.services.views import Actor, CaseView, TaskView
from web.context import current_actor
from web.layout import local_datetime
from web.timeline import display_value

AGENT_ROLES = frozenset({"agente", "admin"})
READ_ONLY_ROLES = frozenset({"auditor"})
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


def is_candidate(actor: Actor, task: TaskView) -> bool:
    """The actor is one of the task's candidate users or in one of its candidate groups."""
    return actor.username in task.candidate_users or bool(actor.groups & set(task.candidate_groups))


def may_complete(actor: Actor, task: TaskView) -> bool:
    """Open task, and the actor is its assignee, a candidate of it while unassigned, or an administrator."""
    if task.completed_at is not None or actor.role in READ_ONLY_ROLES:
        return False
    if actor.role == "admin":
        return True
    return task.assignee == actor.username if task.assignee else is_candidate(actor, task)


def may_claim(actor: Actor, task: TaskView) -> bool:
    """An unassigned open task an agent is a candidate for (administrators take any)."""
    if task.completed_at is not None or task.assignee or actor.role not in AGENT_ROLES:
        return False
    return actor.role == "admin" or is_candidate(actor, task)


def may_release(actor: Actor, task: TaskView) -> bool:
    """An open task assigned to the agent (administrators release any)."""
    if task.completed_at is not None or not task.assignee or actor.role not in AGENT_ROLES:
        return False
    return actor.role == "admin" or task.assignee == actor.username


def pending_for(actor: Actor, case: CaseView) -> list[TaskView]:
    """The case's ready tasks the actor may complete now."""
    return [task for task in case.ready_tasks if may_complete(actor, task)]


def why_read_only(actor: Actor, task: TaskView) -> str:
    """Why the actor only sees the task's form (empty when they may complete it)."""
    if task.completed_at is not None:
        who = f" por {task.completed_by}" if task.completed_by else ""
        return f"Esta tarea ya no está pendiente: se cerró el {local_datetime(task.completed_at)}{who}."
    if actor.role in READ_ONLY_ROLES:
        return "Su rol solo permite consultar."
    if may_complete(actor, task):
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
    rows = [TaskRow(task, may_complete(actor, task), may_claim(actor, task), may_release(actor, task),
                    responsible(task), is_overdue(task, now)) for task in tasks]
    return sorted(rows, key=lambda row: not row.may_complete)


def case_summary(case: CaseView) -> list[tuple[str, str]]:
    """The main variables, options by their labels ("Incidencia", not "incidencia")."""
    return [(label, display_value(case.shown(key))) for key, label in SUMMARY_KEYS
            if case.data.get(key) not in (None, "")]
