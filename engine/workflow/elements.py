"""What the engine reads from a BPMN element, as plain frozen values built once per parsed spec."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition


@dataclass(frozen=True)
class ElementInfo:
    """One BPMN element: id, name (the id when unnamed), lane, kind, camunda:* attributes and properties."""

    element_id: str
    name: str
    lane: str | None
    kind: str
    camunda: Mapping[str, str]
    properties: Mapping[str, str]
    topic: str | None = None
    is_timer: bool = False

    def property(self, name: str) -> str | None:
        """A camunda:property of the element (None when absent or empty)."""
        value = self.properties.get(name)
        return str(value) if value else None


def element_info(spec: Any) -> ElementInfo:
    """The plain view of one SpiffWorkflow task spec that has a BPMN id."""
    extensions = getattr(spec, "extensions", None) or {}
    return ElementInfo(
        element_id=str(spec.bpmn_id),
        name=str(spec.bpmn_name or spec.bpmn_id),
        lane=getattr(spec, "lane", None),
        kind=type(spec).__name__,
        camunda=MappingProxyType(dict(extensions.get("camunda", {}))),
        properties=MappingProxyType(dict(extensions.get("properties", {}))),
        topic=getattr(spec, "topic", None),
        is_timer=isinstance(getattr(spec, "event_definition", None), TimerEventDefinition),
    )


def index_elements(workflow_specs: Iterable[Any]) -> dict[str, ElementInfo]:
    """ElementInfo by BPMN id over every task spec of the given workflow specs (ids are unique per file);
    the engine's own tasks (no BPMN id) are left out."""
    return {
        spec.bpmn_id: element_info(spec)
        for workflow_spec in workflow_specs
        for spec in workflow_spec.task_specs.values()
        if getattr(spec, "bpmn_id", None)
    }
