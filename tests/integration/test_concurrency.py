"""Races on one case: exactly one actor wins, the other gets a clear conflict, nothing is applied twice."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.db.models import CaseEvent, OutboxMessage
from engine.services.audit.chains import verify_chains
from engine.services.cases.start import CaseView, complete_task, get_case
from engine.services.cases.timers import fire_case_timers
from engine.services.context import ServiceContext
from engine.services.errors import ConflictError
from engine.services.people.users import get_actor
from tests.conftest import T0
from tests.helpers import ACCEPT, COMPLETE_REVIEW, Walker, walk_to_validation

ROUNDS = 4


def _race(*actions: Callable[[], Any]) -> list[Any]:
    """Run actions at the same moment in threads; return each result or the exception it raised."""
    barrier = threading.Barrier(len(actions), timeout=30)
    results: list[Any] = [None] * len(actions)

    def run(index: int, action: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = action()
        except Exception as exc:  # collected and asserted on by the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a racing thread did not finish"
    return results


def _events(ctx: ServiceContext, case_id: int, kind: str) -> int:
    with ctx.db.read() as session:
        return int(session.scalar(select(func.count()).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind))
                   or 0)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_completions_of_one_task_one_wins(ctx: ServiceContext, round_: int) -> None:
    walk = Walker(ctx)
    walk.start()
    task_id = walk.task().id
    agent = get_actor(ctx, "nivel1")
    outcomes = _race(*(lambda: complete_task(ctx, agent, task_id, COMPLETE_REVIEW) for _ in range(2)))
    winners = [o for o in outcomes if isinstance(o, CaseView)]
    losers = [o for o in outcomes if isinstance(o, ConflictError)]
    assert (len(winners), len(losers)) == (1, 1), outcomes
    assert "ya no está pendiente" in str(losers[0]) or "ya no está lista" in str(losers[0])
    case_id = winners[0].id
    assert _events(ctx, case_id, "task.completed") == 1
    assert _events(ctx, case_id, "service.completed") == 4  # priority, ticket, email, matrix: once each
    assert verify_chains(ctx, case_id)[1] == []


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_timer_and_validation_race_one_wins(ctx: ServiceContext, round_: int) -> None:
    walk = walk_to_validation(ctx)
    assert walk.case is not None
    case_id, task_id = walk.case.id, walk.task("Activity_ValidarSolucion").id
    deadline = T0 + timedelta(days=8)  # 5 business days: 8 December is a holiday
    ctx.clock.set(deadline)  # type: ignore[attr-defined]
    requester = get_actor(ctx, "solicitante")
    user_result, timer_result = _race(lambda: complete_task(ctx, requester, task_id, ACCEPT),
                                      lambda: fire_case_timers(ctx, case_id, deadline))
    final = get_case(ctx, get_actor(ctx, "auditor"), case_id)
    with ctx.db.read() as session:
        templates = list(session.scalars(select(OutboxMessage.template).where(OutboxMessage.case_id == case_id)))
    if isinstance(user_result, CaseView):
        assert timer_result is None and final.state == "cerrado"
        assert "cerrar_automaticamente" not in templates and templates.count("notificar_cierre") == 1
    else:
        assert isinstance(user_result, ConflictError), user_result
        assert timer_result is not None and final.state == "cerrado automáticamente"
        assert "notificar_cierre" not in templates and templates.count("cerrar_automaticamente") == 1
    assert not final.is_open and final.ready_tasks == ()
    assert verify_chains(ctx, case_id)[1] == []


def test_concurrent_registrations_get_unique_sequential_tickets(ctx: ServiceContext) -> None:
    walkers = [Walker(ctx) for _ in range(6)]
    for walk in walkers:
        walk.start()
    agent = get_actor(ctx, "nivel1")
    outcomes = _race(*(lambda w=w: complete_task(ctx, agent, w.task().id, COMPLETE_REVIEW) for w in walkers))
    assert all(isinstance(o, CaseView) for o in outcomes), outcomes
    tickets = sorted(o.ticket for o in outcomes)
    assert tickets == [f"TI-2026-{n:06d}" for n in range(1, 7)]
