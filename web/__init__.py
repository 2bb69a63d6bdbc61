"""Mesa de Ayuda on the web: the Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from engine.config import Settings
from engine.db.session import Database
from engine.services.context import ServiceContext


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The app over the engine services; tests pass MESA_CONTEXT (a ServiceContext) and Flask settings."""
    from web import (
        api,
        audit_case,
        audit_export,
        auth,
        csrf,
        errors,
        helpdesks,
        inbox,
        layout,
        mailbox,
        main,
        portal,
        processes,
        security,
    )
    from web.authn import authenticator_for
    from web.context import EXTENSION

    overrides = dict(test_config or {})
    ctx: ServiceContext | None = overrides.pop("MESA_CONTEXT", None)
    if ctx is None:
        settings = Settings.from_env()
        ctx = ServiceContext(Database(settings.database_url), settings)
    app = Flask(__name__, instance_path=str(ctx.settings.instance_path))
    security.configure(app, ctx.settings, overrides)
    app.extensions[EXTENSION] = ctx
    app.extensions[auth.AUTHENTICATOR] = overrides.get("MESA_AUTHENTICATOR") or authenticator_for(ctx)
    app.before_request(csrf.check_csrf)
    errors.register_error_handlers(app)
    layout.register_layout(app)
    # One blueprint per feature: add yours to this list.
    for blueprint in (auth.bp, main.bp, mailbox.bp, api.bp, inbox.bp, portal.bp, audit_export.bp, processes.bp,
                      audit_case.bp, helpdesks.bp):
        app.register_blueprint(blueprint)
    return app
