"""Validate a BPMN file and its forms completely before anything is stored."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.deployment.problems import DeploymentError, DeploymentProblem
from engine.deployment.rules import RuleChecker
from engine.forms import FormDefinitionError, FormSchema, load_form
from engine.workflow.facade import ProcessSpec
from engine.workflow.parsing import ParseFailure, parse_process
from engine.xmlsafe import UnsafeXmlError, parse_xml


@dataclass(frozen=True)
class SourceFile:
    """A file handed over for deployment (CLI path, upload, API multipart)."""

    name: str
    content: bytes


@dataclass(frozen=True)
class ValidatedDeployment:
    """Everything needed to store a new version; produced only when there is no problem."""

    process_id: str
    name: str
    bpmn: SourceFile
    forms: dict[str, FormSchema]
    form_texts: dict[str, str]
    form_files: dict[str, str]
    process: ProcessSpec
    content_hash: str


def validate_deployment(bpmn: SourceFile, forms: Sequence[SourceFile], topics: Collection[str]) -> ValidatedDeployment:
    """Run every check; raise DeploymentError listing all problems found."""
    problems: list[DeploymentProblem] = []
    schemas, texts, files = _load_forms(forms, problems)
    try:
        tree = parse_xml(bpmn.content)
    except UnsafeXmlError as exc:
        raise DeploymentError([*problems, DeploymentProblem(bpmn.name, str(exc), None, exc.line)]) from exc
    checker = RuleChecker(tree, bpmn.name, topics, schemas.keys(), files)
    problems.extend(checker.run())
    if problems:
        raise DeploymentError(problems)
    process = _parse(tree, bpmn.name)
    linked = sorted(checker.linked_forms)
    return ValidatedDeployment(
        process_id=process.process_id,
        name=_process_name(tree, process.process_id),
        bpmn=bpmn,
        forms={form_id: schemas[form_id] for form_id in linked},
        form_texts={form_id: texts[form_id] for form_id in linked},
        form_files={name: form_id for name, form_id in files.items() if form_id in linked},
        process=process,
        content_hash=_content_hash(bpmn.content, {form_id: texts[form_id] for form_id in linked}),
    )


def _load_forms(
    forms: Sequence[SourceFile], problems: list[DeploymentProblem]
) -> tuple[dict[str, FormSchema], dict[str, str], dict[str, str]]:
    schemas: dict[str, FormSchema] = {}
    texts: dict[str, str] = {}
    files: dict[str, str] = {}
    for source in forms:
        try:
            text = source.content.decode("utf-8")
            schema = load_form(text, source.name)
        except UnicodeDecodeError:
            problems.append(DeploymentProblem(source.name, "el formulario no está en UTF-8"))
            continue
        except FormDefinitionError as exc:
            prefix = f"{source.name}: "
            problems.extend(DeploymentProblem(source.name, p.removeprefix(prefix)) for p in exc.problems)
            continue
        if schema.id in schemas:
            first = next(name for name, form_id in files.items() if form_id == schema.id)
            message = f"id de formulario '{schema.id}' repetido (ya está en {first})"
            problems.append(DeploymentProblem(source.name, message))
            continue
        schemas[schema.id], texts[schema.id] = schema, text
        files[source.name.rsplit("/", 1)[-1]] = schema.id
    return schemas, texts, files


def _parse(tree: etree._ElementTree, file: str) -> ProcessSpec:
    try:
        return parse_process(tree, file)
    except ParseFailure as exc:
        line = _line_of(tree, exc.element_id) if exc.element_id else None
        raise DeploymentError([DeploymentProblem(file, exc.message, exc.element_id, line)]) from exc


def _line_of(tree: etree._ElementTree, element_id: str) -> int | None:
    found: list[Any] = tree.xpath("//*[@id=$id]", id=element_id)
    return int(found[0].sourceline) if found else None


def _process_name(tree: etree._ElementTree, process_id: str) -> str:
    found: list[Any] = tree.xpath("//*[local-name()='process'][@id=$id]", id=process_id)
    return str(found[0].get("name") or process_id) if found else process_id


def _content_hash(bpmn: bytes, form_texts: dict[str, str]) -> str:
    digest = hashlib.sha256()
    digest.update(b"bpmn\0" + bpmn)
    for form_id in sorted(form_texts):
        digest.update(b"\0form\0" + form_id.encode() + b"\0" + form_texts[form_id].encode())
    return digest.hexdigest()
