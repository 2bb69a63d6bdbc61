"""The ANS clocks of a case: started with it, moved by each step in the step's transaction, read by its pages.

Only cases pinned to a protocol version have clocks (the targets are that version's). A step tells what it did
(`StepSignals`); the clocks follow the procedure:
- both start at the report, with the tipo's default priority until level 1 classifies the case;
- first response stops when the case is registered with its ticket, or when an agent first acts on it
  (completes a step or writes to the requester), as the protocol says (`reglas_ans.primera_respuesta_termina`);
- resolution stops at each solution notice; while the requester decides it waits (a `validacion` pause), and a
  rejection resumes it; the case's closure stops every clock for good;
- any clock pauses while the case waits only on its requester (completar información), and resumes after;
- a new tipo or priority recomputes the targets from the case's start and keeps every pause.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.db.models import Case, InboxTask, ServiceLevelClock, ServiceLevelPause
from engine.helpdesk.calendar import BusinessCalendar
from engine.helpdesk.pinned import PinnedProtocol
from engine.helpdesk.protocol_tables import Target
from engine.helpdesk.service_levels import (
    FIRST_RESPONSE,
    KINDS,
    ON_REQUESTER,
    ON_VALIDATION,
    PAUSED,
    RESOLUTION,
    RUNNING,
    STOPPED,
    ClockReading,
    business_seconds,
    standing,
    target_seconds,
    thresholds,
)
from engine.services.context import ServiceContext
from engine.services.errors import NotFoundError
from engine.services.people import policy
from engine.services.people.enforce import ensure_can_view
from engine.services.views import Actor

# Service-task topics of the procedure that tell the requester a solution (procedure, activity 3).
SOLUTION_TOPICS = frozenset({"notificar_solucion"})


@dataclass(frozen=True)
class StepSignals:
    """What one step did that moves ANS clocks."""

    new: bool = False
    waiting: bool = False
    registered: bool = False
    answered: bool = False
    solution: bool = False
    closed: bool = False
    tipo: str | None = None
    priority: str | None = None


def waits_on_requester(case: Case, open_rows: Sequence[InboxTask]) -> bool:
    """True when every open task of the case is the requester's alone (the agents are waiting on them)."""
    return bool(open_rows) and all(row.assignee == case.requester and not row.candidate_groups for row in open_rows)


@dataclass(frozen=True)
class ClockStep:
    """The case's clocks after a step, and what changed per clock (for the step's audit event)."""

    clocks: tuple[ServiceLevelClock, ...] = ()
    changes: dict[str, dict[str, Any]] | None = None


def advance_clocks(session: Session, case: Case, protocol: PinnedProtocol | None, signals: StepSignals,
                   now: datetime) -> ClockStep:
    """Move the case's clocks for one step."""
    if protocol is None:
        return ClockStep()
    clocks = _start(session, case, protocol, signals) if signals.new else _clocks(session, case.id)
    if not clocks:
        return ClockStep()  # a case started before its help desk had clocks keeps having none
    calendar = protocol.deadlines.calendar
    changes: dict[str, dict[str, Any]] = {}
    for clock in clocks:
        before = _snapshot(clock)
        _retarget(session, clock, protocol, signals, calendar)
        _move(session, clock, protocol, signals, calendar, now)
        _rearm(clock, calendar)
        if _snapshot(clock) != before:
            changes[clock.kind] = _snapshot(clock)
    return ClockStep(tuple(clocks), changes)


def record_answer(session: Session, case: Case, protocol: PinnedProtocol | None, now: datetime) -> None:
    """An agent wrote to the requester outside a step: stop a first-response clock that ends on an answer."""
    if protocol is None or protocol.document.first_response_ends != "respuesta":
        return
    clocks = _clocks(session, case.id)
    signals = StepSignals(answered=True, waiting=_is_paused(clocks))
    for clock in clocks:
        if clock.kind == FIRST_RESPONSE:
            _move(session, clock, protocol, signals, protocol.deadlines.calendar, now)
            _rearm(clock, protocol.deadlines.calendar)
    project_onto_inbox(session, case.id, clocks)


