"""Camunda 7 parser that keeps what SpiffWorkflow's own Camunda parser drops."""

from __future__ import annotations

from typing import Any, ClassVar

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.task_parsers import ConditionalGatewayParser, GatewayParser
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.specs.defaults import ExclusiveGateway, InclusiveGateway, ParallelGateway
from SpiffWorkflow.camunda.parser.CamundaParser import NSMAP, CamundaParser

from engine.workflow.specs import ExternalServiceTask

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"

# Attributes Camunda Modeler writes on flow nodes and that the engine acts on.
KEPT_ATTRIBUTES = (
    "assignee",
    "candidateGroups",
    "candidateUsers",
    "dueDate",
    "followUpDate",
    "priority",
    "formRef",
    "formRefBinding",
    "formRefVersion",
    "formKey",
    "initiator",
    "type",
    "topic",
    "asyncBefore",
    "asyncAfter",
)


def camunda_extensions(node: etree._Element) -> dict[str, Any]:
    """Collect camunda:* attributes and camunda:properties of one element."""
    attributes = {
        name: node.get(f"{{{CAMUNDA_NS}}}{name}")
        for name in KEPT_ATTRIBUTES
        if node.get(f"{{{CAMUNDA_NS}}}{name}") is not None
    }
    properties = {
        prop.get("name"): prop.get("value")
        for prop in node.xpath(
            "./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NSMAP
        )
        if prop.get("name")
    }
    return {"camunda": attributes, "properties": properties}


class _KeepCamunda:
    """Mixin: store camunda attributes and properties in task_spec.extensions (the serializer saves them)."""

    node: etree._Element

    def parse_extensions(self, node: etree._Element | None = None) -> dict[str, Any]:
        return camunda_extensions(self.node if node is None else node)


class ServiceTaskParser(TaskParser):  # type: ignore[misc]
    """Parses `camunda:type="external"` service tasks into ExternalServiceTask specs."""

    def create_task(self) -> ExternalServiceTask:
        topic = self.node.get(f"{{{CAMUNDA_NS}}}topic")
        return ExternalServiceTask(self.spec, self.bpmn_id, topic=topic, **self.bpmn_attributes)


def _keeping(parser_class: type) -> type:
    return type(f"Mesa{parser_class.__name__}", (_KeepCamunda, parser_class), {})


_BASE_CLASSES: dict[str, tuple[type, type]] = {
    **CamundaParser.OVERRIDE_PARSER_CLASSES,
    full_tag("serviceTask"): (ServiceTaskParser, ExternalServiceTask),
    full_tag("exclusiveGateway"): (ConditionalGatewayParser, ExclusiveGateway),
    full_tag("inclusiveGateway"): (ConditionalGatewayParser, InclusiveGateway),
    full_tag("parallelGateway"): (GatewayParser, ParallelGateway),
}


class MesaParser(CamundaParser):  # type: ignore[misc]
    """CamundaParser whose every element keeps its Camunda data; one instance per deployed version."""

    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, tuple[type, type]]] = {
        tag: (_keeping(parser), spec) for tag, (parser, spec) in _BASE_CLASSES.items()
    }
