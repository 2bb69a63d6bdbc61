"""Architecture rules that a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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


def test_only_engine_workflow_imports_spiffworkflow() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("engine", "web")
        for path in _modules(folder)
        if "workflow" not in path.relative_to(ROOT / folder).parts[:1]
        and any(name.split(".")[0] == "SpiffWorkflow" for name in _imports(path))
    ]
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
