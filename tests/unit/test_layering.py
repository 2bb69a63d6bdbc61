"""Architecture rules that a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What the rest of the code may import from engine.workflow: the typed façade and the few plain-valued modules
# around it. runtime, migration, elements, stored, camunda, specs and clock_patch are Spiff-shaped or internal.
WORKFLOW_ENTRY_POINTS = frozenset({"engine.workflow.facade", "engine.workflow.script_engine",
                                   "engine.workflow.parsing", "engine.workflow.replay"})


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _outside_engine_workflow() -> list[Path]:
    return [path for folder in ("engine", "web", "tools") for path in _modules(folder)
            if path.relative_to(ROOT).parts[:2] != ("engine", "workflow")]


def test_only_engine_workflow_imports_spiffworkflow() -> None:
    offenders = [str(path.relative_to(ROOT)) for path in _outside_engine_workflow()
                 if any(name.split(".")[0] == "SpiffWorkflow" for name in _imports(path))]
    assert offenders == []


def test_the_rest_of_the_code_reaches_engine_workflow_through_its_facade() -> None:
    offenders = [f"{path.relative_to(ROOT)}: {name}" for path in _outside_engine_workflow()
                 for name in sorted(_imports(path))
                 if name.startswith("engine.workflow") and name not in WORKFLOW_ENTRY_POINTS]
    assert offenders == []


def test_web_never_imports_spiffworkflow_or_the_orm_session() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _modules("web")
        if any(name.split(".")[0] == "SpiffWorkflow" or name == "sqlalchemy.orm" for name in _imports(path))
    ]
    assert offenders == []


def test_engine_never_imports_flask() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in _modules("engine")
                 if any(name.split(".")[0] == "flask" for name in _imports(p))]
    assert offenders == []


def test_the_layering_check_sees_an_offending_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from SpiffWorkflow.bpmn.workflow import BpmnWorkflow\nimport flask\n")
    assert {"SpiffWorkflow.bpmn.workflow", "flask"} <= _imports(module)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Edges module -> project module it imports (TYPE_CHECKING imports included: they are cycles too)."""
    paths = {_module_name(p): p for folder in ("engine", "web") for p in _modules(folder)
             if "migrations" not in p.parts}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                edges |= {alias.name for alias in node.names if alias.name in paths}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                submodules = {f"{node.module}.{alias.name}" for alias in node.names} & paths.keys()
                edges |= submodules or ({node.module} & paths.keys())
        graph[name] = edges - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan, iterative enough for our size)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_engine_never_imports_web() -> None:
    offenders = [name for name, edges in _import_graph().items()
                 if name.startswith("engine") and any(edge.split(".")[0] == "web" for edge in edges)]
    offenders += [str(p.relative_to(ROOT)) for p in _modules("engine")
                  if any(name.split(".")[0] == "web" for name in _imports(p))]
    assert offenders == []


def test_no_import_cycles_between_modules() -> None:
    assert _cycles(_import_graph()) == []


def test_the_cycle_check_sees_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_package_says_what_it_owns() -> None:
    missing = [str(p.relative_to(ROOT)) for folder in ("engine", "web") for p in _modules(folder)
               if p.name == "__init__.py" and "migrations" not in p.parts
               and not ast.get_docstring(ast.parse(p.read_text("utf-8")))]
    assert missing == []
