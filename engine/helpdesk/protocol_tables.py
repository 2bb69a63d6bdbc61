"""The tables of a protocol besides its calendar: catalogue, channels, priorities, ANS, step deadlines, people.

Each `read_*` checks one section with a shared Reader (so every problem of the file comes out at once) and
returns its frozen value, or None when the section had problems.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.config import DEFAULT_DEADLINES
from engine.helpdesk.escalation import application_key
from engine.helpdesk.priority import LEVELS
from engine.helpdesk.protocol_read import Reader, join

TYPES = ("incidencia", "peticion", "problema")
PRIORITIES = tuple(LEVELS)
IMPACTS = ("alto", "medio", "bajo")
URGENCIES = ("alta", "media", "baja")
UNITS = ("horas", "dias")
CHANNELS = ("portal", "correo", "telefono", "presencial")
# Ley 1755 de 2015, art. 14: a derecho de petición is answered within 15 business days.
LEGAL_PETITION_DAYS = 15
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DEADLINE_NAME = re.compile(r"[a-z][a-z0-9_]{0,59}")

# Group name → service level (1, 2, 3) of the help desk's groups; None when reading without the database.
GroupLevels = Mapping[str, int]


@dataclass(frozen=True)
class Service:
    """An application or service of the catalogue and where its cases escalate."""

    name: str
    description: str
    level2_group: str
    level3_group: str | None = None


@dataclass(frozen=True)
class Catalogue:
    """The services and the escalation matrix; unknown applications go to the default level-2 group.

    `allows_other`: the start form offers 'otra' besides the services (true by default, as before catalogues).
    """

    default_level2_group: str
    services: tuple[Service, ...]
    allows_other: bool = True


@dataclass(frozen=True)
class Channel:
    """A reporting channel: enabled or not, and how to reach it (the address, for correo)."""

    enabled: bool
    contact: str = ""


@dataclass(frozen=True)
class Target:
    """A service-level target in business hours or business days."""

    value: int
    unit: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"valor": self.value, "unidad": self.unit}


@dataclass(frozen=True)
class ServiceLevel:
    """First response and resolution targets of one tipo × prioridad."""

    first_response: Target
    resolution: Target


@dataclass(frozen=True)
class GroupPeople:
    """A group of the help desk and its members when the version was written."""

    name: str
    level: int
    external: bool
    members: tuple[str, ...]


@dataclass(frozen=True)
class People:
    """Responsible people per level and the coordinators: a snapshot the services take from the database."""

    groups: tuple[GroupPeople, ...] = ()
    coordinators: tuple[str, ...] = ()


def read_catalogue(reader: Reader, value: Any, path: str, groups: GroupLevels | None) -> Catalogue | None:
    """The catalogue; with `groups`, each named group must be one of the help desk's at the right level."""
    raw = reader.mapping(value, path, ("grupo_nivel2_por_defecto", "servicios"), ("permite_otra",))
    if raw is None:
        return None
    before = len(reader.problems)
    allows_other = reader.flag(raw.get("permite_otra", True), join(path, "permite_otra"))
    default = _group(reader, raw.get("grupo_nivel2_por_defecto"), join(path, "grupo_nivel2_por_defecto"), 2, groups)
    services: list[Service] = []
    seen: set[str] = set()
    for n, item in enumerate(reader.listing(raw.get("servicios"), join(path, "servicios")) or []):
        service = _read_service(reader, item, join(join(path, "servicios"), n), groups)
        if service is not None:
            if application_key(service.name) in seen:
                reader.fail(join(join(path, "servicios"), n), f"el servicio '{service.name}' está repetido")
            seen.add(application_key(service.name))
            services.append(service)
    if len(reader.problems) > before or default is None or allows_other is None:
        return None
    return Catalogue(default, tuple(services), allows_other)


