"""Deployed versions of a process: one version's files and counts, and the diff between two versions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree
from sqlalchemy import func, select

from engine.db.models import Case, Deployment
from engine.deployment.rules import form_id_from_attributes
from engine.services.context import ServiceContext
from engine.services.errors import NotFoundError, ServiceError
from engine.services.processes.deploy import DeploymentView
from engine.xmlsafe import parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
CONTAINERS = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})
NOT_ELEMENTS = frozenset({"laneSet", "extensionElements", "documentation", "ioSpecification", "property"})
TIMER_PARTS = ("timeDuration", "timeDate", "timeCycle")
Signature = dict[str, str]


@dataclass(frozen=True)
class VersionDetail:
    """One deployed version: its row (with case counts), its BPMN text and its forms by id."""

    view: DeploymentView
    bpmn_xml: str
    forms: dict[str, str]


@dataclass(frozen=True)
class ElementSummary:
    """An element that exists in only one of the two versions."""

    element_id: str
    type: str
    name: str


@dataclass(frozen=True)
class FieldChange:
    """One compared aspect of an element, before and after ("" when absent)."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class ElementChange:
    """An element present in both versions whose compared aspects differ."""

    element_id: str
    type: str
    name: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class VersionDiff:
    """What changed from one version of a process to another, by element id."""

    process_id: str
    from_version: int
    to_version: int
    added: tuple[ElementSummary, ...]
    removed: tuple[ElementSummary, ...]
    changed: tuple[ElementChange, ...]

    @property
    def is_empty(self) -> bool:
        """True when both versions have the same elements with the same aspects."""
        return not (self.added or self.removed or self.changed)


def get_version(ctx: ServiceContext, process_id: str, version: int) -> VersionDetail:
    """One version of a process with its BPMN, its forms and its open and closed cases."""
    with ctx.db.read() as session:
        row = _row(session, process_id, version)
        counts: dict[bool, int] = {is_open: n for is_open, n in session.execute(
            select(Case.is_open, func.count()).where(Case.deployment_id == row.id).group_by(Case.is_open))}
        stored = json.loads(row.forms_json)
        view = DeploymentView(row.id, row.process_id, row.name, row.version, row.content_hash, row.deployed_by,
                              row.deployed_at, False, tuple(sorted(stored["forms"])),
                              counts.get(True, 0), counts.get(False, 0))
        return VersionDetail(view, row.bpmn_xml, dict(stored["forms"]))


def version_diff(ctx: ServiceContext, process_id: str, from_version: int, to_version: int) -> VersionDiff:
    """Elements added, removed and changed from one version to another."""
    with ctx.db.read() as session:
        before = _signatures(_row(session, process_id, from_version), process_id)
        after = _signatures(_row(session, process_id, to_version), process_id)
    added = tuple(_summary(key, after[key]) for key in sorted(after.keys() - before.keys()))
    removed = tuple(_summary(key, before[key]) for key in sorted(before.keys() - after.keys()))
    changed = tuple(change for key in sorted(before.keys() & after.keys())
                    if (change := _change(key, before[key], after[key])) is not None)
    return VersionDiff(process_id, from_version, to_version, added, removed, changed)


def _row(session: Any, process_id: str, version: int) -> Deployment:
    row: Deployment | None = session.scalar(select(Deployment).where(
        Deployment.process_id == process_id, Deployment.version == version))
    if row is None:
        raise NotFoundError(f"el proceso «{process_id}» no tiene versión {version}")
    return row


def _summary(element_id: str, signature: Signature) -> ElementSummary:
    return ElementSummary(element_id, signature.get("type", ""), signature.get("name", ""))


def _change(element_id: str, before: Signature, after: Signature) -> ElementChange | None:
    fields = sorted(before.keys() | after.keys())
    changes = tuple(FieldChange(name, before.get(name, ""), after.get(name, ""))
                    for name in fields if before.get(name, "") != after.get(name, ""))
    if not changes:
        return None
    return ElementChange(element_id, after.get("type", ""), after.get("name", "") or before.get("name", ""), changes)


