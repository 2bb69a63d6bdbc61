"""Task specs and serializer configuration for the Camunda elements SpiffWorkflow lacks."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG


class ExternalServiceTask(ServiceTask):  # type: ignore[misc]
    """`camunda:type="external"` service task: runs the Python handler registered for its topic."""

    def __init__(self, wf_spec: Any, bpmn_id: str, topic: str | None = None, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.topic = topic

    def _run_hook(self, my_task: Any) -> bool:
        outputs = my_task.workflow.script_engine.run_service_task(my_task, self.topic)
        my_task.data.update(outputs)
        return True


class ExternalServiceTaskConverter(BpmnTaskSpecConverter):  # type: ignore[misc]
    """Saves the topic with the rest of the spec."""

    def to_dict(self, spec: ExternalServiceTask) -> dict[str, Any]:
        dct: dict[str, Any] = self.get_default_attributes(spec)
        dct["topic"] = spec.topic
        return dct

    def from_dict(self, dct: dict[str, Any]) -> ExternalServiceTask:
        return self.task_spec_from_dict(dct)  # type: ignore[no-any-return]


MESA_CONFIG = deepcopy(CAMUNDA_CONFIG)
MESA_CONFIG[ExternalServiceTask] = ExternalServiceTaskConverter
