"""Every path of bpmn/mesa_de_ayuda.bpmn, through the services, reloading after every step (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine.clock import FixedClock
from engine.services.audit.chains import verify_chains
from engine.services.cases.queries import case_diagram
from engine.services.cases.timers import fire_due_timers
from engine.services.context import ServiceContext
from engine.services.errors import FormValidationError
from engine.services.people.users import get_actor
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
    emails,
    walk_to_level1_validation,
    walk_to_level2,
)


def _ticket_ok(walk: Walker) -> None:
    assert walk.case is not None and walk.case.ticket is not None
    assert re.fullmatch(r"TI-2026-\d{6}", walk.case.ticket)


def _chain_ok(ctx: ServiceContext) -> None:
    checked, problems = verify_chains(ctx)
    assert checked >= 1 and problems == []


def _templates(ctx: ServiceContext, walk: Walker) -> list[str]:
    assert walk.case is not None
    return [m.template for m in emails(ctx, walk.case.id)]


def _path(ctx: ServiceContext, walk: Walker) -> tuple[list[str], list[str]]:
    """Completed and active element ids of the case, as its diagram page shows them."""
    assert walk.case is not None
    diagram = case_diagram(ctx, get_actor(ctx, "auditor"), walk.case.id)
    return list(diagram.completed), list(diagram.active)


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
    clock.set(T0 + timedelta(days=8))
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


def _level3_rejection_returns_to_level3(ctx: ServiceContext, walk: Walker) -> None:
    """From level 2: escalate, level 3 solves, the requester rejects, it is back at level 3, solved, accepted."""
    walk.complete("nivel2", ESCALATE_TO_LEVEL3, LEVEL2)
    walk.complete("nivel3", SOLVE_AT_LEVEL3, LEVEL3)
    case = walk.complete("solicitante", REJECT, VALIDATE)
    assert (case.state, walk.waiting_on()) == ("escalado a nivel 3", [LEVEL3])
    walk.complete("nivel3", SOLVE_AT_LEVEL3, LEVEL3)
    case = walk.complete("solicitante", ACCEPT, VALIDATE)
    assert (case.state, case.is_open) == ("cerrado", False)
    _chain_ok(ctx)


def test_rejected_after_level3_returns_to_level3(ctx: ServiceContext) -> None:
    walk = walk_to_level2(ctx)
    _level3_rejection_returns_to_level3(ctx, walk)


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


# --------------------------------------------------------------------- level 1 solves within its scope (policy 1)


def test_resolved_at_level1_then_accepted(ctx: ServiceContext) -> None:
    walk = Walker(ctx)
    walk.start()
    case = walk.complete("nivel1", RESOLVE_IN_REVIEW, REVIEW)
    _ticket_ok(walk)
    assert (case.state, walk.waiting_on()) == ("solucionado", [VALIDATE])
    assert (walk.task().assignee, walk.task().priority) == ("solicitante", 70)
    assert walk.task().due_at == T0 + timedelta(days=8)  # 5 business days: 8 December is a holiday
    assert case.data["solucion"] == RESOLVE_IN_REVIEW["solucion"]
    assert "grupo_nivel2" not in case.data  # the escalation matrix was never consulted
    assert _templates(ctx, walk) == ["notificar_ticket", "notificar_solucion"]
    assert "Se restableció la contraseña" in emails(ctx, case.id)[-1].body
    completed, _ = _path(ctx, walk)
    assert {"Activity_AsignarTicket", "Gateway_ResolverNivel1", "Activity_NotificarSolucion"} <= set(completed)
    assert not {"Activity_ProponerGrupoNivel2", ESCALATE, LEVEL2} & set(completed)
    case = walk.complete("solicitante", ACCEPT, VALIDATE)
    assert (case.state, case.is_open, case.ready_tasks, case.next_timer_at) == ("cerrado", False, (), None)
    assert _templates(ctx, walk) == ["notificar_ticket", "notificar_solucion", "notificar_cierre"]
    _chain_ok(ctx)


def test_review_requires_the_solution_only_when_level1_resolves(ctx: ServiceContext) -> None:
    walk = Walker(ctx)
    walk.start()
    with pytest.raises(FormValidationError) as caught:
        walk.complete("nivel1", {**COMPLETE_REVIEW, "resolver_nivel1": True}, REVIEW)
    assert list(caught.value.errors) == ["solucion"]
    # With incomplete information the level-1 choice is hidden: it is dropped and nothing else is asked.
    case = walk.complete("nivel1", {**INCOMPLETE_REVIEW, "resolver_nivel1": True}, REVIEW)
    assert (case.state, walk.waiting_on()) == ("pendiente de información", [COMPLETE_INFO])
    assert "resolver_nivel1" not in case.data and "solucion" not in case.data


def test_level1_solution_rejected_is_solved_again_at_level1(ctx: ServiceContext) -> None:
    walk = walk_to_level1_validation(ctx)
    case = walk.complete("solicitante", REJECT, VALIDATE)
    assert (case.state, walk.waiting_on(), case.next_timer_at) == ("asignado a nivel 1", [LEVEL1], None)
    assert walk.task().candidate_groups == ("ti-nivel1",)
    assert walk.task().due_at == T0 + timedelta(days=1)  # plazo('escalamiento'): 1 business day
    with pytest.raises(FormValidationError) as caught:
        walk.complete("nivel1", {"resolver_nivel1": True}, LEVEL1)
    assert list(caught.value.errors) == ["solucion"]
    case = walk.complete("nivel1", SOLVE_AGAIN_AT_LEVEL1, LEVEL1)
    assert (case.state, walk.waiting_on()) == ("solucionado", [VALIDATE])
    assert "Se borró la caché" in emails(ctx, case.id)[-1].body
    case = walk.complete("solicitante", ACCEPT, VALIDATE)
    assert (case.state, case.is_open) == ("cerrado", False)
    assert _templates(ctx, walk) == ["notificar_ticket", "notificar_solucion", "notificar_solucion",
                                     "notificar_cierre"]
    _chain_ok(ctx)


def test_level1_solution_rejected_then_escalated_to_level2(ctx: ServiceContext) -> None:
    walk = walk_to_level1_validation(ctx)
    walk.complete("solicitante", REJECT, VALIDATE)
    case = walk.complete("nivel1", ESCALATE_FROM_LEVEL1, LEVEL1)
    assert (case.state, walk.waiting_on()) == ("registrado", [ESCALATE])
    assert case.data["grupo_nivel2"] == "ti-nivel2-sistemas-informacion"  # from the escalation matrix
    case = walk.complete("nivel1", {"grupo_nivel2": case.data["grupo_nivel2"]}, ESCALATE)
    assert (case.state, walk.waiting_on()) == ("asignado a nivel 2", [LEVEL2])
    case = walk.complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2)
    assert (case.state, walk.waiting_on()) == ("solucionado", [VALIDATE])
    # Level 2 solved it now: a rejection goes back to level 2, not to the level 1 that solved it first.
    case = walk.complete("solicitante", REJECT, VALIDATE)
    assert (case.state, walk.waiting_on()) == ("asignado a nivel 2", [LEVEL2])
    walk.complete("nivel2", {**SOLVE_AT_LEVEL2, "solucion": "Se reinició el servicio"}, LEVEL2)
    case = walk.complete("solicitante", ACCEPT, VALIDATE)
    assert (case.state, case.is_open) == ("cerrado", False)
    assert _templates(ctx, walk).count("notificar_ticket") == 1  # the ticket is not notified twice
    assert _templates(ctx, walk).count("notificar_solucion") == 3
    _chain_ok(ctx)


def test_escalated_from_level1_to_level3_rejection_returns_to_level3(ctx: ServiceContext) -> None:
    walk = walk_to_level1_validation(ctx)
    walk.complete("solicitante", REJECT, VALIDATE)
    case = walk.complete("nivel1", ESCALATE_FROM_LEVEL1, LEVEL1)
    walk.complete("nivel1", {"grupo_nivel2": case.data["grupo_nivel2"]}, ESCALATE)
    _level3_rejection_returns_to_level3(ctx, walk)


def test_level1_resolution_without_validation_closes_automatically(ctx: ServiceContext, clock: FixedClock) -> None:
    walk = walk_to_level1_validation(ctx)
    assert walk.refresh().next_timer_at == T0 + timedelta(days=3)
    clock.set(T0 + timedelta(days=3))
    assert [f.elements for f in fire_due_timers(ctx)] == [("Event_RecordatorioValidacion",)]
    clock.set(T0 + timedelta(days=8))  # 5 business days: 8 December is a holiday
    assert [f.state for f in fire_due_timers(ctx)] == ["cerrado automáticamente"]
    case = walk.refresh()
    assert (case.state, case.is_open, case.ready_tasks) == ("cerrado automáticamente", False, ())
    assert _templates(ctx, walk) == ["notificar_ticket", "notificar_solucion", "recordar_validacion",
                                     "cerrar_automaticamente"]
    _chain_ok(ctx)
