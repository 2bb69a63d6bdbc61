"""Parse what API callers send: query-string parameters (400 when wrong) and JSON bodies (422 when wrong)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from flask import request

from web.api.errors import BodyError, QueryError

TRUE, FALSE = frozenset({"true", "1"}), frozenset({"false", "0"})
MAX_TEXT = 200


def query(allowed: Collection[str]) -> dict[str, str]:
    """The query string as single values; unknown or repeated parameters are refused."""
    for name in request.args:
        if name not in allowed:
            raise QueryError(f"Parámetro desconocido «{name}»; se admiten: {', '.join(allowed) or 'ninguno'}.")
        if len(request.args.getlist(name)) > 1:
            raise QueryError(f"El parámetro «{name}» aparece más de una vez.")
    return {name: request.args[name] for name in request.args}


def flag(args: Mapping[str, str], name: str) -> bool | None:
    """true/false (or 1/0); None when absent."""
    raw = args.get(name)
    if raw is None:
        return None
    if raw.lower() in TRUE | FALSE:
        return raw.lower() in TRUE
    raise QueryError(f"«{name}» debe ser true o false (recibido «{raw}»).")


def integer(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer within [low, high]; the default when absent."""
    raw = args.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise QueryError(f"«{name}» debe ser un entero entre {low} y {high} (recibido «{raw}»).")
    return int(raw)


def choice(args: Mapping[str, str], name: str, choices: Collection[str], default: str) -> str:
    """One of a fixed set of words; the default when absent."""
    raw = args.get(name, default)
    if raw not in choices:
        raise QueryError(f"«{name}» debe ser uno de: {', '.join(choices)} (recibido «{raw}»).")
    return raw


def text(args: Mapping[str, str], name: str) -> str | None:
    """Free text (trimmed, at most MAX_TEXT characters); None when absent or blank."""
    raw = args.get(name, "").strip()
    if len(raw) > MAX_TEXT:
        raise QueryError(f"«{name}» admite como máximo {MAX_TEXT} caracteres.")
    return raw or None


@dataclass(frozen=True)
class Member:
    """One member of a JSON body: its Python type, whether it is required, and how to describe it."""

    kind: type
    required: bool
    description: str


DATA = Member(dict, True, "un objeto JSON con los valores del formulario, p. ej. {\"data\": {\"campo\": \"valor\"}}")
USER = Member(str, True, "el nombre de usuario (texto)")
REQUESTER = Member(str, False, "el nombre de usuario del solicitante (texto)")


def body(shape: Mapping[str, Member]) -> dict[str, Any]:
    """The JSON object body, checked against its members (unknown, missing and mistyped members are 422)."""
    value = json_object()
    errors: dict[str, list[str]] = {}
    for key in value:
        if key not in shape:
            errors[key] = [f"Miembro desconocido; se admiten: {', '.join(shape)}. "
                           "Los valores del formulario van dentro de «data»."]
    for key, member in shape.items():
        if key not in value:
            if member.required:
                errors[key] = [f"Obligatorio: {member.description}."]
        elif not isinstance(value[key], member.kind) or (member.kind is str and not str(value[key]).strip()):
            errors[key] = [f"Debe ser {member.description}."]
    if errors:
        raise BodyError(errors)
    return value


def json_object() -> dict[str, Any]:
    """The body parsed as a JSON object (413 when over the size limit)."""
    if not request.is_json:
        raise BodyError({"body": ["Envíe un objeto JSON con la cabecera Content-Type: application/json."]})
    raw = request.get_data(cache=True)
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise BodyError({"body": ["El cuerpo no es JSON válido (UTF-8)."]}) from None
    if not isinstance(value, dict):
        raise BodyError({"body": ["El cuerpo debe ser un objeto JSON, p. ej. {\"data\": {...}}."]})
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} no es JSON estándar")
