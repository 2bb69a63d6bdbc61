"""Lifecycle benchmark: whole cases through the persisted engine services vs raw SpiffWorkflow in memory.

Run from the project root:

    .venv/bin/python -m tests.bench.bench_lifecycle [--runs N] [--warmup W]

Prints ONE JSON document on stdout (progress goes to stderr). It measures and reports; it asserts nothing
about time, but it raises when a lifecycle does not end where its scenario says, so a broken path is never
timed. Both sides walk the same scenario table with the same form data and the same clock instants.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import sqlalchemy
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import TaskState
from SpiffWorkflow.version import __version__ as SPIFF_VERSION

from engine.clock import FixedClock
from engine.config import Settings
from engine.db.session import Database
from engine.deployment import SourceFile
from engine.helpdesk.deadlines import deadline
from engine.helpdesk.effects import DEFAULT_HANDLERS
from engine.helpdesk.priority import priority_of
from engine.services.cases import start as cases
from engine.services.cases import timers
from engine.services.context import ServiceContext
from engine.services.people.users import add_user, get_actor
from engine.services.processes.deploy import deploy
from engine.services.views import Actor, CaseView
from engine.setup.bootstrap import BPMN_DIR, DEMO_DESK, DEMO_LEVEL2, DEMO_USERS, initialise, seed_demo
from engine.workflow.camunda import MesaParser
from engine.workflow.clock_patch import engine_time
from engine.workflow.script_engine import SafeScriptEngine, ServiceCall
from engine.workflow.specs import MESA_CONFIG
from tests.conftest import FIXTURES, T0, make_settings
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
)

TARGET_RATIO = 3.0
MAIN, LINEAL = "mesa_de_ayuda", "proceso_lineal"
PROCESS_FILES = {MAIN: BPMN_DIR / "mesa_de_ayuda.bpmn", LINEAL: FIXTURES / "lineal.bpmn"}
LINEAL_USER = "miembro.equipo"
LEVEL2_GROUP = DEMO_LEVEL2[REPORT["aplicacion"]]  # what the escalation matrix proposes; the agent keeps it
# Service topics whose handler fixes a deadline (same instant as the diagram's timer).
DEADLINE_TOPICS = {"solicitar_informacion": "informacion", "notificar_solucion": "validacion"}
TIMER_EVENT_TYPES = ("DurationTimerEventDefinition", "TimeDateEventDefinition", "CycleTimerEventDefinition")
_EPSILON = timedelta(microseconds=1)  # Spiff fires a timer only when due < now (as runtime.advance does)
T = TypeVar("T")


class BenchmarkError(RuntimeError):
    """A lifecycle did not follow its scenario: the measurement would be meaningless."""


# ---------------------------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class UserStep:
    """A user completes the ready task of an element with form data."""

    user: str
    element_id: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class TimerStep:
    """Time moves to the case's earliest armed timer, which fires."""


Action = UserStep | TimerStep


@dataclass(frozen=True)
class Scenario:
    """One path from start to end, shared by both sides."""

    name: str
    steps: tuple[Action, ...]
    end_event: str
    end_state: str
    process_id: str = MAIN
    starter: str = "solicitante"
    start_data: Mapping[str, Any] = field(default_factory=lambda: dict(REPORT))

    def raw_start_variables(self) -> dict[str, Any]:
        """What start_case puts on the start token besides the form data: initiator and help desk."""
        extra: dict[str, Any] = {"solicitante": self.starter}
        if self.start_data.get("mesa") == DEMO_DESK.code:
            extra.update(grupo_nivel1=DEMO_DESK.level1_group, mesa_nombre=DEMO_DESK.name)
        return {**self.start_data, **extra}


