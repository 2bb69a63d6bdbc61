"""Script engine that evaluates Camunda (JUEL-style) expressions safely and never runs Python from a diagram."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from engine.expressions import ExpressionError, evaluate_text


@dataclass(frozen=True)
class ServiceCall:
    """What a service-task handler is told: which element, which topic, the case variables."""

    element_id: str
    element_name: str
    topic: str
    variables: Mapping[str, Any]


ServiceRunner = Callable[[ServiceCall], dict[str, Any]]


class ScriptTasksRefusedError(RuntimeError):
    """A diagram tried to run a script; deployment refuses them, so reaching this is a bug."""


class SafeScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """Conditions and timers go to engine.expressions; service tasks to a runner given per step."""

    def __init__(
        self,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        services: ServiceRunner | None = None,
    ) -> None:
        super().__init__()
        self.functions = dict(functions or {})
        self.services = services

    def validate(self, expression: str) -> None:
        """Check the syntax of an expression (SpiffWorkflow calls this while parsing)."""

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        """Evaluate a condition or timer expression over the task's data."""
        variables = {**task.data, **(external_context or {})}
        try:
            return evaluate_text(expression.strip(), variables, self.functions)
        except ExpressionError as exc:
            raise WorkflowTaskException(
                f"Error en la expresión de {task.task_spec.bpmn_id}: {exc}", task=task, exception=exc
            ) from exc

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        """Refuse: scripts are never run (deployment rejects script tasks)."""
        raise ScriptTasksRefusedError(f"script no permitido en {task.task_spec.bpmn_id}")

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        """Refuse: only external service tasks with a registered topic run code."""
        raise ScriptTasksRefusedError(f"servicio no permitido en {task.task_spec.bpmn_id}")

    def run_service_task(self, task: Any, topic: str) -> dict[str, Any]:
        """Run the handler for an external service task and return its outputs."""
        if self.services is None:
            raise ScriptTasksRefusedError(f"no hay manejador de servicios para el tema {topic!r}")
        call = ServiceCall(
            element_id=task.task_spec.bpmn_id,
            element_name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            topic=topic,
            variables=dict(task.data),
        )
        return self.services(call)
