"""Stored spec and instance JSON carry their format: known older formats load, anything else is refused by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.workflow import runtime
from engine.workflow.facade import CaseWorkflow, ProcessSpec, StoredFormatError
from engine.workflow.parsing import parse_process
from engine.workflow.script_engine import SafeScriptEngine
from engine.workflow.stored import CURRENT_FORMAT, LEGACY_SPIFF, Installed, instance_stamp, spec_stamp
from engine.xmlsafe import parse_xml
from tests.golden import FORMAT_1
from tests.helpers import LEVEL2

MAIN = Path(__file__).resolve().parents[2] / "bpmn" / "mesa_de_ayuda.bpmn"
HERE = Installed("3.2.0", "1.5")
# What SpiffWorkflow 3.2.0's serializer writes: its version is the last key.
SPIFF_TEXT = '{"data": {}, "tasks": {}, "typename": "BpmnWorkflow", "serializer_version": "1.5"}'


@pytest.fixture(scope="module")
def process() -> ProcessSpec:
    return parse_process(parse_xml(MAIN.read_bytes()), MAIN.name)


def _golden_case() -> dict[str, object]:
    rows = json.loads((FORMAT_1 / "case_level2.json").read_text("utf-8"))
    return dict(rows["cases"][0])


def _golden_spec() -> ProcessSpec:
    deployment = json.loads((FORMAT_1 / "deployment.json").read_text("utf-8"))
    return ProcessSpec.from_json(deployment["spec_json"], "el despliegue de referencia")


def test_what_is_written_carries_the_current_stamp(process: ProcessSpec) -> None:
    saved = CaseWorkflow.new(process, SafeScriptEngine()).dumps()
    stamp = instance_stamp(saved)
    assert (stamp.format, stamp.spiff_version) == (CURRENT_FORMAT, runtime.SPIFF_VERSION)
    assert stamp.serializer_version == runtime.INSTALLED.serializer_version
    document = json.loads(process.to_json())
    assert spec_stamp(document) == stamp and list(document)[-2:] == ["spec", "subprocess_specs"]


def test_a_reindented_document_is_read_whole_and_gives_the_same_stamp(process: ProcessSpec) -> None:
    saved = CaseWorkflow.new(process, SafeScriptEngine()).dumps()
    assert instance_stamp(json.dumps(json.loads(saved), indent=2)) == instance_stamp(saved)


def test_format_1_instances_are_migrated_to_the_current_format() -> None:
    migrated = HERE.check_instance(SPIFF_TEXT, "el caso 7")
    assert json.loads(migrated) == {**json.loads(SPIFF_TEXT), "mesa_format": 2, "spiff_version": LEGACY_SPIFF}
    assert instance_stamp(migrated).format == CURRENT_FORMAT


def test_format_1_specs_are_migrated_to_the_current_format() -> None:
    migrated = HERE.check_spec({"spec": {"name": "p"}, "subprocess_specs": {}}, "el despliegue 3")
    assert migrated == {"mesa_format": 2, "spiff_version": "3.2.0", "serializer_version": "1.5",
                        "spec": {"name": "p"}, "subprocess_specs": {}}


@pytest.mark.parametrize(("text", "detail"), [
    ('{"mesa_format": 99, "spiff_version": "3.2.0", "serializer_version": "1.5"}', "formato 99"),
    ('{"mesa_format": 2, "spiff_version": "4.0.1", "serializer_version": "1.5"}', "SpiffWorkflow 4.0.1, más reciente"),
    ('{"mesa_format": 2, "spiff_version": "3.2.0", "serializer_version": "1.6"}', "serializador de SpiffWorkflow 1.6"),
    ('{"data": {}, "serializer_version": "1.4"}', "serializador de SpiffWorkflow 1.4"),
    ('{"mesa_format": "dos", "serializer_version": "1.5"}', "sin un formato reconocible"),
    ("no es JSON", "sin un formato reconocible"),
])
def test_unknown_instances_are_refused_naming_the_case(text: str, detail: str) -> None:
    with pytest.raises(StoredFormatError) as refused:
        HERE.check_instance(text, "el caso 7")
    message = str(refused.value)
    assert message.startswith("el caso 7 se guardó en un formato") and detail in message
    assert "no se cargó ni se modificó" in message and "administrador" in message


def test_unknown_specs_are_refused_naming_the_deployment() -> None:
    document = {"mesa_format": 3, "spiff_version": "3.2.0", "serializer_version": "1.5", "spec": {},
                "subprocess_specs": {}}
    with pytest.raises(StoredFormatError, match=r"^el despliegue 3 \(mesa_de_ayuda versión 2\) .*formato 3"):
        HERE.check_spec(document, "el despliegue 3 (mesa_de_ayuda versión 2)")


def test_an_older_release_with_the_same_serializer_still_loads() -> None:
    text = '{"mesa_format": 2, "spiff_version": "3.1.2", ' + SPIFF_TEXT[1:]
    assert HERE.check_instance(text, "el caso 7") == text


def test_the_golden_format_1_case_loads_where_it_waited() -> None:
    case = _golden_case()
    rows = json.loads((FORMAT_1 / "case_level2.json").read_text("utf-8"))
    [open_task] = [row for row in rows["inbox_tasks"] if row["completed_at"] is None]
    assert case["serializer_version"] == "SpiffWorkflow 3.2.0; serializer 1.5"
    assert instance_stamp(str(case["workflow_json"])).format == 1
    workflow = CaseWorkflow.load(str(case["workflow_json"]), _golden_spec(), SafeScriptEngine(), "el caso 1")
    [ready] = workflow.ready_tasks()
    assert (ready.task_id, ready.element_id, ready.lane) == (open_task["id"], LEVEL2, "Nivel 2")
    assert workflow.variables() == json.loads(str(case["data_json"]))
    assert not workflow.is_completed() and workflow.next_timer_at() is None
    resaved = workflow.dumps()
    assert instance_stamp(resaved).format == CURRENT_FORMAT
    again = CaseWorkflow.load(resaved, _golden_spec(), SafeScriptEngine(), "el caso 1")
    assert json.loads(again.dumps()) == json.loads(resaved)
