"""ANS clocks on SQLite and PostgreSQL: business time on the help desk's calendar, pauses on the requester,
retargeting on a priority change, and the 75 % and breach alerts sent exactly once by the scheduler.

The demo's `ti` protocol has the default ANS table: an incidencia of priority media (the tipo's default before
classification) has 4 business hours to a first response and 2 business days to resolution; alta (impacto alto ×
urgencia media, COMPLETE_REVIEW) has 2 hours and 8 hours. T0 is Tuesday 1 December 2026, 09:00 in Bogotá; the
office works Monday to Friday 08:00–17:00 and Tuesday 8 December is a national holiday.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import FixedClock
from engine.db.models import Case, CaseEvent, InboxTask, OutboxMessage, ServiceLevelClock, ServiceLevelPause
from engine.helpdesk.deadlines import default_calendar
from engine.helpdesk.service_levels import FIRST_RESPONSE, PAUSED, RESOLUTION, RUNNING, STOPPED
from engine.replay.service import replay_case
from engine.scheduler import run_once
from engine.services.cases import alerts
from engine.services.cases.alerts import next_alert_at, send_ans_alerts
from engine.services.cases.clocks import case_clocks
from engine.services.cases.notes import add_comment
from engine.services.cases.tasks import TaskFilter, claim_task, list_tasks
from engine.services.context import ServiceContext
from engine.services.helpdesks import protocols
from engine.services.helpdesks.errors import ProtocolRejectedError
from engine.services.people.users import get_actor
from tests.conftest import T0, make_settings
from tests.helpers import (
    COMPLETE_INFO,
    COMPLETE_REVIEW,
    INCOMPLETE_REVIEW,
    REJECT,
    REVIEW,
    SOLVE_AT_LEVEL2,
    VALIDATE,
    Walker,
    walk_to_level2,
)
from tests.integration.test_cli import Cli

HOUR = 3600


BOGOTA = ZoneInfo("America/Bogota")


def bogota(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of December 2026 in Bogotá."""
    return datetime(2026, 12, day, hour, minute, tzinfo=BOGOTA)


def clocks(ctx: ServiceContext, case_id: int) -> dict[str, ServiceLevelClock]:
    """The case's clock rows by kind (detached copies)."""
    with ctx.db.read() as session:
        rows = session.scalars(select(ServiceLevelClock).where(ServiceLevelClock.case_id == case_id)).all()
        session.expunge_all()
        return {row.kind: row for row in rows}


def pauses(ctx: ServiceContext, case_id: int, kind: str) -> list[tuple[str, datetime, datetime | None, int | None]]:
    """(reason, start, end, business seconds) of one clock's pauses."""
    with ctx.db.read() as session:
        rows = session.execute(select(ServiceLevelPause.reason, ServiceLevelPause.started_at,
                                      ServiceLevelPause.ended_at, ServiceLevelPause.business_seconds)
                               .join(ServiceLevelClock).where(ServiceLevelClock.case_id == case_id,
                                                              ServiceLevelClock.kind == kind)
                               .order_by(ServiceLevelPause.id)).tuples().all()
        return list(rows)


def alert_mail(ctx: ServiceContext, case_id: int) -> list[tuple[str, str]]:
    """(template, recipient) of the ANS alerts queued for a case."""
    with ctx.db.read() as session:
        rows = session.execute(select(OutboxMessage.template, OutboxMessage.recipient).where(
            OutboxMessage.case_id == case_id, OutboxMessage.template.like("ans_%")).order_by(OutboxMessage.id))
        return [(template, recipient) for template, recipient in rows]


def test_both_clocks_start_at_the_report_on_the_tipos_default_priority(ctx: ServiceContext) -> None:
    case = Walker(ctx).start()
    found = clocks(ctx, case.id)
    first, resolution = found[FIRST_RESPONSE], found[RESOLUTION]
    assert (first.state, first.priority, first.target_seconds) == (RUNNING, "media", 4 * HOUR)
    assert first.due_at == bogota(1, 13) and first.warn_at == bogota(1, 12)
    # Two business days from Tuesday 09:00 is Thursday 09:00: 18 business hours.
    assert (resolution.target_value, resolution.target_unit, resolution.target_seconds) == (2, "dias", 18 * HOUR)
    assert resolution.due_at == bogota(3, 9)
    with ctx.db.read() as session:
        row = session.scalars(select(InboxTask).where(InboxTask.case_id == case.id)).one()
    # The inbox carries the clock due first.
    assert (row.ans_state, row.ans_clock, row.ans_due_at) == (RUNNING, FIRST_RESPONSE, bogota(1, 13))


