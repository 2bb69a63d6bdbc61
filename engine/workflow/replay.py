"""Re-run a recorded case on its pinned spec: service tasks get their recorded outputs back, nothing else runs."""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.workflow import migration, runtime
from engine.workflow.facade import CaseWorkflow, ReadyTask, StepLog, visible_state
from engine.workflow.script_engine import SafeScriptEngine, ServiceCall

START, TASK, TIMER, MIGRATE = "case.started", "task.completed", "timer.fired", "case.migrated"
ServiceKey = tuple[str, str]


@dataclass(frozen=True)
class RecordedService:
    """A service task's outputs as the audit log recorded them."""

    element_id: str
    topic: str
    outputs: dict[str, Any]


@dataclass(frozen=True)
class RecordedStep:
    """What one workflow-advancing step needs to run again: how it began, when, with which data and outputs."""

    kind: str
    at: datetime
    element_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    services: tuple[RecordedService, ...] = ()
    deadlines: dict[str, Any] | None = None  # plazo() values as recorded; None in events older than recording


# The expression functions a recorded step runs with (its instant and recorded deadlines are on the step).
Functions = Callable[[RecordedStep], Mapping[str, Callable[..., Any]]]


@dataclass(frozen=True)
class ReplayedStep:
    """What the re-execution did in one step; `problems` are path differences the workflow itself saw."""

    state: str
    variables: dict[str, Any]
    ready: tuple[ReadyTask, ...]
    completed_task: str | None
    timers: tuple[str, ...]
    services: tuple[ServiceKey, ...]
    problems: tuple[str, ...]


class ReplayHaltedError(RuntimeError):
    """The recorded step cannot be applied to the re-executed workflow (its task is not ready)."""


class _RecordedOutputs:
    """Service runner that hands back recorded outputs, in order per (element id, topic); never calls a handler."""

    def __init__(self, services: Sequence[RecordedService]) -> None:
        self.queues: dict[ServiceKey, deque[dict[str, Any]]] = {}
        for service in services:
            self.queues.setdefault((service.element_id, service.topic), deque()).append(service.outputs)
        self.ran: list[ServiceKey] = []
        self.missing: list[ServiceKey] = []

    def __call__(self, call: ServiceCall) -> dict[str, Any]:
        key = (call.element_id, call.topic)
        self.ran.append(key)
        queue = self.queues.get(key)
        if not queue:
            self.missing.append(key)
            return {}
        return copy.deepcopy(queue.popleft())

    def problems(self) -> list[str]:
        """Services run without a recorded output, and recorded outputs nobody asked for."""
        found = [f"el servicio {el} (tema {topic}) se ejecutó sin salida registrada" for el, topic in self.missing]
        for (element, topic), queue in self.queues.items():
            found += [f"la salida registrada de {element} (tema {topic}) no se usó"] * len(queue)
        return found


class Replayer:
    """A fresh instance of a process, driven step by step by what the audit log recorded."""

    def __init__(self, process: runtime.ProcessSpec, functions: Functions, state: str) -> None:
        self.functions = functions
        self.engine = SafeScriptEngine()
        self.workflow = CaseWorkflow.new(process, self.engine)
        self.state = state

    def run(self, step: RecordedStep) -> ReplayedStep:
        """Apply one recorded step; raises WorkflowFailure/ExpressionError/ReplayHaltedError when it cannot."""
        outputs = _RecordedOutputs(step.services)
        self.engine.functions = dict(self.functions(step))
        self.engine.services = outputs
        log = StepLog()
        completed = self._apply(step, log)
        ready = self.workflow.ready_tasks()
        self.state = visible_state(self.state, log.completed, ready)
        return ReplayedStep(
            state=self.state, variables=self.workflow.variables(ready), ready=tuple(ready),
            completed_task=completed, timers=tuple(timer.element_id for timer in log.fired_timers),
            services=tuple(outputs.ran), problems=tuple(outputs.problems()),
        )

    def migrate(self, target: runtime.ProcessSpec, at: datetime) -> tuple[ReplayedStep, migration.MigrationResult]:
        """Move the re-executed instance to another version as the recorded migration did (no task runs)."""
        reasons = self.workflow.blocking_reasons(target)
        if reasons:
            raise ReplayHaltedError("; ".join(reasons))
        with runtime.spiff_failures():
            result = self.workflow.migrate(target, at)
        ready = self.workflow.ready_tasks()
        self.state = visible_state(self.state, [], ready)
        replayed = ReplayedStep(state=self.state, variables=self.workflow.variables(ready), ready=tuple(ready),
                                completed_task=None, timers=(), services=(), problems=())
        return replayed, result

    def _apply(self, step: RecordedStep, log: StepLog) -> str | None:
        with runtime.spiff_failures():
            if step.kind == START:
                self.workflow.start(copy.deepcopy(step.data), step.at, log)
            elif step.kind == TASK:
                task = self.ready_task(step.element_id)
                self.workflow.complete(task.task_id, copy.deepcopy(step.data), step.at, log)
                return task.task_id
            else:
                self.workflow.advance(step.at, log)
        return None

    def ready_task(self, element_id: str | None) -> ReadyTask:
        """The only READY user task of an element (task ids differ on replay: elements are what match)."""
        ready = self.workflow.ready_tasks()
        matches = [t for t in ready if t.element_id == element_id]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            waiting = ", ".join(t.element_id for t in ready) or "ninguna"
            raise ReplayHaltedError(f"la tarea {element_id} no está lista en la reproducción (listas: {waiting})")
        raise ReplayHaltedError(f"hay {len(matches)} tareas {element_id} listas: no se sabe cuál se completó")

    def ready(self) -> tuple[ReadyTask, ...]:
        """The READY user tasks now (their ids are the replay's own, not the recorded ones)."""
        return tuple(self.workflow.ready_tasks())

    def path(self) -> tuple[list[str], list[str]]:
        """(elements completed in order, elements active now) for the diagram."""
        return self.workflow.path_taken()

    def is_completed(self) -> bool:
        """True once the re-executed instance reached an end."""
        return self.workflow.is_completed()

    def next_timer_at(self) -> datetime | None:
        """Earliest due time among the re-executed instance's armed timers."""
        return self.workflow.next_timer_at()
