"""The one permission policy: what an actor may see and do, on a case or a task, answered from plain values.

Pure functions over an Actor and a TaskView (no session, no framework): the engine enforces with them, and the web
and the API choose what to show with the very same functions, so a button and its check cannot disagree. A
`*_refusal` function names the error an action would meet (None: allowed); `may_*` is its yes or no.

Help desks are tenants (procedure, policies 2 and 4). What an actor reads of them comes as plain sets of help-desk
codes that `enforce` loads from the relations: the desks of their groups (agents), the desks they coordinate
(HelpDeskCoordinator) and the desks of every dependency under one they head (DependencyHead). Coordinators and
heads follow cases up read-only: they never comment, upload, claim, assign or complete (the work and the
conversation with the requester stay with the agents who hold the case). Members of an external level-3 group
(providers, outside bodies) see only the cases once escalated to their group and never what is internal.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from engine.services.errors import ConflictError, ForbiddenError, NotFoundError, ServiceError
from engine.services.views import Actor, Role, TaskView

USER_ROLES = tuple(role for role in Role if role is not Role.SYSTEM)
READS_ALL = frozenset({Role.ADMIN, Role.AUDITOR, Role.OWNER})
# Roles that read cases without changing them: auditors everything, coordinators their help desks'.
CASE_READERS = frozenset({Role.AUDITOR, Role.COORDINATOR})
WORKERS = frozenset({Role.AGENT, Role.ADMIN})
REPORTERS = frozenset({Role.REQUESTER, Role.AGENT, Role.OWNER, Role.ADMIN})
PROCESS_OWNERS = frozenset({Role.OWNER, Role.ADMIN})
AUDITORS = READS_ALL | {Role.AGENT}
READ_ONLY = "los auditores solo pueden consultar"
FOLLOW_UP_ONLY = "los coordinadores hacen seguimiento: solo consultan los casos"
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
    """DNP staff read internal notes and working data; requesters and external providers never do."""
    return actor.role is not Role.REQUESTER and not actor.external


def may_write(actor: Actor) -> bool:
    """Everybody but auditors and coordinators may change a case (they only read)."""
    return actor.role not in CASE_READERS


def read_only_refusal(actor: Actor) -> ServiceError | None:
    """Why the actor may change no case at all (None: they may change some)."""
    if may_write(actor):
        return None
    return ForbiddenError(FOLLOW_UP_ONLY if actor.role is Role.COORDINATOR else READ_ONLY)


def may_report(actor: Actor) -> bool:
    """Who may report a case."""
    return actor.role in REPORTERS


def may_report_for_others(actor: Actor) -> bool:
    """Agents (not external providers) and administrators register cases on behalf of another person."""
    return actor.role in WORKERS and not actor.external


def works_tasks(actor: Actor) -> bool:
    """Agents and administrators take, release and assign tasks and write internal notes."""
    return actor.role in WORKERS


def uses_inbox(actor: Actor) -> bool:
    """Agents and administrators work the inbox; auditors, owners and coordinators read it."""
    return actor.role in WORKERS | READS_ALL | {Role.COORDINATOR}


def may_audit(actor: Actor) -> bool:
    """Who opens the audit pages and replays cases (agents: only the cases they see; never an external provider,
    since a case's full history holds its internal notes)."""
    return actor.is_system or (actor.role in AUDITORS and not actor.external)


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
    """Requesters see their own cases; staff those of the help desks they read (`desks`, from `case_desks`) and
    those any of whose tasks (open or done) was theirs; auditors, owners and administrators all.

    A case of another process belongs to no help desk: only its tasks' people, its starter and those who read all.
    """
    if reads_all_cases(actor) or requester == actor.username:
        return True
    if not needs_desks_and_tasks(actor, requester):
        return False
    return (help_desk is not None and help_desk in desks) or any(was_offered(actor, task) for task in tasks)


def needs_desks_and_tasks(actor: Actor, requester: str) -> bool:
    """Whether may_view_case needs the actor's help desks and the case's tasks to answer (staff on others' cases)."""
    return reads_by_desk_and_task(actor) and requester != actor.username


def reads_by_desk_and_task(actor: Actor) -> bool:
    """Agents and coordinators read the cases of some help desks and of their tasks, not every case."""
    return actor.role in (Role.AGENT, Role.COORDINATOR)


def case_desks(actor: Actor, *, member_of: Collection[str], coordinated: Collection[str],
               headed: Collection[str]) -> frozenset[str]:
    """The help desks whose every case the actor reads: agents their groups' desks, coordinators the desks they
    coordinate, and anyone on staff the desks under a dependency they head; external providers none."""
    if actor.external or actor.role is Role.REQUESTER:
        return frozenset()
    own = member_of if actor.role is Role.AGENT else ()
    return frozenset(own) | frozenset(coordinated) | frozenset(headed)


def was_offered(actor: Actor, task: TaskView) -> bool:
    """The task was offered to the actor or one of their groups, or they held or completed it."""
    return is_candidate(actor, task) or actor.username in (task.assignee, task.completed_by)


def start_refusal(actor: Actor, requester: str | None) -> ServiceError | None:
    """Why the actor may not start a case (for `requester`, when not themselves)."""
    if (refusal := read_only_refusal(actor)) is not None:
        return refusal
    if requester and requester != actor.username and not may_report_for_others(actor):
        return ForbiddenError("solo un agente puede registrar un caso a nombre de otra persona")
    return None


def comment_refusal(actor: Actor, visibility: str) -> ServiceError | None:
    """Why the actor may not comment on a case they see (internal notes are the agents')."""
    if (refusal := read_only_refusal(actor)) is not None:
        return refusal
    if visibility == "internal" and not (works_tasks(actor) and sees_internal(actor)):
        return ForbiddenError("solo los agentes escriben notas internas")
    return None


def upload_refusal(actor: Actor, visibility: str) -> ServiceError | None:
    """Why the actor may not attach a file to a case they see (internal files are the staff's)."""
    if (refusal := read_only_refusal(actor)) is not None:
        return refusal
    if visibility not in ("public", "internal") or (visibility == "internal" and not sees_internal(actor)):
        return ForbiddenError("solo los agentes adjuntan archivos internos")
    return None


# Help desks: their setup, groups and protocol (coordination and headship are relations: `enforce` loads them).

def manages_all_desks(actor: Actor) -> bool:
    """Administrators (and the scheduler) manage every help desk, create them and edit the dependency tree."""
    return actor.is_system or actor.role is Role.ADMIN


def reads_all_desks(actor: Actor) -> bool:
    """Administrators, auditors and process owners read the setup of every help desk."""
    return actor.is_system or actor.role in READS_ALL


def may_manage_desk(actor: Actor, code: str, *, coordinated: Collection[str]) -> bool:
    """Administrators manage every help desk; a linked coordinator (never an auditor) the ones they coordinate."""
    if manages_all_desks(actor):
        return True
    return actor.role not in (Role.AUDITOR, Role.REQUESTER) and code in coordinated


def may_read_desk(actor: Actor, code: str, *, coordinated: Collection[str], headed: Collection[str]) -> bool:
    """Those who read every help desk, its coordinators, and the head of a dependency above it."""
    return reads_all_desks(actor) or may_manage_desk(actor, code, coordinated=coordinated) or code in headed


def manage_desk_refusal(actor: Actor, *, coordinated: Collection[str], code: str) -> ServiceError | None:
    """Why the actor may not change this help desk (auditors: Forbidden; the others: it does not exist for them)."""
    if actor.role is Role.AUDITOR:
        return ForbiddenError(READ_ONLY)
    if not may_manage_desk(actor, code, coordinated=coordinated):
        return NotFoundError(f"la mesa '{code}' no existe")
    return None


def may_head_dependency(role: Role) -> bool:
    """A jefe de dependencia holds the coordinator role: it reads the cases under the unit and changes none."""
    return role is Role.COORDINATOR


def read_tree_refusal(actor: Actor) -> ServiceError | None:
    """Why the actor may not read the dependency tree and its heads (those who open the help-desk administration)."""
    if actor.is_system or may_administer_help_desks(actor):
        return None
    return ForbiddenError("no tiene permiso para consultar las dependencias")


def administer_refusal(actor: Actor) -> ServiceError | None:
    """Why the actor may not create help desks or edit the dependency tree (administrators only)."""
    if actor.role is Role.AUDITOR:
        return ForbiddenError(READ_ONLY)
    if not manages_all_desks(actor):
        return ForbiddenError("solo un administrador puede hacer esto")
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
    """Requesters open only the tasks addressed to them, providers only those offered to them (the others show
    the agents' working data)."""
    if actor.external:
        return was_offered(actor, task)
    if actor.role is not Role.REQUESTER:
        return True
    return task.assignee == actor.username and (task.completed_at is None or task.completed_by == actor.username)


def complete_refusal(actor: Actor, task: TaskView) -> ServiceError | None:
    """Why the actor may not complete the task (whether it is still open is the caller's check)."""
    if (refusal := read_only_refusal(actor)) is not None:
        return refusal
    if not may_work_on(actor, task):
        owner = f"está asignada a {task.assignee}" if task.assignee else "no es de sus grupos"
        return ForbiddenError(f"no puede completar la tarea '{task.name}': {owner}")
    return None


def may_complete(actor: Actor, task: TaskView) -> bool:
    """An open task the actor may complete now."""
    return task.completed_at is None and complete_refusal(actor, task) is None


def claim_refusal(actor: Actor, task: TaskView) -> ServiceError | None:
    """Why the actor may not take the task (taking one's own task again changes nothing and is allowed)."""
    if (refusal := read_only_refusal(actor)) is not None:
        return refusal
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
    if (refusal := read_only_refusal(actor)) is not None:
        return refusal
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
    if (refusal := read_only_refusal(actor)) is not None:
        return refusal
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


def may_administer_help_desks(actor: Actor) -> bool:
    """Who opens the help-desk administration: administrators, auditors (read only), and agents, owners and
    coordinators, who may coordinate or head a help desk (the services answer 404 for any other desk)."""
    return actor.role in {Role.ADMIN, Role.AUDITOR, Role.AGENT, Role.OWNER, Role.COORDINATOR}
