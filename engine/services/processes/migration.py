"""Migrate the open cases of one deployed version to another: a dry run, then each case in its own transaction.

Each migrated case goes through the Step machinery, so its inbox rows, next timer, data projection and audit
chain are written as for any other step. The audited `case.migrated` event leads its step like a completed
task: it carries `changes` and `state` (normally nothing changes) and replay moves its own instance at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.audit import NewEvent
from engine.db.models import Case, Deployment
from engine.services.cases.stepping import Step, lock_case
from engine.services.context import DeployedProcess, ServiceContext
from engine.services.errors import ConflictError, ForbiddenError, NotFoundError, ProcessError, StoredStateError
from engine.services.people import policy
from engine.services.views import Actor
from engine.workflow.facade import MigrationResult
from engine.workflow.replay import MIGRATE

MIGRATED = MIGRATE


@dataclass(frozen=True)
class MigrationItem:
    """One case of a migration: ok (dry run), migrated, blocked or failed (apply) with its reasons."""

    case_id: int
    ticket: str | None
    status: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Versions:
    source: DeployedProcess
    target: DeployedProcess


def dry_run(ctx: ServiceContext, actor: Actor, process_id: str, from_version: int,
            to_version: int) -> list[MigrationItem]:
    """Each open case on the source version as ok or blocked (with reasons); nothing is written."""
    _ensure_may_migrate(actor)
    with ctx.db.read() as session:
        versions = _versions(ctx, session, process_id, from_version, to_version)
        cases = _open_cases(session, versions.source.deployment_id)
        return [_check(ctx, session, case, actor, versions) for case in cases]


def apply(ctx: ServiceContext, actor: Actor, process_id: str, from_version: int,
          to_version: int) -> list[MigrationItem]:
    """Migrate every open case that can move, each in its own transaction; blocked cases stay untouched."""
    _ensure_may_migrate(actor)
    with ctx.db.read() as session:
        versions = _versions(ctx, session, process_id, from_version, to_version)
        case_ids = [case.id for case in _open_cases(session, versions.source.deployment_id)]
    return [_migrate_guarded(ctx, actor, case_id, versions) for case_id in case_ids]


def _migrate_guarded(ctx: ServiceContext, actor: Actor, case_id: int, versions: _Versions) -> MigrationItem:
    """One case; a failure rolls back that case only and is reported (the others still move)."""
    try:
        return _migrate_one(ctx, actor, case_id, versions)
    except (ProcessError, ConflictError) as exc:
        return MigrationItem(case_id, None, "failed", (str(exc),))


def _ensure_may_migrate(actor: Actor) -> None:
    if not policy.may_deploy(actor):
        raise ForbiddenError("solo los dueños del proceso y los administradores pueden migrar casos")


def _versions(ctx: ServiceContext, session: Session, process_id: str, from_version: int,
              to_version: int) -> _Versions:
    if from_version == to_version:
        raise NotFoundError("las versiones de origen y destino son la misma")
    return _Versions(_deployed(ctx, session, process_id, from_version), _deployed(ctx, session, process_id, to_version))


def _deployed(ctx: ServiceContext, session: Session, process_id: str, version: int) -> DeployedProcess:
    deployment_id = session.scalar(select(Deployment.id).where(Deployment.process_id == process_id,
                                                               Deployment.version == version))
    if deployment_id is None:
        raise NotFoundError(f"el proceso {process_id} no tiene versión {version}")
    return ctx.specs.get(session, deployment_id)


def _open_cases(session: Session, deployment_id: int) -> list[Case]:
    return list(session.scalars(select(Case).where(Case.deployment_id == deployment_id, Case.is_open.is_(True))
                                .order_by(Case.id)))


def _check(ctx: ServiceContext, session: Session, case: Case, actor: Actor, versions: _Versions) -> MigrationItem:
    try:
        reasons = Step(ctx, session, case, actor, ctx.clock.now()).load().blocking_reasons(versions.target.process)
    except StoredStateError as exc:  # one unreadable case does not hide what the others would do
        reasons = [str(exc)]
    return MigrationItem(case.id, case.ticket, "blocked" if reasons else "ok", tuple(reasons))


def _migrate_one(ctx: ServiceContext, actor: Actor, case_id: int, versions: _Versions) -> MigrationItem:
    with ctx.db.write() as session:
        case = lock_case(session, case_id)
        if case.deployment_id != versions.source.deployment_id or not case.is_open:
            return MigrationItem(case.id, case.ticket, "blocked", ("el caso cambió de versión o terminó",))
        now = ctx.clock.now()
        step = Step(ctx, session, case, actor, now)
        workflow = step.load()
        reasons = workflow.blocking_reasons(versions.target.process)
        if reasons:
            return MigrationItem(case.id, case.ticket, "blocked", tuple(reasons))
        results: list[MigrationResult] = []
        step.run(lambda: results.append(workflow.migrate(versions.target.process, now)))
        result = results[0]
        case.deployment_id, step.deployed = versions.target.deployment_id, versions.target
        step.finish(_event(actor, now, versions, result))  # data, state, inbox rows, next timer, audit
        _rename_open_rows(step)
        session.flush()
        return MigrationItem(case.id, case.ticket, "migrated")


def _rename_open_rows(step: Step) -> None:
    """Open inbox rows kept their task id: show them with the target version's name, lane and form
    (assignments stay)."""
    for row in step.open_rows:
        element = step.deployed.process.element(row.element_id)
        if element is None:
            continue
        form = step.deployed.form_for(row.element_id)
        row.name, row.lane, row.form_id = element.name, element.lane, form.id if form else None


def _event(actor: Actor, now: datetime, versions: _Versions, result: MigrationResult) -> NewEvent:
    payload = {
        "from_deployment": versions.source.deployment_id, "to_deployment": versions.target.deployment_id,
        "from_version": versions.source.version, "to_version": versions.target.version,
        "tasks": result.tasks, "timers": [{"element_id": t.element_id, "due": t.due} for t in result.timers],
    }
    return NewEvent(MIGRATED, actor.username, now, None, payload)
