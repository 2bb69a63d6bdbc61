"""Deploying a diagram: validate everything, then store a new version, or store nothing (ARCHITECTURE 1 and 9).

Broken diagrams are built from tests/fixtures/lineal.bpmn with one visible text replacement each, so every
case shows exactly what differs from a valid diagram; the expected line is looked up in the broken text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.clock import FixedClock
from engine.db.models import Case, CaseEvent, Deployment, InboxTask
from engine.db.session import Database
from engine.deployment import (
    DeploymentError,
    DeploymentProblem,
    SourceFile,
    ValidatedDeployment,
    validate_deployment,
)
from engine.helpdesk.effects import DEFAULT_HANDLERS
from engine.services.cases.start import complete_task, get_case, start_case
from engine.services.context import ServiceContext, load_deployed
from engine.services.people.users import add_user
from engine.services.processes.deploy import DeploymentView, deploy, list_deployments, validate_files
from engine.services.views import Actor, CaseView
from engine.setup.bootstrap import initialise
from tests.conftest import FIXTURES, ROOT, T0, make_settings

BAD = FIXTURES / "bad"
LINEAL = (FIXTURES / "lineal.bpmn").read_text(encoding="utf-8")
LINEAL_FORMS = {p.name: p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("lineal_*.form"))}
LINEAL_PROCESS = "proceso_lineal"

TASK_A_ATTRIBUTES = 'camunda:candidateGroups="equipo" camunda:priority="60"'
TASK_A_EXTENSIONS = '<bpmn:userTask id="Activity_A" name="Tarea A" camunda:formRef="lineal_a" ' \
                    'camunda:formRefBinding="deployment" camunda:candidateGroups="equipo" camunda:priority="60">\n' \
                    "      <bpmn:extensionElements>"
TASK_B_OPEN = ('<bpmn:userTask id="Activity_B" name="Tarea B" '
               'camunda:formKey="camunda-forms:deployment:lineal_b.form" camunda:candidateGroups="equipo">')
TASK_B_CLOSE = '</bpmn:userTask>\n    <bpmn:userTask id="Activity_C"'
FLOW_TO_END = '<bpmn:sequenceFlow id="Flow_6" sourceRef="Activity_C" targetRef="EndEvent_1" />'
END_INCOMING = "<bpmn:incoming>Flow_6</bpmn:incoming>\n    </bpmn:endEvent>"
CONDITION = "${pasar_por_b}"
FIRST_FLOW = '<bpmn:sequenceFlow id="Flow_1"'


# --------------------------------------------------------------------------------------------- helpers


def replace_once(text: str, old: str, new: str) -> str:
    """Replace a fragment that must occur exactly once (a silent no-op would test nothing)."""
    assert text.count(old) == 1, f"el fragmento aparece {text.count(old)} veces: {old!r}"
    return text.replace(old, new)


def line_of(text: str, anchor: str) -> int:
    """Line number (1-based) of the only line containing `anchor`."""
    lines = [n for n, line in enumerate(text.splitlines(), 1) if anchor in line]
    assert len(lines) == 1, f"{anchor!r} en las líneas {lines}"
    return lines[0]


def forms(**overrides: str) -> list[SourceFile]:
    """The linear fixture's forms, with some files replaced or added (name_form="...": name.form)."""
    texts = dict(LINEAL_FORMS)
    texts.update({f"{name.removesuffix('_form')}.form": text for name, text in overrides.items()})
    return [SourceFile(name, text.encode("utf-8")) for name, text in texts.items()]


def lineal(text: str = LINEAL) -> SourceFile:
    return SourceFile("lineal.bpmn", text.encode("utf-8"))


def swap_task_b(tag: str, attributes: str = "") -> str:
    """Turn user task Activity_B into another kind of element."""
    opened = replace_once(LINEAL, TASK_B_OPEN, f'<bpmn:{tag} id="Activity_B" name="Tarea B" {attributes}>')
    return replace_once(opened, TASK_B_CLOSE, f'</bpmn:{tag}>\n    <bpmn:userTask id="Activity_C"')


def with_service_task(attributes: str) -> str:
    """Insert service task Activity_S between Tarea C and the end event."""
    task = (f'<bpmn:serviceTask id="Activity_S" name="Servicio" {attributes}>\n'
            "      <bpmn:incoming>Flow_6</bpmn:incoming>\n      <bpmn:outgoing>Flow_7</bpmn:outgoing>\n"
            "    </bpmn:serviceTask>\n"
            '    <bpmn:sequenceFlow id="Flow_6" sourceRef="Activity_C" targetRef="Activity_S" />\n'
            '    <bpmn:sequenceFlow id="Flow_7" sourceRef="Activity_S" targetRef="EndEvent_1" />')
    text = replace_once(LINEAL, FLOW_TO_END, task)
    text = replace_once(text, END_INCOMING, "<bpmn:incoming>Flow_7</bpmn:incoming>\n    </bpmn:endEvent>")
    return replace_once(text, "<bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef>",
                        "<bpmn:flowNodeRef>Activity_S</bpmn:flowNodeRef>\n"
                        "        <bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef>")


