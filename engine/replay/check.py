"""Replay a case's story and compare every step with what was stored: changes, state, tasks, final row."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.db.models import Case, InboxTask
from engine.expressions import ExpressionError
from engine.helpdesk.deadlines import UnknownDeadlineError
from engine.replay.story import StoryStep
from engine.services.cases.stepping import diff_values
from engine.services.errors import NotFoundError
from engine.workflow.facade import MigrationResult, ProcessSpec, WorkflowFailure
from engine.workflow.replay import MIGRATE, START, ReplayedStep, Replayer, ReplayHaltedError

INITIAL_STATE = "iniciado"  # what start_case writes on a new case before its first step runs
NOT_APPLIED = (ReplayHaltedError, WorkflowFailure, ExpressionError, UnknownDeadlineError)


@dataclass
class TaskLife:
    """One user task of the replay, from the step that made it ready to the step that closed it."""

    element_id: str
    born_seq: int
    born_at: datetime
    ended_seq: int | None = None
    ended_at: datetime | None = None
    completed_as: str | None = None  # the recorded task id (inbox row) the replayed task was completed as
    completed_by: str | None = None


class CaseReplay:
    """Drives a Replayer through a case's story, collecting every difference from the stored record.

    `deployment_id` is the version the replay runs on now: the case's first one, changed at each migration
    step through `specs` (deployment id → its parsed process).
    """

    def __init__(self, replayer: Replayer, deployment_id: int, specs: Callable[[int], ProcessSpec]) -> None:
        self.replayer = replayer
        self.deployment_id = deployment_id
        self.specs = specs
        self.variables: dict[str, Any] = {}
        self.problems: list[str] = []
        self.halted = False
        self.live: dict[str, TaskLife] = {}
        self.lives: list[TaskLife] = []

    def run(self, step: StoryStep) -> ReplayedStep | None:
        """Apply one recorded step and compare what it did; None (and halted) when it cannot be applied."""
        if (step.k == 1) != (step.lead.kind == START):
            self.halt(step.seq, "la historia debe empezar con case.started y tenerlo una sola vez")
            return None
        state_before = self.replayer.state
        try:
            replayed = self._migrate(step) if step.lead.kind == MIGRATE else self.replayer.run(step.recorded())
        except NOT_APPLIED as exc:
            self.halt(step.seq, f"no se pudo aplicar: {exc}")
            return None
        if replayed is None:
            return None
        self._compare_path(step, replayed)
        self._compare_summary(step, state_before, replayed)
        self._track_tasks(step, replayed)
        self.variables = replayed.variables
        return replayed

    def _migrate(self, step: StoryStep) -> ReplayedStep | None:
        """Move the replay to the recorded target version and check it kept the same tasks and timer due times."""
        source, target = step.deployments()
        if source != self.deployment_id or not isinstance(target, int):
            self.halt(step.seq, f"la migración registrada parte del despliegue {source} hacia {target} y el caso "
                                f"estaba en el despliegue {self.deployment_id}")
            return None
        try:
            process = self.specs(target)
        except NotFoundError as exc:
            self.halt(step.seq, f"la migración lleva a un despliegue que no existe: {exc}")
            return None
        replayed, result = self.replayer.migrate(process, step.lead.occurred_at)
        self.deployment_id = target
        self.problems += [f"evento {step.seq}: {problem}" for problem in _migration_problems(step, result)]
        return replayed

    def halt(self, seq: int, message: str) -> None:
        """Record why the replay cannot go on and stop it."""
        self.problems.append(f"evento {seq}: {message}; la reproducción se detiene")
        self.halted = True

    def _compare_path(self, step: StoryStep, replayed: ReplayedStep) -> None:
        found = [f"evento {step.seq}: {problem}" for problem in replayed.problems]
        if list(replayed.timers) != step.fired:
            found.append(f"evento {step.seq}: temporizadores registrados {step.fired}, "
                         f"reproducidos {list(replayed.timers)}")
        recorded = [(e.element_id or "", str(e.payload.get("topic", ""))) for e in step.services]
        if not found and list(replayed.services) != recorded:
            found.append(f"evento {step.seq}: servicios registrados {recorded}, reproducidos {list(replayed.services)}")
        self.problems += found
        if found:  # the path differs: later steps would only repeat the difference
            self.halt(step.seq, "el camino reproducido se aparta del registrado")

    def _compare_summary(self, step: StoryStep, state_before: str, replayed: ReplayedStep) -> None:
        changes = diff_values(self.variables, replayed.variables)
        self.problems += change_problems(f"evento {step.seq}", step.changes, changes)
        expected = None if state_before == replayed.state else {"before": state_before, "after": replayed.state}
        if step.state != expected:
            self.problems.append(f"evento {step.seq}: estado registrado {_state_text(step.state)}, "
                                 f"reproducido {_state_text(expected)}")

    def _track_tasks(self, step: StoryStep, replayed: ReplayedStep) -> None:
        ready = {task.task_id for task in replayed.ready}
        for task_id in [task_id for task_id in self.live if task_id not in ready]:
            life = self.live.pop(task_id)
            life.ended_seq, life.ended_at = step.seq, step.lead.occurred_at
            if task_id == replayed.completed_task:
                life.completed_as, life.completed_by = str(step.lead.payload.get("task_id")), step.lead.actor
        for task in replayed.ready:
            if task.task_id not in self.live:
                life = TaskLife(task.element_id, step.seq, step.lead.occurred_at)
                self.live[task.task_id] = life
                self.lives.append(life)

    def finish(self, case: Case, rows: Sequence[InboxTask]) -> None:
        """Compare the end of the replay with the case row and its inbox projection."""
        if self.halted:
            return
        stored = json.loads(case.data_json) if case.data_json else {}
        self.problems += [f"final: «{key}» guardado {_show(change['after'])}, reproducido {_show(change['before'])}"
                          for key, change in diff_values(self.variables, stored).items()]
        self._compare_row(case)
        self.problems += inbox_problems(self.lives, rows)

    def _compare_row(self, case: Case) -> None:
        if case.deployment_id != self.deployment_id:
            self.problems.append(f"final: el caso está en el despliegue {case.deployment_id} y la reproducción "
                                 f"terminó en el despliegue {self.deployment_id}")
        completed, state = self.replayer.is_completed(), self.replayer.state
        if case.state != state:
            self.problems.append(f"final: estado guardado «{case.state}», reproducido «{state}»")
        if case.is_open == completed:
            self.problems.append(f"final: el caso está {'abierto' if case.is_open else 'cerrado'} y la "
                                 f"reproducción {'terminó' if completed else 'sigue abierta'}")
        timer = self.replayer.next_timer_at()
        if case.next_timer_at != timer:
            self.problems.append(f"final: próximo temporizador guardado {_instant(case.next_timer_at)}, "
                                 f"reproducido {_instant(timer)}")


def _migration_problems(step: StoryStep, result: MigrationResult) -> list[str]:
    payload = step.lead.payload
    timers = [{"element_id": t.element_id, "due": t.due} for t in result.timers]
    problems = []
    if list(payload.get("tasks") or []) != result.tasks:
        problems.append(f"tareas conservadas al migrar: registradas {_show(payload.get('tasks'))}, "
                        f"reproducidas {_show(result.tasks)}")
    if list(payload.get("timers") or []) != timers:
        problems.append(f"temporizadores conservados al migrar: registrados {_show(payload.get('timers'))}, "
                        f"reproducidos {_show(timers)}")
    return problems


def change_problems(where: str, recorded: dict[str, Any], replayed: dict[str, Any]) -> list[str]:
    """One problem per variable whose recorded change (before → after) differs from the replayed one."""
    return [f"{where}: «{key}» registrado {_change_text(recorded.get(key))}, "
            f"reproducido {_change_text(replayed.get(key))}"
            for key in sorted(set(recorded) | set(replayed)) if recorded.get(key) != replayed.get(key)]


def inbox_problems(lives: Sequence[TaskLife], rows: Sequence[InboxTask]) -> list[str]:
    """Every replayed user task must be one inbox row (same element, created, closed and by whom), and back."""
    remaining = {row.id: row for row in rows}
    problems: list[str] = []
    for life in (life for life in lives if life.completed_as is not None):
        row = remaining.pop(life.completed_as or "", None)
        differs = _row_differences(life, row) if row is not None else ["no está en la bandeja"]
        problems += [f"evento {life.ended_seq}: la tarea {life.completed_as} ({life.element_id}) {what}"
                     for what in differs]
    for life in (life for life in lives if life.completed_as is None):
        row = next((row for row in remaining.values() if not _row_differences(life, row)), None)
        if row is None:
            status = "sigue abierta" if life.ended_seq is None else f"se cancela en el evento {life.ended_seq}"
            problems.append(f"evento {life.born_seq}: la reproducción deja lista {life.element_id} (que {status}) "
                            "y la bandeja no tiene esa tarea")
        else:
            del remaining[row.id]
    problems += [f"bandeja: la tarea {row.id} ({row.element_id}, creada {_instant(row.created_at)}) no aparece "
                 "en la reproducción" for row in remaining.values()]
    return problems


def _row_differences(life: TaskLife, row: InboxTask) -> list[str]:
    outcome = None if life.ended_at is None else "completed" if life.completed_as else "cancelled"
    expected = {"elemento": life.element_id, "creada": life.born_at, "cerrada": life.ended_at,
                "resultado": outcome, "completada por": life.completed_by}
    stored = {"elemento": row.element_id, "creada": row.created_at, "cerrada": row.completed_at,
              "resultado": row.outcome, "completada por": row.completed_by}
    return [f"{name}: en la bandeja {_show(stored[name])}, reproducido {_show(value)}"
            for name, value in expected.items() if stored[name] != value]


def _change_text(change: Any) -> str:
    if not isinstance(change, dict):
        return "sin cambio"
    return f"{_show(change.get('before'))} → {_show(change.get('after'))}"


def _state_text(state: dict[str, Any] | None) -> str:
    return "sin cambio" if state is None else f"«{state.get('before')}» → «{state.get('after')}»"


def _show(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _instant(value: datetime | None) -> str:
    return value.isoformat() if value is not None else "ninguno"
