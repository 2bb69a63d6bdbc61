"""Replay and time travel: rebuild a case from its pinned deployment and its audit events, and compare."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.audit import verify_case
from engine.db.models import Case, CaseEvent, Deployment, InboxTask
from engine.helpdesk.deadlines import DeadlineRules, expression_functions, recorded_functions, settings_rules
from engine.replay.check import INITIAL_STATE, CaseReplay
from engine.replay.story import StoryStep, story_of
from engine.services.context import DeployedProcess, ServiceContext
from engine.services.errors import ForbiddenError, NotFoundError, ProcessError
from engine.services.people import policy
from engine.services.people.enforce import ensure_can_view
from engine.services.views import Actor, EventView
from engine.workflow.replay import START, RecordedStep, Replayer

BATCH = 200


@dataclass(frozen=True)
class ReplayStep:
    """One workflow-advancing step as replayed: its leading event, and the state and ready tasks it left."""

    k: int
    seq: int
    kind: str
    occurred_at: datetime
    element_id: str | None
    state: str
    ready: tuple[str, ...]
    ok: bool


@dataclass(frozen=True)
class ReplayReport:
    """Whether a case's chain verifies and its replay reproduces every step; the problems otherwise."""

    case_id: int
    chain_ok: bool
    replay_ok: bool
    problems: list[str]
    steps: list[ReplayStep]

    @property
    def ok(self) -> bool:
        """Chain and replay both agree with what is stored."""
        return self.chain_ok and self.replay_ok


@dataclass(frozen=True)
class SnapshotTask:
    """A user task that was ready at that moment."""

    element_id: str
    name: str


@dataclass(frozen=True)
class CaseSnapshot:
    """The case as it was after step k (k = 0: created, before its first step); `steps` = the last k."""

    k: int
    steps: int
    event_seq: int
    occurred_at: datetime
    data: dict[str, Any]
    state: str
    completed_elements: list[str]
    active_elements: list[str]
    ready_tasks: list[SnapshotTask]
    deployment_id: int
    version: int


def replay_case(ctx: ServiceContext, actor: Actor, case_id: int) -> ReplayReport:
    """Verify a case's hash chain and replay its events, comparing path and data at every step."""
    with ctx.db.read() as session:
        case = auditable_case(session, actor, case_id)
        return replay_loaded(ctx, session, case)


def iter_replays(ctx: ServiceContext, batch: int = BATCH) -> Iterator[ReplayReport]:
    """Replay every case in id order, one short read at a time (bounded memory)."""
    last = 0
    while True:
        with ctx.db.read() as session:
            ids = list(session.scalars(select(Case.id).where(Case.id > last).order_by(Case.id).limit(batch)))
        if not ids:
            return
        for case_id in ids:
            with ctx.db.read() as session:
                case = session.get(Case, case_id)
                if case is not None:
                    yield replay_loaded(ctx, session, case)
        last = ids[-1]


def replay_all(ctx: ServiceContext) -> list[ReplayReport]:
    """Replay every case (the system verifies; no actor)."""
    return list(iter_replays(ctx))


def case_at(ctx: ServiceContext, actor: Actor, case_id: int, k: int) -> CaseSnapshot:
    """The case as it was after its k-th workflow-advancing step, computed by replaying up to it."""
    with ctx.db.read() as session:
        case = auditable_case(session, actor, case_id)
        story, _ = story_of(_events(session, case_id))
        if not 0 <= k <= len(story):
            raise NotFoundError(f"el caso {case_id} no tiene el paso {k} (tiene de 0 a {len(story)})")
        run = _case_replay(ctx, session, case, story)
        for step in story[:k]:
            run.run(step)
            if run.problems:
                raise ProcessError(f"la historia del caso {case_id} no se reproduce hasta el paso {k}: "
                                   f"{run.problems[0]}", step.lead.element_id)
        deployed = ctx.specs.get(session, run.deployment_id)
        return _snapshot(run, story, k, case, deployed)