def with_timer(kind: str, value: str | None) -> str:
    """Attach a non-interrupting timer Event_Timer to Tarea C (kind: timeDate, timeDuration, timeCycle)."""
    definition = (f'<bpmn:timerEventDefinition id="TimerEventDefinition_1">\n'
                  f'        <bpmn:{kind} xsi:type="bpmn:tFormalExpression">{value}</bpmn:{kind}>\n'
                  "      </bpmn:timerEventDefinition>"
                  if value is not None else '<bpmn:timerEventDefinition id="TimerEventDefinition_1" />')
    timer = ('<bpmn:boundaryEvent id="Event_Timer" name="Aviso" cancelActivity="false" attachedToRef="Activity_C">\n'
             f"      <bpmn:outgoing>Flow_T</bpmn:outgoing>\n      {definition}\n    </bpmn:boundaryEvent>\n"
             '    <bpmn:endEvent id="EndEvent_Timer"><bpmn:incoming>Flow_T</bpmn:incoming></bpmn:endEvent>\n'
             '    <bpmn:sequenceFlow id="Flow_T" sourceRef="Event_Timer" targetRef="EndEvent_Timer" />\n    ')
    return replace_once(LINEAL, FIRST_FLOW, timer + FIRST_FLOW)


def with_extension(element: str) -> str:
    """Add a camunda:* extension element inside Tarea A's extensionElements."""
    return replace_once(LINEAL, TASK_A_EXTENSIONS, f"{TASK_A_EXTENSIONS}\n        {element}")


def task_a_attributes(attributes: str) -> str:
    return replace_once(LINEAL, TASK_A_ATTRIBUTES, attributes)


def row_counts(ctx: ServiceContext) -> dict[str, int]:
    """Rows in every table a deployment or a case could touch."""
    with ctx.db.read() as session:
        return {model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
                for model in (Deployment, Case, CaseEvent, InboxTask)}


def refused(ctx: ServiceContext, bpmn: SourceFile, form_files: list[SourceFile]) -> list[DeploymentProblem]:
    """Deploy and expect a refusal that stores nothing; return the problems."""
    before = row_counts(ctx)
    with pytest.raises(DeploymentError) as caught:
        deploy(ctx, "dueno", bpmn, form_files)
    assert row_counts(ctx) == before
    assert caught.value.problems, "a DeploymentError must list at least one problem"
    return caught.value.problems


@pytest.fixture(scope="module")
def deploy_ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceContext]:
    """One SQLite database with the main process deployed, shared by the tables of refused diagrams."""
    folder = tmp_path_factory.mktemp("deploy")
    db = Database(f"sqlite:///{folder / 'mesa.db'}")
    context = ServiceContext(db, make_settings(folder, db.url), FixedClock(T0))
    initialise(context, "dueno")
    yield context
    db.dispose()


# ------------------------------------------------------------------------------- rules: id and line


@dataclass(frozen=True)
class Broken:
    """A diagram that must be refused with one problem naming `element_id` at the line of `anchor`."""

    text: str
    element_id: str
    fragment: str
    anchor: str


def _id(element_id: str) -> str:
    return f'id="{element_id}"'


