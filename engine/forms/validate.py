"""Server-side check of a form submission: the browser's own validation is never trusted."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.forms.feel import holds
from engine.forms.model import FormField, FormSchema
from engine.forms.values import InvalidValue, check, coerce, is_empty

REQUIRED = "Este campo es obligatorio."
_MISSING: Any = object()


@dataclass(frozen=True)
class ValidationResult:
    """Cleaned values to write into the case, or Spanish messages per field key."""

    data: dict[str, Any]
    errors: dict[str, list[str]]

    @property
    def ok(self) -> bool:
        """True when there is nothing to report back to the user."""
        return not self.errors


def validate_submission(
    form: FormSchema,
    submitted: Mapping[str, Any],
    *,
    current: Mapping[str, Any] | None = None,
    options: Mapping[str, Sequence[Any]] | None = None,
) -> ValidationResult:
    """Check every field of a submission at once; raise ValueError if `options` misses a valuesKey."""
    run = _Run(form.id, _resolve_options(form, options or {}), {})
    data = run.scope(form.fields, submitted, dict(current or {}), "")
    return ValidationResult(data=data, errors=run.errors)


def default_values(form: FormSchema, current: Mapping[str, Any]) -> dict[str, Any]:
    """Initial values to show: the case's current value per key, else the field's defaultValue."""
    return _defaults(form.fields, current)


def _defaults(fields: Sequence[FormField], current: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in fields:
        if field.type == "group":
            inner = current.get(field.key)
            nested = _defaults(field.children, inner if isinstance(inner, Mapping) else {})
            if nested:
                values[field.key] = nested
        elif field.key in current:
            values[field.key] = current[field.key]
        elif field.default is not None:
            values[field.key] = list(field.default) if isinstance(field.default, tuple) else field.default
    return values


def _walk(fields: Sequence[FormField]) -> Iterator[FormField]:
    for field in fields:
        yield field
        yield from _walk(field.children)


def _resolve_options(form: FormSchema, given: Mapping[str, Sequence[Any]]) -> dict[str, tuple[Any, ...]]:
    """Options per valuesKey as plain values; a missing or malformed entry is a caller bug."""
    needed = sorted({f.values_key for f in _walk(form.fields) if f.values_key is not None})
    missing = [key for key in needed if key not in given]
    if missing:
        raise ValueError(
            f"formulario {form.id!r}: faltan las opciones de valuesKey {missing} (argumento options)"
        )
    return {key: _option_values(key, given[key]) for key in needed}


def _option_values(key: str, entries: Sequence[Any]) -> tuple[Any, ...]:
    if isinstance(entries, str | bytes | Mapping) or not isinstance(entries, Sequence):
        raise ValueError(f"options[{key!r}] debe ser una lista de valores o de {{label, value}}")
    values = []
    for entry in entries:
        if isinstance(entry, Mapping):
            if "value" not in entry:
                raise ValueError(f"options[{key!r}]: opción sin 'value': {entry!r}")
            entry = entry["value"]
        values.append(entry)
    return tuple(values)


@dataclass
class _Run:
    """One validation pass; errors accumulate under dotted/indexed keys (grupo.campo, lista[0].campo)."""

    form_id: str
    options: dict[str, tuple[Any, ...]]
    errors: dict[str, list[str]]

    def fail(self, key: str, *messages: str) -> None:
        self.errors.setdefault(key, []).extend(messages)

    def scope(
        self, fields: Sequence[FormField], submitted: Mapping[str, Any], base: dict[str, Any], prefix: str
    ) -> dict[str, Any]:
        """Validate the fields of one data scope (the form, a group's object or a list item)."""
        known = {field.key for field in fields}
        for key in submitted:
            if key not in known:
                self.fail(f"{prefix}{key}", f"Campo desconocido en el formulario {self.form_id!r}.")
        values = self.coerce_all(fields, submitted)
        # Conditions see the case plus this submission; readonly inputs count with their stored value only.
        ctx = {**base, **{k: v for k, v in values.items() if not isinstance(v, InvalidValue)}}
        data: dict[str, Any] = {}
        for field in fields:
            if field.readonly or (field.hide is not None and holds(field.hide, ctx)):
                continue  # display-only or hidden: whatever was sent is dropped, nothing is required
            if field.type == "group":
                self.group(field, submitted, ctx, prefix, data)
            elif field.type == "dynamiclist":
                self.dynamic_list(field, submitted, ctx, prefix, data)
            elif field.key in values:
                self.finish(field, values[field.key], f"{prefix}{field.key}", data)
            elif field.required:
                self.fail(f"{prefix}{field.key}", REQUIRED)
        return data

    def coerce_all(self, fields: Sequence[FormField], submitted: Mapping[str, Any]) -> dict[str, Any]:
        """Stored-type value (or the InvalidValue) of each editable input present in the submission."""
        values: dict[str, Any] = {}
        for field in fields:
            if field.readonly or field.type in ("group", "dynamiclist"):
                continue  # containers are validated by group()/dynamic_list() with their own scope
            raw = submitted.get(field.key, _MISSING)
            if field.type == "checkbox" and (raw is _MISSING or raw is None):
                # HTML forms omit unticked boxes; gateways must still see a boolean.
                values[field.key] = field.default if isinstance(field.default, bool) else False
            elif raw is not _MISSING:
                try:
                    values[field.key] = coerce(field, raw)
                except InvalidValue as exc:
                    values[field.key] = exc
        return values

    def finish(self, field: FormField, value: Any, where: str, data: dict[str, Any]) -> None:
        """Apply required and the field's rules to a coerced value, then keep it."""
        if isinstance(value, InvalidValue):
            self.fail(where, str(value))
        elif field.type == "checkbox":
            if field.required and value is not True:
                self.fail(where, REQUIRED)  # form-js: a required checkbox must be ticked
            else:
                data[field.key] = value
        elif is_empty(value):
            if field.required:
                self.fail(where, REQUIRED)
            else:
                data[field.key] = value  # an explicit clear is written ("" / None / [])
        elif errors := check(field, value, self.allowed(field)):
            self.fail(where, *errors)
        else:
            data[field.key] = value

    def allowed(self, field: FormField) -> tuple[Any, ...] | None:
        """Values a select/radio/checklist/taglist may take; None for free inputs."""
        if field.values_key is not None:
            return self.options[field.values_key]
        return field.options or None

    def group(
        self,
        field: FormField,
        submitted: Mapping[str, Any],
        ctx: dict[str, Any],
        prefix: str,
        data: dict[str, Any],
    ) -> None:
        """A group with `path`: its children live in a nested object."""
        raw = submitted.get(field.key, _MISSING)
        if raw is not _MISSING and raw is not None and not isinstance(raw, Mapping):
            self.fail(f"{prefix}{field.key}", "Formato inválido: se esperaba un grupo de campos.")
            return
        stored = ctx.get(field.key)
        stored = dict(stored) if isinstance(stored, Mapping) else {}
        sent = raw if isinstance(raw, Mapping) else {}
        nested = self.scope(field.children, sent, {**ctx, **stored}, f"{prefix}{field.key}.")
        if raw is not _MISSING or nested:
            # Merge so children not sent (readonly, hidden) keep their stored value, as top-level keys do.
            data[field.key] = {**stored, **nested}

    def dynamic_list(
        self,
        field: FormField,
        submitted: Mapping[str, Any],
        ctx: dict[str, Any],
        prefix: str,
        data: dict[str, Any],
    ) -> None:
        """A dynamiclist: a list of objects, each validated like a group; the list is replaced whole."""
        raw = submitted.get(field.key, _MISSING)
        if raw is _MISSING:
            return
        if raw is not None and not isinstance(raw, list):
            self.fail(f"{prefix}{field.key}", "Formato inválido: se esperaba una lista.")
            return
        items: list[dict[str, Any]] = []
        for index, item in enumerate(raw or []):
            where = f"{prefix}{field.key}[{index}]"
            if not isinstance(item, Mapping):
                self.fail(where, "Formato inválido: se esperaba un grupo de campos.")
                continue
            items.append(self.scope(field.children, item, dict(ctx), f"{where}."))
        data[field.key] = items