# The review form stores its unticked "resolver en nivel 1" box as false; raw SpiffWorkflow needs it given.
_REVIEW = UserStep("nivel1", REVIEW, {**COMPLETE_REVIEW, "resolver_nivel1": False})
_TO_LEVEL2 = (_REVIEW, UserStep("nivel1", ESCALATE, {"grupo_nivel2": LEVEL2_GROUP}))
_SOLVE2, _ACCEPT = UserStep("nivel2", LEVEL2, SOLVE_AT_LEVEL2), UserStep("solicitante", VALIDATE, ACCEPT)
_INCOMPLETE = UserStep("nivel1", REVIEW, INCOMPLETE_REVIEW)
_CLOSED = ("EndEvent_CasoCerrado", "cerrado")

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("happy", (*_TO_LEVEL2, _SOLVE2, _ACCEPT), *_CLOSED),
    Scenario("incomplete_then_completed", (
        _INCOMPLETE, UserStep("solicitante", COMPLETE_INFO, {"informacion_adicional": "Adjunto el pantallazo"}),
        *_TO_LEVEL2, _SOLVE2, _ACCEPT), *_CLOSED),
    Scenario("incomplete_no_answer_closed", (_INCOMPLETE, TimerStep(), TimerStep()),
             "EndEvent_CerradoFaltaInformacion", "cerrado por falta de información"),
    Scenario("level3", (*_TO_LEVEL2, UserStep("nivel2", LEVEL2, ESCALATE_TO_LEVEL3),
                        UserStep("nivel3", LEVEL3, SOLVE_AT_LEVEL3), _ACCEPT), *_CLOSED),
    Scenario("rejected_reopened_accepted", (
        *_TO_LEVEL2, _SOLVE2, UserStep("solicitante", VALIDATE, REJECT),
        UserStep("nivel2", LEVEL2, {**SOLVE_AT_LEVEL2, "solucion": "Se reinició el servicio"}), _ACCEPT), *_CLOSED),
    Scenario("no_validation_auto_closed", (*_TO_LEVEL2, _SOLVE2, TimerStep(), TimerStep()),
             "EndEvent_CerradoAutomaticamente", "cerrado automáticamente"),
    Scenario("lineal", (
        UserStep(LINEAL_USER, "Activity_A", {"pasar_por_b": True, "nota_a": "Revisado"}),
        UserStep(LINEAL_USER, "Activity_B", {"nota_b": "Hecho"}),
        UserStep(LINEAL_USER, "Activity_C", {"puntaje": 4})),
        "EndEvent_1", "terminado", process_id=LINEAL, starter=LINEAL_USER, start_data={}),
)


def _single(items: Sequence[T], what: str) -> T:
    if len(items) != 1:
        raise BenchmarkError(f"se esperaba exactamente una {what}, hay {len(items)}")
    return items[0]


# ---------------------------------------------------------------------------------------------- persisted


class PersistedRunner:
    """The engine services on a fresh SQLite file: each step is one transaction (load, advance, save...)."""

    def __init__(self, workdir: Path) -> None:
        self.db = Database(f"sqlite:///{workdir / 'mesa.db'}")
        self.clock = FixedClock(T0)
        self.ctx = ServiceContext(self.db, make_settings(workdir, self.db.url), self.clock)
        initialise(self.ctx, "dueno")
        seed_demo(self.ctx)
        _deploy_lineal(self.ctx)
        # Resolved once, untimed: a web request already knows its user before calling a service.
        names = [u.username for u in DEMO_USERS] + [LINEAL_USER]
        self.actors: dict[str, Actor] = {name: get_actor(self.ctx, name) for name in names}

    def lifecycle(self, scenario: Scenario) -> int:
        """Start a case and walk it to its end; returns the case id."""
        self.clock.set(T0)
        started = cases.start_case(self.ctx, self.actors[scenario.starter], dict(scenario.start_data),
                                   process_id=scenario.process_id)
        view: CaseView | None = started
        for step in scenario.steps:
            if isinstance(step, TimerStep):
                self._fire(started.id)
                view = None  # what the case looks like now is read when someone needs it
            else:
                view = self._complete(started.id, view, step)
        return started.id

    def _complete(self, case_id: int, view: CaseView | None, step: UserStep) -> CaseView:
        actor = self.actors[step.user]
        if view is None:  # a timer fired since the last view: the next actor reads the case first
            view = cases.get_case(self.ctx, actor, case_id, with_history=False)
        task = _single([t for t in view.ready_tasks if t.element_id == step.element_id], f"tarea {step.element_id}")
        return cases.complete_task(self.ctx, actor, task.id, dict(step.data))

    def _fire(self, case_id: int) -> None:
        """As the scheduler does: wake at the earliest armed timer, fire what is due."""
        due = timers.next_due_at(self.ctx)
        if due is None:
            raise BenchmarkError(f"caso {case_id}: no hay temporizador armado")
        self.clock.set(due)
        fired = timers.fire_due_timers(self.ctx)
        if [f.case_id for f in fired] != [case_id]:
            raise BenchmarkError(f"caso {case_id}: se dispararon {fired}")

    def verify(self, scenario: Scenario, case_id: int) -> None:
        """The case is closed in the scenario's end state, with nothing left to do."""
        view = cases.get_case(self.ctx, self.actors["auditor"], case_id, with_history=False)
        if view.is_open or view.state != scenario.end_state or view.ready_tasks or view.next_timer_at:
            raise BenchmarkError(f"{scenario.name}: caso {case_id} terminó en '{view.state}' (abierto={view.is_open})")

    def close(self) -> None:
        """Release the database."""
        self.db.dispose()


def _deploy_lineal(ctx: ServiceContext) -> None:
    forms = [SourceFile(p.name, p.read_bytes()) for p in sorted(FIXTURES.glob("lineal_*.form"))]
    deploy(ctx, "dueno", SourceFile("lineal.bpmn", PROCESS_FILES[LINEAL].read_bytes()), forms)
    add_user(ctx, LINEAL_USER, f"{LINEAL_USER}@demo.mesa.local", "agente", groups=("equipo",))


