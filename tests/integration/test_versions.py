"""Versions of a process: one version's files and case counts, and the diff between two versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.deployment import SourceFile
from engine.services.context import ServiceContext
from engine.services.errors import NotFoundError
from engine.services.processes.deploy import DeploymentView, deploy
from engine.services.processes.versions import FieldChange, get_version, version_diff
from tests.conftest import FIXTURES

PROCESS = "proceso_lineal"
LINEAL = (FIXTURES / "lineal.bpmn").read_text(encoding="utf-8")
TASK_D = """    <bpmn:userTask id="Activity_D" name="Tarea D" camunda:formRef="lineal_a"
        camunda:candidateGroups="equipo">
      <bpmn:incoming>Flow_7</bpmn:incoming>
      <bpmn:outgoing>Flow_8</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="EndEvent_1" """
FLOWS = """<bpmn:sequenceFlow id="Flow_7" sourceRef="Activity_B" targetRef="Activity_D" />
    <bpmn:sequenceFlow id="Flow_8" sourceRef="Activity_D" targetRef="Activity_C" />"""


def _replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def lineal_v2() -> str:
    """lineal.bpmn with Tarea A renamed, Tarea D added between B and C, and Flow_5 (B → C) removed."""
    text = _replace(LINEAL, 'name="Tarea A"', 'name="Tarea A revisada"')
    text = _replace(text, '<bpmn:outgoing>Flow_5</bpmn:outgoing>', '<bpmn:outgoing>Flow_7</bpmn:outgoing>')
    text = _replace(text, '<bpmn:incoming>Flow_5</bpmn:incoming>', '<bpmn:incoming>Flow_8</bpmn:incoming>')
    text = _replace(text, '<bpmn:flowNodeRef>EndEvent_1', '<bpmn:flowNodeRef>Activity_D</bpmn:flowNodeRef>\n'
                    '        <bpmn:flowNodeRef>EndEvent_1')
    text = _replace(text, '    <bpmn:endEvent id="EndEvent_1" ', TASK_D)
    return _replace(text, '<bpmn:sequenceFlow id="Flow_5" sourceRef="Activity_B" targetRef="Activity_C" />', FLOWS)


def form_files(directory: Path = FIXTURES) -> list[SourceFile]:
    """The lineal process's three forms."""
    return [SourceFile(path.name, path.read_bytes()) for path in sorted(directory.glob("lineal_*.form"))]


def deploy_lineal(ctx: ServiceContext, text: str = LINEAL, by: str = "dueno") -> DeploymentView:
    """Deploy a lineal diagram with its forms."""
    return deploy(ctx, by, SourceFile("lineal.bpmn", text.encode("utf-8")), form_files())


def test_diff_reports_the_renamed_task_the_added_task_and_the_removed_flow(ctx: ServiceContext) -> None:
    assert deploy_lineal(ctx).version == 1
    assert deploy_lineal(ctx, lineal_v2()).version == 2
    diff = version_diff(ctx, PROCESS, 1, 2)
    assert [(e.element_id, e.type, e.name) for e in diff.added] == [
        ("Activity_D", "userTask", "Tarea D"), ("Flow_7", "sequenceFlow", ""), ("Flow_8", "sequenceFlow", "")]
    assert [(e.element_id, e.type) for e in diff.removed] == [("Flow_5", "sequenceFlow")]
    assert {c.element_id: c.changes for c in diff.changed} == {
        "Activity_A": (FieldChange("name", "Tarea A", "Tarea A revisada"),),
        "Activity_B": (FieldChange("outgoing", "Flow_5", "Flow_7"),),
        "Activity_C": (FieldChange("incoming", "Flow_4, Flow_5", "Flow_4, Flow_8"),),
    }
    assert not diff.is_empty and version_diff(ctx, PROCESS, 2, 2).is_empty


def test_diff_compares_properties_conditions_attributes_and_linked_forms(ctx: ServiceContext) -> None:
    deploy_lineal(ctx)
    text = _replace(LINEAL, 'value="en B"', 'value="en bee"')
    text = _replace(text, "${pasar_por_b}", "${not pasar_por_b}")
    text = _replace(text, 'camunda:priority="60"', 'camunda:priority="70"')
    text = _replace(text, 'camunda:formRef="lineal_a"', 'camunda:formRef="lineal_c"')
    deploy_lineal(ctx, text)
    changed = {c.element_id: {f.field for f in c.changes} for c in version_diff(ctx, PROCESS, 1, 2).changed}
    assert changed == {"Activity_A": {"camunda:priority", "camunda:formRef", "form"},
                       "Activity_B": {"propiedad estado"}, "Flow_3": {"condición"}}


def test_get_version_has_the_files_and_counts_and_unknown_versions_are_not_found(ctx: ServiceContext) -> None:
    deployed = deploy_lineal(ctx)
    detail = get_version(ctx, PROCESS, 1)
    assert detail.bpmn_xml == LINEAL and set(detail.forms) == {"lineal_a", "lineal_b", "lineal_c"}
    assert (detail.view.content_hash, detail.view.open_cases, detail.view.closed_cases) == (
        deployed.content_hash, 0, 0)
    with pytest.raises(NotFoundError):
        get_version(ctx, PROCESS, 9)
    with pytest.raises(NotFoundError):
        version_diff(ctx, PROCESS, 1, 9)