def test_registration_stops_the_first_response_and_the_priority_retargets_resolution(
        ctx: ServiceContext, clock: FixedClock) -> None:
    walk = Walker(ctx)
    walk.start()
    clock.set(bogota(1, 10, 30))
    walk.complete("nivel1", COMPLETE_REVIEW, REVIEW)
    found = clocks(ctx, walk.case.id if walk.case else 0)
    first, resolution = found[FIRST_RESPONSE], found[RESOLUTION]
    assert (first.state, first.priority, first.elapsed_seconds, first.met) == (STOPPED, "alta", 90 * 60, True)
    assert first.due_at is None and first.stopped_at == bogota(1, 10, 30)
    # alta: 8 business hours from the report (Tuesday 09:00) → Tuesday 17:00; 75 % at 15:00.
    assert (resolution.state, resolution.priority, resolution.target_seconds) == (RUNNING, "alta", 8 * HOUR)
    assert (resolution.warn_at, resolution.due_at) == (bogota(1, 15), bogota(1, 17))


def test_three_business_days_on_the_requester_move_the_resolution_target_by_exactly_that(
        ctx: ServiceContext, clock: FixedClock) -> None:
    walk = Walker(ctx)
    case = walk.start()
    before = clocks(ctx, case.id)[RESOLUTION].due_at
    assert before == bogota(3, 9)
    clock.set(bogota(1, 10))
    walk.complete("nivel1", INCOMPLETE_REVIEW, REVIEW)  # asks the requester for information
    paused = clocks(ctx, case.id)
    assert {kind: (c.state, c.due_at) for kind, c in paused.items()} == {
        FIRST_RESPONSE: (PAUSED, None), RESOLUTION: (PAUSED, None)}
    assert case_clocks(ctx, get_actor(ctx, "nivel1"), case.id)[1].standing == "en pausa"

    clock.set(bogota(4, 10))  # Wednesday, Thursday and Friday later: 27 business hours
    walk.complete("solicitante", {"informacion_adicional": "Adjunto el pantallazo"}, COMPLETE_INFO)
    resumed = clocks(ctx, case.id)[RESOLUTION]
    assert (resumed.state, resumed.paused_seconds) == (RUNNING, 27 * HOUR)
    assert pauses(ctx, case.id, RESOLUTION) == [("solicitante", bogota(1, 10), bogota(4, 10), 27 * HOUR)]
    calendar = default_calendar(BOGOTA)
    assert resumed.due_at is not None and before is not None
    assert calendar.business_time_between(before, resumed.due_at) == timedelta(hours=27)
    # Thursday 09:00 + 27 business hours skips the weekend and the 8 December holiday: Wednesday 9, 09:00.
    assert resumed.due_at == bogota(9, 9)

    # Level 1 classifies it (priority alta: 8 hours); the new target counts from the report, the pause stays.
    clock.set(bogota(4, 11))
    walk.complete("nivel1", COMPLETE_REVIEW, REVIEW)
    retargeted = clocks(ctx, case.id)
    resolution, first = retargeted[RESOLUTION], retargeted[FIRST_RESPONSE]
    assert (resolution.priority, resolution.target_seconds, resolution.paused_seconds) == ("alta", 8 * HOUR, 27 * HOUR)
    assert resolution.due_at == bogota(4, 17)
    assert (first.state, first.elapsed_seconds, first.paused_seconds, first.met) == (STOPPED, 2 * HOUR, 27 * HOUR, True)
    assert len(pauses(ctx, case.id, RESOLUTION)) == 1

    # The audit records each clock change, and replay still rebuilds the case.
    with ctx.db.read() as session:
        payloads = [e.payload_json for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))]
    assert sum('"ans"' in p for p in payloads) >= 3
    assert replay_case(ctx, get_actor(ctx, "auditor"), case.id).problems == []


