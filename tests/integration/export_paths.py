"""Cases on every path of the process, spread over days, help desks and versions, for the event-log export."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from engine.clock import FixedClock
from engine.deployment import SourceFile
from engine.services.cases import tasks
from engine.services.cases.timers import fire_due_timers
from engine.services.context import ServiceContext
from engine.services.people.desks import HelpDeskSpec, add_help_desk
from engine.services.people.users import get_actor
from engine.services.processes.deploy import deploy
from engine.setup.bootstrap import BPMN_DIR, FORMS_DIR, process_files
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
    REPORT,
    REVIEW,
    SOLVE_AT_LEVEL2,
    SOLVE_AT_LEVEL3,
    VALIDATE,
    Walker,
    publish_default_protocol,
    walk_to_level2,
    walk_to_ticket,
)

REVIEW_V2 = "Revisar y registrar el caso (v2)"
LANES = {"Usuario", "Nivel 1", "Nivel 2", "Nivel 3"}
# Days after T0 (09:00 in Bogotá, Tuesday 2026-12-01) on which each case is reported.
DAY_OF = {"feliz": 0, "nivel3": 0, "rechazo": 0, "informacion": 1, "sin_respuesta": 1, "sin_validacion": 1,
          "abierto": 12, "version2": 12, "otra_mesa": 12}
HAPPY_ACTIVITIES = [
    "Incidencia o solicitud reportada", "Revisar y registrar caso", "Calcular prioridad", "Asignar número de ticket",
    "Notificar ticket al usuario", "Consultar matriz de escalamiento", "Escalar a nivel 2", "Analizar y solucionar",
    "Notificar solución e invitar a calificar", "Validar solución y calificar el servicio",
    "Notificar cierre del caso",
]
NO_ANSWER_ACTIVITIES = [
    "Incidencia o solicitud reportada", "Revisar y registrar caso", "Solicitar información al usuario",
    "Recordatorio de información", "Enviar recordatorio de información", "Plazo de información vencido",
    "Notificar cierre por falta de información",
]


@dataclass(frozen=True)
class Seeded:
    """Case ids by path name."""

    ids: dict[str, int]


def seed_every_path(ctx: ServiceContext, clock: FixedClock) -> Seeded:
    """Report and walk one case per path (closed ones, timer-closed ones, open ones, v2, another desk)."""
    ids: dict[str, int] = {}
    clock.set(T0)
    ids["feliz"] = _happy_with_assignments(ctx)
    ids["nivel3"] = _walk(ctx, [("nivel2", ESCALATE_TO_LEVEL3, LEVEL2), ("nivel3", SOLVE_AT_LEVEL3, LEVEL3),
                                ("solicitante", ACCEPT, VALIDATE)])
    ids["rechazo"] = _walk(ctx, [("nivel2", SOLVE_AT_LEVEL2, LEVEL2), ("solicitante", REJECT, VALIDATE),
                                 ("nivel2", SOLVE_AT_LEVEL2, LEVEL2), ("solicitante", ACCEPT, VALIDATE)])
    clock.set(T0 + timedelta(days=1))
    ids["informacion"] = _incomplete_then_completed(ctx)
    ids["sin_respuesta"] = _reported(ctx, ("nivel1", INCOMPLETE_REVIEW, REVIEW))
    ids["sin_validacion"] = _walk(ctx, [("nivel2", SOLVE_AT_LEVEL2, LEVEL2)])
    for day in range(2, 12):  # reminders, then deadlines: both cases close on their own
        clock.set(T0 + timedelta(days=day))
        fire_due_timers(ctx)
    clock.set(T0 + timedelta(days=12))
    ids["abierto"] = _id(walk_to_ticket(ctx))
    ids["otra_mesa"] = _other_help_desk_case(ctx)
    ids["version2"] = _version2_case(ctx)
    return Seeded(ids)


def _id(walk: Walker) -> int:
    assert walk.case is not None
    return walk.case.id


def _walk(ctx: ServiceContext, steps: list[tuple[str, Mapping[str, Any], str]]) -> int:
    walk = walk_to_level2(ctx)
    for user, data, element in steps:
        walk.complete(user, dict(data), element)
    return _id(walk)


def _reported(ctx: ServiceContext, *steps: tuple[str, Mapping[str, Any], str]) -> int:
    walk = Walker(ctx)
    walk.start()
    for user, data, element in steps:
        walk.complete(user, dict(data), element)
    return _id(walk)


def _incomplete_then_completed(ctx: ServiceContext) -> int:
    walk = Walker(ctx)
    walk.start()
    walk.complete("nivel1", INCOMPLETE_REVIEW, REVIEW)
    walk.complete("solicitante", {"informacion_adicional": "Adjunto el pantallazo"}, COMPLETE_INFO)
    case = walk.complete("nivel1", COMPLETE_REVIEW, REVIEW)
    walk.complete("nivel1", {"grupo_nivel2": case.data["grupo_nivel2"]}, ESCALATE)
    walk.complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2)
    walk.complete("solicitante", ACCEPT, VALIDATE)
    return _id(walk)


def _happy_with_assignments(ctx: ServiceContext) -> int:
    """The happy path, with an administrator's assignment, a claim and two reassignments on the way."""
    admin, nivel2 = get_actor(ctx, "admin"), get_actor(ctx, "nivel2")
    walk = walk_to_ticket(ctx)
    tasks.assign_task(ctx, admin, walk.task(ESCALATE).id, "nivel1")
    assert walk.case is not None
    walk.complete("nivel1", {"grupo_nivel2": walk.case.data["grupo_nivel2"]}, ESCALATE)
    level2 = walk.task(LEVEL2).id
    tasks.claim_task(ctx, nivel2, level2)
    tasks.assign_task(ctx, admin, level2, "admin")
    tasks.assign_task(ctx, admin, level2, "nivel2")
    walk.complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2)
    walk.complete("solicitante", ACCEPT, VALIDATE)
    return _id(walk)


def _other_help_desk_case(ctx: ServiceContext) -> int:
    add_help_desk(ctx, HelpDeskSpec(code="rrhh", name="Mesa de Talento Humano", ticket_prefix="TH",
                                    level1_group="rrhh-nivel1", level2_default_group="rrhh-nivel2"))
    publish_default_protocol(ctx, "rrhh")  # an empty catalogue: the case is about 'otra'
    walk = Walker(ctx)
    walk.start({**REPORT, "mesa": "rrhh", "aplicacion": "otra"})
    return _id(walk)


def _version2_case(ctx: ServiceContext) -> int:
    [(bpmn, forms)] = process_files(BPMN_DIR, FORMS_DIR)
    text = bpmn.content.decode("utf-8")
    assert text.count('name="Revisar y registrar caso"') == 1
    changed = text.replace('name="Revisar y registrar caso"', f'name="{REVIEW_V2}"')
    assert deploy(ctx, "dueno", SourceFile(bpmn.name, changed.encode("utf-8")), forms).version == 2
    walk = Walker(ctx)
    walk.start()
    walk.complete("nivel1", COMPLETE_REVIEW, REVIEW)
    return _id(walk)
