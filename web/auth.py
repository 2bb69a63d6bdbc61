"""Sign in and out: local accounts, a session holding only the user name, throttled failures."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from engine.services.people import throttle
from engine.services.views import Actor
from web.authn import Authenticator
from web.context import SESSION_USER, SESSION_VERSION, SESSION_VERSION_KEY, current_actor, services

bp = Blueprint("auth", __name__)
AUTHENTICATOR = "mesa_authenticator"
BAD_CREDENTIALS = "Usuario o contraseña incorrectos."


@bp.route("/login", methods=("GET", "POST"))
def login() -> ResponseReturnValue:
    """Show the sign-in form, or check the credentials and start a session."""
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_actor() is not None:
            return redirect(next_url or url_for("main.home"))
        return render_template("auth/login.html", next=next_url, username="")
    username = request.form.get("username", "").strip().lower()
    keys = throttle.login_keys(username, request.remote_addr)
    wait = throttle.blocked_for(services(), keys)
    if wait:
        return _too_many_attempts(wait, username, next_url)
    actor = authenticator().authenticate(username, request.form.get("password", ""))
    if actor is None:
        throttle.record_failure(services(), keys)
        return render_template("auth/login.html", next=next_url, username=username, error=BAD_CREDENTIALS)
    # Only the user-name key: forgetting the address would let one valid account reset an attacker's count.
    throttle.forget(services(), keys[:1])
    start_session(actor)
    return redirect(next_url or url_for("main.home"))


@bp.route("/logout", methods=("POST",))
def logout() -> ResponseReturnValue:
    """End the session (POST with the CSRF token, so no link or image can sign anybody out)."""
    session.clear()
    flash("Cerró la sesión.", "info")
    return redirect(url_for("auth.login"))


def start_session(actor: Actor) -> None:
    """A fresh session for the actor (a new cookie and CSRF token: no session fixation)."""
    session.clear()
    session[SESSION_USER] = actor.username
    session[SESSION_VERSION_KEY] = SESSION_VERSION
    session.permanent = True
    g.mesa_actor = actor


def authenticator() -> Authenticator:
    """The app's Authenticator (chosen by MESA_AUTH, or injected by tests)."""
    chosen: Authenticator = current_app.extensions[AUTHENTICATOR]
    return chosen


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site; None for anything that could leave it (open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def _too_many_attempts(wait: int, username: str, next_url: str | None) -> ResponseReturnValue:
    minutes = max(1, -(-wait // 60))
    message = (f"Demasiados intentos fallidos. Espere {minutes} minuto{'s' if minutes > 1 else ''} "
               "antes de volver a intentar.")
    page = render_template("auth/login.html", next=next_url, username=username, error=message)
    return page, 429, {"Retry-After": str(wait)}