def _read_service(reader: Reader, value: Any, path: str, groups: GroupLevels | None) -> Service | None:
    raw = reader.mapping(value, path, ("nombre", "descripcion", "grupo_nivel2"), ("grupo_nivel3",))
    if raw is None:
        return None
    name = reader.text(raw.get("nombre"), join(path, "nombre"), limit=120)
    description = reader.text(raw.get("descripcion", ""), join(path, "descripcion"), empty=True)
    level2 = _group(reader, raw.get("grupo_nivel2"), join(path, "grupo_nivel2"), 2, groups)
    level3 = raw.get("grupo_nivel3")
    if level3 is not None:
        level3 = _group(reader, level3, join(path, "grupo_nivel3"), 3, groups)
        if level3 is None:
            return None
    if name is None or description is None or level2 is None:
        return None
    return Service(name, description, level2, level3)


def _group(reader: Reader, value: Any, path: str, level: int, groups: GroupLevels | None) -> str | None:
    name = reader.text(value, path, limit=120)
    if name is None or groups is None:
        return name
    if name not in groups:
        reader.fail(path, f"el grupo '{name}' no existe en esta mesa")
        return None
    if groups[name] != level:
        reader.fail(path, f"el grupo '{name}' es de nivel {groups[name]}, no de nivel {level}")
        return None
    return name


def read_channels(reader: Reader, value: Any, path: str) -> dict[str, Channel] | None:
    """Every channel, enabled or not; an enabled correo needs its address."""
    raw = reader.mapping(value, path, CHANNELS)
    if raw is None:
        return None
    before = len(reader.problems)
    channels: dict[str, Channel] = {}
    for name in CHANNELS:
        item = reader.mapping(raw.get(name), join(path, name), ("habilitado",), ("contacto",))
        if item is None:
            continue
        enabled = reader.flag(item.get("habilitado"), join(join(path, name), "habilitado"))
        contact = reader.text(item.get("contacto", ""), join(join(path, name), "contacto"), empty=True)
        if enabled and name == "correo" and contact is not None and not _EMAIL.fullmatch(contact):
            reader.fail(join(join(path, name), "contacto"), "el canal correo habilitado necesita una dirección "
                        f"de correo válida (es {contact!r})")
        elif enabled is not None and contact is not None:
            channels[name] = Channel(enabled, contact)
    if len(reader.problems) == before and not any(c.enabled for c in channels.values()):
        reader.fail(path, "habilite al menos un canal de atención")
    return channels if len(reader.problems) == before else None


def read_priorities(reader: Reader, value: Any,
                    path: str) -> tuple[dict[tuple[str, str], str], dict[str, str]] | None:
    """The complete impacto × urgencia matrix and the priority of a case not yet classified, per tipo."""
    raw = reader.mapping(value, path, ("matriz", "por_tipo"))
    if raw is None:
        return None
    matrix = reader.grid(raw.get("matriz"), join(path, "matriz"), IMPACTS, URGENCIES,
                         lambda item, where: reader.choice(item, where, PRIORITIES))
    types = reader.mapping(raw.get("por_tipo"), join(path, "por_tipo"), TYPES) or {}
    by_type = {kind: reader.choice(types[kind], join(join(path, "por_tipo"), kind), PRIORITIES)
               for kind in TYPES if kind in types}
    if matrix is None or len(by_type) < len(TYPES) or None in by_type.values():
        return None
    return matrix, {kind: found for kind, found in by_type.items() if found}


def read_service_levels(reader: Reader, value: Any, path: str,
                        shortest_day: float | None) -> dict[tuple[str, str], ServiceLevel] | None:
    """The ANS table: every tipo × prioridad with its first-response and resolution targets.

    A petición's resolution may not exceed the legal term; in hours it is counted with the calendar's shortest
    working day (`shortest_day` hours; None when the calendar is itself wrong and only days can be checked).
    """

    def cell(item: Any, where: str) -> ServiceLevel | None:
        level = _service_level(reader, item, where)
        if level is not None and where.split(".")[-2] == "peticion":
            _check_legal_term(reader, level.resolution, join(where, "resolucion"), shortest_day)
        return level

    return reader.grid(value, path, TYPES, PRIORITIES, cell)


