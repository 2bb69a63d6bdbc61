"""Who calls the API: Bearer tokens, the ServiceContext, public views and the request body limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Response, current_app, g, request

from engine.services.context import ServiceContext
from engine.services.people.users import actor_for_token
from engine.services.views import Actor
from web.api.errors import api_error

MAX_BODY = 1024 * 1024
MAX_BODY_KEY = "MESA_API_MAX_BODY"
CONTEXT_KEY = "MESA_CONTEXT"
EXTENSION = "mesa"
REALM = 'Bearer realm="mesa-de-ayuda"'
MISSING_TOKEN = "Falta el token de API: envíe la cabecera «Authorization: Bearer <token>»."
INVALID_TOKEN = "El token de API no es válido o su usuario está inactivo."
_PUBLIC = "_api_public"

View = TypeVar("View", bound=Callable[..., object])


def services() -> ServiceContext:
    """The app's ServiceContext: config MESA_CONTEXT when set, else the "mesa" extension."""
    ctx = current_app.config.get(CONTEXT_KEY) or current_app.extensions.get(EXTENSION)
    if not isinstance(ctx, ServiceContext):
        raise RuntimeError("la aplicación no tiene ServiceContext (MESA_CONTEXT o extensions['mesa'])")
    return ctx


def actor() -> Actor:
    """The actor authenticated for this request (views behind the token check only)."""
    current: Actor = g.api_actor
    return current


def public(view: View) -> View:
    """Mark a view as readable without a token."""
    setattr(view, _PUBLIC, True)
    return view


def authenticate() -> Response | None:
    """Before every API request: cap the body size and require a valid Bearer token (except public views)."""
    request.max_content_length = int(current_app.config.get(MAX_BODY_KEY, MAX_BODY))
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, _PUBLIC, False):
        return None
    token = bearer_token()
    if token is None:
        return api_error(401, MISSING_TOKEN, headers={"WWW-Authenticate": REALM})
    found = actor_for_token(services(), token)
    if found is None:
        return api_error(401, INVALID_TOKEN, headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
    g.api_actor = found
    return None


def bearer_token() -> str | None:
    """The token of an «Authorization: Bearer ...» header, or None."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or any(c.isspace() for c in token):
        return None
    return token
