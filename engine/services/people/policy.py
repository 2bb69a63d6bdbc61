"""The one permission policy: what an actor may see and do, on a case or a task, answered from plain values.

Pure functions over an Actor and a TaskView (no session, no framework): the engine enforces with them, and the web
and the API choose what to show with the very same functions, so a button and its check cannot disagree. A
`*_refusal` function names the error an action would meet (None: allowed); `may_*` is its yes or no.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from engine.services.errors import ConflictError, ForbiddenError, ServiceError
from engine.services.views import Actor, Role, TaskView

USER_ROLES = tuple(role for role in Role if role is not Role.SYSTEM)
READS_ALL = frozenset({Role.ADMIN, Role.AUDITOR, Role.OWNER})
WORKERS = frozenset({Role.AGENT, Role.ADMIN})
REPORTERS = frozenset({Role.REQUESTER, Role.AGENT, Role.OWNER, Role.ADMIN})
PROCESS_OWNERS = frozenset({Role.OWNER, Role.ADMIN})
AUDITORS = READS_ALL | {Role.AGENT}
READ_ONLY = "los auditores solo pueden consultar"
ONLY_CANDIDATES = "solo puede asignar la tarea a personas de sus grupos candidatos"
NOT_THE_REQUESTER = "la tarea no puede asignarse al solicitante del caso"


# What a role opens at all (pages, API resources, menu entries).

def reads_all_cases(actor: Actor) -> bool:
    """Auditors, process owners, administrators (and the scheduler) read every case."""
    return actor.is_system or actor.role in READS_ALL


def sees_only_own_cases(actor: Actor) -> bool:
    """Requesters list only the cases they reported."""
    return actor.role is Role.REQUESTER


def sees_internal(actor: Actor) -> bool:
    """Agents, owners, auditors and administrators read internal notes and working data; requesters never do."""
    return actor.role is not Role.REQUESTER


def may_write(actor: Actor) -> bool:
    """Everybody but auditors may change something (auditors only read)."""
    return actor.role is not Role.AUDITOR


def may_report(actor: Actor) -> bool:
    """Who may report a case."""
    return actor.role in REPORTERS


def may_report_for_others(actor: Actor) -> bool:
    """Agents and administrators register cases on behalf of another person."""
    return actor.role in WORKERS


def works_tasks(actor: Actor) -> bool:
    """Agents and administrators take, release and assign tasks and write internal notes."""
    return actor.role in WORKERS


def uses_inbox(actor: Actor) -> bool:
    """Agents and administrators work the inbox; auditors and owners read it."""
    return actor.role in WORKERS | READS_ALL


def may_audit(actor: Actor) -> bool:
    """Who opens the audit pages and replays cases (agents: only the cases they see)."""
    return actor.is_system or actor.role in AUDITORS


def may_export(actor: Actor) -> bool:
    """Only those who read every case export the event log."""
    return reads_all_cases(actor)


def reads_processes(actor: Actor) -> bool:
    """Process owners, administrators and auditors read deployed versions and their diffs."""
    return actor.role in PROCESS_OWNERS | {Role.AUDITOR}


def may_deploy(actor: Actor) -> bool:
    """Process owners and administrators deploy versions and migrate cases."""
    return actor.role in PROCESS_OWNERS


def reads_mailbox(actor: Actor, *, demo: bool) -> bool:
    """The captured mail: anybody signed in during a demonstration, otherwise administrators only."""
    return demo or actor.role is Role.ADMIN


# Cases.

def may_view_case(actor: Actor, requester: str, help_desk: str | None, *, desks: Collection[str] = (),
                  tasks: Iterable[TaskView] = ()) -> bool:
    """Requesters see their own cases; agents those of their help desks or tasks; auditors and owners all."""
    if reads_all_cases(actor) or requester == actor.username:
        return True
    if not needs_desks_and_tasks(actor, requester):
        return False
    return (help_desk is not None and help_desk in desks) or any(may_work_on(actor, task) for task in tasks)


def needs_desks_and_tasks(actor: Actor, requester: str) -> bool:
    """Whether may_view_case needs the actor's help desks and the case's tasks to answer (agents on others' cases)."""
    return actor.role is Role.AGENT and requester != actor.username


def start_refusal(actor: Actor, requester: str | None) -> ServiceError | None:
    """Why the actor may not start a case (for `requester`, when not themselves)."""
    if not may_write(actor):
        return ForbiddenError(READ_ONLY)
    if requester and requester != actor.username and not may_report_for_others(actor):
        return ForbiddenError("solo un agente puede registrar un caso a nombre de otra persona")
    return None


def comment_refusal(actor: Actor, visibility: str) -> ServiceError | None:
    """Why the actor may not comment on a case they see (internal notes are the agents')."""
    if not may_write(actor):
        return ForbiddenError(READ_ONLY)
    if visibility == "internal" and not works_tasks(actor):
        return ForbiddenError("solo los agentes escriben notas internas")
    return None


def upload_refusal(actor: Actor, visibility: str) -> ServiceError | None:
    """Why the actor may not attach a file to a case they see (internal files are the staff's)."""
    if not may_write(actor):
        return ForbiddenError(READ_ONLY)
    if visibility not in ("public", "internal") or (visibility == "internal" and not sees_internal(actor)):
        return ForbiddenError("solo los agentes adjuntan archivos internos")
    return None


# Tasks.

def is_candidate(actor: Actor, task: TaskView) -> bool:
    """The actor is one of the task's candidate users or in one of its candidate groups."""
    return actor.username in task.candidate_users or bool(actor.groups & set(task.candidate_groups))


def is_agent_task(task: TaskView) -> bool:
    """Tasks offered to groups are the agents'; the requester's tasks are addressed to them by name."""
    return bool(task.candidate_groups)


def may_work_on(actor: Actor, task: TaskView) -> bool:
    """Assignee, or a candidate of an unassigned task, or an administrator (or the scheduler)."""
    if actor.is_system or actor.role is Role.ADMIN:
        return True
    if task.assignee:
        return task.assignee == actor.username
    return is_candidate(actor, task)


def may_open_task(actor: Actor, task: TaskView) -> bool:
    """Requesters open only the tasks addressed to them (the others show the agents' working data)."""
    if actor.role is not Role.REQUESTER:
        return True
    return task.assignee == actor.username and (task.completed_at is None or task.completed_by == actor.username)


def complete_refusal(actor: Actor, task: TaskView) -> ServiceError | None:
    """Why the actor may not complete the task (whether it is still open is the caller's check)."""
    if not may_write(actor):
        return ForbiddenError(READ_ONLY)
    if not may_work_on(actor, task):
        owner = f"está asignada a {task.assignee}" if task.assignee else "no es de sus grupos"
        return ForbiddenError(f"no puede completar la tarea '{task.name}': {owner}")
    return None


def may_complete(actor: Actor, task: TaskView) -> bool:
    """An open task the actor may complete now."""
    return task.completed_at is None and complete_refusal(actor, task) is None


def claim_refusal(actor: Actor, task: TaskView) -> ServiceError | None:
    """Why the actor may not take the task (taking one's own task again changes nothing and is allowed)."""
    if not may_write(actor):
        return ForbiddenError(READ_ONLY)
    if task.assignee and task.assignee != actor.username:
        return ConflictError(f"la tarea ya fue tomada por {task.assignee}")
    if not (actor.role is Role.ADMIN or (works_tasks(actor) and is_candidate(actor, task))):
        return ForbiddenError("solo los candidatos de la tarea pueden tomarla")
    return None


def may_claim(actor: Actor, task: TaskView) -> bool:
    """An open, unassigned task the actor may take."""
    return task.completed_at is None and task.assignee is None and claim_refusal(actor, task) is None


def release_refusal(actor: Actor, task: TaskView) -> ServiceError | None:
    """Why the actor may not give the task back to its candidates."""
    if not may_write(actor):
        return ForbiddenError(READ_ONLY)
    if task.assignee is None:
        return ConflictError("la tarea no está asignada")
    if not works_tasks(actor):
        return ForbiddenError("solo los agentes liberan tareas")
    if actor.role is not Role.ADMIN and task.assignee != actor.username:
        return ForbiddenError(f"la tarea está asignada a {task.assignee}")
    return None


def may_release(actor: Actor, task: TaskView) -> bool:
    """An open, assigned task the actor may release."""
    return task.completed_at is None and task.assignee is not None and release_refusal(actor, task) is None


def assign_refusal(actor: Actor, task: TaskView) -> ServiceError | None:
    """Why the actor may not assign the task at all (administrators; a candidate agent while it is free or theirs)."""
    if not may_write(actor):
        return ForbiddenError(READ_ONLY)
    admin = actor.role is Role.ADMIN
    if not admin and not (works_tasks(actor) and is_candidate(actor, task) and task.assignee in (None, actor.username)):
        return ForbiddenError("solo un administrador o un candidato de la tarea puede asignarla")
    return None


def may_assign(actor: Actor, task: TaskView) -> bool:
    """An open task the actor may assign to someone."""
    return task.completed_at is None and assign_refusal(actor, task) is None


def assignee_refusal(actor: Actor, task: TaskView, target: str, *, candidate: bool) -> ServiceError | None:
    """Why the task may not go to `target` (`candidate`: one of its candidate users or in one of its groups): never
    to the case's requester when it is an agents' task, and, unless an administrator assigns it, only to a candidate."""
    if target == task.requester and is_agent_task(task):
        return ForbiddenError(NOT_THE_REQUESTER)
    if actor.role is not Role.ADMIN and not candidate:
        return ForbiddenError(ONLY_CANDIDATES)
    return None


def ensure(refusal: ServiceError | None) -> None:
    """Raise the refusal, if there is one."""
    if refusal is not None:
        raise refusal
