"""Strict deploy-time loading of a Camunda Modeler `.form` file (form-js JSON)."""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import replace
from typing import Any

from engine.forms.feel import Condition, Const, FeelError, either, parse_condition
from engine.forms.model import (
    CONTAINER_TYPES,
    DATETIME_SUBTYPES,
    DISPLAY_TYPES,
    INPUT_TYPES,
    KNOWN_TYPES,
    UNSUPPORTED_TYPES,
    FormDefinitionError,
    FormField,
    FormSchema,
)
from engine.forms.rules import read_options, read_validate, static_labels
from engine.forms.values import InvalidValue, check, coerce, is_empty

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FEEL_WORDS = frozenset({"true", "false", "null"})


class _Pairs(list[tuple[str, Any]]):
    """A JSON object kept as its raw key/value pairs, so duplicate keys survive parsing."""


def load_form(text: str | bytes, source: str) -> FormSchema:
    """Parse and check a form definition, raising FormDefinitionError that lists every problem."""
    tree = _parse(text, source)
    loader = _Loader(source)
    loader.find_duplicates(tree, "raíz", None)
    raw = _plain(tree)
    form_id, components = loader.top_level(raw)
    fields = loader.components(components, "components", {}, None)
    if loader.problems:
        raise FormDefinitionError(source, loader.problems)
    assert isinstance(raw, dict) and form_id is not None  # top_level reported anything else
    return FormSchema(
        id=form_id, source=source, fields=tuple(fields), keys=frozenset(f.key for f in fields), raw=raw
    )


def _parse(text: str | bytes, source: str) -> Any:
    def refuse_constant(name: str) -> Any:
        raise ValueError(f"{name} no es JSON estándar")

    try:
        decoded = text.decode("utf-8-sig") if isinstance(text, bytes) else text
        return json.loads(decoded, object_pairs_hook=_Pairs, parse_constant=refuse_constant)
    except UnicodeDecodeError as exc:
        problem = f"el archivo no es UTF-8 válido (byte {exc.start}); guárdelo con codificación UTF-8"
    except json.JSONDecodeError as exc:
        problem = f"JSON inválido en la línea {exc.lineno}, columna {exc.colno}: {exc.msg}"
    except RecursionError:
        problem = "JSON con anidamiento excesivo"
    except ValueError as exc:
        problem = f"JSON inválido: {exc}"
    raise FormDefinitionError(source, [f"{source}: {problem}."])


def _plain(node: Any) -> Any:
    if isinstance(node, _Pairs):
        return {key: _plain(value) for key, value in node}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    return node


def _describe(source: str, path: str, comp: dict[str, Any]) -> str:
    """How a problem names its component: file, id, key/path and JSON location."""
    names = [f"{name}={comp[name]!r}" for name in ("id", "key", "path") if isinstance(comp.get(name), str)]
    return f"{source}: componente {' '.join(names) or 'sin id'} ({path})"


