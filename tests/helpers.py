"""Test helpers that walk the help-desk process through the real services."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from engine.db.models import Case, OutboxMessage
from engine.services.cases.caseview import case_view
from engine.services.cases.start import complete_task, get_case, start_case
from engine.services.context import ServiceContext
from engine.services.helpdesks.protocols import create_draft, publish
from engine.services.people.users import get_actor
from engine.services.views import SYSTEM, CaseView
from engine.workflow.facade import CaseWorkflow
from engine.workflow.script_engine import SafeScriptEngine

# The user tasks of bpmn/mesa_de_ayuda.bpmn, by element id.
REVIEW, COMPLETE_INFO = "Activity_RevisarRegistrar", "Activity_CompletarInformacion"
ESCALATE, LEVEL2, LEVEL3 = "Activity_EscalarNivel2", "Activity_AnalizarSolucionar", "Activity_SolucionarEscalado"
VALIDATE, LEVEL1 = "Activity_ValidarSolucion", "Activity_SolucionarNivel1"
REPORT = {
    "mesa": "ti", "aplicacion": "SISCONPES", "tipo": "incidencia", "asunto": "No carga el tablero de control",
    "descripcion": "Al ingresar al tablero aparece un error 500 desde esta mañana.", "canal": "portal",
    "contacto": "sofia@example.org",
}
COMPLETE_REVIEW = {"informacion_completa": True, "categoria": "software", "impacto": "alto", "urgencia": "media"}
INCOMPLETE_REVIEW = {"informacion_completa": False, "informacion_faltante": "Adjunte el pantallazo del error",
                     "categoria": "software", "impacto": "medio", "urgencia": "media"}
# Policy 1 of the procedure: level 1 solves what is within its scope, in the review or after a rejection.
RESOLVE_IN_REVIEW = {**COMPLETE_REVIEW, "resolver_nivel1": True,
                     "solucion": "Se restableció la contraseña y se confirmó el ingreso con el usuario"}
SOLVE_AGAIN_AT_LEVEL1 = {"resolver_nivel1": True, "solucion": "Se borró la caché del navegador y se volvió a ingresar"}
ESCALATE_FROM_LEVEL1 = {"resolver_nivel1": False}
SOLVE_AT_LEVEL2 = {"diagnostico": "Caché corrupta del tablero", "escalar_nivel3": False,
                   "solucion": "Se limpió la caché del servidor de aplicaciones"}
ESCALATE_TO_LEVEL3 = {"diagnostico": "Falla en el motor de base de datos", "escalar_nivel3": True,
                      "grupo_nivel3": "ti-nivel3-proveedor", "tipo_nivel3": "proveedor",
                      "motivo_escalamiento": "Requiere soporte del fabricante"}
SOLVE_AT_LEVEL3 = {"diagnostico_nivel3": "Índice dañado", "solucion": "El proveedor reconstruyó el índice"}
ACCEPT = {"solucion_aceptada": True, "calificacion": 5, "comentario_validacion": "Excelente"}
REJECT = {"solucion_aceptada": False, "calificacion": 2, "motivo_rechazo": "El error continúa"}


class Walker:
    """Acts on one case as the demo users, checking after every step that a reload changes nothing."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.case: CaseView | None = None

    def start(self, data: dict[str, Any] | None = None, user: str = "solicitante") -> CaseView:
        """Report a case as the requester."""
        self.case = start_case(self.ctx, get_actor(self.ctx, user), data or REPORT)
        assert_reload_is_stable(self.ctx, self.case.id)
        return self.case

    def complete(self, user: str, data: dict[str, Any], element_id: str | None = None) -> CaseView:
        """Complete the (only, or named) ready task as a user."""
        assert self.case is not None
        task = self.task(element_id)
        self.case = complete_task(self.ctx, get_actor(self.ctx, user), task.id, data)
        assert_reload_is_stable(self.ctx, self.case.id)
        return self.case

    def task(self, element_id: str | None = None) -> Any:
        """The ready task (checking there is exactly one when no element is named)."""
        assert self.case is not None
        tasks = [t for t in self.case.ready_tasks if element_id in (None, t.element_id)]
        assert len(tasks) == 1, [t.element_id for t in self.case.ready_tasks]
        return tasks[0]

    def refresh(self) -> CaseView:
        """Reload the case as an auditor would see it."""
        assert self.case is not None
        self.case = get_case(self.ctx, get_actor(self.ctx, "auditor"), self.case.id)
        assert_reload_is_stable(self.ctx, self.case.id)
        return self.case

    def waiting_on(self) -> list[str]:
        """Element ids of the ready tasks."""
        assert self.case is not None
        return [t.element_id for t in self.case.ready_tasks]


def walk_to_ticket(ctx: ServiceContext) -> Walker:
    """A reported case reviewed as complete by level 1: it has its ticket and waits for escalation."""
    walk = Walker(ctx)
    walk.start()
    walk.complete("nivel1", COMPLETE_REVIEW, "Activity_RevisarRegistrar")
    return walk


def walk_to_level2(ctx: ServiceContext) -> Walker:
    """A case escalated to the level-2 group the matrix proposed."""
    walk = walk_to_ticket(ctx)
    assert walk.case is not None
    walk.complete("nivel1", {"grupo_nivel2": walk.case.data["grupo_nivel2"]}, "Activity_EscalarNivel2")
    return walk


def walk_to_validation(ctx: ServiceContext) -> Walker:
    """A case solved at level 2, waiting for the requester's validation (its deadline timers armed)."""
    walk = walk_to_level2(ctx)
    case = walk.complete("nivel2", SOLVE_AT_LEVEL2, "Activity_AnalizarSolucionar")
    assert case.next_timer_at is not None, "the validation step arms its deadline timers"
    return walk


def walk_to_level1_validation(ctx: ServiceContext) -> Walker:
    """A case solved by level 1 in its review: it has its ticket and waits for the requester's validation."""
    walk = Walker(ctx)
    walk.start()
    case = walk.complete("nivel1", RESOLVE_IN_REVIEW, REVIEW)
    assert walk.waiting_on() == [VALIDATE] and case.ticket is not None
    return walk


def publish_default_protocol(ctx: ServiceContext, code: str) -> None:
    """Publish a help desk's default protocol (empty catalogue, 'otra' allowed): requesters can report to it."""
    create_draft(ctx, SYSTEM, code)
    publish(ctx, SYSTEM, code)


def assert_reload_is_stable(ctx: ServiceContext, case_id: int) -> None:
    """Loading the saved state and saving it again gives the same state, tasks, data and timers."""
    with ctx.db.read() as session:
        row = session.get(Case, case_id)
        assert row is not None
        deployed = ctx.specs.get(session, row.deployment_id)
        workflow = CaseWorkflow.load(row.workflow_json, deployed.process, SafeScriptEngine(), f"el caso {case_id}")
        assert json.loads(workflow.dumps()) == json.loads(row.workflow_json)
        assert workflow.variables() == json.loads(row.data_json)
        assert workflow.next_timer_at() == row.next_timer_at
        ready = sorted(t.task_id for t in workflow.ready_tasks())
        assert ready == sorted(t.id for t in case_view(session, row).ready_tasks)
        assert workflow.is_completed() == (not row.is_open)


def emails(ctx: ServiceContext, case_id: int) -> list[OutboxMessage]:
    """Emails queued for a case, in order."""
    with ctx.db.read() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case_id)
                                    .order_by(OutboxMessage.id)))
