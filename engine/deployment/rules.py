"""Our deploy-time rules over the BPMN XML: what the engine cannot honour is refused, never ignored."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Literal

from lxml import etree

from engine.deployment.problems import DeploymentProblem
from engine.expressions import (
    ExpressionError,
    check_syntax,
    evaluate_timer,
    is_expression,
    referenced_functions,
)

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"

# Functions a diagram's expressions may call (engine.helpdesk.deadlines provides plazo).
ALLOWED_FUNCTIONS = frozenset({"plazo"})
EXPRESSION_ATTRIBUTES = ("assignee", "candidateGroups", "candidateUsers", "dueDate", "followUpDate", "priority")
# Camunda 7 features SpiffWorkflow would silently drop: refusing them keeps the diagram honest.
UNSUPPORTED_EXTENSIONS = {
    "executionListener": "los listeners de ejecución no se ejecutan; use una tarea de servicio con tema",
    "taskListener": "los listeners de tarea no se ejecutan; use una tarea de servicio con tema",
    "inputOutput": "los mapeos de entrada/salida no se soportan; use las claves del formulario",
    "formData": "los formularios generados no se soportan; vincule un Camunda Form (formRef)",
    "connector": "los conectores no se soportan; use camunda:type=\"external\" con un tema",
}
TIMER_KINDS: dict[str, Literal["date", "duration", "cycle"]] = {
    "timeDate": "date", "timeDuration": "duration", "timeCycle": "cycle",
}
FORM_KEY_PREFIXES = ("camunda-forms:deployment:", "camunda-forms:app:")

Check = Callable[[etree._Element], Iterator[str]]


def form_id_from_attributes(
    form_ref: str | None, form_key: str | None, ids: Collection[str], files: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """Resolve camunda:formRef or the older camunda:formKey to a form id: (id, problem)."""
    if form_ref:
        if form_ref in ids:
            return form_ref, None
        return None, f"el formulario '{form_ref}' (formRef) no está entre los archivos .form desplegados"
    if form_key:
        for prefix in FORM_KEY_PREFIXES:
            if form_key.startswith(prefix):
                name = form_key[len(prefix):]
                if name in files:
                    return files[name], None
                return None, f"el archivo de formulario '{name}' (formKey) no está entre los archivos desplegados"
        return None, f"formKey '{form_key}' no es un Camunda Form (use camunda-forms:deployment:NOMBRE.form o formRef)"
    return None, None


class RuleChecker:
    """Walks one BPMN tree and collects problems."""

    def __init__(self, tree: etree._ElementTree, file: str, topics: Collection[str],
                 form_ids: Collection[str], form_files: Mapping[str, str]) -> None:
        self.tree = tree
        self.file = file
        self.topics = set(topics)
        self.form_ids = set(form_ids)
        self.form_files = dict(form_files)
        self.problems: list[DeploymentProblem] = []
        self.linked_forms: set[str] = set()

    def run(self) -> list[DeploymentProblem]:
        """Apply every rule and return the problems found."""
        root = self.tree.getroot()
        if root.tag != f"{{{BPMN_NS}}}definitions":
            self._add(root, "el documento no es BPMN 2.0 (falta bpmn:definitions)")
            return self.problems
        if ZEEBE_NS in root.nsmap.values():
            self._add(root, "diagrama de Camunda 8 (Zeebe): guárdelo para Camunda Platform 7")
        lanes = {ref.text.strip() for ref in root.iter(f"{{{BPMN_NS}}}flowNodeRef") if ref.text}
        for element in root.iter():
            if isinstance(element.tag, str):
                self._check_element(element, lanes)
        return self.problems

    def _check_element(self, element: etree._Element, lanes: set[str]) -> None:
        local = etree.QName(element).localname
        namespace = etree.QName(element).namespace
        if element.get("id") in ("Start", "End"):
            reserved = element.get("id")
            self._add(element, f"el id '{reserved}' está reservado por el motor; use un id al estilo de Camunda "
                               "Modeler (StartEvent_1, EndEvent_1, Activity_...)")
        if namespace == CAMUNDA_NS and local in UNSUPPORTED_EXTENSIONS:
            self._add(element.getparent().getparent(), UNSUPPORTED_EXTENSIONS[local])
        if namespace != BPMN_NS:
            return
        handler = getattr(self, f"_check_{local}", None)
        if handler is not None:
            handler(element, lanes)
        for attribute in EXPRESSION_ATTRIBUTES:
            value = element.get(f"{{{CAMUNDA_NS}}}{attribute}")
            if value is not None:
                self._syntax(element, value, f"camunda:{attribute}")

    def _check_scriptTask(self, element: etree._Element, lanes: set[str]) -> None:
        self._add(element, "las tareas de script no se permiten: use una tarea de servicio "
                           "con camunda:type=\"external\" y un tema (topic) registrado")

    def _check_manualTask(self, element: etree._Element, lanes: set[str]) -> None:
        self._add(element, "nadie puede completar una tarea manual: use una tarea de usuario (con formulario) "
                           "o una tarea de servicio")

    def _check_task(self, element: etree._Element, lanes: set[str]) -> None:
        self._add(element, "una tarea sin tipo no la completa nadie: márquela como tarea de usuario o de servicio")

    def _check_sendTask(self, element: etree._Element, lanes: set[str]) -> None:
        self._add(element, "las tareas de envío no se soportan: use una tarea de servicio con un tema registrado")

    def _check_receiveTask(self, element: etree._Element, lanes: set[str]) -> None:
        self._add(element, "las tareas de recepción no se soportan: el motor no entrega mensajes")

    def _check_messageEventDefinition(self, element: etree._Element, lanes: set[str]) -> None:
        self._add(element.getparent(), "los eventos de mensaje no se soportan: el motor no entrega mensajes")

    def _check_signalEventDefinition(self, element: etree._Element, lanes: set[str]) -> None:
        self._add(element.getparent(), "los eventos de señal no se soportan: el motor no entrega señales")

    def _check_businessRuleTask(self, element: etree._Element, lanes: set[str]) -> None:
        self._add(element, "las tareas de reglas de negocio (DMN) aún no se soportan; use una tarea de servicio")

    def _check_serviceTask(self, element: etree._Element, lanes: set[str]) -> None:
        kind = element.get(f"{{{CAMUNDA_NS}}}type")
        topic = element.get(f"{{{CAMUNDA_NS}}}topic")
        if kind != "external" or not topic:
            self._add(element, "la tarea de servicio debe ser camunda:type=\"external\" con camunda:topic")
        elif topic not in self.topics:
            known = ", ".join(sorted(self.topics))
            self._add(element, f"tema '{topic}' no registrado en el motor (temas disponibles: {known})")

    def _check_userTask(self, element: etree._Element, lanes: set[str]) -> None:
        if element.get("id") not in lanes:
            self._add(element, "la tarea de usuario no está en ningún carril (lane); ubíquela en un carril")
        self._form(element, required=True)

    def _check_startEvent(self, element: etree._Element, lanes: set[str]) -> None:
        self._form(element, required=False)

    def _check_conditionExpression(self, element: etree._Element, lanes: set[str]) -> None:
        flow = element.getparent()
        language = element.get("language")
        if language and language.lower() not in ("juel", "${}"):
            self._add(flow, f"lenguaje de condición '{language}' no soportado; escriba ${{...}} sin lenguaje")
            return
        text = (element.text or "").strip()
        if not is_expression(text):
            self._add(flow, f"la condición '{text}' debe ser una expresión ${{...}}")
        else:
            self._syntax(flow, text, "condición")

    def _check_timerEventDefinition(self, element: etree._Element, lanes: set[str]) -> None:
        event = element.getparent()
        definitions = [c for c in element if isinstance(c.tag, str)]
        if not definitions:
            self._add(event, "el temporizador no define timeDate, timeDuration ni timeCycle")
        for child in definitions:
            text = (child.text or "").strip()
            kind = TIMER_KINDS.get(etree.QName(child).localname)
            if is_expression(text):
                self._syntax(event, text, "temporizador")
                continue
            try:
                evaluate_timer(text, {}, kind=kind)
            except ExpressionError as exc:
                self._add(event, f"temporizador inválido: {exc}")

    def _form(self, element: etree._Element, *, required: bool) -> None:
        form_id, problem = form_id_from_attributes(
            element.get(f"{{{CAMUNDA_NS}}}formRef"), element.get(f"{{{CAMUNDA_NS}}}formKey"),
            self.form_ids, self.form_files,
        )
        if problem:
            self._add(element, problem)
        elif form_id:
            self.linked_forms.add(form_id)
        elif required:
            self._add(element, "la tarea no tiene formulario: vincule un Camunda Form con camunda:formRef")

    def _syntax(self, element: etree._Element, text: str, what: str) -> None:
        try:
            check_syntax(text)
        except ExpressionError as exc:
            self._add(element, f"{what} inválida: {exc}")
            return
        unknown = referenced_functions(text) - ALLOWED_FUNCTIONS
        if unknown:
            allowed = ", ".join(sorted(ALLOWED_FUNCTIONS))
            self._add(element, f"{what}: función no permitida {', '.join(sorted(unknown))} (permitidas: {allowed})")

    def _add(self, element: etree._Element | None, message: str) -> None:
        element_id = element.get("id") if element is not None else None
        line = element.sourceline if element is not None else None
        self.problems.append(DeploymentProblem(self.file, message, element_id, line))
