"""Move a running instance onto another deployed version of its process (SpiffWorkflow's diff helpers).

SpiffWorkflow's `migrate_workflow` resets every READY and WAITING branch: armed timers would restart from
"now" and a READY task's data would be replaced by its parent's. Both are snapshotted before and put back.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.util.diff import WorkflowDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.task import TaskState

from engine.workflow import runtime
from engine.workflow.clock_patch import engine_time
from engine.workflow.specs import MESA_CONFIG

_registry = BpmnWorkflowSerializer.configure(MESA_CONFIG)
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass(frozen=True)
class TimerCarry:
    """An armed timer whose due time is kept across the migration."""

    element_id: str
    due: str


@dataclass
class MigrationResult:
    """What a migration kept: live tasks by element and the carried-over timers."""

    tasks: list[str] = field(default_factory=list)
    timers: list[TimerCarry] = field(default_factory=list)


def blocking_reasons(workflow: Any, target: runtime.ProcessSpec) -> list[str]:
    """Why this instance cannot move to the target version (empty when it can)."""
    if workflow.is_completed():
        return ["el caso ya terminó"]
    top, sub_diffs = diff_workflow(_registry, workflow, target.spec, target.subprocess_specs)
    reasons = [_reason(task, top) for task in _live_tasks(workflow)]
    reasons += [f"el subproceso {name} no existe en la versión destino"
                for name, diff in sub_diffs.items() if diff is None]
    return [reason for reason in reasons if reason]


def migrate(workflow: Any, target: runtime.ProcessSpec, now: datetime) -> MigrationResult:
    """Switch the instance to the target spec, keeping timer due times and READY task data."""
    top, _ = diff_workflow(_registry, workflow, target.spec, target.subprocess_specs)
    timers = _armed_timers(workflow, top)
    data = _ready_data(workflow, top)
    with engine_time(now):
        migrate_workflow(top, workflow, target.spec)
    workflow.subprocess_specs = target.subprocess_specs
    result = MigrationResult(tasks=_restore_data(workflow, data))
    result.timers = _restore_timers(workflow, timers)
    return result


def _live_tasks(workflow: Any) -> list[Any]:
    return [t for t in workflow.get_tasks(state=_LIVE, skip_subprocesses=True) if t.task_spec.bpmn_id]


def _reason(task: Any, diff: WorkflowDiff) -> str | None:
    element = task.task_spec.bpmn_id
    new_spec = diff.alignment.get(task)
    if task in diff.removed or new_spec is None:
        return f"{element} ({_name(task.task_spec)}) está activo y no existe en la versión destino"
    if new_spec.bpmn_id != element:
        return (f"{element} ({_name(task.task_spec)}) está activo y en la versión destino "
                f"corresponde a otro elemento ({new_spec.bpmn_id})")
    if type(new_spec) is not type(task.task_spec):
        return f"{element} ({_name(task.task_spec)}) está activo y cambió de tipo en la versión destino"
    return None


def _name(spec: Any) -> str:
    return str(spec.bpmn_name or spec.bpmn_id)


def _armed_timers(workflow: Any, diff: WorkflowDiff) -> dict[str, str]:
    """Due times of WAITING timers, by the element id they have in the target version."""
    armed: dict[str, str] = {}
    for task in workflow.get_tasks(state=TaskState.WAITING, skip_subprocesses=True):
        value = task.internal_data.get("event_value")
        new_spec = diff.alignment.get(task)
        if runtime.is_timer_event(task) and isinstance(value, str) and new_spec is not None:
            armed[new_spec.bpmn_id] = value
    return armed


def _ready_data(workflow: Any, diff: WorkflowDiff) -> dict[str, dict[str, Any]]:
    """Data of READY tasks, by the element id they have in the target version."""
    saved: dict[str, dict[str, Any]] = {}
    for task in workflow.get_tasks(state=TaskState.READY, skip_subprocesses=True):
        new_spec = diff.alignment.get(task)
        if new_spec is not None and new_spec.bpmn_id:
            saved[new_spec.bpmn_id] = copy.deepcopy(task.data)
    return saved


def _restore_data(workflow: Any, saved: dict[str, dict[str, Any]]) -> list[str]:
    restored: list[str] = []
    for task in workflow.get_tasks(state=TaskState.READY, skip_subprocesses=True):
        element = task.task_spec.bpmn_id
        if element in saved:
            task.data = copy.deepcopy(saved[element])
            restored.append(element)
    return restored


def _restore_timers(workflow: Any, armed: dict[str, str]) -> list[TimerCarry]:
    carried: list[TimerCarry] = []
    for task in workflow.get_tasks(state=TaskState.WAITING, skip_subprocesses=True):
        element = task.task_spec.bpmn_id
        if runtime.is_timer_event(task) and element in armed:
            task.internal_data["event_value"] = armed[element]
            carried.append(TimerCarry(element, armed[element]))
    return carried
