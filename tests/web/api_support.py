"""Helpers for the /api/v1 tests: an app with the API blueprint, a client per demo user, OpenAPI checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine.services.context import ServiceContext
from engine.services.people.users import issue_token
from tests.helpers import REPORT, REVIEW
from web import create_app
from web.api import API_PREFIX
from web.api.openapi import document

HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


def api_app(ctx: ServiceContext) -> Flask:
    """The real application (security headers, CSRF hook and all) over the test's services."""
    return create_app({"TESTING": True, "SECRET_KEY": "clave-de-pruebas", "MESA_CONTEXT": ctx})


class Api:
    """Calls /api/v1 as users, each with an API token of their own (issued on first use)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.app = api_app(ctx)
        self.client: FlaskClient = self.app.test_client()
        self._tokens: dict[str, str] = {}

    def headers(self, user: str | None) -> dict[str, str]:
        """The Authorization header of a user (none for None)."""
        if user is None:
            return {}
        if user not in self._tokens:
            self._tokens[user] = issue_token(self.ctx, user)
        return {"Authorization": f"Bearer {self._tokens[user]}"}

    def get(self, user: str | None, path: str, **query: Any) -> TestResponse:
        """GET an API path (relative to /api/v1) as a user."""
        return self.client.get(API_PREFIX + path, query_string=query, headers=self.headers(user))

    def post(self, user: str | None, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        """POST JSON (when a body is given) to an API path as a user."""
        if body is not None:
            kwargs["json"] = body
        return self.client.post(API_PREFIX + path, headers=self.headers(user), **kwargs)


def expect(response: TestResponse, status: int, schema: str | None = None) -> Any:
    """Assert the status, and that the JSON (or every item of a JSON array) matches a documented schema."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:2000])
    assert response.mimetype == "application/json"
    body = response.get_json()
    if schema is not None:
        component = {"$ref": f"#/components/schemas/{schema}"}
        problems = violations(body, {"type": "array", "items": component} if isinstance(body, list) else component)
        assert problems == [], problems
    return body


def expect_error(response: TestResponse, status: int) -> str:
    """Assert a JSON error of the documented shape; return its message."""
    body = expect(response, status, "ValidationError" if status == 422 else "Error")
    assert body["error"] and "Traceback" not in body["error"]
    message: str = body["error"]
    return message


def field_errors(response: TestResponse) -> dict[str, list[str]]:
    """The per-field messages of a 422."""
    errors: dict[str, list[str]] = expect(response, 422, "ValidationError")["errors"]
    return errors


def resolve(reference: str, doc: dict[str, Any] | None = None) -> Any:
    """The part of the OpenAPI document a local $ref points to."""
    node: Any = doc or document()
    for part in reference.removeprefix("#/").split("/"):
        node = node[part]
    return node


_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict, "array": list, "string": str, "integer": int, "number": (int, float), "boolean": bool,
    "null": type(None),
}


def _is(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, _TYPES[kind])


def violations(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Where a JSON value breaks a schema (the subset the document uses: $ref, oneOf, type, enum, objects)."""
    if "$ref" in schema:
        return violations(value, resolve(schema["$ref"]), where)
    if "oneOf" in schema:
        matches = sum(not violations(value, option, where) for option in schema["oneOf"])
        return [] if matches == 1 else [f"{where}: cumple {matches} alternativas de oneOf"]
    kinds = schema.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if kinds and not any(_is(value, kind) for kind in kinds):
        return [f"{where}: {value!r} no es {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} no está en {schema['enum']}"]
    if schema.get("format") == "date-time" and isinstance(value, str) and datetime.fromisoformat(value).tzinfo is None:
        return [f"{where}: {value!r} no tiene desfase"]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in violations(item, schema.get("items", {}), f"{where}[{i}]")]
    return _object_violations(value, schema, where) if isinstance(value, dict) else []


def _object_violations(value: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    problems = [f"{where}: falta «{key}»" for key in schema.get("required", []) if key not in value]
    properties, extra = schema.get("properties", {}), schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            problems += violations(item, properties[key], f"{where}.{key}")
        elif extra is False:
            problems.append(f"{where}: sobra «{key}»")
        elif isinstance(extra, dict):
            problems += violations(item, extra, f"{where}.{key}")
    return problems


def flask_routes(app: Flask) -> dict[str, set[str]]:
    """The API blueprint's routes as OpenAPI paths (relative to /api/v1) with their methods."""
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule).removeprefix(API_PREFIX)
            routes.setdefault(path, set()).update((rule.methods or set()) & HTTP_METHODS)
    return routes


def references(node: Any) -> Iterator[str]:
    """Every $ref in a part of the document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def start(api: Api, user: str = "solicitante", **changes: Any) -> dict[str, Any]:
    """Report a case (the demo report, with changes) through the API and return it."""
    case: dict[str, Any] = expect(api.post(user, "/cases", {"data": {**REPORT, **changes}}), 201, "Case")
    return case


def review_task(case: dict[str, Any]) -> str:
    """The id of the case's only ready task, the level-1 review."""
    [task] = case["ready_tasks"]
    assert task["element_id"] == REVIEW
    task_id: str = task["id"]
    return task_id
