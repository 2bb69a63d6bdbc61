"""Options for form fields with a valuesKey: help desks and groups from the database, else case data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import Group, HelpDesk
from engine.forms import FormField, FormSchema
from engine.services.context import DeployedProcess

_GROUP_LEVELS = {"grupos_nivel1": 1, "grupos_nivel2": 2, "grupos_nivel3": 3}


def form_options(session: Session, form: FormSchema, variables: Mapping[str, Any],
                 help_desk_code: str | None = None) -> dict[str, list[dict[str, str]]]:
    """Options for every valuesKey of a form (form-js reads them from the input data by that key)."""
    options: dict[str, list[dict[str, str]]] = {}
    for key in sorted(_values_keys(form.fields)):
        options[key] = _options_for(session, key, variables, help_desk_code)
    return options


def _values_keys(fields: Iterable[FormField]) -> set[str]:
    keys: set[str] = set()
    for field in fields:
        if field.values_key:
            keys.add(field.values_key)
        keys |= _values_keys(field.children)
    return keys


def _options_for(session: Session, key: str, variables: Mapping[str, Any],
                 help_desk_code: str | None) -> list[dict[str, str]]:
    if key == "mesas":
        desks = session.scalars(select(HelpDesk).where(HelpDesk.active.is_(True)).order_by(HelpDesk.name))
        return [{"label": d.name, "value": d.code} for d in desks]
    if key in _GROUP_LEVELS:
        query = select(Group).where(Group.level == _GROUP_LEVELS[key]).order_by(Group.name)
        if help_desk_code:
            query = query.where((Group.help_desk_code == help_desk_code) | Group.help_desk_code.is_(None))
        return [{"label": g.description or g.name, "value": g.name} for g in session.scalars(query)]
    value = variables.get(key)
    if isinstance(value, list):
        return [item if isinstance(item, dict) else {"label": str(item), "value": str(item)} for item in value]
    return []


def option_labels(session: Session, deployed: DeployedProcess, data: Mapping[str, Any],
                   help_desk_code: str | None) -> dict[str, dict[str, str]]:
    """Value → label of every option field of the version's forms (valuesKey options as the forms get them)."""
    labels: dict[str, dict[str, str]] = {}
    for form_id in sorted(deployed.forms):
        form = deployed.forms[form_id]
        options = form_options(session, form, data, help_desk_code)
        for key, found in form.option_labels({**data, **options}).items():
            merged = labels.setdefault(key, {})
            for value, label in found.items():
                merged.setdefault(value, label)  # the first form (by id) that offers a value names it
    return labels
