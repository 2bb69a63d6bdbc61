"""Session cookie settings, the secret key that signs it, and security headers on every response."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.config import Settings

# Measured in headless Chromium with the deployed forms (every field type, date picker included) and the
# diagram with markers and overlays: form-js and bpmn-js, served from /static/vendor, raise no violation.
# They style elements through the CSSOM, which style-src does not restrict, and evaluate FEEL without eval:
# neither 'unsafe-inline' nor 'unsafe-eval' is needed.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def configure(app: Flask, settings: Settings, overrides: Mapping[str, Any]) -> None:
    """Session cookie, secret key, trusted proxies and headers; `overrides` (tests) win over the settings."""
    app.config.from_mapping(SESSION_COOKIE_NAME="mesa_sesion", SESSION_COOKIE_HTTPONLY=True,
                            SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=timedelta(hours=8))
    app.config.from_mapping(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.secret_key or instance_secret_key(settings.instance_path)
    if "SESSION_COOKIE_SECURE" not in overrides:
        secure = settings.secure_cookies
        app.config["SESSION_COOKIE_SECURE"] = not (app.debug or app.testing) if secure is None else secure
    if settings.trusted_proxies:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """after_request hook: the headers above, and no caching of pages that may hold personal data."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype in ("text/html", "application/json"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def instance_secret_key(instance_path: Path) -> str:
    """The key kept in instance/secret_key (mode 0600), created on first use so sessions survive restarts."""
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as file:
                file.write(secrets.token_urlsafe(48))
            # link() never replaces: when several workers start at once, the first key written wins for all.
            with contextlib.suppress(FileExistsError):
                os.link(temp, path)
        finally:
            os.unlink(temp)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} debe contener una clave de al menos 32 caracteres (o defina MESA_SECRET_KEY)")
    return key
