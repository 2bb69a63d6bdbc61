"""What the API offers: the deployed processes and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from engine.services.processes import deploy
from web.api.bearer import public, services
from web.api.openapi import document
from web.api.serialize import processes_json

bp = Blueprint("meta", __name__)


@bp.get("/openapi.json")
@public
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3.1 document (no token needed)."""
    return jsonify(document())


@bp.get("/processes")
def list_processes() -> ResponseReturnValue:
    """Deployed processes with their versions, newest first."""
    return jsonify(processes_json(deploy.list_deployments(services())))