# ---------------------------------------------------------------------------------------------- raw


class StubServices:
    """The outputs the real topic handlers give, computed without a database (and without emails)."""

    def __init__(self, settings: Settings, clock: FixedClock) -> None:
        self.settings, self.clock = settings, clock
        self.tickets = itertools.count(1)

    def __call__(self, call: ServiceCall) -> dict[str, Any]:
        variables, now = call.variables, self.clock.now()
        if call.topic not in DEFAULT_HANDLERS:
            raise BenchmarkError(f"tema sin manejador: {call.topic}")
        if call.topic == "calcular_prioridad":
            name, value = priority_of(variables.get("impacto"), variables.get("urgencia"))
            return {"prioridad": name, "prioridad_valor": value}
        if call.topic == "asignar_ticket":
            year = now.astimezone(self.settings.timezone).year
            return {"ticket": f"{DEMO_DESK.ticket_prefix}-{year}-{next(self.tickets):06d}"}
        if call.topic == "proponer_grupo_nivel2":
            group = DEMO_LEVEL2.get(str(variables.get("aplicacion", "")), DEMO_DESK.level2_default_group)
            return {"grupo_nivel2": group, "grupo_nivel2_propuesto": group}
        if call.topic in DEADLINE_TOPICS:
            name = DEADLINE_TOPICS[call.topic]
            return {f"vence_{name}": deadline(self.settings, name, now).isoformat()}
        return {}  # the e-mail topics have no outputs


def parse_process(path: Path) -> tuple[Any, dict[str, Any]]:
    """Parse a Camunda 7 file once with MesaParser: (spec, subprocess specs)."""
    parser = MesaParser()
    parser.add_bpmn_file(str(path))
    process_id = _single(parser.get_process_ids(), "definición de proceso")
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


def next_due(workflow: Any) -> datetime | None:
    """Earliest due time among the armed timers (plain Spiff API)."""
    due = [TimerEventDefinition.get_datetime(e.value) for e in workflow.waiting_events()
           if e.event_type in TIMER_EVENT_TYPES and isinstance(e.value, str)]
    return min(due) if due else None


class RawRunner:
    """Raw SpiffWorkflow in memory; after every step save + reload with the standard serializer (spec embedded)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = FixedClock(T0)
        self.processes = {pid: parse_process(path) for pid, path in PROCESS_FILES.items()}
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(MESA_CONFIG))
        self.engine = SafeScriptEngine(functions={"plazo": self._plazo}, services=StubServices(settings, self.clock))

    def _plazo(self, name: str) -> str:
        return deadline(self.settings, str(name), self.clock.now()).isoformat()

    def lifecycle(self, scenario: Scenario) -> Any:
        """Start a workflow and walk it to its end; returns the final (reloaded) workflow."""
        self.clock.set(T0)
        spec, subprocess_specs = self.processes[scenario.process_id]
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=self.engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(scenario.raw_start_variables())
        with engine_time(T0):
            workflow.do_engine_steps()
        workflow = self._reload(workflow)
        for step in scenario.steps:
            self._fire(workflow) if isinstance(step, TimerStep) else self._complete(workflow, step)
            workflow = self._reload(workflow)
        return workflow

    def _reload(self, workflow: Any) -> Any:
        text = self.serializer.serialize_json(workflow)
        loaded = self.serializer.deserialize_json(text)
        loaded.script_engine = self.engine  # the serializer does not save it
        return loaded

    def _complete(self, workflow: Any, step: UserStep) -> None:
        ready = [t for t in workflow.get_tasks(state=TaskState.READY)
                 if isinstance(t.task_spec, UserTask) and t.task_spec.bpmn_id == step.element_id]
        task = _single(ready, f"tarea {step.element_id}")
        task.data.update(step.data)
        with engine_time(self.clock.now()):
            task.run()
            workflow.do_engine_steps()

    def _fire(self, workflow: Any) -> None:
        due = next_due(workflow)
        if due is None:
            raise BenchmarkError("no hay temporizador armado")
        self.clock.set(due)
        with engine_time(due + _EPSILON):
            workflow.refresh_timers()
            workflow.do_engine_steps()
        after = next_due(workflow)
        if after is not None and after <= due:
            raise BenchmarkError(f"el temporizador de {due.isoformat()} no se disparó")

    def verify(self, scenario: Scenario, workflow: Any) -> None:
        """The workflow completed through the scenario's end event."""
        ended = {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)}
        if not workflow.is_completed() or scenario.end_event not in ended:
            raise BenchmarkError(f"{scenario.name}: el flujo no terminó en {scenario.end_event}")