BROKEN_DIAGRAMS = {
    "script-task": Broken(swap_task_b("scriptTask", 'scriptFormat="python"'), "Activity_B",
                          "tareas de script no se permiten", _id("Activity_B")),
    "business-rule-task": Broken(swap_task_b("businessRuleTask", 'camunda:decisionRef="decision"'), "Activity_B",
                                 "reglas de negocio", _id("Activity_B")),
    "service-task-without-type": Broken(with_service_task(""), "Activity_S",
                                        'camunda:type="external" con camunda:topic', _id("Activity_S")),
    "service-task-java-class": Broken(with_service_task('camunda:class="org.example.Delegate"'), "Activity_S",
                                      'camunda:type="external" con camunda:topic', _id("Activity_S")),
    "service-task-expression": Broken(with_service_task('camunda:expression="${bean.run()}"'), "Activity_S",
                                      'camunda:type="external" con camunda:topic', _id("Activity_S")),
    "service-task-without-topic": Broken(with_service_task('camunda:type="external"'), "Activity_S",
                                         'camunda:type="external" con camunda:topic', _id("Activity_S")),
    "service-task-unknown-topic": Broken(with_service_task('camunda:type="external" camunda:topic="enviar_fax"'),
                                         "Activity_S", "tema 'enviar_fax' no registrado", _id("Activity_S")),
    "user-task-without-lane": Broken(replace_once(LINEAL, "<bpmn:flowNodeRef>Activity_B</bpmn:flowNodeRef>", ""),
                                     "Activity_B", "no está en ningún carril", _id("Activity_B")),
    "user-task-without-form": Broken(
        replace_once(LINEAL, ' camunda:formKey="camunda-forms:deployment:lineal_b.form"', ""),
        "Activity_B", "la tarea no tiene formulario", _id("Activity_B")),
    "form-ref-missing": Broken(replace_once(LINEAL, 'camunda:formRef="lineal_a"', 'camunda:formRef="no_existe"'),
                               "Activity_A", "'no_existe' (formRef)", _id("Activity_A")),
    "form-key-deployment-missing": Broken(
        replace_once(LINEAL, "camunda-forms:deployment:lineal_b.form", "camunda-forms:deployment:no_existe.form"),
        "Activity_B", "'no_existe.form' (formKey)", _id("Activity_B")),
    "form-key-app-missing": Broken(
        replace_once(LINEAL, "camunda-forms:app:lineal_c.form", "camunda-forms:app:no_existe.form"),
        "Activity_C", "'no_existe.form' (formKey)", _id("Activity_C")),
    "form-key-embedded-html": Broken(
        replace_once(LINEAL, "camunda-forms:app:lineal_c.form", "embedded:app:forms/c.html"),
        "Activity_C", "no es un Camunda Form", _id("Activity_C")),
    "condition-bad-juel": Broken(replace_once(LINEAL, CONDITION, "${a ==}"), "Flow_3",
                                 "condición inválida", _id("Flow_3")),
    "condition-without-dollar-braces": Broken(replace_once(LINEAL, CONDITION, "pasar_por_b"), "Flow_3",
                                              "debe ser una expresión ${...}", _id("Flow_3")),
    "condition-other-function": Broken(replace_once(LINEAL, CONDITION, "${eval('1')}"), "Flow_3",
                                       "función no permitida eval", _id("Flow_3")),
    "condition-javascript": Broken(
        replace_once(LINEAL, f'tFormalExpression">{CONDITION}', 'tFormalExpression" language="javascript">x'),
        "Flow_3", "lenguaje de condición 'javascript'", _id("Flow_3")),
    "candidate-groups-bad-juel": Broken(task_a_attributes('camunda:candidateGroups="${a ==}"'), "Activity_A",
                                        "camunda:candidateGroups inválida", _id("Activity_A")),
    "assignee-bad-juel": Broken(task_a_attributes('camunda:assignee="${persona.}" camunda:candidateGroups="e"'),
                                "Activity_A", "camunda:assignee inválida", _id("Activity_A")),
    "due-date-bad-juel": Broken(task_a_attributes('camunda:candidateGroups="equipo" camunda:dueDate="${a ==}"'),
                                "Activity_A", "camunda:dueDate inválida", _id("Activity_A")),
    "due-date-other-function": Broken(
        task_a_attributes('camunda:candidateGroups="equipo" camunda:dueDate="${now()}"'),
        "Activity_A", "camunda:dueDate: función no permitida now (permitidas: plazo)", _id("Activity_A")),
    "priority-other-function": Broken(
        task_a_attributes('camunda:candidateGroups="equipo" camunda:priority="${max(1, 2)}"'),
        "Activity_A", "camunda:priority: función no permitida max", _id("Activity_A")),
    "timer-bad-juel": Broken(with_timer("timeDate", "${a ==}"), "Event_Timer", "temporizador inválida",
                             _id("Event_Timer")),
    "timer-other-function": Broken(with_timer("timeDate", "${hoy()}"), "Event_Timer",
                                   "temporizador: función no permitida hoy", _id("Event_Timer")),
    "timer-naive-date": Broken(with_timer("timeDate", "2026-12-01T09:00:00"), "Event_Timer",
                               "no tiene zona horaria", _id("Event_Timer")),
    "timer-malformed-duration": Broken(with_timer("timeDuration", "P5X"), "Event_Timer",
                                       "no es una duración ISO-8601", _id("Event_Timer")),
    "timer-duration-in-words": Broken(with_timer("timeDuration", "5 days"), "Event_Timer",
                                      "no es una duración ISO-8601", _id("Event_Timer")),
    "timer-without-definition": Broken(with_timer("timeDate", None), "Event_Timer",
                                       "no define timeDate, timeDuration ni timeCycle", _id("Event_Timer")),
    "reserved-id-start": Broken(LINEAL.replace("StartEvent_1", "Start"), "Start", "'Start' está reservado",
                                '<bpmn:startEvent id="Start"'),
    "reserved-id-end": Broken(LINEAL.replace("EndEvent_1", "End"), "End", "'End' está reservado",
                              '<bpmn:endEvent id="End"'),
    "execution-listener": Broken(with_extension('<camunda:executionListener class="a.B" event="start" />'),
                                 "Activity_A", "listeners de ejecución", _id("Activity_A")),
    "task-listener": Broken(with_extension('<camunda:taskListener class="a.B" event="create" />'),
                            "Activity_A", "listeners de tarea", _id("Activity_A")),
    "input-output": Broken(
        with_extension('<camunda:inputOutput><camunda:inputParameter name="x">1</camunda:inputParameter>'
                       "</camunda:inputOutput>"),
        "Activity_A", "mapeos de entrada/salida", _id("Activity_A")),
    "form-data": Broken(
        with_extension('<camunda:formData><camunda:formField id="x" type="string" /></camunda:formData>'),
        "Activity_A", "formularios generados no se soportan", _id("Activity_A")),
    "zeebe-namespace": Broken(
        replace_once(LINEAL, 'xmlns:xsi=', 'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:xsi='),
        "Definitions_Lineal", "Camunda 8 (Zeebe)", "<bpmn:definitions"),
}


