"""Every path of bpmn/mesa_de_ayuda.bpmn, through the services, reloading after every step (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import timedelta

from engine.clock import FixedClock
from engine.services.audit.chains import verify_chains
from engine.services.cases.timers import fire_due_timers
from engine.services.context import ServiceContext
from tests.conftest import T0
from tests.helpers import (
    ACCEPT,
    COMPLETE_INFO,
    COMPLETE_REVIEW,
    ESCALATE,
    ESCALATE_TO_LEVEL3,
    INCOMPLETE_REVIEW,
    LEVEL2,
    LEVEL3,
    REJECT,
    REVIEW,
    SOLVE_AT_LEVEL2,
    SOLVE_AT_LEVEL3,
    VALIDATE,
    Walker,
    emails,
    walk_to_level2,
)


def _ticket_ok(walk: Walker) -> None:
    assert walk.case is not None and walk.case.ticket is not None
    assert re.fullmatch(r"TI-2026-\d{6}", walk.case.ticket)


def _chain_ok(ctx: ServiceContext) -> None:
    checked, problems = verify_chains(ctx)
    assert checked >= 1 and problems == []


def test_happy_path(ctx: ServiceContext) -> None:
    walk = Walker(ctx)
    case = walk.start()
    assert (case.state, walk.waiting_on(), case.ticket) == ("en revisión", [REVIEW], None)
    assert walk.task().candidate_groups == ("ti-nivel1",)
    case = walk.complete("nivel1", COMPLETE_REVIEW, REVIEW)
    _ticket_ok(walk)
    assert (case.state, walk.waiting_on()) == ("registrado", [ESCALATE])
    assert case.data["prioridad"] == "alta" and walk.task().priority == 70
    assert case.data["grupo_nivel2"] == "ti-nivel2-sistemas-informacion"  # from the escalation matrix
    case = walk.complete("nivel1", {"grupo_nivel2": "ti-nivel2-aplicaciones"}, ESCALATE)  # the agent changes it
    assert (case.state, walk.task().candidate_groups) == ("asignado a nivel 2", ("ti-nivel2-aplicaciones",))
    case = walk.complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2)
    assert (case.state, walk.task().assignee) == ("solucionado", "solicitante")
    # 5 business days from Tuesday 1 December skip the weekend and 8 December (Inmaculada Concepción).
    assert walk.task().due_at == T0 + timedelta(days=8)
    case = walk.complete("solicitante", ACCEPT, VALIDATE)
    assert (case.state, case.is_open, case.ready_tasks, case.next_timer_at) == ("cerrado", False, (), None)
    assert case.data["calificacion"] == 5 and case.closed_at == T0
    sent = [m.template for m in emails(ctx, case.id)]
    assert sent == ["notificar_ticket", "notificar_solucion", "notificar_cierre"]
    _chain_ok(ctx)


def test_incomplete_then_completed(ctx: ServiceContext) -> None:
    walk = Walker(ctx)
    walk.start()
    case = walk.complete("nivel1", INCOMPLETE_REVIEW, REVIEW)
    assert (case.state, walk.waiting_on(), case.ticket) == ("pendiente de información", [COMPLETE_INFO], None)
    assert walk.task().assignee == "solicitante"
    assert [m.template for m in emails(ctx, case.id)] == ["solicitar_informacion"]
    assert "Adjunte el pantallazo" in emails(ctx, case.id)[0].body
    case = walk.complete("solicitante", {"informacion_adicional": "Adjunto el pantallazo con el error"})
    assert (case.state, walk.waiting_on(), case.next_timer_at) == ("en revisión", [REVIEW], None)
    case = walk.complete("nivel1", COMPLETE_REVIEW, REVIEW)
    _ticket_ok(walk)
    assert case.data["informacion_adicional"] == "Adjunto el pantallazo con el error"
    walk.complete("nivel1", {"grupo_nivel2": case.data["grupo_nivel2"]}, ESCALATE)
    walk.complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2)
    case = walk.complete("solicitante", ACCEPT, VALIDATE)
    assert (case.state, case.is_open) == ("cerrado", False)
    _chain_ok(ctx)


def test_incomplete_without_answer_is_closed_for_lack_of_information(ctx: ServiceContext, clock: FixedClock) -> None:
    walk = Walker(ctx)
    walk.start()
    case = walk.complete("nivel1", INCOMPLETE_REVIEW, REVIEW)
    reminder_at = T0 + timedelta(days=2)
    assert case.next_timer_at == reminder_at
    assert fire_due_timers(ctx, reminder_at - timedelta(seconds=1)) == []
    fired = fire_due_timers(ctx, reminder_at)
    assert [f.elements for f in fired] == [("Event_RecordatorioInformacion",)]
    case = walk.refresh()
    assert (case.state, walk.waiting_on()) == ("pendiente de información", [COMPLETE_INFO])
    assert [m.template for m in emails(ctx, case.id)] == ["solicitar_informacion", "recordar_informacion"]
    assert case.next_timer_at == T0 + timedelta(days=8)  # 5 business days: 8 December is a holiday
    clock.set(T0 + timedelta(days=8))  # 5 business days: 8 December is a holiday
    fired = fire_due_timers(ctx)
    assert [f.elements for f in fired] == [("Event_PlazoInformacionVencido",)]
    case = walk.refresh()
    assert (case.state, case.is_open, case.ticket, case.ready_tasks) == (
        "cerrado por falta de información", False, None, ())
    assert emails(ctx, case.id)[-1].template == "cerrar_por_falta_informacion"
    assert [e.kind for e in case.history].count("timer.fired") == 2
    _chain_ok(ctx)


def test_level3_path(ctx: ServiceContext) -> None:
    walk = walk_to_level2(ctx)
    case = walk.complete("nivel2", ESCALATE_TO_LEVEL3, LEVEL2)
    assert (case.state, walk.waiting_on()) == ("escalado a nivel 3", [LEVEL3])
    assert walk.task().candidate_groups == ("ti-nivel3-proveedor",)
    case = walk.complete("nivel3", SOLVE_AT_LEVEL3, LEVEL3)
    assert (case.state, walk.waiting_on()) == ("solucionado", [VALIDATE])
    assert "reconstruyó el índice" in emails(ctx, case.id)[-1].body
    case = walk.complete("solicitante", ACCEPT, VALIDATE)
    assert (case.state, case.is_open) == ("cerrado", False)
    _chain_ok(ctx)


def test_rejected_returns_to_the_level_that_solved_then_accepted(ctx: ServiceContext) -> None:
    walk = walk_to_level2(ctx)
    walk.complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2)
    case = walk.complete("solicitante", REJECT, VALIDATE)
    assert (case.state, walk.waiting_on()) == ("asignado a nivel 2", [LEVEL2])
    assert case.data["motivo_rechazo"] == "El error continúa" and case.next_timer_at is None
    case = walk.complete("nivel2", {**SOLVE_AT_LEVEL2, "solucion": "Se reinició el servicio"}, LEVEL2)
    assert walk.waiting_on() == [VALIDATE]
    case = walk.complete("solicitante", ACCEPT, VALIDATE)
    assert (case.state, case.is_open) == ("cerrado", False)
    assert [m.template for m in emails(ctx, case.id)].count("notificar_solucion") == 2
    _chain_ok(ctx)


def test_rejected_after_level3_returns_to_level3(ctx: ServiceContext) -> None:
    walk = walk_to_level2(ctx)
    walk.complete("nivel2", ESCALATE_TO_LEVEL3, LEVEL2)
    walk.complete("nivel3", SOLVE_AT_LEVEL3, LEVEL3)
    case = walk.complete("solicitante", REJECT, VALIDATE)
    assert (case.state, walk.waiting_on()) == ("escalado a nivel 3", [LEVEL3])
    walk.complete("nivel3", SOLVE_AT_LEVEL3, LEVEL3)
    case = walk.complete("solicitante", ACCEPT, VALIDATE)
    assert (case.state, case.is_open) == ("cerrado", False)
    _chain_ok(ctx)


def test_no_validation_closes_automatically(ctx: ServiceContext, clock: FixedClock) -> None:
    walk = walk_to_level2(ctx)
    case = walk.complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2)
    assert case.next_timer_at == T0 + timedelta(days=3)  # reminder: 3 business days
    clock.set(T0 + timedelta(days=3))
    assert [f.elements for f in fire_due_timers(ctx)] == [("Event_RecordatorioValidacion",)]
    case = walk.refresh()
    assert (case.state, case.is_open, walk.waiting_on()) == ("solucionado", True, [VALIDATE])
    assert emails(ctx, case.id)[-1].template == "recordar_validacion"
    clock.set(T0 + timedelta(days=8))  # 5 business days: 8 December is a holiday
    assert [f.state for f in fire_due_timers(ctx)] == ["cerrado automáticamente"]
    case = walk.refresh()
    assert (case.state, case.is_open, case.ready_tasks) == ("cerrado automáticamente", False, ())
    assert emails(ctx, case.id)[-1].template == "cerrar_automaticamente"
    assert fire_due_timers(ctx, T0 + timedelta(days=60)) == []
    _chain_ok(ctx)