def test_a_solution_stops_resolution_and_a_rejection_resumes_it_without_the_wait(
        ctx: ServiceContext, clock: FixedClock) -> None:
    walk = walk_to_level2(ctx)
    assert walk.case is not None
    case_id = walk.case.id
    clock.set(bogota(1, 12))
    walk.complete("nivel2", SOLVE_AT_LEVEL2)
    solved = clocks(ctx, case_id)[RESOLUTION]
    # Three business hours against alta's eight: met, and now waiting for the requester's verdict.
    assert (solved.state, solved.elapsed_seconds, solved.met, solved.due_at) == (STOPPED, 3 * HOUR, True, None)
    assert walk.waiting_on() == [VALIDATE]

    clock.set(bogota(2, 10))  # the requester rejects the next morning (7 business hours later)
    walk.complete("solicitante", REJECT, VALIDATE)
    resumed = clocks(ctx, case_id)[RESOLUTION]
    assert (resumed.state, resumed.paused_seconds, resumed.elapsed_seconds, resumed.met) == (RUNNING, 7 * HOUR, None,
                                                                                               None)
    assert pauses(ctx, case_id, RESOLUTION) == [("validacion", bogota(1, 12), bogota(2, 10), 7 * HOUR)]
    # Three hours were used: five are left from Wednesday 10:00 → 15:00.
    assert resumed.due_at == bogota(2, 15)
    readings = {c.kind: c for c in case_clocks(ctx, get_actor(ctx, "auditor"), case_id)}
    assert (readings[RESOLUTION].elapsed_seconds, readings[RESOLUTION].paused_seconds) == (3 * HOUR, 7 * HOUR)
    assert case_clocks(ctx, get_actor(ctx, "solicitante"), case_id) == []  # internal figures


def test_warning_at_75_percent_and_breach_are_sent_once_each_also_after_a_restart(
        ctx: ServiceContext, clock: FixedClock, tmp_path: Path) -> None:
    walk = walk_to_level2(ctx)  # registered at 09:00, alta: resolution due Tuesday 17:00, warning at 15:00
    assert walk.case is not None
    case_id = walk.case.id
    assert next_alert_at(ctx) == bogota(1, 15)
    clock.set(bogota(1, 14, 59))
    assert run_once(ctx).alerts.sent == ()

    clock.set(bogota(1, 15))
    first = run_once(ctx)
    assert [(a.case_id, a.clock, a.level) for a in first.alerts.sent] == [(case_id, RESOLUTION, "en_riesgo")]
    # Nobody has the level-2 task yet: its group's members are told.
    assert alert_mail(ctx, case_id) == [("ans_en_riesgo", "nivel2@demo.mesa.local")]
    assert run_once(ctx).alerts.sent == ()
    assert first.next_due_at == bogota(1, 17)

    claim_task(ctx, get_actor(ctx, "nivel2"), walk.task().id)
    clock.set(bogota(1, 17, 5))
    # A restart: a new context (and scheduler) on the same database finds the warning sent and sends the breach.
    restarted = ServiceContext(ctx.db, make_settings(tmp_path, ctx.db.url), clock)
    breach = send_ans_alerts(restarted)
    assert [(a.clock, a.level, a.recipients) for a in breach.sent] == [
        (RESOLUTION, "vencido", ("coordinador_ti", "nivel2"))]
    assert send_ans_alerts(restarted).sent == () and send_ans_alerts(ctx).sent == ()
    assert alert_mail(ctx, case_id) == [("ans_en_riesgo", "nivel2@demo.mesa.local"),
                                        ("ans_vencido", "coordinador_ti@demo.mesa.local"),
                                        ("ans_vencido", "nivel2@demo.mesa.local")]
    assert next_alert_at(ctx) is None
    with ctx.db.read() as session:
        kinds = [e.kind for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id))]
    assert kinds.count("ans.alert") == 2
    assert replay_case(ctx, get_actor(ctx, "auditor"), case_id).problems == []  # alerts are history, not steps
    task = list_tasks(ctx, get_actor(ctx, "nivel2"), "mine", TaskFilter(sort="ans"))[0]
    assert (task.ans_state, task.ans_due_at) == (RUNNING, bogota(1, 17))


