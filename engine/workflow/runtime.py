"""Run, save and load SpiffWorkflow instances: the Spiff-shaped layer under engine.workflow.facade."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
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
from engine.workflow.elements import ElementInfo, index_elements
from engine.workflow.script_engine import SafeScriptEngine
from engine.workflow.specs import MESA_CONFIG
from engine.workflow.stored import FORMAT_KEY, SPIFF_KEY, Installed

SPIFF_VERSION: str = _spiff_version
SPEC_REFERENCE = "deployment"
_EPSILON = timedelta(microseconds=1)
# A cycle timer's pending value is its next firing, so it counts like the others.
TIMER_EVENT_TYPES = ("DurationTimerEventDefinition", "TimeDateEventDefinition", "CycleTimerEventDefinition")
OnComplete = Callable[[Any], None]
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
        dct.pop("spec"), dct.pop("subprocess_specs"), dct.pop(FORMAT_KEY, None), dct.pop(SPIFF_KEY, None)
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
INSTALLED = Installed(SPIFF_VERSION, str(_instance_serializer.VERSION))


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
    """A parsed process: top-level spec and the specs of its sub-processes (opaque outside engine.workflow)."""

    spec: Any
    subprocess_specs: dict[str, Any]
    infos: dict[str, ElementInfo] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built once per parsed version: every step reads names, lanes and camunda attributes from here.
        object.__setattr__(self, "infos", index_elements([self.spec, *self.subprocess_specs.values()]))

    @property
    def process_id(self) -> str:
        """The BPMN id of the process."""
        return str(self.spec.name)

    def to_json(self) -> str:
        """Serialize the spec (stored once per deployed version), stamped with its format."""
        return json.dumps(INSTALLED.spec_document(
            _spec_serializer.to_dict(self.spec),
            {k: _spec_serializer.to_dict(v) for k, v in self.subprocess_specs.items()}))

    @classmethod
    def from_json(cls, text: str, subject: str = "la versión desplegada") -> ProcessSpec:
        """Rebuild a spec stored by to_json; StoredFormatError naming `subject` when its format is unknown."""
        dct = INSTALLED.check_spec(json.loads(text), subject)
        return cls(
            spec=_spec_serializer.from_dict(dct["spec"]),
            subprocess_specs={k: _spec_serializer.from_dict(v) for k, v in dct["subprocess_specs"].items()},
        )

    def element(self, element_id: str) -> ElementInfo | None:
        """What the engine reads from a BPMN element (None when the process has no such element)."""
        return self.infos.get(element_id)

    def elements(self) -> list[ElementInfo]:
        """Every element of the top-level process, in the spec's order."""
        return [self.infos[s.bpmn_id] for s in self.spec.task_specs.values() if getattr(s, "bpmn_id", None)]

    def info_of(self, task: Any) -> ElementInfo | None:
        """The element of a SpiffWorkflow task (None for the engine's own tasks, which have no BPMN id)."""
        return self.infos.get(task.task_spec.bpmn_id) if task.task_spec.bpmn_id else None


def new_workflow(process: ProcessSpec, engine: SafeScriptEngine) -> Any:
    """A fresh instance of a process, not yet started."""
    return BpmnWorkflow(process.spec, process.subprocess_specs, script_engine=engine)


def dumps(workflow: Any) -> str:
    """Serialize an instance without its spec, stamped with its format."""
    return INSTALLED.stamp_instance(str(_instance_serializer.serialize_json(workflow)))


def loads(text: str, process: ProcessSpec, engine: SafeScriptEngine, subject: str = "el caso") -> Any:
    """Load an instance saved by dumps against its pinned spec (StoredFormatError naming `subject` when its
    format cannot be read)."""
    text = INSTALLED.check_instance(text, subject)
    token = _pinned.set((process.spec, process.subprocess_specs))
    try:
        workflow = _instance_serializer.deserialize_json(text)
    finally:
        _pinned.reset(token)
    workflow.script_engine = engine
    return workflow


def advance(workflow: Any, now: datetime, on_complete: OnComplete) -> None:
    """Run automatic work (gateways, service tasks, due timers) until the workflow waits."""
    # SpiffWorkflow fires a timer only when due < now; "due as of now" must include now itself.
    with engine_time(now + _EPSILON):
        workflow.refresh_timers()
        workflow.do_engine_steps(did_complete_task=on_complete)


def start(workflow: Any, data: dict[str, Any], now: datetime, on_complete: OnComplete) -> None:
    """Put the start data on the start token and run to the first wait state."""
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    advance(workflow, now, on_complete)


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


def complete_user_task(workflow: Any, task: Any, data: dict[str, Any], now: datetime,
                       on_complete: OnComplete) -> None:
    """Write the submitted values on the task, complete it and run on."""
    task.data.update(data)
    with engine_time(now):
        task.run()
    on_complete(task)
    advance(workflow, now, on_complete)


def next_timer_at(workflow: Any) -> datetime | None:
    """Earliest due time among the instance's armed timers."""
    due = [
        TimerEventDefinition.get_datetime(event.value)
        for event in workflow.waiting_events()
        if event.event_type in TIMER_EVENT_TYPES and isinstance(event.value, str)
    ]
    return min(due) if due else None


def case_variables(workflow: Any, ready: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The case's current variables: the data the live tokens carry (or the final data); `ready` is the data
    of the READY user tasks when the caller already has it."""
    ready = [t.data for t in ready_user_tasks(workflow)] if ready is None else ready
    if ready:
        merged: dict[str, Any] = {}
        for data in ready:
            merged.update(data)
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


def is_timer_event(task: Any) -> bool:
    """True when the task is a timer event (a fired timer once completed)."""
    definition = getattr(task.task_spec, "event_definition", None)
    return isinstance(definition, TimerEventDefinition)