def project_onto_inbox(session: Session, case_id: int, clocks: Iterable[ServiceLevelClock],
                       rows: Sequence[InboxTask] | None = None) -> None:
    """Copy the case's most urgent clock onto its open inbox rows (the given ones, else by an UPDATE)."""
    fields = inbox_fields(clocks)
    if rows is None:
        session.execute(update(InboxTask).where(InboxTask.case_id == case_id, InboxTask.completed_at.is_(None))
                        .values(**fields))
        return
    for row in rows:
        for name, value in fields.items():
            setattr(row, name, value)


def inbox_fields(clocks: Iterable[ServiceLevelClock]) -> dict[str, Any]:
    """The inbox's copy: the running clock due first, else a paused one, else nothing."""
    clocks = list(clocks)
    running = [c for c in clocks if c.state == RUNNING and c.due_at is not None]
    if running:
        first = min(running, key=lambda c: c.due_at or c.started_at)
        return {"ans_state": RUNNING, "ans_clock": first.kind, "ans_warn_at": first.warn_at,
                "ans_due_at": first.due_at}
    paused = next((c for c in clocks if c.state == PAUSED), None)
    return {"ans_state": PAUSED if paused else None, "ans_clock": paused.kind if paused else None,
            "ans_warn_at": None, "ans_due_at": None}


def read_clocks(session: Session, case_id: int, calendar: BusinessCalendar, now: datetime) -> list[ClockReading]:
    """The case's clocks as read at `now` (first response, then resolution)."""
    readings = []
    for clock in _clocks(session, case_id):
        end = clock.paused_since or clock.stopped_at or now
        elapsed = clock.elapsed_seconds if clock.state == STOPPED and clock.elapsed_seconds is not None \
            else business_seconds(calendar, clock.started_at, min(end, now)) - clock.paused_seconds
        open_pause = business_seconds(calendar, clock.paused_since, now) if clock.paused_since else 0
        readings.append(ClockReading(
            kind=clock.kind, state=clock.state, target=Target(clock.target_value, clock.target_unit),
            target_seconds=clock.target_seconds, elapsed_seconds=max(elapsed, 0),
            paused_seconds=clock.paused_seconds + open_pause, due_at=clock.due_at,
            standing=standing(clock.state, now, clock.warn_at, clock.due_at, clock.met)))
    return readings


def pauses_of(session: Session, case_id: int) -> list[ServiceLevelPause]:
    """Every pause of the case's clocks, oldest first."""
    return list(session.scalars(select(ServiceLevelPause).join(ServiceLevelClock)
                                .where(ServiceLevelClock.case_id == case_id)
                                .order_by(ServiceLevelPause.started_at, ServiceLevelPause.id)))


def _clocks(session: Session, case_id: int) -> list[ServiceLevelClock]:
    rows = session.scalars(select(ServiceLevelClock).where(ServiceLevelClock.case_id == case_id)).all()
    return sorted(rows, key=lambda c: KINDS.index(c.kind) if c.kind in KINDS else len(KINDS))


def _is_paused(clocks: Sequence[ServiceLevelClock]) -> bool:
    return any(c.state == PAUSED for c in clocks)


def _level_targets(protocol: PinnedProtocol, tipo: str | None, priority: str | None) -> dict[str, Target] | None:
    if tipo is None:
        return None
    name = priority or protocol.priority(None, None, tipo)[0]
    level = protocol.document.service_levels.get((tipo, name))
    return {FIRST_RESPONSE: level.first_response, RESOLUTION: level.resolution} if level else None


def _start(session: Session, case: Case, protocol: PinnedProtocol, signals: StepSignals) -> list[ServiceLevelClock]:
    targets = _level_targets(protocol, signals.tipo, signals.priority)
    if targets is None:
        return []  # not a tipo of the ANS table: no clock
    priority = signals.priority or protocol.priority(None, None, signals.tipo)[0]
    calendar = protocol.deadlines.calendar
    clocks = []
    for kind in KINDS:
        target = targets[kind]
        clock = ServiceLevelClock(
            case_id=case.id, kind=kind, state=RUNNING, tipo=str(signals.tipo), priority=priority,
            target_value=target.value, target_unit=target.unit,
            target_seconds=target_seconds(calendar, case.created_at, target), started_at=case.created_at,
            paused_seconds=0)
        session.add(clock)
        clocks.append(clock)
    return clocks


