"""Sample cases for the demonstration, made through the services as the demo users would make them.

One case waits at each kind of point a visitor wants to see (level 1's review, the requester's missing
information, level 2) and one is closed and rated, so the inbox, the mailbox, the audit pages and time travel
have something to show from the first minute. Only for an empty database: a demo that already has cases is
left as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from engine.db.models import Case
from engine.services.cases import start as cases
from engine.services.context import ServiceContext
from engine.services.people.users import get_actor
from engine.services.views import CaseView

REQUESTER = "solicitante"


@dataclass(frozen=True)
class Step:
    """One task completed by a demo user; `data` None means "what the escalation matrix proposed"."""

    user: str
    element_id: str
    data: Mapping[str, Any] | None


@dataclass(frozen=True)
class Sample:
    """A reported case and the steps taken on it."""

    report: Mapping[str, str]
    steps: tuple[Step, ...] = ()


def _report(application: str, kind: str, subject: str, description: str, channel: str = "portal") -> dict[str, str]:
    return {"mesa": "ti", "aplicacion": application, "tipo": kind, "asunto": subject, "descripcion": description,
            "canal": channel, "contacto": "solicitante@demo.mesa.local"}


REVIEW = Step("nivel1", "Activity_RevisarRegistrar",
              {"informacion_completa": True, "categoria": "software", "impacto": "alto", "urgencia": "media"})
ESCALATE = Step("nivel1", "Activity_EscalarNivel2", None)
SAMPLES = (
    Sample(_report("VPN", "incidencia", "No puedo conectarme a la VPN",
                   "Desde ayer la VPN rechaza mi usuario al conectarme desde la casa.")),
    Sample(_report("Correo electrónico", "peticion", "Buzón compartido para la oficina de planeación",
                   "Necesitamos un buzón compartido para recibir las solicitudes de las regiones.", "correo"),
           (Step("nivel1", "Activity_RevisarRegistrar",
                 {"informacion_completa": False, "categoria": "accesos", "impacto": "medio", "urgencia": "baja",
                  "informacion_faltante": "Indique el nombre del buzón y las personas que deben tener acceso."}),)),
    Sample(_report("SUIFP", "incidencia", "Error al generar el reporte de proyectos",
                   "El reporte de proyectos por sector termina con un error 500 después de dos minutos."),
           (REVIEW, ESCALATE)),
    Sample(_report("SISCONPES", "incidencia", "No carga el tablero de control",
                   "Al ingresar al tablero de seguimiento aparece un error 500 desde esta mañana."),
           (REVIEW, ESCALATE,
            Step("nivel2", "Activity_AnalizarSolucionar",
                 {"diagnostico": "Caché corrupta del tablero", "escalar_nivel3": False,
                  "solucion": "Se limpió la caché del servidor de aplicaciones y el tablero volvió a cargar."}),
            Step(REQUESTER, "Activity_ValidarSolucion",
                 {"solucion_aceptada": True, "calificacion": 5, "comentario_validacion": "Rápido y claro, gracias."}))),
)


def seed_demo_cases(ctx: ServiceContext) -> list[CaseView]:
    """Report and advance the sample cases when the database has no case yet; the cases made (none otherwise)."""
    with ctx.db.read() as session:
        if session.scalar(select(func.count()).select_from(Case)):
            return []
    return [_make(ctx, sample) for sample in SAMPLES]


def _make(ctx: ServiceContext, sample: Sample) -> CaseView:
    case = cases.start_case(ctx, get_actor(ctx, REQUESTER), sample.report)
    for step in sample.steps:
        [task] = [task for task in case.ready_tasks if task.element_id == step.element_id]
        data = step.data if step.data is not None else {"grupo_nivel2": case.data["grupo_nivel2"]}
        case = cases.complete_task(ctx, get_actor(ctx, step.user), task.id, data)
    return case
