"""What every view needs: the engine services, the signed-in actor, and the access decorators."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec

from flask import current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import Forbidden, Unauthorized

from engine.services.context import ServiceContext
from engine.services.errors import NotFoundError
from engine.services.people.users import actor_for_token, get_actor
from engine.services.views import Actor

API_PREFIX = "/api/v1"
EXTENSION = "mesa"
# Bump to sign everybody out when what the session holds changes meaning.
SESSION_VERSION = 1
SESSION_USER = "usuario"
SESSION_VERSION_KEY = "v"

P = ParamSpec("P")


def services() -> ServiceContext:
    """The ServiceContext of this app (pass it to every engine service call)."""
    ctx: ServiceContext = current_app.extensions[EXTENSION]
    return ctx


def is_api_request() -> bool:
    """True for /api/v1 routes: Bearer tokens, JSON errors, no cookies, no CSRF."""
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def current_actor() -> Actor | None:
    """The signed-in actor, reloaded from the database once per request (None when anonymous)."""
    if "mesa_actor" not in g:
        g.mesa_actor = _bearer_actor() if is_api_request() else _session_actor()
    actor: Actor | None = g.mesa_actor
    return actor


def _session_actor() -> Actor | None:
    username = session.get(SESSION_USER)
    if not isinstance(username, str):
        return None
    if session.get(SESSION_VERSION_KEY) != SESSION_VERSION:
        session.clear()
        return None
    try:
        return get_actor(services(), username)
    except NotFoundError:
        # Deactivated or deleted since sign-in: out at once, not when the cookie expires.
        session.clear()
        return None


def _bearer_actor() -> Actor | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return actor_for_token(services(), token.strip())


def login_required(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Anonymous visitors go to the sign-in page (API callers get 401)."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if current_actor() is None:
            return _unauthenticated()
        return view(*args, **kwargs)

    return wrapped


View = Callable[P, ResponseReturnValue]


def permission_required(allowed: Callable[[Actor], bool]) -> Callable[[View[P]], View[P]]:
    """Like login_required, and the permission policy's `allowed(actor)` must say yes (else 403)."""

    def decorator(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            actor = current_actor()
            if actor is None:
                return _unauthenticated()
            if not allowed(actor):
                raise Forbidden()
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _unauthenticated() -> ResponseReturnValue:
    if is_api_request():
        raise Unauthorized()
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
