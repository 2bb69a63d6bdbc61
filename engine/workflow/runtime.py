"""Run, save and load workflows: the operations the engine services need, nothing Spiff-shaped leaks out."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import TaskState
from SpiffWorkflow.version import __version__ as _spiff_version

from engine.workflow.clock_patch import engine_time
from engine.workflow.script_engine import SafeScriptEngine
from engine.workflow.specs import MESA_CONFIG

SPIFF_VERSION: str = _spiff_version
SPEC_REFERENCE = "deployment"
_EPSILON = timedelta(microseconds=1)
# A cycle timer's pending value is its next firing, so it counts like the others.
TIMER_EVENT_TYPES = ("DurationTimerEventDefinition", "TimeDateEventDefinition", "CycleTimerEventDefinition")
_pinned: ContextVar[tuple[Any, dict[str, Any]] | None] = ContextVar("mesa_pinned_spec", default=None)


class _SpecByReference(BpmnWorkflowConverter):  # type: ignore[misc]
    """Workflow converter that leaves the spec out; it is stored once per deployed version."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["spec"] = SPEC_REFERENCE
        dct["subprocess_specs"] = SPEC_REFERENCE
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> Any:
        pinned = _pinned.get()
        if pinned is None:
            raise RuntimeError("spec not pinned while loading a workflow")
        spec, subprocess_specs = pinned
        dct.pop("spec"), dct.pop("subprocess_specs")
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_spec_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(MESA_CONFIG))
_config = dict(MESA_CONFIG)
_config[BpmnWorkflow] = _SpecByReference
_instance_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))
# Recorded with every saved instance: saved state is not portable across SpiffWorkflow releases.
SERIALIZER_VERSION = f"SpiffWorkflow {SPIFF_VERSION}; serializer {_instance_serializer.VERSION}"


class WorkflowFailure(RuntimeError):
    """SpiffWorkflow could not run a step (a failing expression, a handler error...)."""

    def __init__(self, message: str, element_id: str | None = None) -> None:
        super().__init__(message)
        self.element_id = element_id


@contextmanager
def spiff_failures() -> Iterator[None]:
    """Turn SpiffWorkflow's exceptions into WorkflowFailure naming the element."""
    try:
        yield
    except WorkflowTaskException as exc:
        element = getattr(getattr(exc, "task", None), "task_spec", None)
        raise WorkflowFailure(str(exc), getattr(element, "bpmn_id", None)) from exc
    except SpiffWorkflowException as exc:
        raise WorkflowFailure(str(exc)) from exc


