"""What a loaded Camunda (form-js) form looks like to the engine: immutable field descriptions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.forms.feel import Condition

# Components that bind a value under `key` and that the server knows how to check.
INPUT_TYPES = frozenset(
    {"textfield", "textarea", "number", "checkbox", "checklist", "radio", "select", "taglist", "datetime"}
)
OPTION_TYPES = frozenset({"select", "radio", "checklist", "taglist"})
MULTI_TYPES = frozenset({"checklist", "taglist"})
TEXT_TYPES = frozenset({"textfield", "textarea"})
CONTAINER_TYPES = frozenset({"group", "dynamiclist"})
DISPLAY_TYPES = frozenset(
    {"text", "html", "image", "spacer", "separator", "iframe", "table", "documentPreview", "button"}
)
# Known to form-js but impossible to check on the server: refused at deploy time, not silently trusted.
UNSUPPORTED_TYPES: Mapping[str, str] = {
    "expression": (
        "el valor lo calcula el navegador con FEEL y el servidor no puede recalcularlo ni confiar en él; "
        "calcule ese dato en el proceso (script o tarea de servicio)"
    ),
    "filepicker": (
        "el servidor no recibe archivos a través del formulario; adjunte los archivos por el mecanismo "
        "de adjuntos del caso"
    ),
}
KNOWN_TYPES = INPUT_TYPES | CONTAINER_TYPES | DISPLAY_TYPES | frozenset(UNSUPPORTED_TYPES)
DATETIME_SUBTYPES = ("date", "time", "datetime")


class FormDefinitionError(ValueError):
    """A form file cannot be deployed; `.problems` lists every problem found, each self-contained."""

    def __init__(self, source: str, problems: Iterable[str]) -> None:
        self.source = source
        self.problems = list(problems)
        listing = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{source}: formulario inválido ({len(self.problems)} problema(s)):\n{listing}")


@dataclass(frozen=True)
class FormField:
    """One input (or a group/dynamiclist with `path`, whose `children` describe the nested data)."""

    key: str
    type: str
    label: str = ""
    required: bool = False
    readonly: bool = False  # `readonly` or `disabled` in the JSON: display only, never written
    min_length: int | None = None
    max_length: int | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    pattern: re.Pattern[str] | None = None
    email: bool = False  # validate.validationType == "email"
    options: tuple[str, ...] = ()  # static `values`, by value
    option_labels: tuple[str, ...] = ()  # their labels, in the same order
    values_key: str | None = None
    hide: Condition | None = None  # includes the hide conditions of enclosing path-less groups
    default: Any = None  # already coerced; lists are stored as tuples to keep the field hashable
    decimal_digits: int | None = None
    increment: int | float | None = None
    serialize_to_string: bool = False
    subtype: str | None = None  # datetime: date | time | datetime
    children: tuple[FormField, ...] = ()
    component_id: str | None = None


@dataclass(frozen=True)
class FormSchema:
    """A form definition that passed every deploy-time check."""

    id: str
    source: str
    fields: tuple[FormField, ...]
    keys: frozenset[str]  # top-level data keys a submission may carry (group/list paths included)
    raw: dict[str, Any] = field(compare=False, repr=False)  # as loaded, for the form-js viewer

    def option_labels(self, data: Mapping[str, Any]) -> dict[str, dict[str, str]]:
        """Per top-level key, option value → label: the static `values`, or the `valuesKey` list found in `data`."""
        found: dict[str, dict[str, str]] = {}
        for item in self.fields:
            if item.options:
                found[item.key] = dict(zip(item.options, item.option_labels, strict=True))
            elif item.values_key and isinstance(data.get(item.values_key), list):
                found[item.key] = {str(o["value"]): str(o["label"]) for o in data[item.values_key]
                                   if isinstance(o, Mapping) and "value" in o and "label" in o}
        return found
