"""Turn one submitted value into its stored type and check it against the field's rules."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from engine.forms.model import FormField

# WHATWG "valid e-mail address", the same shape form-js checks for validationType "email".
_EMAIL = re.compile(
    r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*"
)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_MAX_NUMBER_CHARS = 100
_DATE = r"\d{4}-\d{2}-\d{2}"
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?"
_DATETIME_SHAPES = {
    "date": (re.compile(_DATE), "una fecha con formato AAAA-MM-DD"),
    "time": (re.compile(_TIME), "una hora con formato HH:MM"),
    "datetime": (re.compile(f"{_DATE}T{_TIME}"), "una fecha y hora con formato AAAA-MM-DDTHH:MM"),
}
Scalar = str | int | float | bool


class InvalidValue(ValueError):
    """The submitted value has the wrong type or shape; the message is for the end user."""


def is_empty(value: Any) -> bool:
    """What `required` rejects: nothing, blank text or an empty list."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def coerce(field: FormField, raw: Any) -> Any:
    """Convert a submitted value to the field's stored type or raise InvalidValue."""
    if raw is None:
        return None
    if field.type in ("textfield", "textarea"):
        return _text(field, raw)
    if field.type == "number":
        return _number(field, raw)
    if field.type == "checkbox":
        return _checkbox(raw)
    if field.type in ("select", "radio"):
        return _choice(raw)
    if field.type in ("checklist", "taglist"):
        return _choices(raw)
    if field.type == "datetime":
        return _datetime(field, raw)
    raise AssertionError(f"tipo sin conversión: {field.type}")  # loader only builds the types above


def check(field: FormField, value: Any, allowed: Sequence[Any] | None) -> list[str]:
    """Every rule a non-empty coerced value breaks (empty list when valid)."""
    if field.type in ("textfield", "textarea"):
        return _text_rules(field, value)
    if field.type == "number":
        return _number_rules(field, to_decimal(value))
    if field.type in ("select", "radio"):
        return [] if allowed is None or _allowed(value, allowed) else [f"Valor no permitido: {value!r}."]
    if field.type in ("checklist", "taglist"):
        return _list_rules(value, allowed)
    return []


def to_decimal(value: int | float | str) -> Decimal:
    """Exact decimal of a coerced number (via repr for floats, so 0.1 stays 0.1)."""
    return Decimal(repr(value) if isinstance(value, float) else value)


def format_number(value: Decimal | int | float) -> str:
    """Render a limit for a message: 5, 2.5, never 5.0 or 1E+1."""
    number = to_decimal(value) if not isinstance(value, Decimal) else value
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _text(field: FormField, raw: Any) -> str:
    if not isinstance(raw, str):
        raise InvalidValue("Debe ser un texto.")
    if "\x00" in raw:  # PostgreSQL text cannot hold NUL; nobody types it
        raise InvalidValue("Contiene caracteres no permitidos.")
    # A single-line input cannot produce line breaks; refusing them also keeps `$` in patterns honest.
    if field.type == "textfield" and ("\n" in raw or "\r" in raw):
        raise InvalidValue("No puede contener saltos de línea.")
    return raw


def _text_rules(field: FormField, value: str) -> list[str]:
    errors: list[str] = []
    length = len(value.strip())  # form-js measures value.trim().length
    if field.min_length is not None and length < field.min_length:
        errors.append(f"Debe tener al menos {_chars(field.min_length)}.")
    if field.max_length is not None and length > field.max_length:
        errors.append(f"Debe tener como máximo {_chars(field.max_length)}.")
    # form-js tests `new RegExp(pattern).test(value)`: a search, so the same value passes both sides.
    if field.pattern is not None and field.pattern.search(value) is None:
        errors.append("No tiene el formato requerido.")
    if field.email and _EMAIL.fullmatch(value) is None:
        errors.append("Debe ser un correo electrónico válido.")
    return errors


def _chars(count: int) -> str:
    return "1 carácter" if count == 1 else f"{count} caracteres"


