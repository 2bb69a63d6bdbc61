"""What the form pages share: the form-js data that forms.js posts, and the JSON the form viewer reads."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from flask import abort, request

from engine.services.cases.queries import FormScreen
from web.errors import error_response

DATA_FIELD = "datos"
BAD_DATA = "Los datos del formulario llegaron incompletos o dañados; recargue la página e intente de nuevo."
_INDEX = re.compile(r"\[\d+\]")
_CONTAINERS = frozenset({"group", "dynamiclist"})


def submitted_data() -> dict[str, Any]:
    """The form-js data that forms.js posts as a JSON object in the hidden field `datos` (400 if malformed)."""
    try:
        data = json.loads(request.form.get(DATA_FIELD, ""))
    except ValueError:
        data = None
    if not isinstance(data, dict):
        abort(error_response(400, BAD_DATA))
    return data


def viewer_payload(screen: FormScreen, *, typed: Mapping[str, Any] | None = None,
                   errors: Mapping[str, list[str]] | None = None, read_only: bool = False) -> dict[str, Any]:
    """What forms.js reads: the schema, the values to show (what the user typed wins) and errors per key."""
    keys = set(data_keys(screen.schema or {}))
    kept = {key: value for key, value in (typed or {}).items() if key in keys}
    return {"schema": screen.schema, "data": {**screen.data, **kept}, "errors": dict(errors or {}),
            "readOnly": read_only}


def error_summary(schema: Mapping[str, Any] | None, errors: Mapping[str, list[str]]) -> list[tuple[str, str]]:
    """(field label, messages) per error key, for the list shown above the form."""
    labels = dict(_labelled(schema or {}, ""))
    return [(labels.get(_INDEX.sub("", key), key), " ".join(messages)) for key, messages in errors.items()]


def data_keys(schema: Mapping[str, Any]) -> Iterator[str]:
    """Top-level data keys a form writes (a group with `path` writes one nested object)."""
    for component in schema.get("components", ()):
        if component.get("type") in _CONTAINERS:
            path = component.get("path")
            yield from ([str(path).split(".")[0]] if path else data_keys(component))
        elif component.get("key"):
            yield str(component["key"])


def _labelled(schema: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, str]]:
    """(dotted error key without indexes, label): the keys the engine reports errors under."""
    for component in schema.get("components", ()):
        if component.get("type") in _CONTAINERS:
            path = component.get("path")
            yield from _labelled(component, f"{prefix}{path}." if path else prefix)
        elif component.get("key"):
            key = str(component["key"])
            yield f"{prefix}{key}", str(component.get("label") or key)
