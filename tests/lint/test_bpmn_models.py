"""Lint the BPMN diagrams and Camunda Forms the way Camunda Modeler would see them.

The diagrams are linted with bpmnlint (``.bpmnlintrc``: bpmnlint recommended rules + the Camunda
Platform 7 compatibility rules, with the Camunda moddle extension loaded so unknown ``camunda:*``
attributes are errors) and parsed with bpmn-moddle + camunda-bpmn-moddle by ``tools/check_bpmn.mjs``.
Both need the npm packages: run ``npm ci`` in the repository root first.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.forms.feel import And, Compare, Condition, Const, FeelError, Not, Or, Var, parse_condition

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
FORMS_DIR = ROOT / "forms"
MAIN_DIAGRAM = BPMN_DIR / "mesa_de_ayuda.bpmn"
BPMNLINT = ROOT / "node_modules" / ".bin" / "bpmnlint"
CHECK_SCRIPT = ROOT / "tools" / "check_bpmn.mjs"

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
    "modeler": "http://camunda.org/schema/modeler/1.0",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
CAMUNDA_FORM_REF = f"{{{NS['camunda']}}}formRef"

# The subset of form-js the application renders and re-validates on the server.
FORM_COMPONENT_TYPES = {"textfield", "textarea", "number", "checkbox", "select", "radio", "text"}
VALIDATE_KEYS = {"required", "minLength", "maxLength", "pattern", "patternErrorMessage", "min", "max"}

NPM_HINT = "run `npm ci` in the repository root (it installs bpmnlint, bpmn-moddle and friends)"


# --------------------------------------------------------------------------------------------- helpers


def bpmn_files() -> list[Path]:
    return sorted(BPMN_DIR.glob("*.bpmn"))


def form_files() -> list[Path]:
    return sorted(FORMS_DIR.glob("*.form"))


def require_node_tooling() -> str:
    """Return the node executable; fail (never skip) when the npm tooling is not installed."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"`node` is not on PATH: install Node.js >= 20, then {NPM_HINT}")
    if not BPMNLINT.exists():
        pytest.fail(f"{BPMNLINT.relative_to(ROOT)} is missing: {NPM_HINT}")
    if not (ROOT / "node_modules" / "bpmn-moddle").is_dir():
        pytest.fail(f"node_modules/bpmn-moddle is missing: {NPM_HINT}")
    return node


