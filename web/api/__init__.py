"""The JSON API under /api/v1: Bearer tokens, JSON errors, engine views as JSON, an OpenAPI document.

Register `bp` on the app and exempt it from CSRF (callers authenticate with tokens, never cookies).
The ServiceContext is read from app.config["MESA_CONTEXT"] when set, else app.extensions["mesa"].
"""

from __future__ import annotations

from flask import Blueprint, Response

from web.api import audit, cases, deployments, export, helpdesk_protocol, helpdesks, meta, tasks
from web.api.bearer import authenticate
from web.api.errors import register_error_handlers

API_PREFIX = "/api/v1"


def _no_store(response: Response) -> Response:
    # Answers carry personal data: no shared or browser cache keeps them.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _build() -> Blueprint:
    blueprint = Blueprint("api", __name__, url_prefix=API_PREFIX)
    blueprint.before_request(authenticate)
    blueprint.after_request(_no_store)
    register_error_handlers(blueprint)
    for feature in (meta.bp, cases.bp, tasks.bp, export.bp, audit.bp, deployments.bp, helpdesks.bp,
                    helpdesk_protocol.bp):
        blueprint.register_blueprint(feature)
    return blueprint


bp = _build()

__all__ = ["API_PREFIX", "bp"]
