"""The typed façade the rest of the engine uses: a case's workflow as an opaque handle, plain values out.

No SpiffWorkflow object crosses this module: tasks come back as ReadyTask, elements as ElementInfo, fired timers as
TimerInfo. An upgrade of SpiffWorkflow changes engine.workflow only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.workflow import migration, runtime
from engine.workflow.elements import ElementInfo
from engine.workflow.migration import MigrationResult, TimerCarry
from engine.workflow.runtime import SERIALIZER_VERSION, SPIFF_VERSION, ProcessSpec, WorkflowFailure, spiff_failures
from engine.workflow.script_engine import SafeScriptEngine
from engine.workflow.stored import StoredFormatError

__all__ = [
    "SERIALIZER_VERSION", "SPIFF_VERSION", "CaseWorkflow", "ElementInfo", "MigrationResult", "ProcessSpec",
    "ReadyTask", "StepLog", "StoredFormatError", "TimerCarry", "TimerInfo", "WorkflowFailure", "spiff_failures",
    "visible_state",
]


@dataclass(frozen=True)
class ReadyTask:
    """A READY user task: its id, its element and (a copy of) the data its token carries."""

    task_id: str
    element: ElementInfo
    data: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def element_id(self) -> str:
        """The BPMN id of the task's element."""
        return self.element.element_id

    @property
    def name(self) -> str:
        """The element's name (its id when unnamed)."""
        return self.element.name

    @property
    def lane(self) -> str | None:
        """The lane the element sits in."""
        return self.element.lane

    @property
    def camunda(self) -> Mapping[str, str]:
        """camunda:* attributes of the element (assignee, candidateGroups, dueDate, priority...)."""
        return self.element.camunda


@dataclass(frozen=True)
class TimerInfo:
    """A timer event that fired during a step: its element id and name."""

    element_id: str
    name: str


@dataclass
class StepLog:
    """What happened inside one advance: BPMN elements completed in order (for state and audit)."""

    completed: list[ElementInfo] = field(default_factory=list)

    @property
    def fired_timers(self) -> list[TimerInfo]:
        """Timer events completed during the step, in order."""
        return [TimerInfo(element.element_id, element.name) for element in self.completed if element.is_timer]


class CaseWorkflow:
    """One case's workflow (new or loaded), pinned to its parsed process; the only handle services hold."""

    def __init__(self, workflow: Any, process: ProcessSpec) -> None:
        self._workflow = workflow
        self.process = process

    @classmethod
    def new(cls, process: ProcessSpec, engine: SafeScriptEngine) -> CaseWorkflow:
        """A fresh instance of a process, not yet started."""
        return cls(runtime.new_workflow(process, engine), process)

    @classmethod
    def load(cls, text: str, process: ProcessSpec, engine: SafeScriptEngine, subject: str) -> CaseWorkflow:
        """Load saved state against its pinned spec; StoredFormatError naming `subject` when it cannot be read."""
        return cls(runtime.loads(text, process, engine, subject), process)

    def dumps(self) -> str:
        """The state to store (without the spec, stamped with its format)."""
        return runtime.dumps(self._workflow)

    def start(self, data: dict[str, Any], now: datetime, log: StepLog) -> None:
        """Put the start data on the start token and run to the first wait state."""
        runtime.start(self._workflow, data, now, self._recorder(log))

    def advance(self, now: datetime, log: StepLog) -> None:
        """Run automatic work (gateways, service tasks, timers due at `now`) until the workflow waits."""
        runtime.advance(self._workflow, now, self._recorder(log))

    def complete(self, task_id: str, data: dict[str, Any], now: datetime, log: StepLog) -> None:
        """Write the submitted values on a READY user task, complete it and run on."""
        task = runtime.find_ready_user_task(self._workflow, task_id)
        if task is None:
            raise WorkflowFailure(f"la tarea {task_id} no está lista en el proceso")
        runtime.complete_user_task(self._workflow, task, data, now, self._recorder(log))

    def ready_tasks(self) -> list[ReadyTask]:
        """The READY user tasks, in SpiffWorkflow's order."""
        return [self._ready(task) for task in runtime.ready_user_tasks(self._workflow)]

    def ready_task(self, task_id: str) -> ReadyTask | None:
        """The READY user task with this id, or None."""
        task = runtime.find_ready_user_task(self._workflow, task_id)
        return self._ready(task) if task is not None else None

    def variables(self, ready: Iterable[ReadyTask] | None = None) -> dict[str, Any]:
        """The case's current variables (pass the ready tasks when already at hand)."""
        return runtime.case_variables(self._workflow, None if ready is None else [t.data for t in ready])

    def next_timer_at(self) -> datetime | None:
        """Earliest due time among the armed timers."""
        return runtime.next_timer_at(self._workflow)

    def is_completed(self) -> bool:
        """True once the instance reached an end."""
        return bool(self._workflow.is_completed())

    def path_taken(self) -> tuple[list[str], list[str]]:
        """(elements completed in order, elements active now) for drawing the case on its diagram."""
        return runtime.path_taken(self._workflow)

    def blocking_reasons(self, target: ProcessSpec) -> list[str]:
        """Why this instance cannot move to another version (empty when it can)."""
        return migration.blocking_reasons(self._workflow, target)

    def migrate(self, target: ProcessSpec, now: datetime) -> MigrationResult:
        """Move the instance onto another version, keeping timer due times and READY task data."""
        result = migration.migrate(self._workflow, target, now)
        self.process = target
        return result

    def _ready(self, task: Any) -> ReadyTask:
        info = self.process.info_of(task)
        assert info is not None  # user tasks always come from a BPMN element
        return ReadyTask(str(task.id), info, dict(task.data))

    def _recorder(self, log: StepLog) -> runtime.OnComplete:
        infos = self.process.infos

        def record(task: Any) -> None:
            element_id = task.task_spec.bpmn_id
            if element_id:  # the engine's own tasks (no BPMN id) say nothing to state or audit
                log.completed.append(infos[element_id])
        return record


def visible_state(previous: str, completed: Iterable[ElementInfo], ready: Iterable[ReadyTask]) -> str:
    """The case's visible state from `estado` properties: last element passed, then the task now waiting."""
    state = previous
    for element in completed:
        state = element.property("estado") or state
    for task in ready:
        waiting = task.element.property("estado")
        if waiting:
            return waiting
    return state
