"""What base.html needs on every page: the actor, the menu, demo mode, CSRF field, local dates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask

from web.context import current_actor, services
from web.csrf import csrf_field, csrf_token
from web.navigation import nav_links

APP_NAME = "Mesa de Ayuda"


def local_datetime(value: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """Template filter `fecha`: an instant in the help desk's time zone (MESA_TIMEZONE); '' for None."""
    if value is None:
        return ""
    return value.astimezone(services().settings.timezone).strftime(pattern)


def _layout_context() -> dict[str, Any]:
    actor = current_actor()
    demo = services().settings.demo_mail
    return {"app_name": APP_NAME, "actor": actor, "demo": demo, "nav": nav_links(actor, demo=demo)}


def register_layout(app: Flask) -> None:
    """Context processor, globals and filters for every template."""
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.context_processor(_layout_context)
    app.add_template_global(csrf_field)
    app.add_template_global(csrf_token)
    app.add_template_filter(local_datetime, "fecha")