@pytest.mark.parametrize("case", list(BROKEN_DIAGRAMS.values()), ids=list(BROKEN_DIAGRAMS))
def test_rule_violation_names_element_and_line_and_stores_nothing(deploy_ctx: ServiceContext, case: Broken) -> None:
    problems = refused(deploy_ctx, lineal(case.text), forms())
    assert len(problems) == 1, problems
    problem = problems[0]
    line = line_of(case.text, case.anchor)
    assert (problem.file, problem.element_id, problem.line) == ("lineal.bpmn", case.element_id, line)
    assert case.fragment in problem.message
    assert str(problem).startswith(f"lineal.bpmn:{line} [{case.element_id}]: ")


def test_unknown_topic_message_lists_every_registered_topic(deploy_ctx: ServiceContext) -> None:
    text = with_service_task('camunda:type="external" camunda:topic="enviar_fax"')
    [problem] = refused(deploy_ctx, lineal(text), forms())
    listed = re.search(r"temas disponibles: (.*)\)", problem.message)
    assert listed is not None
    assert listed.group(1).split(", ") == sorted(DEFAULT_HANDLERS)


def test_every_problem_is_reported_at_once(deploy_ctx: ServiceContext) -> None:
    text = swap_task_b("scriptTask")
    text = replace_once(text, "<bpmn:flowNodeRef>Activity_C</bpmn:flowNodeRef>", "")
    text = replace_once(text, CONDITION, "${a ==}")
    problems = refused(deploy_ctx, lineal(text), forms())
    found = {(p.element_id, p.line) for p in problems}
    assert found == {("Activity_B", line_of(text, _id("Activity_B"))),
                     ("Activity_C", line_of(text, _id("Activity_C"))),
                     ("Flow_3", line_of(text, _id("Flow_3")))}


@pytest.mark.parametrize(
    ("text", "count"),
    [
        pytest.param(replace_once(LINEAL, 'isExecutable="true"', 'isExecutable="false"'), 0, id="zero"),
        pytest.param(replace_once(LINEAL, "</bpmn:definitions>",
                                  '  <bpmn:process id="otro" isExecutable="true">\n'
                                  '    <bpmn:startEvent id="StartEvent_Otro" />\n'
                                  "  </bpmn:process>\n</bpmn:definitions>"), 2, id="two"),
    ],
)
def test_file_needs_exactly_one_executable_process(deploy_ctx: ServiceContext, text: str, count: int) -> None:
    [problem] = refused(deploy_ctx, lineal(text), forms())
    assert problem.file == "lineal.bpmn"
    assert "exactamente un proceso ejecutable" in problem.message
    assert f"tiene {count}" in problem.message


def test_engine_parse_error_names_element_and_line(deploy_ctx: ServiceContext) -> None:
    text = replace_once(LINEAL, 'sourceRef="Activity_B" targetRef="Activity_C"',
                        'sourceRef="Activity_B" targetRef="Activity_Fantasma"')
    [problem] = refused(deploy_ctx, lineal(text), forms())
    assert (problem.element_id, problem.line) == ("Activity_B", line_of(text, _id("Activity_B")))
    assert "Activity_Fantasma" in problem.message


