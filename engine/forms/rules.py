"""Deploy-time reading of a component's `validate` block and its options (`values` / `valuesKey`)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from engine.forms.model import OPTION_TYPES, TEXT_TYPES

Report = Callable[[str], None]

# Which validate keys each type honours (form-js JSON schema, rules-allowed-properties). form-js's
# Validator applies a present key whatever the type, so a misplaced one is refused, not ignored.
_APPLIES_TO = {
    "required": None,
    "minLength": TEXT_TYPES,
    "maxLength": TEXT_TYPES,
    "min": frozenset({"number"}),
    "max": frozenset({"number"}),
    "pattern": frozenset({"textfield"}),
    # Only the browser shows it; the server answers in its own Spanish words.
    "patternErrorMessage": frozenset({"textfield"}),
    "validationType": frozenset({"textfield"}),
}


def read_validate(comp: dict[str, Any], ctype: str, report: Report) -> dict[str, Any]:
    """Return FormField keyword arguments for the component's `validate` block."""
    block = comp.get("validate")
    if block is None:
        return {}
    if not isinstance(block, dict):
        report(f"'validate' debe ser un objeto: {block!r}")
        return {}
    present = {name: value for name, value in block.items() if value is not None}
    for name in present:
        if name not in _APPLIES_TO:
            report(f"validate.{name} no está soportado por el servidor; quítelo")
        elif (types := _APPLIES_TO[name]) is not None and ctype not in types:
            report(f"validate.{name} no aplica a componentes {ctype!r} (solo a {', '.join(sorted(types))})")
    rules: dict[str, Any] = {"required": _required(present.get("required", False), report)}
    for name, arg in (("minLength", "min_length"), ("maxLength", "max_length")):
        if name in present:
            rules[arg] = _length(name, present[name], report)
    for name, arg in (("min", "minimum"), ("max", "maximum")):
        if name in present:
            rules[arg] = _limit(name, present[name], report)
    rules["pattern"] = _pattern(present.get("pattern"), report)
    rules["email"] = _validation_type(present.get("validationType"), report)
    _consistent(rules, report)
    return rules


def _required(value: Any, report: Report) -> bool:
    if not isinstance(value, bool):
        report(f"validate.required debe ser true o false: {value!r}")
        return False
    return value


def _length(name: str, value: Any, report: Report) -> int | None:
    if isinstance(value, str):
        report(f"validate.{name} {value!r}: las expresiones no están soportadas; use un entero")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        report(f"validate.{name} debe ser un entero >= 0: {value!r}")
        return None
    return value


def _limit(name: str, value: Any, report: Report) -> int | float | None:
    if isinstance(value, str):
        report(f"validate.{name} {value!r}: las expresiones no están soportadas; use un número")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        report(f"validate.{name} debe ser un número: {value!r}")
        return None
    return value


def _pattern(value: Any, report: Report) -> re.Pattern[str] | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        report(f"validate.pattern debe ser un texto: {value!r}")
        return None
    try:
        # ASCII: JavaScript's \d and \w (what the browser checks) do not match non-ASCII digits/letters.
        return re.compile(value, re.ASCII)
    except re.error as exc:
        report(f"validate.pattern {value!r} no es una expresión regular válida ({exc}); corríjala")
        return None


def _validation_type(value: Any, report: Report) -> bool:
    if value in (None, "", "custom"):
        return False
    if value == "email":
        return True
    if value == "phone":
        report("validate.validationType 'phone' no está soportado en el servidor; use validate.pattern")
    else:
        report(f"validate.validationType desconocido {value!r}; use 'email' o validate.pattern")
    return False


def _consistent(rules: dict[str, Any], report: Report) -> None:
    for low, high, what in (("min_length", "max_length", "minLength"), ("minimum", "maximum", "min")):
        if rules.get(low) is not None and rules.get(high) is not None and rules[low] > rules[high]:
            other = "maxLength" if what == "minLength" else "max"
            report(f"validate.{what} ({rules[low]}) es mayor que validate.{other} ({rules[high]})")


def read_options(comp: dict[str, Any], ctype: str, report: Report) -> tuple[tuple[str, ...], str | None]:
    """Return (static option values, valuesKey) of a select/radio/checklist/taglist."""
    if ctype not in OPTION_TYPES:
        return (), None  # form-js ignores options on other types
    if "valuesExpression" in comp:
        report(
            "'valuesExpression' no está soportado (el servidor no evalúa FEEL); use 'values' o 'valuesKey'"
        )
        return (), None
    has_values, has_key = "values" in comp, "valuesKey" in comp
    if has_values and has_key:
        report("use 'values' (opciones fijas) o 'valuesKey' (opciones del proceso), no ambos")
        return (), None
    if has_key:
        key = comp["valuesKey"]
        if isinstance(key, str):
            return (), key
        report(f"'valuesKey' debe ser un texto: {key!r}")
        return (), None
    if not has_values:
        report("faltan las opciones: defina 'values' (lista de {label, value}) o 'valuesKey'")
        return (), None
    return _static_values(comp["values"], report), None


def static_labels(comp: dict[str, Any], options: tuple[str, ...]) -> tuple[str, ...]:
    """The labels of the static options, in the order of `options` (the first label of a repeated value)."""
    labels: dict[str, str] = {}
    values = comp.get("values") if options else None
    for item in values if isinstance(values, list) else ():
        if isinstance(item, dict) and isinstance(item.get("value"), str) and isinstance(item.get("label"), str):
            labels.setdefault(item["value"], item["label"])
    return tuple(labels[value] for value in options)


def _static_values(values: Any, report: Report) -> tuple[str, ...]:
    if not isinstance(values, list) or not values:
        report('\'values\' debe ser una lista no vacía de {"label": ..., "value": ...}')
        return ()
    found: list[str] = []
    for index, item in enumerate(values):
        ok = (
            isinstance(item, dict)
            and isinstance(item.get("value"), str)
            and isinstance(item.get("label"), str)
        )
        if not ok:
            report(f'values[{index}] debe ser {{"label": texto, "value": texto}}: {item!r}')
        elif item["value"] in found:
            report(f"values[{index}]: el valor {item['value']!r} está repetido")
        else:
            found.append(item["value"])
    return tuple(found)
