"""Fire due timers: each case in its own short transaction, on the same lock path as people."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine.clock import as_utc
from engine.db.models import Case
from engine.services.cases.stepping import Step
from engine.services.context import ServiceContext
from engine.services.views import SYSTEM, FiredTimers

BATCH = 500


def due_case_ids(ctx: ServiceContext, at: datetime, limit: int = BATCH) -> list[int]:
    """Cases with a timer due at or before `at`, earliest first."""
    with ctx.db.read() as session:
        return list(session.scalars(
            select(Case.id).where(Case.next_timer_at.is_not(None), Case.next_timer_at <= at)
            .order_by(Case.next_timer_at, Case.id).limit(limit)))


def next_due_at(ctx: ServiceContext) -> datetime | None:
    """Earliest armed timer over all cases (the scheduler wakes then)."""
    with ctx.db.read() as session:
        return session.scalar(select(Case.next_timer_at).where(Case.next_timer_at.is_not(None))
                              .order_by(Case.next_timer_at).limit(1))


def fire_due_timers(ctx: ServiceContext, at: datetime | None = None) -> list[FiredTimers]:
    """Fire every timer due as of `at` (default: the clock's now); returns what fired per case."""
    instant = as_utc(at) if at is not None else ctx.clock.now()
    fired: list[FiredTimers] = []
    seen: set[int] = set()
    # Bounded: each pass handles up to BATCH cases; a case is fired at most once per call.
    for _ in range(1000):
        ids = [case_id for case_id in due_case_ids(ctx, instant) if case_id not in seen]
        if not ids:
            break
        for case_id in ids:
            seen.add(case_id)
            result = fire_case_timers(ctx, case_id, instant)
            if result is not None:
                fired.append(result)
    return fired


def fire_case_timers(ctx: ServiceContext, case_id: int, instant: datetime) -> FiredTimers | None:
    """Fire one case's due timers; None when another worker got there first or nothing is due any more."""
    with ctx.db.write() as session:
        statement = select(Case).where(Case.id == case_id)
        if ctx.db.dialect == "postgresql":
            # Several schedulers may run: each takes cases nobody else holds.
            statement = statement.with_for_update(skip_locked=True)
        case = session.scalar(statement)
        if case is None or case.next_timer_at is None or case.next_timer_at > instant:
            return None
        step = Step(ctx, session, case, SYSTEM, instant)
        workflow = step.load()
        step.run(lambda: workflow.advance(instant, step.log))
        events = step.finish(None)
        elements = tuple(e.element_id or "" for e in events if e.kind == "timer.fired")
        return FiredTimers(case.id, case.ticket, elements, case.state)