def _signatures(row: Deployment, process_id: str) -> dict[str, Signature]:
    """Every flow element of the stored BPMN, by id, with the aspects the diff compares."""
    tree = parse_xml(row.bpmn_xml.encode("utf-8"))
    found: list[Any] = tree.xpath("//*[local-name()='process'][@id=$id]", id=process_id)
    if not found:
        raise ServiceError(f"la versión {row.version} no contiene el proceso «{process_id}»")
    stored = json.loads(row.forms_json)
    forms: dict[str, str] = stored["forms"]
    lanes = _lanes(found[0])
    links = _links(found[0])
    return {element.get("id"): _signature(element, lanes, links, forms, stored["files"])
            for element in _flow_elements(found[0])}


def _local(element: Any) -> str:
    return str(etree.QName(element).localname) if isinstance(element.tag, str) else ""


def _bpmn_children(element: Any) -> Iterator[Any]:
    return (child for child in element if isinstance(child.tag, str) and etree.QName(child).namespace == BPMN_NS)


def _flow_elements(container: Any) -> Iterator[Any]:
    for child in _bpmn_children(container):
        if _local(child) in NOT_ELEMENTS or not child.get("id"):
            continue
        yield child
        if _local(child) in CONTAINERS:
            yield from _flow_elements(child)


def _lanes(process: Any) -> dict[str, str]:
    lanes: dict[str, str] = {}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.iterfind(f"{{{BPMN_NS}}}flowNodeRef"):
            lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id") or ""
    return lanes


def _links(process: Any) -> dict[str, dict[str, list[str]]]:
    """Incoming and outgoing sequence flows of each node, from the flows' sourceRef and targetRef."""
    links: dict[str, dict[str, list[str]]] = {}
    for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        links.setdefault(flow.get("sourceRef", ""), {}).setdefault("outgoing", []).append(flow.get("id", ""))
        links.setdefault(flow.get("targetRef", ""), {}).setdefault("incoming", []).append(flow.get("id", ""))
    return links


def _signature(element: Any, lanes: Mapping[str, str], links: Mapping[str, dict[str, list[str]]],
               forms: Mapping[str, str], files: Mapping[str, str]) -> Signature:
    element_id = element.get("id")
    signature: Signature = {"type": _local(element), "name": element.get("name") or ""}
    signature.update(_attributes(element))
    if element_id in lanes:
        signature["lane"] = lanes[element_id]
    for direction, flows in links.get(element_id, {}).items():
        signature[direction] = ", ".join(sorted(flows))
    signature.update(_properties(element))
    signature.update(_definitions(element))
    form = _form_hash(element, forms, files)
    if form:
        signature["form"] = form
    return signature


def _attributes(element: Any) -> Signature:
    """Every attribute but id and name: camunda:* by their prefixed name, BPMN ones (default, refs) plainly."""
    found: Signature = {}
    for key, value in element.attrib.items():
        qname = etree.QName(key)
        if qname.namespace == CAMUNDA_NS:
            found[f"camunda:{qname.localname}"] = value
        elif qname.namespace is None and qname.localname not in ("id", "name"):
            found[qname.localname] = value
    return found


def _properties(element: Any) -> Signature:
    return {f"propiedad {prop.get('name')}": prop.get("value") or ""
            for prop in element.iterfind(f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}properties/"
                                         f"{{{CAMUNDA_NS}}}property")}


def _definitions(element: Any) -> Signature:
    """Condition, event definitions and timer expressions."""
    found: Signature = {}
    condition = element.find(f"{{{BPMN_NS}}}conditionExpression")
    if condition is not None:
        found["condición"] = (condition.text or "").strip()
    kinds = [_local(child) for child in _bpmn_children(element) if _local(child).endswith("EventDefinition")]
    if kinds:
        found["eventos"] = ", ".join(kinds)
    for timer in element.iterfind(f"{{{BPMN_NS}}}timerEventDefinition"):
        for part in _bpmn_children(timer):
            if _local(part) in TIMER_PARTS:
                found[f"temporizador {_local(part)}"] = (part.text or "").strip()
    return found


def _form_hash(element: Any, forms: Mapping[str, str], files: Mapping[str, str]) -> str:
    """SHA-256 of the linked Camunda Form's content ("" when none is linked)."""
    form_id, _ = form_id_from_attributes(element.get(f"{{{CAMUNDA_NS}}}formRef"),
                                         element.get(f"{{{CAMUNDA_NS}}}formKey"), forms.keys(), files)
    if not form_id or form_id not in forms:
        return ""
    return hashlib.sha256(forms[form_id].encode("utf-8")).hexdigest()