def _number(field: FormField, raw: Any) -> int | float | str | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InvalidValue("Debe ser un número.")
    if isinstance(raw, float) and not math.isfinite(raw):
        raise InvalidValue("Debe ser un número finito.")
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return None
        if len(text) > _MAX_NUMBER_CHARS:
            raise InvalidValue("El número es demasiado largo.")
        if _NUMBER.fullmatch(text) is None:
            raise InvalidValue("Debe ser un número, por ejemplo 3 o 2.5 (con punto decimal).")
    number = to_decimal(raw.strip() if isinstance(raw, str) else raw)
    if field.serialize_to_string:  # form-js keeps such numbers as strings for unlimited precision
        return format(number, "f")
    if number == number.to_integral_value():
        return int(number)
    as_float = float(number)
    if not math.isfinite(as_float):
        raise InvalidValue("El número está fuera de rango.")
    return as_float


def _number_rules(field: FormField, number: Decimal) -> list[str]:
    errors: list[str] = []
    decimals = max(0, -int(number.normalize().as_tuple().exponent))
    if field.decimal_digits is not None and decimals > field.decimal_digits:
        digits = field.decimal_digits
        errors.append(
            "Debe ser un número entero."
            if digits == 0
            else f"Debe tener como máximo {digits} decimal{'es' if digits > 1 else ''}."
        )
    if field.increment is not None and number % to_decimal(field.increment) != 0:
        errors.append(f"Debe ser múltiplo de {format_number(field.increment)}.")
    return errors + _range_rules(field, number)


def _range_rules(field: FormField, number: Decimal) -> list[str]:
    low, high = field.minimum, field.maximum
    too_low = low is not None and number < to_decimal(low)
    too_high = high is not None and number > to_decimal(high)
    if not (too_low or too_high):
        return []
    if low is not None and high is not None:
        return [f"Debe ser un número entre {format_number(low)} y {format_number(high)}."]
    if low is not None:
        return [f"Debe ser mayor o igual que {format_number(low)}."]
    return [f"Debe ser menor o igual que {format_number(high or 0)}."]


def _checkbox(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    # HTML forms post "on" for a ticked box; some clients send the words.
    words = {"true": True, "on": True, "false": False}
    if isinstance(raw, str) and raw.strip().lower() in words:
        return words[raw.strip().lower()]
    raise InvalidValue("Debe ser verdadero o falso.")


def _choice(raw: Any) -> Scalar | None:
    if not isinstance(raw, str | int | float):  # bool is an int: allowed, compared strictly later
        raise InvalidValue("Debe ser una sola opción.")
    return None if raw == "" else raw


def _choices(raw: Any) -> list[Scalar]:
    if not isinstance(raw, list) or not all(isinstance(item, str | int | float) for item in raw):
        raise InvalidValue("Debe ser una lista de opciones.")
    return list(raw)


def _list_rules(values: list[Scalar], allowed: Sequence[Any] | None) -> list[str]:
    errors: list[str] = []
    seen: list[Scalar] = []
    for value in values:
        if allowed is not None and not _allowed(value, allowed):
            errors.append(f"Valor no permitido: {value!r}.")
        elif _allowed(value, seen):
            errors.append(f"Valor repetido: {value!r}.")
        seen.append(value)
    return errors


def _allowed(value: Any, allowed: Sequence[Any]) -> bool:
    """Membership without Python's 1 == True == 1.0 conflation."""
    return any(type(value) is type(option) and value == option for option in allowed) or any(
        _same_number(value, option) for option in allowed
    )


def _same_number(left: Any, right: Any) -> bool:
    numbers = (int, float)
    plain = not isinstance(left, bool) and not isinstance(right, bool)
    return plain and isinstance(left, numbers) and isinstance(right, numbers) and left == right


def _datetime(field: FormField, raw: Any) -> str | None:
    shape, description = _DATETIME_SHAPES[field.subtype or "date"]
    if not isinstance(raw, str):
        raise InvalidValue(f"Debe ser {description}.")
    if raw == "":
        return None
    if shape.fullmatch(raw) is None:
        raise InvalidValue(f"Debe ser {description}.")
    if field.subtype != "time":
        try:
            date.fromisoformat(raw[:10])
        except ValueError as exc:
            raise InvalidValue("La fecha no existe en el calendario.") from exc
    return raw