def test_document_that_is_not_bpmn_is_refused(deploy_ctx: ServiceContext) -> None:
    [problem] = refused(deploy_ctx, SourceFile("otro.xml", b'<?xml version="1.0"?>\n<proceso/>'), forms())
    assert (problem.file, problem.line) == ("otro.xml", 2)
    assert "no es BPMN 2.0" in problem.message


# -------------------------------------------------------------------------- rules: what is accepted


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(with_timer("timeDuration", "P5D"), id="timer-duration"),
        pytest.param(with_timer("timeDate", "2026-12-01T09:00:00-05:00"), id="timer-date-with-offset"),
        pytest.param(with_timer("timeDate", "2026-12-01T14:00:00Z"), id="timer-date-utc"),
        pytest.param(with_timer("timeCycle", "R3/PT1H"), id="timer-cycle"),
        pytest.param(with_timer("timeDate", "${plazo('validacion')}"), id="timer-plazo"),
        pytest.param(task_a_attributes('camunda:candidateGroups="grupo-${mesa}-n1" camunda:dueDate='
                                       '"${plazo(\'registro\')}" camunda:assignee="${solicitante}"'),
                     id="assignment-expressions"),
        pytest.param(with_service_task('camunda:type="external" camunda:topic="notificar_cierre"'),
                     id="service-task-registered-topic"),
        pytest.param(replace_once(LINEAL, CONDITION, "${pasar_por_b &amp;&amp; !empty nota_a}"),
                     id="juel-condition-as-modeler-saves-it"),
    ],
)
def test_supported_constructs_are_accepted(text: str) -> None:
    assert validate(text).process_id == LINEAL_PROCESS


def test_form_key_deployment_and_app_prefixes_both_resolve(deploy_ctx: ServiceContext) -> None:
    view = deploy(deploy_ctx, "dueno", lineal(), forms())
    assert view.forms == ("lineal_a", "lineal_b", "lineal_c")
    with deploy_ctx.db.read() as session:
        row = session.get(Deployment, view.id)
        assert row is not None
        deployed = load_deployed(row)
    resolved = {element: form.id for element in ("Activity_A", "Activity_B", "Activity_C")
                if (form := deployed.form_for(element)) is not None}
    assert resolved == {"Activity_A": "lineal_a", "Activity_B": "lineal_b", "Activity_C": "lineal_c"}


def validate(text: str) -> ValidatedDeployment:
    """Validation alone, with the engine's registered topics (no database involved)."""
    return validate_deployment(lineal(text), forms(), frozenset(DEFAULT_HANDLERS))


# -------------------------------------------------------------------------------------- forms at deploy


@dataclass(frozen=True)
class BrokenForms:
    """Form files that must be refused with a problem naming `file` and containing `fragment`."""

    files: list[SourceFile]
    file: str
    fragment: str


LINEAL_A = LINEAL_FORMS["lineal_a.form"]
BROKEN_FORMS = {
    "bad-json": BrokenForms(forms(lineal_a_form=replace_once(LINEAL_A, '"type": "default",', '"type": "default"')),
                            "lineal_a.form", "JSON inválido en la línea 7, columna 3"),
    "bad-json-fixture": BrokenForms(
        [*forms(), SourceFile("formulario_json_invalido.form", (BAD / "formulario_json_invalido.form").read_bytes())],
        "formulario_json_invalido.form", "JSON inválido en la línea 6, columna 3"),
    "duplicate-json-key": BrokenForms(
        forms(lineal_a_form=replace_once(LINEAL_A, '"key": "nota_a",', '"key": "nota_a", "key": "otra",')),
        "lineal_a.form", "clave JSON duplicada 'key'"),
    "unknown-component-type": BrokenForms(
        forms(lineal_a_form=replace_once(LINEAL_A, '"type": "textfield"', '"type": "lienzo"')),
        "lineal_a.form", "tipo de componente desconocido 'lienzo'"),
    "duplicate-form-id": BrokenForms(forms(copia_a_form=LINEAL_A), "copia_a.form",
                                     "id de formulario 'lineal_a' repetido"),
    "not-utf8": BrokenForms(
        [SourceFile(f.name, f.content.decode().encode("utf-16")) if f.name == "lineal_b.form" else f
         for f in forms()], "lineal_b.form", "UTF-8"),
}


