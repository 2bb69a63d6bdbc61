"""Options for form fields with a valuesKey: help desks, their catalogue, channels and groups, else case data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import Group, HelpDesk, ProtocolVersion
from engine.forms import FormField, FormSchema
from engine.helpdesk.pinned import PinnedProtocol
from engine.services.context import DeployedProcess, ServiceContext
from engine.services.helpdesks.protocols import PUBLISHED, current_row

_GROUP_LEVELS = {"grupos_nivel1": 1, "grupos_nivel2": 2, "grupos_nivel3": 3}
CHANNEL_LABELS = {"portal": "Portal web", "correo": "Correo electrónico", "telefono": "Teléfono",
                  "presencial": "Presencial"}
# The start form's per-desk options, keyed by help desk: the page swaps them in when the requester picks a desk.
BY_DESK_KEY = "opciones_por_mesa"
_DESK_KEYS = ("aplicaciones", "canales")
# The channel a report comes by unless the requester says otherwise (kept while the chosen desk offers it).
_DEFAULT_CHANNEL = {"canal": "portal"}


def form_options(session: Session, form: FormSchema, variables: Mapping[str, Any],
                 help_desk_code: str | None = None,
                 protocol: PinnedProtocol | None = None) -> dict[str, list[dict[str, str]]]:
    """Options for every valuesKey of a form (form-js reads them from the input data by that key)."""
    options: dict[str, list[dict[str, str]]] = {}
    for key in sorted(_values_keys(form.fields)):
        options[key] = _options_for(session, key, variables, help_desk_code, protocol)
    return options


def published_protocol(ctx: ServiceContext, session: Session, code: str | None) -> PinnedProtocol | None:
    """The rules of a help desk's published protocol version (None: no such desk or nothing published)."""
    row = current_row(session, code) if code else None
    return ctx.protocol_of(session, row.id) if row is not None else None


def start_options(ctx: ServiceContext, session: Session, form: FormSchema) -> dict[str, Any]:
    """The start form's options, plus each offered help desk's catalogue and channels under BY_DESK_KEY."""
    options: dict[str, Any] = form_options(session, form, {})
    by_desk: dict[str, dict[str, list[dict[str, str]]]] = {}
    for desk in options.get("mesas", []):
        protocol = published_protocol(ctx, session, desk["value"])
        by_desk[desk["value"]] = {key: _options_for(session, key, {}, desk["value"], protocol) for key in _DESK_KEYS}
    defaults = _DEFAULT_CHANNEL if "canales" in options else {}
    return {**defaults, **options, BY_DESK_KEY: by_desk} if by_desk else {**defaults, **options}


def _values_keys(fields: Iterable[FormField]) -> set[str]:
    keys: set[str] = set()
    for field in fields:
        if field.values_key:
            keys.add(field.values_key)
        keys |= _values_keys(field.children)
    return keys


def _options_for(session: Session, key: str, variables: Mapping[str, Any], help_desk_code: str | None,
                 protocol: PinnedProtocol | None) -> list[dict[str, str]]:
    if key == "mesas":  # a case needs its desk's protocol: desks that never published one are not offered
        desks = session.scalars(
            select(HelpDesk).join(ProtocolVersion, (ProtocolVersion.help_desk_code == HelpDesk.code)
                                  & (ProtocolVersion.status == PUBLISHED))
            .where(HelpDesk.active.is_(True)).order_by(HelpDesk.name))
        return [{"label": d.name, "value": d.code} for d in desks]
    if key == "aplicaciones":
        return protocol.applications() if protocol else []
    if key == "canales":
        names = protocol.channels() if protocol else list(CHANNEL_LABELS)
        return [{"label": CHANNEL_LABELS.get(name, name), "value": name} for name in names]
    if key in _GROUP_LEVELS:
        query = select(Group).where(Group.level == _GROUP_LEVELS[key]).order_by(Group.name)
        if help_desk_code:  # routing stays inside the case's help desk (its protocol names only its groups)
            query = query.where(Group.help_desk_code == help_desk_code)
        return [{"label": g.description or g.name, "value": g.name} for g in session.scalars(query)]
    value = variables.get(key)
    if isinstance(value, list):
        return [item if isinstance(item, dict) else {"label": str(item), "value": str(item)} for item in value]
    return []


def desk_field_errors(form: FormSchema, errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Errors without those of desk-dependent fields when the desk itself is wrong: they cannot be judged yet."""
    if "mesa" not in errors:
        return dict(errors)
    dependent = {field.key for field in form.fields if field.values_key in _DESK_KEYS}
    return {key: messages for key, messages in errors.items() if key not in dependent}


def routing_errors(errors: Mapping[str, list[str]], help_desk_code: str | None) -> dict[str, list[str]]:
    """Form errors with a refused level-2/level-3 group said as such (the generic message names no desk)."""
    fixed = {key: list(messages) for key, messages in errors.items()}
    for key, level in (("grupo_nivel2", 2), ("grupo_nivel3", 3)):
        if help_desk_code and any(m.startswith("Valor no permitido") for m in fixed.get(key, [])):
            fixed[key] = [f"El grupo elegido no es un grupo de nivel {level} de la mesa '{help_desk_code}': "
                          "el caso solo se escala a grupos de su mesa según su protocolo."]
    return fixed


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
