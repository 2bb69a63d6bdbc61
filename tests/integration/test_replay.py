"""Replay and time travel on a real database: every path of the process reproduced exactly, tampering caught."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.clock import FixedClock
from engine.db.models import Case, OutboxMessage, TicketSequence
from engine.replay.service import case_at, replay_all, replay_case
from engine.services.cases import files, notes, tasks
from engine.services.cases.queries import case_diagram
from engine.services.cases.timers import fire_due_timers
from engine.services.context import ServiceContext
from engine.services.errors import NotFoundError
from engine.services.people.users import get_actor
from engine.services.views import SYSTEM, CaseView
from tests.conftest import T0
from tests.helpers import (
    ACCEPT,
    COMPLETE_INFO,
    COMPLETE_REVIEW,
    ESCALATE,
    ESCALATE_FROM_LEVEL1,
    ESCALATE_TO_LEVEL3,
    INCOMPLETE_REVIEW,
    LEVEL1,
    LEVEL2,
    LEVEL3,
    REJECT,
    RESOLVE_IN_REVIEW,
    REVIEW,
    SOLVE_AGAIN_AT_LEVEL1,
    SOLVE_AT_LEVEL2,
    SOLVE_AT_LEVEL3,
    VALIDATE,
    Walker,
)

ANSWER = {"informacion_adicional": "Adjunto el pantallazo con el error"}


class Recorder:
    """Walks a case through the real services and notes, after every step, its state and ready tasks."""

    def __init__(self, ctx: ServiceContext, clock: FixedClock, pause: timedelta = timedelta(0)) -> None:
        self.ctx, self.clock, self.pause = ctx, clock, pause
        self.walk = Walker(ctx)
        self.states: list[str] = []
        self.ready: list[list[str]] = []

    @property
    def case_id(self) -> int:
        assert self.walk.case is not None
        return self.walk.case.id

    def start(self) -> Recorder:
        self._note(self.walk.start())
        return self

    def complete(self, user: str, data: dict[str, Any], element_id: str) -> Recorder:
        self.clock.advance(self.pause)
        self._note(self.walk.complete(user, data, element_id))
        return self

    def escalate(self) -> Recorder:
        assert self.walk.case is not None
        return self.complete("nivel1", {"grupo_nivel2": self.walk.case.data["grupo_nivel2"]}, ESCALATE)

    def fire(self, after: timedelta) -> Recorder:
        self.clock.set(T0 + after)
        assert len(fire_due_timers(self.ctx)) == 1
        self._note(self.walk.refresh())
        return self

    def _note(self, case: CaseView) -> None:
        self.states.append(case.state)
        self.ready.append(sorted(t.element_id for t in case.ready_tasks))


def _to_level2(rec: Recorder) -> Recorder:
    return rec.start().complete("nivel1", COMPLETE_REVIEW, REVIEW).escalate()


PATHS: dict[str, Callable[[Recorder], Recorder]] = {
    "happy": lambda r: _to_level2(r).complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2)
    .complete("solicitante", ACCEPT, VALIDATE),
    "incomplete-then-completed": lambda r: r.start().complete("nivel1", INCOMPLETE_REVIEW, REVIEW)
    .complete("solicitante", ANSWER, COMPLETE_INFO).complete("nivel1", COMPLETE_REVIEW, REVIEW).escalate()
    .complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2).complete("solicitante", ACCEPT, VALIDATE),
    "closed-for-lack-of-information": lambda r: r.start().complete("nivel1", INCOMPLETE_REVIEW, REVIEW)
    .fire(timedelta(days=2)).fire(timedelta(days=8)),  # 5 business days: 8 December is a holiday
    "answered-after-reminder": lambda r: r.start().complete("nivel1", INCOMPLETE_REVIEW, REVIEW)
    .fire(timedelta(days=2)).complete("solicitante", ANSWER, COMPLETE_INFO)
    .complete("nivel1", COMPLETE_REVIEW, REVIEW).escalate().complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2)
    .complete("solicitante", ACCEPT, VALIDATE),
    "level3": lambda r: _to_level2(r).complete("nivel2", ESCALATE_TO_LEVEL3, LEVEL2)
    .complete("nivel3", SOLVE_AT_LEVEL3, LEVEL3).complete("solicitante", ACCEPT, VALIDATE),
    "rejected-back-to-level2": lambda r: _to_level2(r).complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2)
    .complete("solicitante", REJECT, VALIDATE).complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2)
    .complete("solicitante", ACCEPT, VALIDATE),
    "rejected-back-to-level3": lambda r: _to_level2(r).complete("nivel2", ESCALATE_TO_LEVEL3, LEVEL2)
    .complete("nivel3", SOLVE_AT_LEVEL3, LEVEL3).complete("solicitante", REJECT, VALIDATE)
    .complete("nivel3", SOLVE_AT_LEVEL3, LEVEL3).complete("solicitante", ACCEPT, VALIDATE),
    "closed-automatically": lambda r: _to_level2(r).complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2)
    .fire(timedelta(days=3)).fire(timedelta(days=8)),  # 5 business days: 8 December is a holiday
    "resolved-at-level1-rejected-solved-again": lambda r: r.start().complete("nivel1", RESOLVE_IN_REVIEW, REVIEW)
    .complete("solicitante", REJECT, VALIDATE).complete("nivel1", SOLVE_AGAIN_AT_LEVEL1, LEVEL1)
    .complete("solicitante", ACCEPT, VALIDATE),
    "resolved-at-level1-rejected-escalated": lambda r: r.start().complete("nivel1", RESOLVE_IN_REVIEW, REVIEW)
    .complete("solicitante", REJECT, VALIDATE).complete("nivel1", ESCALATE_FROM_LEVEL1, LEVEL1).escalate()
    .complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2).complete("solicitante", REJECT, VALIDATE)
    .complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2).complete("solicitante", ACCEPT, VALIDATE),
}


def _walked(ctx: ServiceContext, clock: FixedClock, path: str, pause: timedelta = timedelta(0)) -> Recorder:
    return PATHS[path](Recorder(ctx, clock, pause))


@pytest.mark.parametrize("path", list(PATHS))
def test_replay_reproduces_every_path_exactly(ctx: ServiceContext, clock: FixedClock, path: str) -> None:
    rec = _walked(ctx, clock, path)
    report = replay_case(ctx, get_actor(ctx, "auditor"), rec.case_id)
    assert (report.chain_ok, report.replay_ok, report.problems) == (True, True, [])
    assert [sorted(step.ready) for step in report.steps] == rec.ready
    assert [step.state for step in report.steps] == rec.states
    assert all(step.ok for step in report.steps)


def test_replay_matches_tasks_by_instant_when_time_passes(ctx: ServiceContext, clock: FixedClock) -> None:
    rec = _walked(ctx, clock, "happy", pause=timedelta(hours=1))
    report = replay_case(ctx, SYSTEM, rec.case_id)
    assert report.problems == []
    assert [step.occurred_at - T0 for step in report.steps] == [timedelta(hours=h) for h in range(5)]


def test_time_travel_gives_the_recorded_states_data_and_diagram(ctx: ServiceContext, clock: FixedClock) -> None:
    rec = _walked(ctx, clock, "answered-after-reminder")
    auditor = get_actor(ctx, "auditor")
    snapshots = [case_at(ctx, auditor, rec.case_id, k) for k in range(len(rec.states) + 1)]
    assert [s.state for s in snapshots] == ["iniciado", *rec.states]
    assert [sorted(t.element_id for t in s.ready_tasks) for s in snapshots] == [[], *rec.ready]
    assert {s.steps for s in snapshots} == {len(rec.states)} and snapshots[0].data == {}
    reminded = snapshots[3]
    assert (reminded.state, reminded.active_elements) == ("pendiente de información", [COMPLETE_INFO,
                                                                                        "Event_PlazoInformacionVencido"])
    assert "Event_RecordatorioInformacion" in reminded.completed_elements
    assert reminded.occurred_at == T0 + timedelta(days=2)
    assert snapshots[2].data["informacion_faltante"] == INCOMPLETE_REVIEW["informacion_faltante"]
    last = snapshots[-1]
    assert last.data == _stored_data(ctx, rec)
    diagram = case_diagram(ctx, auditor, rec.case_id)
    assert (last.completed_elements, last.active_elements) == (diagram.completed, diagram.active)


def _stored_data(ctx: ServiceContext, rec: Recorder) -> dict[str, object]:
    with ctx.db.read() as session:
        case = session.get(Case, rec.case_id)
        assert case is not None
        data: dict[str, object] = json.loads(case.data_json)
        return data


def test_time_travel_outside_the_story_is_not_found(ctx: ServiceContext, clock: FixedClock) -> None:
    rec = _walked(ctx, clock, "happy")
    with pytest.raises(NotFoundError, match="de 0 a 5"):
        case_at(ctx, SYSTEM, rec.case_id, 6)
    with pytest.raises(NotFoundError):
        case_at(ctx, SYSTEM, 999, 0)


def test_claims_comments_and_attachments_do_not_disturb_replay(ctx: ServiceContext, clock: FixedClock) -> None:
    rec = Recorder(ctx, clock).start()
    nivel1 = get_actor(ctx, "nivel1")
    tasks.claim_task(ctx, nivel1, rec.walk.task(REVIEW).id)
    tasks.release_task(ctx, nivel1, rec.walk.task(REVIEW).id)
    tasks.assign_task(ctx, get_actor(ctx, "admin"), rec.walk.task(REVIEW).id, "nivel1")
    notes.add_comment(ctx, nivel1, rec.case_id, "Revisando", "internal")
    files.add_attachment(ctx, get_actor(ctx, "solicitante"), rec.case_id, "error.txt", b"error 500\n")
    rec.complete("nivel1", COMPLETE_REVIEW, REVIEW)
    notes.add_comment(ctx, get_actor(ctx, "solicitante"), rec.case_id, "Gracias")
    rec.escalate()
    report = replay_case(ctx, SYSTEM, rec.case_id)
    assert report.problems == [] and [sorted(s.ready) for s in report.steps] == rec.ready


def _counts(session: Session) -> tuple[int, list[tuple[str, int, int]]]:
    outbox = int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
    sequences = list(session.execute(select(TicketSequence.prefix, TicketSequence.year, TicketSequence.last_value)
                                     .order_by(TicketSequence.prefix)).tuples())
    return outbox, sequences


def test_replay_sends_no_email_and_assigns_no_ticket(ctx: ServiceContext, clock: FixedClock) -> None:
    for path in ("happy", "incomplete-then-completed", "level3"):
        _walked(ctx, clock, path)
    with ctx.db.read() as session:
        before = _counts(session)

    def refuse(*_: object) -> dict[str, object]:
        raise AssertionError("replay called a service handler")

    ctx.handlers = {topic: refuse for topic in ctx.handlers}
    reports = replay_all(ctx)
    assert [r.ok for r in reports] == [True, True, True]
    with ctx.db.read() as session:
        assert _counts(session) == before
