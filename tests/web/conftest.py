"""Web fixtures: the app over the deployed process and the demo users; helpers to sign in."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine.services.context import ServiceContext
from tests.web.api_support import Api
from web import create_app


def make_app(ctx: ServiceContext, **config: Any) -> Flask:
    """An app over `ctx` in test mode (config overrides Flask settings)."""
    return create_app({"TESTING": True, "SECRET_KEY": "clave-de-pruebas", "MESA_CONTEXT": ctx, **config})


def with_settings(ctx: ServiceContext, **changes: Any) -> ServiceContext:
    """The same services with some settings changed (e.g. demo_mail=True)."""
    return dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, **changes))


@pytest.fixture
def app(sqlite_ctx: ServiceContext) -> Flask:
    """The app over SQLite with the process deployed and the demo users."""
    return make_app(sqlite_ctx)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like client of the app."""
    return app.test_client()


def csrf_token(client: FlaskClient) -> str:
    """The client's session CSRF token (any page with a form creates it)."""
    with client.session_transaction() as session:
        token = session.get("csrf")
    if token is None:
        client.get("/login", follow_redirects=True)
        with client.session_transaction() as session:
            token = session["csrf"]
    assert isinstance(token, str)
    return token


def post(client: FlaskClient, path: str, data: Mapping[str, str] | None = None, **kwargs: Any) -> TestResponse:
    """POST a form with the session's CSRF token."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)


def login(client: FlaskClient, user: str, password: str | None = None, **form: str) -> TestResponse:
    """Sign in through the form as a demo user (password = user name unless given)."""
    return post(client, "/login", {"username": user, "password": user if password is None else password, **form})


@pytest.fixture
def api(ctx: ServiceContext) -> Api:
    """The API over SQLite and PostgreSQL."""
    return Api(ctx)


@pytest.fixture
def lite(sqlite_ctx: ServiceContext) -> Api:
    """The API over SQLite (for what the database does not change)."""
    return Api(sqlite_ctx)