def auditable_case(session: Session, actor: Actor, case_id: int) -> Case:
    """The case, if it exists, the actor may see it and their role audits (NotFound / Forbidden otherwise)."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"el caso {case_id} no existe")
    ensure_can_view(session, actor, case)
    if not policy.may_audit(actor):
        raise ForbiddenError("solo auditores, dueños del proceso, administradores y agentes reproducen casos")
    return case


def replay_loaded(ctx: ServiceContext, session: Session, case: Case) -> ReplayReport:
    """Verify and replay a case already loaded in `session` (the caller checked access)."""
    chain = verify_case(session, case.id, case.audit_head)
    story, problems = story_of(_events(session, case.id))
    run = _case_replay(ctx, session, case, story)
    run.problems += problems
    steps = []
    for step in story:
        before = len(run.problems)
        replayed = run.run(step)
        if replayed is None:
            break
        steps.append(_step(step, replayed.state, tuple(t.element_id for t in replayed.ready),
                           ok=len(run.problems) == before))
        if run.halted:
            break
    rows = session.scalars(select(InboxTask).where(InboxTask.case_id == case.id)
                           .order_by(InboxTask.created_at, InboxTask.id)).all()
    run.finish(case, rows)
    chain_problems = [] if chain is None else [f"cadena: evento {chain.seq or '-'}: {chain.message}"]
    return ReplayReport(case.id, chain is None, not run.problems, chain_problems + run.problems, steps)


def _step(step: StoryStep, state: str, ready: tuple[str, ...], *, ok: bool) -> ReplayStep:
    lead = step.lead
    return ReplayStep(step.k, lead.seq, lead.kind, lead.occurred_at, lead.element_id, state, ready, ok)


def _case_replay(ctx: ServiceContext, session: Session, case: Case, story: list[StoryStep]) -> CaseReplay:
    """A replay on the version the story says the case started on (migrations move it later)."""
    first, problem = _start_deployment(session, case, story)
    process = ctx.specs.get(session, first).process
    protocol = ctx.protocol_of(session, case.protocol_version_id)
    replayer = Replayer(process, _step_functions(protocol.deadlines if protocol else settings_rules(ctx.settings)),
                        INITIAL_STATE)
    run = CaseReplay(replayer, first, lambda deployment_id: ctx.specs.get(session, deployment_id).process)
    if problem:
        run.halt(story[0].seq, problem)
    return run


def _step_functions(rules: DeadlineRules) -> Callable[[RecordedStep], Mapping[str, Callable[..., Any]]]:
    """plazo() as each step recorded it; steps recorded before deadlines were (no key) recount with `rules`."""

    def functions(step: RecordedStep) -> Mapping[str, Callable[..., Any]]:
        if step.deadlines is not None:
            return recorded_functions(step.deadlines)
        return expression_functions(rules, step.at)

    return functions


def _start_deployment(session: Session, case: Case, story: list[StoryStep]) -> tuple[int, str | None]:
    """The deployment named by case.started (process and version), or the case's own with why it is not."""
    if not story or story[0].lead.kind != START:
        return case.deployment_id, None  # CaseReplay.run reports a story that does not begin with the start
    payload = story[0].lead.payload
    found = session.scalar(select(Deployment.id).where(Deployment.process_id == str(payload.get("process_id")),
                                                       Deployment.version == payload.get("version")))
    if found is None:
        return case.deployment_id, (f"el caso empezó en {payload.get('process_id')} versión "
                                    f"{payload.get('version')}, que no está desplegada")
    return found, None


def _events(session: Session, case_id: int) -> list[EventView]:
    rows = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq))
    return [EventView.of(row) for row in rows]


def _snapshot(run: CaseReplay, story: list[StoryStep], k: int, case: Case, deployed: DeployedProcess) -> CaseSnapshot:
    replayer = run.replayer
    completed, active = replayer.path() if k else ([], [])
    ready = [SnapshotTask(t.element_id, t.name) for t in replayer.ready()] if k else []
    seq, at = (story[k - 1].seq, story[k - 1].lead.occurred_at) if k else (0, case.created_at)
    return CaseSnapshot(k, len(story), seq, at, run.variables, replayer.state, completed, active, ready,
                        deployed.deployment_id, deployed.version)
