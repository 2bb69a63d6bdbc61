"""Process owners on the web: deployed processes, a process's versions, a version's diagram, diffs, upload
and the migration of open cases between versions (web/migration_page.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from engine.deployment import DeploymentError, DeploymentProblem, SourceFile
from engine.services.errors import NotFoundError
from engine.services.people import policy
from engine.services.processes import deploy as engine_deploy
from engine.services.processes.versions import get_version, version_diff
from web import migration_page
from web.context import current_actor, permission_required, services

bp = Blueprint("processes", __name__, url_prefix="/procesos")
may_deploy = permission_required(policy.may_deploy)
bp.add_url_rule("/<process_id>/migrar", "migrate", may_deploy(migration_page.show), methods=("GET",))
bp.add_url_rule("/<process_id>/migrar", "migrate_run", may_deploy(migration_page.run), methods=("POST",))


@dataclass
class Upload:
    """What the upload form shows again after a refusal: the problems and the file names sent."""

    problems: list[DeploymentProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    message: str = ""


@bp.get("/")
@permission_required(policy.reads_processes)
def index() -> ResponseReturnValue:
    """Every deployed process with its versions, newest first."""
    rows = engine_deploy.list_deployments(services())
    processes = [(process_id, list(versions)) for process_id, versions in groupby(rows, lambda r: r.process_id)]
    return render_template("processes/index.html", processes=processes, may_deploy=_may_deploy())


@bp.route("/desplegar", methods=["GET", "POST"])
@permission_required(policy.may_deploy)
def upload() -> ResponseReturnValue:
    """The upload form (one .bpmn and its .form files); deploys on POST."""
    if request.method == "GET":
        return render_template("processes/upload.html", upload=Upload())
    bpmn = [f for f in request.files.getlist("bpmn") if f.filename]
    forms = [_source(f) for f in request.files.getlist("forms") if f.filename]
    if len(bpmn) != 1:
        return render_template("processes/upload.html", upload=Upload(
            message="Elija exactamente un archivo .bpmn.")), 422
    actor = current_actor()
    assert actor is not None
    try:
        deployed = engine_deploy.deploy(services(), actor.username, _source(bpmn[0]), forms)
    except DeploymentError as error:
        sent = [bpmn[0].filename or "", *(f.name for f in forms)]
        return render_template("processes/upload.html", upload=Upload(error.problems, sent)), 422
    if deployed.created:
        flash(f"Versión {deployed.version} desplegada.", "success")
    else:
        flash(f"Sin cambios: contenido idéntico a la versión {deployed.version}.", "info")
    return redirect(url_for("processes.versions", process_id=deployed.process_id))


@bp.get("/<process_id>")
@permission_required(policy.reads_processes)
def versions(process_id: str) -> ResponseReturnValue:
    """A process's versions: number, who, when, content hash, open and closed cases; and the diff form."""
    rows = engine_deploy.list_deployments(services(), process_id)
    if not rows:
        raise NotFoundError(f"el proceso «{process_id}» no está desplegado")
    return render_template("processes/versions.html", process_id=process_id, rows=rows, may_deploy=_may_deploy())


@bp.get("/<process_id>/<int:version>")
@permission_required(policy.reads_processes)
def version_page(process_id: str, version: int) -> ResponseReturnValue:
    """One version's diagram (bpmn-js) with its details."""
    detail = get_version(services(), process_id, version)
    return render_template("processes/version.html", detail=detail, view=detail.view)


@bp.get("/<process_id>/<int:version>/diagrama.json")
@permission_required(policy.reads_processes)
def diagram(process_id: str, version: int) -> ResponseReturnValue:
    """The version's BPMN for diagram.js (no markers: a plain diagram)."""
    return jsonify(xml=get_version(services(), process_id, version).bpmn_xml, completed=[], active=[])


@bp.get("/<process_id>/diff")
@permission_required(policy.reads_processes)
def diff(process_id: str) -> ResponseReturnValue:
    """Elements added, removed and changed between versions «de» and «a»."""
    start, end = _version_arg("de"), _version_arg("a")
    if start is None or end is None:
        flash("Elija dos versiones para compararlas.", "error")
        return redirect(url_for("processes.versions", process_id=process_id))
    found = version_diff(services(), process_id, start, end)
    return render_template("processes/diff.html", diff=found, process_id=process_id)


def _version_arg(name: str) -> int | None:
    return migration_page.version_number(request.args.get(name, ""))


def _source(upload: FileStorage) -> SourceFile:
    return SourceFile(upload.filename or "", upload.read())


def _may_deploy() -> bool:
    actor = current_actor()
    return actor is not None and policy.may_deploy(actor)