def test_two_schedulers_at_once_send_each_alert_once(ctx: ServiceContext, clock: FixedClock) -> None:
    cases = []
    for _ in range(3):
        walk = walk_to_level2(ctx)
        assert walk.case is not None
        cases.append(walk.case.id)
    clock.set(bogota(1, 15, 30))
    barrier = threading.Barrier(2)
    reports = []

    def scheduler() -> None:
        barrier.wait(timeout=10)
        reports.append(send_ans_alerts(ctx))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(not t.is_alive() for t in threads)
    assert sum(len(r.sent) for r in reports) == 3 and all(r.failed == () for r in reports)
    assert [len(alert_mail(ctx, case_id)) for case_id in cases] == [1, 1, 1]


def test_a_failing_case_does_not_block_the_alerts_of_the_others(
        ctx: ServiceContext, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    broken, healthy = walk_to_level2(ctx), walk_to_level2(ctx)
    assert broken.case is not None and healthy.case is not None
    real = alerts._recipients

    def failing(session: Session, case: Case, *, breach: bool) -> list[tuple[str, str, str]]:
        if broken.case is not None and case.id == broken.case.id:
            raise RuntimeError("sin destinatarios")
        return real(session, case, breach=breach)

    monkeypatch.setattr(alerts, "_recipients", failing)
    clock.set(bogota(1, 15, 30))
    report = send_ans_alerts(ctx)
    assert [a.case_id for a in report.sent] == [healthy.case.id]
    assert report.failed == ((broken.case.id, "RuntimeError: sin destinatarios"),)
    assert alert_mail(ctx, broken.case.id) == []  # rolled back, warned_at included: the next sweep retries
    assert clocks(ctx, broken.case.id)[RESOLUTION].warned_at is None
    monkeypatch.setattr(alerts, "_recipients", real)
    assert [a.case_id for a in send_ans_alerts(ctx).sent] == [broken.case.id]


def test_when_the_protocol_counts_answers_an_agents_reply_is_the_first_response(
        ctx: ServiceContext, clock: FixedClock) -> None:
    admin = get_actor(ctx, "admin")
    data = protocols.create_draft(ctx, admin, "ti").document.to_dict()
    data["reglas_ans"] = {"primera_respuesta_termina": "respuesta"}
    protocols.update_draft(ctx, admin, "ti", data)
    protocols.publish(ctx, admin, "ti")
    case = Walker(ctx).start()
    clock.set(bogota(1, 9, 40))
    add_comment(ctx, get_actor(ctx, "nivel1"), case.id, "Estamos revisando su caso.", "public")
    first = clocks(ctx, case.id)[FIRST_RESPONSE]
    assert (first.state, first.elapsed_seconds, first.met) == (STOPPED, 40 * 60, True)
    assert clocks(ctx, case.id)[RESOLUTION].state == RUNNING


def test_a_bad_first_response_rule_is_refused_in_spanish_and_nothing_is_stored(ctx: ServiceContext) -> None:
    admin = get_actor(ctx, "admin")
    draft = protocols.create_draft(ctx, admin, "ti")
    data = draft.document.to_dict()
    data["reglas_ans"] = {"primera_respuesta_termina": "nunca"}
    with pytest.raises(ProtocolRejectedError) as caught:
        protocols.update_draft(ctx, admin, "ti", data)
    assert caught.value.errors == {
        "reglas_ans.primera_respuesta_termina": ["valor 'nunca' no permitido; use uno de: registro, respuesta"]}
    with ctx.db.read() as session:
        row = protocols.draft_row(session, "ti")
        assert row is not None
        assert protocols.stored_document(row) == draft.document


def test_t0_is_the_documented_instant() -> None:
    assert T0.astimezone(BOGOTA) == bogota(1, 9)


def test_casos_ver_shows_the_clocks_to_staff_only(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    cli.ok("init", "--demo")
    ctx = cli.context()
    try:
        case = Walker(ctx).start()
    finally:
        ctx.db.dispose()
    staff = cli.ok("casos", "ver", str(case.id), "--como", "nivel1")
    lines = [line.strip() for line in staff.splitlines() if line.strip().startswith("ANS ")]
    assert [line.split(":")[0] for line in lines] == ["ANS primera respuesta", "ANS resolución"]
    assert "de 4 horas hábiles" in lines[0] and "de 2 días hábiles" in lines[1]
    assert "ANS " not in cli.ok("casos", "ver", str(case.id), "--como", "solicitante")
