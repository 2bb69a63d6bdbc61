"""CSRF protection for forms: one random token per session, sent back as a field or a header."""

from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session
from markupsafe import Markup, escape

from web.context import is_api_request
from web.errors import CSRF_MESSAGE, error_response

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SESSION_KEY = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def csrf_token() -> str:
    """This session's token (created on first use)."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def csrf_field() -> Markup:
    """The hidden input every state-changing form must carry: {{ csrf_field() }}."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, escape(csrf_token()))


def check_csrf() -> None:
    """before_request hook: refuse a state-changing request without this session's token (400)."""
    # The API authenticates with Bearer tokens and ignores cookies, so a forged request carries no credentials.
    if request.method in SAFE_METHODS or is_api_request():
        return
    expected = session.get(SESSION_KEY)
    sent = request.form.get(FIELD) or request.headers.get(HEADER) or ""
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), sent.encode()):
        abort(error_response(400, CSRF_MESSAGE))