@dataclass(frozen=True)
class ProcessSpec:
    """A parsed process: top-level spec and the specs of its sub-processes."""

    spec: Any
    subprocess_specs: dict[str, Any]

    @property
    def process_id(self) -> str:
        """The BPMN id of the process."""
        return str(self.spec.name)

    def to_json(self) -> str:
        """Serialize the spec (stored once per deployed version)."""
        return json.dumps(
            {
                "spec": _spec_serializer.to_dict(self.spec),
                "subprocess_specs": {k: _spec_serializer.to_dict(v) for k, v in self.subprocess_specs.items()},
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ProcessSpec:
        """Rebuild a spec stored by to_json."""
        dct = json.loads(text)
        return cls(
            spec=_spec_serializer.from_dict(dct["spec"]),
            subprocess_specs={k: _spec_serializer.from_dict(v) for k, v in dct["subprocess_specs"].items()},
        )

    def element(self, element_id: str) -> Any:
        """The task spec of a BPMN element id (None when absent)."""
        return self.spec.task_specs.get(element_id)

    def elements(self) -> Iterable[Any]:
        """Every task spec of the top-level process."""
        return list(self.spec.task_specs.values())


@dataclass
class StepLog:
    """What happened inside one advance: elements completed in order (for state and audit)."""

    completed: list[Any] = field(default_factory=list)


def new_workflow(process: ProcessSpec, engine: SafeScriptEngine) -> Any:
    """A fresh instance of a process, not yet started."""
    return BpmnWorkflow(process.spec, process.subprocess_specs, script_engine=engine)


def dumps(workflow: Any) -> str:
    """Serialize an instance without its spec."""
    return str(_instance_serializer.serialize_json(workflow))


def loads(text: str, process: ProcessSpec, engine: SafeScriptEngine) -> Any:
    """Load an instance saved by dumps against its pinned spec."""
    token = _pinned.set((process.spec, process.subprocess_specs))
    try:
        workflow = _instance_serializer.deserialize_json(text)
    finally:
        _pinned.reset(token)
    workflow.script_engine = engine
    return workflow


def advance(workflow: Any, now: datetime, log: StepLog) -> None:
    """Run automatic work (gateways, service tasks, due timers) until the workflow waits."""
    # SpiffWorkflow fires a timer only when due < now; "due as of now" must include now itself.
    with engine_time(now + _EPSILON):
        workflow.refresh_timers()
        workflow.do_engine_steps(did_complete_task=log.completed.append)


def start(workflow: Any, data: dict[str, Any], now: datetime, log: StepLog) -> None:
    """Put the start data on the start token and run to the first wait state."""
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    advance(workflow, now, log)


def ready_user_tasks(workflow: Any) -> list[Any]:
    """READY user tasks (filtered by class: bpmn:task and manualTask also count as 'manual')."""
    return [t for t in workflow.get_tasks(state=TaskState.READY) if isinstance(t.task_spec, UserTaskMixin)]


def find_ready_user_task(workflow: Any, task_id: str) -> Any | None:
    """The READY user task with this id, or None (Spiff's run() does not check state itself)."""
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except Exception:  # unknown id: Spiff raises its own TaskNotFoundException
        return None
    if task is None or task.state != TaskState.READY or not isinstance(task.task_spec, UserTaskMixin):
        return None
    return task


def complete_user_task(workflow: Any, task: Any, data: dict[str, Any], now: datetime, log: StepLog) -> None:
    """Write the submitted values on the task, complete it and run on."""
    task.data.update(data)
    with engine_time(now):
        task.run()
    log.completed.append(task)
    advance(workflow, now, log)


def next_timer_at(workflow: Any) -> datetime | None:
    """Earliest due time among the instance's armed timers."""
    due = [
        TimerEventDefinition.get_datetime(event.value)
        for event in workflow.waiting_events()
        if event.event_type in TIMER_EVENT_TYPES and isinstance(event.value, str)
    ]
    return min(due) if due else None


def is_completed(workflow: Any) -> bool:
    """True once the instance reached an end."""
    return bool(workflow.is_completed())


def case_variables(workflow: Any, ready: list[Any] | None = None) -> dict[str, Any]:
    """The case's current variables: the data the live tokens carry (or the final data)."""
    ready = ready_user_tasks(workflow) if ready is None else ready
    if ready:
        merged: dict[str, Any] = {}
        for task in ready:
            merged.update(task.data)
        return merged
    if workflow.is_completed() and workflow.data:
        return dict(workflow.data)
    last = workflow.last_task
    return dict(last.data) if last is not None else {}


def path_taken(workflow: Any) -> tuple[list[str], list[str]]:
    """(elements completed in order, elements active now) for drawing the case on its diagram."""
    done = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id]
    done.sort(key=lambda t: t.last_state_change)
    completed = list(dict.fromkeys(t.task_spec.bpmn_id for t in done))
    active = [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING
                                                               | TaskState.STARTED) if t.task_spec.bpmn_id]
    return completed, list(dict.fromkeys(active))


def visible_state(previous: str, completed: Iterable[Any], ready: Iterable[Any]) -> str:
    """The case's visible state from `estado` properties: last element passed, then the task now waiting."""
    state = previous
    for task in completed:
        state = property_of(task, "estado") or state
    for task in ready:
        waiting = property_of(task, "estado")
        if waiting:
            return waiting
    return state


def is_timer_event(task: Any) -> bool:
    """True when the task is a timer event (a fired timer once completed)."""
    definition = getattr(task.task_spec, "event_definition", None)
    return isinstance(definition, TimerEventDefinition)


def property_of(task: Any, name: str) -> str | None:
    """A camunda:property of the task's element."""
    extensions = getattr(task.task_spec, "extensions", None) or {}
    value = extensions.get("properties", {}).get(name)
    return str(value) if value else None


def camunda_of(task: Any) -> dict[str, Any]:
    """camunda:* attributes kept for the task's element."""
    extensions = getattr(task.task_spec, "extensions", None) or {}
    return dict(extensions.get("camunda", {}))