@pytest.mark.parametrize("case", list(BROKEN_FORMS.values()), ids=list(BROKEN_FORMS))
def test_broken_form_names_the_file_and_stores_nothing(deploy_ctx: ServiceContext, case: BrokenForms) -> None:
    problems = refused(deploy_ctx, lineal(), case.files)
    mine = [p for p in problems if p.file == case.file]
    assert mine, problems
    assert any(case.fragment in p.message for p in mine), mine
    assert all(p.file in (case.file, "lineal.bpmn") for p in problems), problems


def test_form_problem_appears_in_the_rendered_error(deploy_ctx: ServiceContext) -> None:
    with pytest.raises(DeploymentError) as caught:
        deploy(deploy_ctx, "dueno", lineal(), forms(copia_a_form=LINEAL_A))
    assert "copia_a.form" in str(caught.value)


# ----------------------------------------------------------------------------------------- XML safety


@pytest.mark.parametrize(
    ("name", "line", "fragment"),
    [
        pytest.param("xxe_passwd.bpmn", 2, "DOCTYPE", id="xxe-etc-passwd"),
        pytest.param("external_dtd.bpmn", 2, "DOCTYPE", id="external-dtd"),
        pytest.param("mal_formado.bpmn", 9, "XML mal formado", id="malformed"),
        pytest.param("billion_laughs.bpmn", 2, "DOCTYPE", id="billion-laughs"),
    ],
)
def test_unsafe_or_malformed_xml_is_refused_and_stores_nothing(
    deploy_ctx: ServiceContext, name: str, line: int | None, fragment: str
) -> None:
    [problem] = refused(deploy_ctx, SourceFile(name, (BAD / name).read_bytes()), forms())
    assert problem.file == name
    assert fragment in problem.message
    assert "root:" not in problem.message
    assert problem.line is not None
    if line is not None:
        assert problem.line == line


