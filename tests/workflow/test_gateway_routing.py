"""The decisions of bpmn/mesa_de_ayuda.bpmn as tables: which flow each set of case variables takes.

Conditions are read from the diagram and evaluated like the engine does (first true wins, else the default).
Each table also requires that at most one condition holds, so a Modeler reordering the flows changes nothing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from engine.expressions import evaluate_condition

DIAGRAM = Path(__file__).resolve().parents[2] / "bpmn" / "mesa_de_ayuda.bpmn"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def route(gateway_id: str, variables: dict[str, Any]) -> str:
    """Target of the flow an exclusive gateway takes for `variables`; fails if two conditions hold."""
    process = ET.parse(DIAGRAM).getroot().find(f"{BPMN}process")
    assert process is not None
    gateway = process.find(f"{BPMN}exclusiveGateway[@id='{gateway_id}']")
    assert gateway is not None, gateway_id
    flows = [f for f in process.iter(f"{BPMN}sequenceFlow") if f.get("sourceRef") == gateway_id]
    taken = []
    for flow in flows:
        condition = flow.find(f"{BPMN}conditionExpression")
        if condition is not None and evaluate_condition(str(condition.text), variables):
            taken.append(str(flow.get("targetRef")))
    assert len(taken) <= 1, f"{gateway_id}: more than one condition holds for {variables}: {taken}"
    if taken:
        return taken[0]
    [default] = [f for f in flows if f.get("id") == gateway.get("default")]
    return str(default.get("targetRef"))


@pytest.mark.parametrize(("variables", "target"), [
    ({"resolver_nivel1": True}, "Gateway_MergeSolucion"),
    ({"resolver_nivel1": False}, "Activity_ProponerGrupoNivel2"),
])
def test_level1_resolves_or_escalates(variables: dict[str, Any], target: str) -> None:
    assert route("Gateway_ResolverNivel1", variables) == target


@pytest.mark.parametrize(("variables", "target"), [
    # Solved by level 1 (in the review or again after a rejection): level 2 never ran, escalar_nivel3 is unset.
    ({"resolver_nivel1": True}, "Activity_SolucionarNivel1"),
    # Escalated by level 1 (now or after its own solution was rejected), then solved by level 2 or 3.
    ({"resolver_nivel1": False, "escalar_nivel3": False}, "Gateway_MergeNivel2"),
    ({"resolver_nivel1": False, "escalar_nivel3": True}, "Gateway_MergeNivel3"),
    # Cases reviewed under an earlier version (no resolver_nivel1) and migrated to this one.
    ({"escalar_nivel3": False}, "Gateway_MergeNivel2"),
    ({"escalar_nivel3": True}, "Gateway_MergeNivel3"),
])
def test_a_rejection_returns_to_the_level_that_solved(variables: dict[str, Any], target: str) -> None:
    assert route("Gateway_NivelSolucion", variables) == target
