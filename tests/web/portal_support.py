"""Helpers for the portal, case and task page tests: read the form-js JSON and post a form as forms.js does."""

from __future__ import annotations

import json
import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.web.conftest import post

_TASK_LINK = re.compile(r'href="/tareas/([0-9a-f-]{36})"')


def form_payload(html: str, name: str) -> dict[str, Any]:
    """The JSON that forms.js reads from <script type="application/json" id="{name}-datos">."""
    match = re.search(rf'<script type="application/json" id="{name}-datos">(.*?)</script>', html, re.S)
    assert match, f"no hay datos de formulario '{name}' en la página"
    payload: dict[str, Any] = json.loads(match.group(1))
    return payload


def field_keys(schema: dict[str, Any]) -> list[str]:
    """Keys of the form's input fields (what form-js puts in its submit data)."""
    keys: list[str] = []
    for component in schema.get("components", []):
        if component.get("type") in ("group", "dynamiclist"):
            keys += field_keys(component)
        elif component.get("key"):
            keys.append(component["key"])
    return keys


def as_form_js(payload: dict[str, Any], typed: dict[str, Any]) -> dict[str, Any]:
    """What form-js submits: every field's current value (prefilled, readonly included) plus what was typed."""
    shown = {key: payload["data"][key] for key in field_keys(payload["schema"]) if key in payload["data"]}
    return {**shown, **typed}


def submit_form(client: FlaskClient, path: str, data: dict[str, Any], **fields: str) -> TestResponse:
    """POST the form-js data as JSON in the hidden field `datos`, with the CSRF token (as forms.js does)."""
    return post(client, path, {"datos": json.dumps(data), **fields})


def fill_and_submit(client: FlaskClient, path: str, name: str, typed: dict[str, Any]) -> TestResponse:
    """Open a form page, then submit what form-js would send after the user typed `typed`."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    return submit_form(client, path, as_form_js(form_payload(page.text, name), typed))


def task_links(html: str) -> list[str]:
    """Ids of the tasks the page links to, in page order (the actor's own pending task comes first)."""
    return list(dict.fromkeys(_TASK_LINK.findall(html)))


def location(response: TestResponse) -> str:
    """The redirect target."""
    assert response.status_code in (302, 303), (response.status_code, response.text[:500])
    return response.headers["Location"]