# ---------------------------------------------------------------------------------------------- measuring


class Runner(Protocol):
    """One side of the comparison."""

    def lifecycle(self, scenario: Scenario) -> Any: ...

    def verify(self, scenario: Scenario, outcome: Any) -> None: ...


def timed(runner: Runner, scenario: Scenario) -> float:
    """Seconds for one lifecycle; the result is verified afterwards (untimed)."""
    gc.collect()  # start from a clean heap: no pause for the other side's garbage lands in this sample
    started = time.perf_counter()
    outcome = runner.lifecycle(scenario)
    elapsed = time.perf_counter() - started
    runner.verify(scenario, outcome)
    return elapsed


def measure(scenario: Scenario, sides: Mapping[str, Runner], runs: int, warmup: int) -> dict[str, list[float]]:
    """Samples per side; the sides alternate run by run so both see the same machine load (warm-up untimed)."""
    samples: dict[str, list[float]] = {name: [] for name in sides}
    for index in range(warmup + runs):
        for name, runner in sides.items():
            elapsed = timed(runner, scenario)
            if index >= warmup:
                samples[name].append(elapsed)
    return samples


def summarise(samples: Sequence[float]) -> dict[str, float | int]:
    """Mean and nearest-rank p95, in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return {"mean_ms": round(statistics.fmean(ordered) * 1000, 3), "p95_ms": round(p95 * 1000, 3),
            "runs": len(ordered)}


def bench_scenario(scenario: Scenario, persisted: Runner, raw: Runner, runs: int, warmup: int) -> dict[str, Any]:
    """Both sides of one scenario, with their ratios."""
    print(f"[bench] {scenario.name}: {runs} runs per side, alternating...", file=sys.stderr, flush=True)
    samples = measure(scenario, {"persisted": persisted, "raw": raw}, runs, warmup)
    saved, memory = summarise(samples["persisted"]), summarise(samples["raw"])
    ratio_mean = round(saved["mean_ms"] / memory["mean_ms"], 2)
    ratio_p95 = round(saved["p95_ms"] / memory["p95_ms"], 2)
    timers_fired = sum(isinstance(s, TimerStep) for s in scenario.steps)
    return {"process": scenario.process_id, "steps": len(scenario.steps),
            "user_steps": len(scenario.steps) - timers_fired, "timer_firings": timers_fired,
            "persisted": saved, "raw": memory, "ratio_mean": ratio_mean, "ratio_p95": ratio_p95,
            "met": ratio_mean <= TARGET_RATIO}


def environment() -> dict[str, Any]:
    """Where the numbers come from."""
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "sqlite": sqlite3.sqlite_version, "spiffworkflow": SPIFF_VERSION, "sqlalchemy": sqlalchemy.__version__,
            "cpu_count": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0)), "platform": platform.platform(),
            "date": datetime.now(UTC).isoformat(timespec="seconds")}


METHOD = {
    "lifecycle": "start to closed; steps = user steps + timer firings (the start is one more transaction)",
    "persisted": "engine services (start_case, complete_task, timers.next_due_at + fire_due_timers) on a SQLite "
                 "file (WAL, synchronous=NORMAL), FixedClock, one DB for every run; actors resolved once, untimed",
    "raw": "SpiffWorkflow in memory, spec parsed once with MesaParser, SafeScriptEngine with stub services; "
           "serialize_json + deserialize_json (spec embedded, MESA_CONFIG) after the start and after every step",
    "order": "persisted and raw alternate run by run (same machine load); gc.collect() before each timed run",
    "verification": "every run (warm-up included) checked untimed: closed in the expected end state / end event",
    "p95": "nearest rank",
}


def report(results: dict[str, dict[str, Any]], runs: int, warmup: int) -> dict[str, Any]:
    """The JSON document."""
    return {"benchmark": "case lifecycle: persisted engine services vs raw SpiffWorkflow",
            "target": f"persisted <= {TARGET_RATIO:g}x raw", "target_basis": "ratio_mean",
            "all_met": all(r["met"] for r in results.values()), "runs": runs, "warmup": warmup,
            "method": METHOD, "environment": environment(), "scenarios": results}


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=100, help="timed lifecycles per scenario and side")
    parser.add_argument("--warmup", type=int, default=3, help="untimed lifecycles before timing")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs debe ser >= 1 y --warmup >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run every scenario on both sides and print the report."""
    args = _arguments(argv)
    with tempfile.TemporaryDirectory(prefix="mesa-bench-") as tmp:
        persisted = PersistedRunner(Path(tmp))
        raw = RawRunner(persisted.ctx.settings)
        try:
            results = {s.name: bench_scenario(s, persisted, raw, args.runs, args.warmup) for s in SCENARIOS}
        finally:
            persisted.close()
    print(json.dumps(report(results, args.runs, args.warmup), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
