"""Deployments over the API: upload a version (multipart), list a process's versions, diff two versions."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import Forbidden

from engine.deployment import DeploymentError, SourceFile
from engine.services.errors import NotFoundError
from engine.services.people import policy
from engine.services.processes import deploy as engine_deploy
from engine.services.processes.deploy import DeploymentView
from engine.services.processes.versions import ElementChange, ElementSummary, VersionDiff, version_diff
from engine.services.views import Actor
from web.api import params
from web.api.bearer import actor, services
from web.api.errors import api_error
from web.api.serialize import JsonObject, instant

bp = Blueprint("deployments", __name__)
MAX_VERSION = 1_000_000
REFUSED = "El despliegue fue rechazado; no se guardó nada. Vea «problems»."


def _require(allowed: Callable[[Actor], bool]) -> None:
    if not allowed(actor()):
        raise Forbidden()


@bp.post("/deployments")
def create_deployment() -> ResponseReturnValue:
    """Deploy one .bpmn (field bpmn) with its .form files (field forms): 201 new, 200 identical, 422 refused."""
    _require(policy.may_deploy)
    bpmn_files = [f for f in request.files.getlist("bpmn") if f.filename]
    if len(bpmn_files) != 1:
        return api_error(422, errors={"bpmn": ["Envíe exactamente un archivo .bpmn en el campo «bpmn»."]})
    forms = [source(f) for f in request.files.getlist("forms") if f.filename]
    try:
        deployed = engine_deploy.deploy(services(), actor().username, source(bpmn_files[0]), forms)
    except DeploymentError as error:
        return api_error(422, REFUSED, errors={"deployment": [str(p) for p in error.problems]},
                         problems=[p.as_dict() for p in error.problems])
    return jsonify(deployment_json(deployed)), 201 if deployed.created else 200


@bp.get("/processes/<process_id>/versions")
def list_versions(process_id: str) -> ResponseReturnValue:
    """A process's versions, newest first, with their open and closed cases."""
    _require(policy.reads_processes)
    params.query(())
    found = engine_deploy.list_deployments(services(), process_id)
    if not found:
        raise NotFoundError(f"el proceso «{process_id}» no está desplegado")
    return jsonify([version_json(row) for row in found])


@bp.get("/processes/<process_id>/diff")
def diff_versions(process_id: str) -> ResponseReturnValue:
    """Elements added, removed and changed from version `from` to version `to`."""
    _require(policy.reads_processes)
    args = params.query(("from", "to"))
    if "from" not in args or "to" not in args:
        return api_error(400, "Indique las dos versiones: «from» y «to».")
    start = params.integer(args, "from", 1, 1, MAX_VERSION)
    end = params.integer(args, "to", 1, 1, MAX_VERSION)
    return jsonify(diff_json(version_diff(services(), process_id, start, end)))


def source(upload: FileStorage) -> SourceFile:
    """An uploaded file as the deployment's input."""
    return SourceFile(upload.filename or "", upload.read())


def deployment_json(row: DeploymentView) -> JsonObject:
    """{"process_id", "version", "created"} of a deployment."""
    return {"process_id": row.process_id, "version": row.version, "created": row.created}


def version_json(row: DeploymentView) -> JsonObject:
    """A version with who deployed it, when, its content hash, its forms and its case counts."""
    return {"version": row.version, "deployment_id": row.id, "name": row.name, "content_hash": row.content_hash,
            "deployed_by": row.deployed_by, "deployed_at": instant(row.deployed_at), "forms": list(row.forms),
            "open_cases": row.open_cases, "closed_cases": row.closed_cases}


def _summary_json(element: ElementSummary) -> JsonObject:
    return {"element_id": element.element_id, "type": element.type, "name": element.name}


def _change_json(change: ElementChange) -> JsonObject:
    return {"element_id": change.element_id, "type": change.type, "name": change.name,
            "changes": [{"field": c.field, "before": c.before, "after": c.after} for c in change.changes]}


def diff_json(diff: VersionDiff) -> JsonObject:
    """The diff of two versions as JSON."""
    return {"process_id": diff.process_id, "from": diff.from_version, "to": diff.to_version,
            "added": [_summary_json(e) for e in diff.added], "removed": [_summary_json(e) for e in diff.removed],
            "changed": [_change_json(c) for c in diff.changed]}
