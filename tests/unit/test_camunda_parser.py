"""The parser wrapper keeps what SpiffWorkflow's Camunda parser drops; specs and instances round-trip."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from engine.workflow import runtime
from engine.workflow.elements import ElementInfo
from engine.workflow.facade import CaseWorkflow
from engine.workflow.parsing import parse_process
from engine.workflow.script_engine import SafeScriptEngine, ScriptTasksRefusedError, ServiceCall
from engine.xmlsafe import parse_xml

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "bpmn" / "mesa_de_ayuda.bpmn"


@pytest.fixture(scope="module")
def process() -> runtime.ProcessSpec:
    return parse_process(parse_xml(MAIN.read_bytes()), MAIN.name)


def _element(process: runtime.ProcessSpec, element_id: str) -> ElementInfo:
    element = process.element(element_id)
    assert element is not None, element_id
    return element


def _camunda(process: runtime.ProcessSpec, element_id: str) -> dict[str, str]:
    return dict(_element(process, element_id).camunda)


def test_user_task_attributes_are_kept(process: runtime.ProcessSpec) -> None:
    assert _camunda(process, "Activity_AnalizarSolucionar") == {
        "candidateGroups": "${grupo_nivel2}", "dueDate": "${plazo('nivel2')}", "priority": "${prioridad_valor}",
        "formRef": "analizar_solucionar", "formRefBinding": "deployment",
    }
    requester = _camunda(process, "Activity_ValidarSolucion")
    assert requester["assignee"] == "${solicitante}" and requester["formRef"] == "validar_solucion"
    assert _element(process, "Activity_ValidarSolucion").lane == "Usuario"


def test_properties_are_kept_on_every_kind_of_element(process: runtime.ProcessSpec) -> None:
    states = {
        "StartEvent_CasoReportado": "reportado", "Activity_RevisarRegistrar": "en revisión",
        "Activity_AsignarTicket": "registrado", "EndEvent_CerradoAutomaticamente": "cerrado automáticamente",
    }
    for element_id, state in states.items():
        assert dict(_element(process, element_id).properties) == {"estado": state}
    assert _camunda(process, "StartEvent_CasoReportado")["initiator"] == "solicitante"


def test_external_service_tasks_carry_their_topic(process: runtime.ProcessSpec) -> None:
    assert _element(process, "Activity_AsignarTicket").topic == "asignar_ticket"
    assert _camunda(process, "Activity_AsignarTicket") == {"type": "external", "topic": "asignar_ticket"}


def test_all_attributes_survive_the_spec_serializer(process: runtime.ProcessSpec) -> None:
    restored = runtime.ProcessSpec.from_json(process.to_json())
    assert len(process.infos) > 30 and restored.infos == process.infos
    assert [element.element_id for element in restored.elements()] == list(process.infos)
    assert {element.kind for element in process.elements()} >= {"StartEvent", "UserTask", "ExternalServiceTask"}
    timers = {element.element_id for element in process.elements() if element.is_timer}
    assert "Event_PlazoValidacionVencido" in timers and "Activity_AsignarTicket" not in timers


def test_follow_up_date_and_candidate_users_are_kept() -> None:
    text = MAIN.read_text("utf-8").replace(
        'camunda:candidateGroups="${grupo_nivel2}"',
        'camunda:candidateGroups="${grupo_nivel2}" camunda:candidateUsers="ana, luis" '
        'camunda:followUpDate="2026-12-24T08:00:00-05:00" camunda:formRefVersion="3"', 1)
    process = parse_process(parse_xml(text.encode()), "variant.bpmn")
    kept = _camunda(process, "Activity_AnalizarSolucionar")
    assert (kept["candidateUsers"], kept["followUpDate"], kept["formRefVersion"]) == (
        "ana, luis", "2026-12-24T08:00:00-05:00", "3")


def test_instances_are_saved_without_the_spec(process: runtime.ProcessSpec) -> None:
    calls: list[ServiceCall] = []
    engine = SafeScriptEngine(services=lambda call: calls.append(call) or {})
    workflow = CaseWorkflow.new(process, engine)
    saved = workflow.dumps()
    document = json.loads(saved)
    assert document["spec"] == runtime.SPEC_REFERENCE and document["subprocess_specs"] == runtime.SPEC_REFERENCE
    assert len(saved) < len(process.to_json())
    reloaded = CaseWorkflow.load(saved, process, engine, "el caso de prueba")
    assert json.loads(reloaded.dumps()) == document
    assert runtime.SERIALIZER_VERSION.startswith("SpiffWorkflow 3.2.0")


def test_scripts_never_run() -> None:
    engine = SafeScriptEngine()
    task = SimpleNamespace(task_spec=SimpleNamespace(bpmn_id="Activity_Script"), data={})
    with pytest.raises(ScriptTasksRefusedError):
        engine.execute(task, "import os")
    with pytest.raises(ScriptTasksRefusedError):
        engine.call_service(task)