def run_tool(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a node tool from the repository root (bpmnlint resolves .bpmnlintrc and plugins from cwd)."""
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit code {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def run_bpmnlint(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    require_node_tooling()
    return run_tool([str(BPMNLINT), "--max-warnings=0", *map(str, paths)])


def run_check_script(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    node = require_node_tooling()
    return run_tool([node, str(CHECK_SCRIPT), *map(str, paths)])


def load_form(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: a form schema is a JSON object"
    return data


def iter_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for component in components:
        yield component
        yield from iter_components(component.get("components", []))


def condition_names(condition: Condition) -> set[str]:
    """Field keys a parsed ``conditional.hide`` expression reads."""
    match condition:
        case Var(name) | Compare(name, _, _):
            return {name}
        case Not(operand):
            return condition_names(operand)
        case And(operands) | Or(operands):
            return set().union(*(condition_names(operand) for operand in operands))
        case Const():
            return set()
    raise AssertionError(f"unknown condition node {condition!r}")


def form_refs(path: Path) -> dict[str, str]:
    """Map element id -> camunda:formRef for every element of a diagram that links a form."""
    tree = ET.parse(path)
    return {
        str(element.get("id")): str(element.get(CAMUNDA_FORM_REF))
        for element in tree.iter()
        if element.get(CAMUNDA_FORM_REF) is not None
    }


def break_diagram(source: Path, target: Path) -> None:
    """Write a copy of ``source`` with three mistakes a modeller could make by hand.

    - an unknown ``camunda:`` attribute on a user task,
    - an unknown ``camunda:`` element in its extension elements,
    - a decision gateway whose outgoing sequence flows were deleted (a dead end).
    """
    for prefix, uri in NS.items():
        ET.register_namespace(prefix, uri)
    tree = ET.parse(source)
    root = tree.getroot()
    process = root.find("bpmn:process", NS)
    assert process is not None

    task = process.find("bpmn:userTask[@id='Activity_RevisarRegistrar']", NS)
    assert task is not None
    task.set(f"{{{NS['camunda']}}}asignadoA", "nadie")
    extensions = task.find("bpmn:extensionElements", NS)
    assert extensions is not None
    ET.SubElement(extensions, f"{{{NS['camunda']}}}elementoDesconocido")

    dead_end = "Gateway_NivelSolucion"
    removed = {
        str(flow.get("id"))
        for flow in process.findall("bpmn:sequenceFlow", NS)
        if flow.get("sourceRef") == dead_end
    }
    assert removed, f"{dead_end} has no outgoing flows to remove"
    for flow in process.findall("bpmn:sequenceFlow", NS):
        if flow.get("id") in removed:
            process.remove(flow)
    for node in process:
        for ref in node.findall("bpmn:incoming", NS) + node.findall("bpmn:outgoing", NS):
            if ref.text in removed:
                node.remove(ref)
        if node.get("default") in removed:
            del node.attrib["default"]
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane is not None
    for edge in plane.findall("bpmndi:BPMNEdge", NS):
        if edge.get("bpmnElement") in removed:
            plane.remove(edge)

    tree.write(target, encoding="UTF-8", xml_declaration=True)


# --------------------------------------------------------------------------------------------- diagrams


def test_there_are_diagrams_to_lint() -> None:
    assert MAIN_DIAGRAM in bpmn_files()


def test_bpmnlint_reports_no_problems() -> None:
    result = run_bpmnlint(bpmn_files())
    assert result.returncode == 0, output_of(result)
    assert "problem" not in result.stdout, output_of(result)


def test_diagrams_parse_without_moddle_warnings() -> None:
    files = bpmn_files()
    result = run_check_script(files)
    assert result.returncode == 0, output_of(result)
    for path in files:
        assert f"OK   {path}" in result.stdout, output_of(result)


def test_broken_diagram_is_reported_by_both_tools(tmp_path: Path) -> None:
    broken = tmp_path / "roto.bpmn"
    break_diagram(MAIN_DIAGRAM, broken)

    lint = run_bpmnlint([broken])
    assert lint.returncode != 0, output_of(lint)
    assert "unknown attribute <camunda:asignadoA>" in lint.stdout, output_of(lint)
    assert "<camunda:elementoDesconocido>" in lint.stdout, output_of(lint)
    assert re.search(r"Gateway_NivelSolucion .*no-implicit-end", lint.stdout), output_of(lint)

    check = run_check_script([broken])
    assert check.returncode != 0, output_of(check)
    assert f"FAIL {broken}" in check.stdout, output_of(check)
    assert "unknown attribute <camunda:asignadoA>" in check.stdout, output_of(check)
    assert "unknown type <camunda:ElementoDesconocido>" in check.stdout, output_of(check)


def test_check_script_fails_on_malformed_xml(tmp_path: Path) -> None:
    broken = tmp_path / "truncado.bpmn"
    text = MAIN_DIAGRAM.read_text(encoding="utf-8")
    broken.write_text(text[: len(text) // 2], encoding="utf-8")

    check = run_check_script([broken])
    assert check.returncode != 0, output_of(check)
    assert f"FAIL {broken}" in check.stdout, output_of(check)


# --------------------------------------------------------------------------------------------- forms


def test_there_are_forms() -> None:
    assert form_files(), "forms/*.form is empty"


@pytest.mark.parametrize("path", form_files(), ids=lambda path: path.name)
def test_form_is_a_camunda_form_with_unique_keys(path: Path) -> None:
    form = load_form(path)
    assert form.get("type") == "default", f"{path.name}: type must be 'default'"
    assert form.get("id") == path.stem, f"{path.name}: the form id must equal the file name"
    assert form.get("executionPlatform") == "Camunda Platform", path.name
    assert isinstance(form.get("schemaVersion"), int), path.name
    components = form.get("components")
    assert isinstance(components, list) and components, f"{path.name}: no components"

    ids: list[str] = []
    keys: list[str] = []
    for component in iter_components(components):
        ids.append(component["id"])
        if "key" in component:
            keys.append(component["key"])
    duplicated_ids = sorted({i for i in ids if ids.count(i) > 1})
    duplicated_keys = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicated_ids, f"{path.name}: duplicated component ids {duplicated_ids}"
    assert not duplicated_keys, f"{path.name}: duplicated component keys {duplicated_keys}"


@pytest.mark.parametrize("path", form_files(), ids=lambda path: path.name)
def test_form_uses_only_the_supported_subset(path: Path) -> None:
    form = load_form(path)
    keys = {c["key"] for c in iter_components(form["components"]) if "key" in c}
    for component in iter_components(form["components"]):
        where = f"{path.name}: {component.get('id')}"
        kind = component.get("type")
        assert kind in FORM_COMPONENT_TYPES, f"{where}: unsupported component type {kind!r}"
        assert re.fullmatch(r"Field_\w+", component.get("id", "")), f"{where}: id must look like Field_xxx"
        if kind == "text":
            assert "key" not in component, f"{where}: a text component has no key"
            assert component.get("text"), f"{where}: a text component needs text"
            continue
        assert re.fullmatch(r"[a-z][a-z0-9_]*", component.get("key", "")), f"{where}: bad or missing key"
        assert component.get("label"), f"{where}: missing label"
        assert set(component.get("validate", {})) <= VALIDATE_KEYS, f"{where}: unsupported validation"
        if "pattern" in component.get("validate", {}):
            re.compile(component["validate"]["pattern"])
        if kind in {"select", "radio"}:
            has_values = bool(component.get("values"))
            has_values_key = bool(component.get("valuesKey"))
            assert has_values != has_values_key, f"{where}: needs exactly one of values / valuesKey"
        hide = component.get("conditional", {}).get("hide")
        if hide is not None:
            # The subset the server re-evaluates (engine.forms.feel), so the browser and server hide alike.
            try:
                condition = parse_condition(hide)
            except FeelError as exc:
                pytest.fail(f"{where}: {exc}")
            unknown = sorted(condition_names(condition) - keys)
            assert not unknown, f"{where}: {hide!r} names no field: {unknown}"


def test_every_form_ref_has_a_form_and_every_form_is_used() -> None:
    form_ids = {load_form(path)["id"]: path.name for path in form_files()}
    referenced: set[str] = set()
    for diagram in bpmn_files():
        for element_id, form_id in form_refs(diagram).items():
            assert form_id in form_ids, f"{diagram.name}: {element_id} links form {form_id!r}, not in forms/"
            referenced.add(form_id)
    unused = sorted(set(form_ids) - referenced)
    assert not unused, f"forms not linked from any diagram: {unused}"