def _retarget(session: Session, clock: ServiceLevelClock, protocol: PinnedProtocol, signals: StepSignals,
              calendar: BusinessCalendar) -> None:
    tipo = signals.tipo or clock.tipo
    priority = signals.priority or clock.priority
    if (tipo, priority) == (clock.tipo, clock.priority):
        return
    targets = _level_targets(protocol, tipo, priority)
    if targets is None:
        return
    # From the case's start, as if the new tipo and priority had held from the report; the pauses stay.
    target = targets[clock.kind]
    clock.tipo, clock.priority = tipo, priority
    clock.target_value, clock.target_unit = target.value, target.unit
    clock.target_seconds = target_seconds(calendar, clock.started_at, target)
    if clock.state == STOPPED and clock.elapsed_seconds is not None:
        clock.met = clock.elapsed_seconds <= clock.target_seconds


def _move(session: Session, clock: ServiceLevelClock, protocol: PinnedProtocol, signals: StepSignals,
          calendar: BusinessCalendar, now: datetime) -> None:
    if clock.state == STOPPED:
        if clock.kind == RESOLUTION and clock.paused_since is not None:
            if signals.closed:
                _close_pause(session, clock, calendar, now)  # the verdict came (or the deadline): final
            elif not signals.waiting and not signals.solution:
                _close_pause(session, clock, calendar, now)  # a rejection: the solution did not hold
                clock.state, clock.stopped_at, clock.elapsed_seconds, clock.met = RUNNING, None, None, None
        return
    if clock.kind == FIRST_RESPONSE:
        ends = signals.registered if protocol.document.first_response_ends == "registro" else signals.answered
    else:
        ends = signals.solution
    if clock.state == PAUSED and (ends or signals.closed or not signals.waiting):
        _close_pause(session, clock, calendar, now)
        clock.state = RUNNING
    if ends or signals.closed:
        _stop(clock, calendar, now)
        if clock.kind == RESOLUTION and not signals.closed:
            _open_pause(session, clock, ON_VALIDATION, now)
    elif signals.waiting and clock.state == RUNNING:
        _open_pause(session, clock, ON_REQUESTER, now)
        clock.state = PAUSED


def _stop(clock: ServiceLevelClock, calendar: BusinessCalendar, now: datetime) -> None:
    clock.elapsed_seconds = business_seconds(calendar, clock.started_at, now) - clock.paused_seconds
    clock.met = clock.elapsed_seconds <= clock.target_seconds
    clock.state, clock.stopped_at = STOPPED, now


def _open_pause(session: Session, clock: ServiceLevelClock, reason: str, now: datetime) -> None:
    clock.paused_since = now
    session.add(ServiceLevelPause(clock=clock, reason=reason, started_at=now))


def _close_pause(session: Session, clock: ServiceLevelClock, calendar: BusinessCalendar, now: datetime) -> None:
    if clock.paused_since is None:
        return
    seconds = business_seconds(calendar, clock.paused_since, now)
    pause = session.scalar(select(ServiceLevelPause).where(ServiceLevelPause.clock_id == clock.id,
                                                           ServiceLevelPause.ended_at.is_(None)))
    if pause is not None:
        pause.ended_at, pause.business_seconds = now, seconds
    clock.paused_seconds += seconds
    clock.paused_since = None


def _rearm(clock: ServiceLevelClock, calendar: BusinessCalendar) -> None:
    if clock.state != RUNNING:
        clock.warn_at = clock.due_at = None
        return
    found = thresholds(calendar, clock.started_at, clock.target_seconds, clock.paused_seconds)
    clock.warn_at, clock.due_at = found.warn_at, found.due_at


def _snapshot(clock: ServiceLevelClock) -> dict[str, Any]:
    return {"estado": clock.state, "tipo": clock.tipo, "prioridad": clock.priority,
            "objetivo_segundos": clock.target_seconds, "pausado_segundos": clock.paused_seconds,
            "transcurrido_segundos": clock.elapsed_seconds,
            "vence": clock.due_at.isoformat() if clock.due_at else None}


def case_clocks(ctx: ServiceContext, actor: Actor, case_id: int) -> list[ClockReading]:
    """The case's ANS clocks as read now, for DNP staff who may see the case (404 otherwise; [] for others)."""
    now = ctx.clock.now()
    with ctx.db.read() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFoundError(f"el caso {case_id} no existe")
        ensure_can_view(session, actor, case)
        protocol = ctx.protocol_of(session, case.protocol_version_id)
        if protocol is None or not policy.sees_internal(actor):
            return []
        return read_clocks(session, case.id, protocol.deadlines.calendar, now)