def test_doctype_in_the_real_diagram_is_refused(deploy_ctx: ServiceContext) -> None:
    real = (ROOT / "bpmn" / "mesa_de_ayuda.bpmn").read_text(encoding="utf-8")
    text = replace_once(real, '<?xml version="1.0" encoding="UTF-8"?>\n',
                        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE bpmn:definitions>\n')
    [problem] = refused(deploy_ctx, SourceFile("mesa_de_ayuda.bpmn", text.encode()), [])
    assert "DOCTYPE" in problem.message


def test_malformed_real_diagram_reports_the_line_of_the_break(deploy_ctx: ServiceContext) -> None:
    real = (ROOT / "bpmn" / "mesa_de_ayuda.bpmn").read_text(encoding="utf-8")
    text = replace_once(real, '<bpmn:exclusiveGateway id="Gateway_MergeRevision">',
                        '<bpmn:exclusiveGateway id="Gateway_MergeRevision>')
    [problem] = refused(deploy_ctx, SourceFile("mesa_de_ayuda.bpmn", text.encode()), [])
    assert problem.message.startswith("XML mal formado")
    assert problem.line is not None
    assert problem.line >= line_of(text, "Gateway_MergeRevision>")


# ------------------------------------------------------------------------ gaps found (engine BUGS)


UNHONOURED = {
    # A manual task / plain task becomes READY but is no user task: no inbox row, the case waits forever.
    "manual-task": swap_task_b("manualTask"),
    "plain-task": swap_task_b("task"),
    # Camunda 7 runs an external send task like a service task; here it is a silent no-op, topic unchecked.
    "send-task-external": swap_task_b("sendTask", 'camunda:type="external" camunda:topic="no_registrado"'),
    # Nothing in the engine can deliver a signal: the case would wait forever.
    "signal-catch-event": replace_once(
        swap_task_b("intermediateCatchEvent"), '<bpmn:intermediateCatchEvent id="Activity_B" name="Tarea B" >',
        '<bpmn:intermediateCatchEvent id="Activity_B" name="Tarea B" >\n'
        '      <bpmn:signalEventDefinition id="SignalEventDefinition_1" />'),
}


@pytest.mark.parametrize("text", list(UNHONOURED.values()), ids=list(UNHONOURED))
def test_elements_the_engine_cannot_run_are_refused(text: str) -> None:
    with pytest.raises(DeploymentError) as caught:
        validate(text)
    assert any(p.element_id == "Activity_B" for p in caught.value.problems)


# --------------------------------------------------------------------------- versions and content hash


def _deploy(ctx: ServiceContext, text: str = LINEAL, form_files: list[SourceFile] | None = None) -> DeploymentView:
    return deploy(ctx, "dueno", lineal(text), forms() if form_files is None else form_files)


def test_first_deployment_stores_version_1(ctx: ServiceContext) -> None:
    view = _deploy(ctx)
    assert (view.process_id, view.version, view.created) == (LINEAL_PROCESS, 1, True)
    assert view.name == "Proceso lineal"
    assert re.fullmatch(r"[0-9a-f]{64}", view.content_hash)
    assert (view.deployed_by, view.deployed_at) == ("dueno", T0)
    with ctx.db.read() as session:
        row = session.get(Deployment, view.id)
        assert row is not None
        assert row.bpmn_xml == LINEAL
        assert row.bpmn_name == "lineal.bpmn"


def test_identical_content_returns_the_same_version(ctx: ServiceContext) -> None:
    first = _deploy(ctx)
    before = row_counts(ctx)
    again = _deploy(ctx, form_files=list(reversed(forms())))
    assert (again.id, again.version, again.content_hash, again.created) == (
        first.id, first.version, first.content_hash, False)
    assert row_counts(ctx) == before


def test_changed_diagram_makes_the_next_version(ctx: ServiceContext) -> None:
    first = _deploy(ctx)
    second = _deploy(ctx, replace_once(LINEAL, 'name="Tarea B"', 'name="Tarea B revisada"'))
    assert (second.version, second.created) == (first.version + 1, True)
    assert second.content_hash != first.content_hash


def test_changed_linked_form_makes_the_next_version(ctx: ServiceContext) -> None:
    first = _deploy(ctx)
    changed = replace_once(LINEAL_FORMS["lineal_c.form"], '"max": 5', '"max": 10')
    second = _deploy(ctx, form_files=forms(lineal_c_form=changed))
    assert (second.version, second.created) == (first.version + 1, True)
    assert second.content_hash != first.content_hash


def test_form_files_the_diagram_does_not_link_are_not_part_of_the_version(ctx: ServiceContext) -> None:
    unrelated = replace_once(LINEAL_A, '"id": "lineal_a"', '"id": "otro_formulario"')
    first = _deploy(ctx)
    again = _deploy(ctx, form_files=forms(otro_form=unrelated))
    assert (again.id, again.created) == (first.id, False)
    assert again.forms == ("lineal_a", "lineal_b", "lineal_c")


def test_versions_are_numbered_per_process(ctx: ServiceContext) -> None:
    view = _deploy(ctx)
    main = [d for d in list_deployments(ctx) if d.process_id == "mesa_de_ayuda"]
    assert view.version == 1
    assert [d.version for d in main] == [1]


def test_validate_only_stores_nothing(ctx: ServiceContext) -> None:
    before = row_counts(ctx)
    checked = validate_files(ctx, lineal(), forms())
    assert checked.process_id == LINEAL_PROCESS
    assert row_counts(ctx) == before


def test_refused_deployment_after_a_good_one_keeps_the_current_version(ctx: ServiceContext) -> None:
    first = _deploy(ctx)
    refused(ctx, lineal(swap_task_b("scriptTask")), forms())
    refused(ctx, SourceFile("lineal.bpmn", (BAD / "xxe_passwd.bpmn").read_bytes()), forms())
    assert [(d.version, d.id) for d in list_deployments(ctx, LINEAL_PROCESS)] == [(1, first.id)]


def test_redeploying_older_content_is_a_rollback_to_a_new_version(ctx: ServiceContext) -> None:
    """As in Camunda: only a copy of the newest version is "no change"; v1's content again becomes v3."""
    first = _deploy(ctx)
    _deploy(ctx, replace_once(LINEAL, 'name="Tarea B"', 'name="Tarea B revisada"'))
    back = _deploy(ctx)
    assert (back.version, back.created, back.content_hash) == (3, True, first.content_hash)
    case = start_case(ctx, _agent(ctx), {}, process_id=LINEAL_PROCESS)
    assert case.process_version == 3


# ----------------------------------------------------------------------- cases stay on their version


def _agent(ctx: ServiceContext) -> Actor:
    return add_user(ctx, "agente_lineal", "agente.lineal@example.org", "agente", groups=["equipo"])


def _complete(ctx: ServiceContext, actor: Actor, case: CaseView, data: dict[str, object]) -> CaseView:
    assert len(case.ready_tasks) == 1, case.ready_tasks
    return complete_task(ctx, actor, case.ready_tasks[0].id, data)


def _ready(case: CaseView) -> list[tuple[str, str]]:
    return [(t.element_id, t.name) for t in case.ready_tasks]


def _fresh(ctx: ServiceContext) -> ServiceContext:
    """A new context on the same database: nothing parsed in memory, specs come from the stored rows."""
    return ServiceContext(ctx.db, ctx.settings, ctx.clock)


def test_renamed_task_applies_only_to_cases_started_after_the_deployment(ctx: ServiceContext) -> None:
    agent = _agent(ctx)
    _deploy(ctx)
    old = start_case(ctx, agent, {}, process_id=LINEAL_PROCESS)
    old = _complete(ctx, agent, old, {"pasar_por_b": True, "nota_a": "antes"})
    assert _ready(old) == [("Activity_B", "Tarea B")]

    v2 = _deploy(ctx, replace_once(LINEAL, 'name="Tarea B"', 'name="Tarea B revisada"'))
    assert v2.version == 2
    new = start_case(ctx, agent, {}, process_id=LINEAL_PROCESS)
    new = _complete(ctx, agent, new, {"pasar_por_b": True, "nota_a": "después"})
    assert (old.process_version, new.process_version) == (1, 2)
    assert _ready(new) == [("Activity_B", "Tarea B revisada")]

    later = _fresh(ctx)
    old = get_case(later, agent, old.id)
    assert _ready(old) == [("Activity_B", "Tarea B")]
    old = _complete(later, agent, old, {"nota_b": "sigue en v1"})
    assert _ready(old) == [("Activity_C", "Tarea C")]
    old = _complete(later, agent, old, {"puntaje": 4})
    assert (old.is_open, old.state, old.process_version) == (False, "terminado", 1)


def test_added_task_applies_only_to_cases_started_after_the_deployment(ctx: ServiceContext) -> None:
    agent = _agent(ctx)
    _deploy(ctx)
    old = start_case(ctx, agent, {}, process_id=LINEAL_PROCESS)
    old = _complete(ctx, agent, old, {"pasar_por_b": False, "nota_a": "v1"})
    assert _ready(old) == [("Activity_C", "Tarea C")]

    with_d = replace_once(LINEAL, FLOW_TO_END,
                          '<bpmn:userTask id="Activity_D" name="Tarea D" camunda:formRef="lineal_b" '
                          'camunda:candidateGroups="equipo">\n'
                          "      <bpmn:incoming>Flow_6</bpmn:incoming>\n      <bpmn:outgoing>Flow_7</bpmn:outgoing>\n"
                          "    </bpmn:userTask>\n"
                          '    <bpmn:sequenceFlow id="Flow_6" sourceRef="Activity_C" targetRef="Activity_D" />\n'
                          '    <bpmn:sequenceFlow id="Flow_7" sourceRef="Activity_D" targetRef="EndEvent_1" />')
    with_d = replace_once(with_d, END_INCOMING, "<bpmn:incoming>Flow_7</bpmn:incoming>\n    </bpmn:endEvent>")
    with_d = replace_once(with_d, "<bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef>",
                          "<bpmn:flowNodeRef>Activity_D</bpmn:flowNodeRef>\n"
                          "        <bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef>")
    assert _deploy(ctx, with_d).version == 2

    new = start_case(ctx, agent, {}, process_id=LINEAL_PROCESS)
    new = _complete(ctx, agent, new, {"pasar_por_b": False, "nota_a": "v2"})
    new = _complete(ctx, agent, new, {"puntaje": 5})
    assert _ready(new) == [("Activity_D", "Tarea D")]

    old = _complete(_fresh(ctx), agent, old, {"puntaje": 3})
    assert (old.is_open, old.ready_tasks) == (False, ())

    counts = {d.version: (d.open_cases, d.closed_cases) for d in list_deployments(ctx, LINEAL_PROCESS)}
    assert counts == {1: (0, 1), 2: (1, 0)}


def test_case_history_records_the_version_it_started_on(ctx: ServiceContext) -> None:
    agent = _agent(ctx)
    _deploy(ctx)
    _deploy(ctx, replace_once(LINEAL, 'name="Tarea A"', 'name="Tarea A v2"'))
    case = get_case(ctx, agent, start_case(ctx, agent, {}, process_id=LINEAL_PROCESS).id)
    started = case.history[0]
    assert started.kind == "case.started"
    assert (started.payload["process_id"], started.payload["version"]) == (LINEAL_PROCESS, 2)
    assert _ready(case) == [("Activity_A", "Tarea A v2")]


def test_init_without_diagrams_deploys_nothing(tmp_path: Path) -> None:
    """Also a sanity check for row_counts: a fresh database really starts at zero."""
    db = Database(f"sqlite:///{tmp_path / 'vacia.db'}")
    try:
        context = ServiceContext(db, make_settings(tmp_path, db.url), FixedClock(T0))
        initialise(context, "dueno", bpmn_dir=tmp_path, forms_dir=tmp_path)
        assert row_counts(context) == {"deployments": 0, "cases": 0, "case_events": 0, "inbox_tasks": 0}
    finally:
        db.dispose()