def _check_legal_term(reader: Reader, target: Target, path: str, shortest_day: float | None) -> None:
    if target.unit == "dias" and target.value > LEGAL_PETITION_DAYS:
        reader.fail(path, f"{target.value} días hábiles excede el término legal del derecho de petición "
                          f"({LEGAL_PETITION_DAYS} días hábiles, Ley 1755 de 2015)")
    elif target.unit == "horas" and shortest_day and target.value > LEGAL_PETITION_DAYS * shortest_day:
        reader.fail(path, f"{target.value} horas hábiles excede el término legal del derecho de petición "
                          f"({LEGAL_PETITION_DAYS} días hábiles = {LEGAL_PETITION_DAYS * shortest_day:g} horas "
                          "con el día hábil más corto de la mesa, Ley 1755 de 2015)")


def _service_level(reader: Reader, value: Any, path: str) -> ServiceLevel | None:
    cell = reader.mapping(value, path, ("primera_respuesta", "resolucion"))
    if cell is None:
        return None
    first = _target(reader, cell.get("primera_respuesta"), join(path, "primera_respuesta"))
    resolution = _target(reader, cell.get("resolucion"), join(path, "resolucion"))
    return ServiceLevel(first, resolution) if first and resolution else None


def _target(reader: Reader, value: Any, path: str) -> Target | None:
    raw = reader.mapping(value, path, ("valor", "unidad"))
    if raw is None:
        return None
    amount = reader.positive(raw.get("valor"), join(path, "valor"))
    unit = reader.choice(raw.get("unidad"), join(path, "unidad"), UNITS)
    return Target(amount, unit) if amount is not None and unit is not None else None


def read_deadlines(reader: Reader, value: Any, path: str) -> dict[str, int] | None:
    """Step deadlines in business days: every one the process uses (MESA_PLAZOS' names), more allowed."""
    if not isinstance(value, Mapping):
        reader.fail(path, "debe ser un objeto nombre: días hábiles")
        return None
    before = len(reader.problems)
    for name in DEFAULT_DEADLINES:
        if name not in value:
            reader.fail(join(path, name), "falta este plazo (lo usa el proceso)")
    deadlines: dict[str, int] = {}
    for name, days in value.items():
        if not isinstance(name, str) or not _DEADLINE_NAME.fullmatch(name):
            reader.fail(join(path, name), "nombre de plazo inválido (minúsculas, dígitos y '_')")
        elif (found := reader.positive(days, join(path, name))) is not None:
            deadlines[name] = found
    return deadlines if len(reader.problems) == before else None


def read_people(reader: Reader, value: Any, path: str) -> People | None:
    """The snapshot of groups, members and coordinators (written by the services, read back from files)."""
    raw = reader.mapping(value, path, ("grupos", "coordinadores"))
    if raw is None:
        return None
    before = len(reader.problems)
    groups: list[GroupPeople] = []
    for n, item in enumerate(reader.listing(raw.get("grupos"), join(path, "grupos")) or []):
        here = join(join(path, "grupos"), n)
        group = reader.mapping(item, here, ("nombre", "nivel", "externo", "miembros"))
        if group is None:
            continue
        name = reader.text(group.get("nombre"), join(here, "nombre"), limit=120)
        level = group.get("nivel")
        if isinstance(level, bool) or level not in (1, 2, 3):
            reader.fail(join(here, "nivel"), f"el nivel debe ser 1, 2 o 3 (es {level!r})")
            level = None
        external = reader.flag(group.get("externo"), join(here, "externo"))
        members = _names(reader, group.get("miembros"), join(here, "miembros"))
        if name is not None and level is not None and external is not None and members is not None:
            groups.append(GroupPeople(name, level, external, members))
    coordinators = _names(reader, raw.get("coordinadores"), join(path, "coordinadores"))
    if len(reader.problems) > before or coordinators is None:
        return None
    return People(tuple(groups), coordinators)


def _names(reader: Reader, value: Any, path: str) -> tuple[str, ...] | None:
    items = reader.listing(value, path)
    if items is None:
        return None
    names = [reader.text(item, join(path, n), limit=80) for n, item in enumerate(items)]
    return tuple(sorted(name for name in names if name)) if all(names) else None
