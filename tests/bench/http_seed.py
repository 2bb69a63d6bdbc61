"""Seed a SQLite file with many open help-desk cases through the real engine services (for bench_http).

Every case is reported by the demo requester with start_case (varied subjects, applications, types and
channels); a share of them is then worked one step by level 1 so the inbox holds different tasks:

- 7 in 10 wait in 'Revisar y registrar caso' (candidate group ti-nivel1),
- 2 in 10 were reviewed as complete and wait in 'Escalar a nivel 2' (ticket and priority assigned),
- 1 in 10 was reviewed as incomplete and waits for the requester in 'Completar información'.

Nothing is closed: every case stays open. On 2 cores this runs at 110-140 cases/s (one start_case is about
5 ms, one complete_task about 10 ms), so 10,000 cases take about 90 s: no parallel seeding and no cached
file are needed (SQLite has one writer anyway), and every run builds its own correct database from scratch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.db.session import Database
from engine.services.cases import start as cases
from engine.services.context import ServiceContext
from engine.services.people.users import get_actor
from engine.services.views import Actor
from engine.setup.bootstrap import DEMO_LEVEL2, initialise, seed_demo
from tests.conftest import make_settings
from tests.helpers import COMPLETE_INFO, COMPLETE_REVIEW, ESCALATE, INCOMPLETE_REVIEW, REPORT, REVIEW

REVIEW_NAME = "Revisar y registrar caso"
# The ti catalogue and 'otra' (an application outside it); the channels its demo protocol enables.
APPLICATIONS = (*DEMO_LEVEL2, "otra")
TYPES = ("incidencia", "peticion", "problema")
CHANNELS = ("portal", "correo", "telefono")
SUBJECTS = ("No carga el tablero de control", "Error al iniciar sesión", "Lentitud al generar reportes",
            "No llegan las notificaciones", "Solicitud de acceso nuevo", "Falla al adjuntar archivos")
# Where each case of a block of ten stops: the first step's outcome by index modulo 10.
STAGES = ("review",) * 7 + ("escalate", "escalate", "missing_info")
STAGE_DATA = {"escalate": COMPLETE_REVIEW, "missing_info": INCOMPLETE_REVIEW}
STAGE_ELEMENT = {"review": REVIEW, "escalate": ESCALATE, "missing_info": COMPLETE_INFO}


class SeedError(RuntimeError):
    """A seeded case did not stop where its stage says: the database would not be what the report claims."""


@dataclass(frozen=True)
class SeedFigures:
    """What one seeding run did and how long it took."""

    cases: int
    by_stage: dict[str, int]
    seconds: float

    def as_json(self) -> dict[str, Any]:
        """For the report."""
        rate = self.cases / self.seconds if self.seconds else 0.0
        return {"cases": self.cases, "by_stage": self.by_stage, "seconds": round(self.seconds, 2),
                "cases_per_second": round(rate, 1)}


def database_url(workdir: Path) -> str:
    """The SQLite file of a benchmark directory."""
    return f"sqlite:///{workdir / 'mesa.db'}"


def open_context(workdir: Path) -> ServiceContext:
    """Services over the directory's SQLite file (system clock, no SMTP), schema and demo data in place."""
    db = Database(database_url(workdir))
    ctx = ServiceContext(db, make_settings(workdir, db.url))
    initialise(ctx, "dueno")
    seed_demo(ctx)
    return ctx


def report_data(index: int) -> dict[str, Any]:
    """Start-form data of the index-th case: the demo report with varied subject, application, type, channel."""
    return {**REPORT, "asunto": f"{SUBJECTS[index % len(SUBJECTS)]} #{index + 1}",
            "aplicacion": APPLICATIONS[index % len(APPLICATIONS)], "tipo": TYPES[index % len(TYPES)],
            "canal": CHANNELS[index % len(CHANNELS)]}


def stage_of(index: int) -> str:
    """Where the index-th case stops."""
    return STAGES[index % len(STAGES)]


def _seed_one(ctx: ServiceContext, requester: Actor, agent: Actor, index: int) -> str:
    view = cases.start_case(ctx, requester, report_data(index))
    stage = stage_of(index)
    if stage in STAGE_DATA:
        [task] = view.ready_tasks
        view = cases.complete_task(ctx, agent, task.id, dict(STAGE_DATA[stage]))
    if not view.is_open or [t.element_id for t in view.ready_tasks] != [STAGE_ELEMENT[stage]]:
        raise SeedError(f"caso {view.id}: esperaba '{STAGE_ELEMENT[stage]}', está en "
                        f"{[t.element_id for t in view.ready_tasks]} (abierto={view.is_open})")
    return stage


def seed_cases(ctx: ServiceContext, first: int, count: int,
               progress: Callable[[int], None] | None = None) -> SeedFigures:
    """Create cases first .. first+count-1 through the services; progress(done) every 1,000 cases."""
    requester, agent = get_actor(ctx, "solicitante"), get_actor(ctx, "nivel1")
    by_stage = dict.fromkeys(STAGE_ELEMENT, 0)
    started = time.perf_counter()
    for done, index in enumerate(range(first, first + count), start=1):
        by_stage[_seed_one(ctx, requester, agent, index)] += 1
        if progress is not None and done % 1000 == 0:
            progress(done)
    return SeedFigures(count, by_stage, time.perf_counter() - started)


def combined(parts: list[SeedFigures]) -> SeedFigures:
    """Several seeding runs as one."""
    by_stage = {stage: sum(p.by_stage.get(stage, 0) for p in parts) for stage in STAGE_ELEMENT}
    return SeedFigures(sum(p.cases for p in parts), by_stage, sum(p.seconds for p in parts))