class _Loader:
    """Walks the component tree collecting problems instead of stopping at the first one."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def find_duplicates(self, node: Any, path: str, owner: str | None) -> None:
        """Report repeated keys in any JSON object (json.loads would silently keep the last one)."""
        if isinstance(node, list) and not isinstance(node, _Pairs):
            for index, item in enumerate(node):
                self.find_duplicates(item, f"{path}[{index}]", owner)
            return
        if not isinstance(node, _Pairs):
            return
        if path != "raíz":  # the root's id names the form, not a component
            owner = next((value for key, value in node if key == "id" and isinstance(value, str)), owner)
        seen: set[str] = set()
        for key, value in node:
            if key in seen:
                where = f"en {path}" + (f" (componente {owner!r})" if owner else "")
                self.problems.append(f"{self.source}: clave JSON duplicada {key!r} {where}; deje solo una.")
            seen.add(key)
            child = key if path == "raíz" else f"{path}.{key}"
            self.find_duplicates(value, child, owner)

    def top_level(self, raw: Any) -> tuple[str | None, Any]:
        """Check the form object itself and return its id and components."""
        if not isinstance(raw, dict):
            self.problems.append(f"{self.source}: la raíz debe ser un objeto JSON (un formulario form-js).")
            return None, []
        if raw.get("type") != "default":
            self.problems.append(
                f"{self.source}: raíz: 'type' debe ser \"default\" (es {raw.get('type')!r}); "
                "exporte el formulario desde Camunda Modeler."
            )
        form_id = raw.get("id")
        if not isinstance(form_id, str) or not form_id.strip():
            self.problems.append(f"{self.source}: raíz: falta 'id' (texto no vacío) del formulario.")
            form_id = None
        if not isinstance(raw.get("components"), list):
            self.problems.append(f"{self.source}: raíz: 'components' debe ser una lista de componentes.")
            return form_id, []
        return form_id, raw["components"]

    def report(self, where: str, message: str) -> None:
        """Record one problem about one component."""
        self.problems.append(f"{where}: {message}.")

    def components(
        self, items: Any, path: str, scope: dict[str, str], inherited: Condition | None
    ) -> list[FormField]:
        """Load a list of components sharing one data scope (key -> where it was declared)."""
        if not isinstance(items, list):
            self.problems.append(f"{self.source}: {path} debe ser una lista de componentes.")
            return []
        fields: list[FormField] = []
        for index, comp in enumerate(items):
            fields.extend(self.component(comp, f"{path}[{index}]", scope, inherited))
        return fields

    def component(
        self, comp: Any, path: str, scope: dict[str, str], inherited: Condition | None
    ) -> list[FormField]:
        """Load one component: nothing for display ones, one field, or a flattened group's fields."""
        if not isinstance(comp, dict):
            self.problems.append(f"{self.source}: {path} debe ser un objeto JSON (un componente).")
            return []
        where = _describe(self.source, path, comp)
        ctype = comp.get("type")
        hide = either(inherited, self.hide(comp, where))
        if not isinstance(ctype, str):
            self.report(where, f"falta 'type' (texto) del componente: {ctype!r}")
            return []
        if ctype not in KNOWN_TYPES:
            known = ", ".join(sorted(KNOWN_TYPES))
            self.report(where, f"tipo de componente desconocido {ctype!r}; tipos válidos: {known}")
            return []
        if ctype in UNSUPPORTED_TYPES:
            self.report(where, f"el tipo {ctype!r} no está soportado: {UNSUPPORTED_TYPES[ctype]}")
            return []
        if ctype in DISPLAY_TYPES:
            return []
        if ctype in CONTAINER_TYPES:
            return self.container(comp, ctype, where, path, scope, hide)
        assert ctype in INPUT_TYPES
        field = self.input(comp, ctype, where, hide)
        if field is None:
            return []
        self.claim(scope, field.key, where)
        return [field]

    def container(
        self,
        comp: dict[str, Any],
        ctype: str,
        where: str,
        path: str,
        scope: dict[str, str],
        hide: Condition | None,
    ) -> list[FormField]:
        """A group without `path` adds its children to this scope; otherwise it owns a nested scope."""
        children_path = f"{path}.components"
        if ctype == "group" and comp.get("path") in (None, ""):
            return self.components(comp.get("components", []), children_path, scope, hide)
        name = self.identifier(comp.get("path"), "path", where)
        children = self.components(comp.get("components", []), children_path, {}, None)
        if name is None:
            return []
        self.claim(scope, name, where)
        label = comp.get("label")
        return [
            FormField(
                key=name,
                type=ctype,
                label=label if isinstance(label, str) else "",
                hide=hide,
                children=tuple(children),
                component_id=comp.get("id") if isinstance(comp.get("id"), str) else None,
            )
        ]

    def input(self, comp: dict[str, Any], ctype: str, where: str, hide: Condition | None) -> FormField | None:
        """Build the field for one input component, reporting every bad property."""
        key = self.identifier(comp.get("key"), "key", where)
        readonly = self.flag(comp, "readonly", where) | self.flag(comp, "disabled", where)
        rules = read_validate(comp, ctype, lambda message: self.report(where, message))
        options, values_key = read_options(comp, ctype, lambda message: self.report(where, message))
        if values_key is not None:
            self.identifier(values_key, "valuesKey", where)
        number = self.number_props(comp, where) if ctype == "number" else {}
        subtype = self.subtype(comp, where) if ctype == "datetime" else None
        label = comp.get("label")
        if key is None:
            return None
        field = FormField(
            key=key,
            type=ctype,
            label=label if isinstance(label, str) else "",
            readonly=readonly,
            options=options,
            option_labels=static_labels(comp, options),
            values_key=values_key,
            hide=hide,
            subtype=subtype,
            component_id=comp.get("id") if isinstance(comp.get("id"), str) else None,
            **rules,
            **number,
        )
        return self.with_default(comp, field, where)

    def identifier(self, value: Any, prop: str, where: str) -> str | None:
        """Keys and paths must be plain identifiers usable from FEEL and from Python gateways."""
        if not isinstance(value, str) or not value:
            self.report(where, f"falta '{prop}' (un identificador: letras, dígitos y _)")
            return None
        if "." in value:
            self.report(
                where,
                f"'{prop}' con puntos {value!r} no está soportado; use un identificador simple y, "
                "para datos anidados, un grupo con 'path'",
            )
            return None
        if _IDENTIFIER.fullmatch(value) is None:
            self.report(where, f"'{prop}' {value!r} no es válido: use letras sin tilde, dígitos y _")
            return None
        if keyword.iskeyword(value) or value in _FEEL_WORDS:
            self.report(where, f"'{prop}' {value!r} es una palabra reservada de Python/FEEL; cámbiela")
            return None
        return value

    def claim(self, scope: dict[str, str], key: str, where: str) -> None:
        """Two components writing the same key would silently overwrite each other."""
        if key in scope:
            self.report(
                where, f"la clave {key!r} ya la usa {scope[key]}; cada campo necesita una clave única"
            )
        else:
            scope[key] = where.removeprefix(f"{self.source}: ")  # the file is already named once

    def flag(self, comp: dict[str, Any], prop: str, where: str) -> bool:
        """readonly/disabled: only literal booleans (FEEL expressions cannot be checked server-side)."""
        value = comp.get(prop, False)
        if value is None or isinstance(value, bool):
            return bool(value)
        self.report(where, f"'{prop}' debe ser true o false (no se admiten expresiones): {value!r}")
        return False

    def hide(self, comp: dict[str, Any], where: str) -> Condition | None:
        """Parse `conditional.hide` into a Condition."""
        conditional = comp.get("conditional")
        if conditional is None:
            return None
        hide = conditional.get("hide") if isinstance(conditional, dict) else conditional
        if hide is None or hide is False or hide == "":
            return None
        if hide is True:
            return Const(True)
        if not isinstance(hide, str):
            self.report(where, f"'conditional.hide' debe ser un texto FEEL que empiece con '=': {hide!r}")
            return None
        try:
            return parse_condition(hide)
        except FeelError as exc:
            self.report(where, f"conditional.hide: {exc}".rstrip("."))
            return None

    def number_props(self, comp: dict[str, Any], where: str) -> dict[str, Any]:
        """decimalDigits, increment and serializeToString of a number field."""
        props: dict[str, Any] = {}
        digits = comp.get("decimalDigits")
        if digits is not None:
            if isinstance(digits, bool) or not isinstance(digits, int) or digits < 0:
                self.report(where, f"'decimalDigits' debe ser un entero >= 0: {digits!r}")
            else:
                props["decimal_digits"] = digits
        increment = comp.get("increment")
        if increment not in (None, ""):
            props["increment"] = self.increment(increment, where)
        serialize = comp.get("serializeToString", False)
        if not isinstance(serialize, bool):
            self.report(where, f"'serializeToString' debe ser true o false: {serialize!r}")
        props["serialize_to_string"] = serialize is True
        return props

    def increment(self, value: Any, where: str) -> int | float | None:
        """A positive step, given as a number or as a numeric string (both allowed by form-js)."""
        try:
            number = coerce(FormField(key="increment", type="number"), value)
        except InvalidValue:
            number = None
        if not isinstance(number, int | float) or number <= 0:
            self.report(where, f"'increment' debe ser un número mayor que 0: {value!r}")
            return None
        return number

    def subtype(self, comp: dict[str, Any], where: str) -> str:
        """The datetime subtype; form-js defaults to date."""
        subtype = comp.get("subtype", "date")
        if subtype not in DATETIME_SUBTYPES:
            self.report(where, f"'subtype' debe ser uno de {', '.join(DATETIME_SUBTYPES)}: {subtype!r}")
            return "date"
        return str(subtype)

    def with_default(self, comp: dict[str, Any], field: FormField, where: str) -> FormField:
        """Check defaultValue with the same rules a submission must pass."""
        raw = comp.get("defaultValue")
        if raw is None:
            return field
        if field.values_key is not None:
            self.report(where, "'defaultValue' no se admite junto con 'valuesKey' (form-js lo ignora)")
            return field
        try:
            if field.type == "checkbox" and not isinstance(raw, bool):
                raise InvalidValue("Debe ser true o false.")
            value = coerce(field, raw)
        except InvalidValue as exc:
            self.report(where, f"'defaultValue' {raw!r} no es válido: {exc}".rstrip("."))
            return field
        allowed = field.options if field.options else None
        for error in [] if is_empty(value) else check(field, value, allowed):
            self.report(where, f"'defaultValue' {raw!r} no cumple sus propias reglas: {error}".rstrip("."))
        return replace(field, default=tuple(value) if isinstance(value, list) else value)
