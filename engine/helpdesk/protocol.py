"""A help desk's protocol as one document: catalogue and escalation matrix, channels, priorities, ANS, step
deadlines, calendar and responsible people.

The document is what a protocol version stores (as JSON), exports and imports, and what two versions are
compared by: one validated value instead of a dozen tables keeps versions immutable, diffable and portable.
Keys are Spanish because coordinators read and write the exported files; identifiers here are English.
`from_dict` is strict and reports every problem at once (`ProtocolError.problems`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.config import Settings
from engine.helpdesk.priority import default_matrix
from engine.helpdesk.protocol_calendar import CalendarSection, office_hours, read_calendar
from engine.helpdesk.protocol_read import Problem, ProtocolError, Reader, join
from engine.helpdesk.protocol_tables import (
    IMPACTS,
    PRIORITIES,
    TYPES,
    URGENCIES,
    Catalogue,
    Channel,
    GroupLevels,
    People,
    ServiceLevel,
    Target,
    read_catalogue,
    read_channels,
    read_deadlines,
    read_people,
    read_priorities,
    read_service_levels,
)

FORMAT = 1
FIRST_RESPONSE_ENDS = ("registro", "respuesta")
REVIEW_MONTHS = 12
SECTIONS = ("formato", "catalogo", "canales", "prioridades", "ans", "plazos", "calendario")


@dataclass(frozen=True)
class ProtocolDocument:
    """The body of one protocol version."""

    catalogue: Catalogue
    channels: dict[str, Channel]
    priority_matrix: dict[tuple[str, str], str]
    default_priority: dict[str, str]
    service_levels: dict[tuple[str, str], ServiceLevel]
    deadlines: dict[str, int]
    calendar: CalendarSection
    people: People = field(default_factory=People)
    # When the first-response ANS clock stops: "registro" (the case gets its ticket) or "respuesta" (an agent
    # first acts on it: completes a step or writes to the requester).
    first_response_ends: str = "registro"

    @classmethod
    def from_dict(cls, data: Any, groups: GroupLevels | None = None) -> ProtocolDocument:
        """Read plain data; with `groups` (name → level) every named group must be the help desk's."""
        reader = Reader()
        raw = reader.mapping(data, "", SECTIONS, ("responsables", "reglas_ans"))
        if raw is None:
            raise ProtocolError(reader.problems)
        if "formato" in raw and raw["formato"] != FORMAT:
            reader.fail("formato", f"formato {raw['formato']!r} desconocido; este programa lee el formato {FORMAT}")

        def section(key: str, read: Any, *extra: Any) -> Any:
            return read(reader, raw[key], key, *extra) if key in raw else None

        catalogue = section("catalogo", read_catalogue, groups)
        channels = section("canales", read_channels)
        priorities = section("prioridades", read_priorities)
        calendar = section("calendario", read_calendar)
        levels = section("ans", read_service_levels, calendar.shortest_working_day() if calendar else None)
        deadlines = section("plazos", read_deadlines)
        people = section("responsables", read_people) if "responsables" in raw else People()
        ends = section("reglas_ans", read_service_level_rules) if "reglas_ans" in raw else "registro"
        if reader.problems or None in (catalogue, channels, priorities, levels, deadlines, calendar, people, ends):
            raise ProtocolError(reader.problems)
        return cls(catalogue, channels, priorities[0], priorities[1], levels, deadlines, calendar, people, ends)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON/YAML ready) that `from_dict` reads back to an equal document."""
        return {
            "formato": FORMAT,
            "catalogo": {"grupo_nivel2_por_defecto": self.catalogue.default_level2_group, "servicios": [
                {"nombre": s.name, "descripcion": s.description, "grupo_nivel2": s.level2_group,
                 "grupo_nivel3": s.level3_group} for s in self.catalogue.services],
                "permite_otra": self.catalogue.allows_other},
            "canales": {name: {"habilitado": c.enabled, "contacto": c.contact} for name, c in self.channels.items()},
            "prioridades": {
                "matriz": {i: {u: self.priority_matrix[i, u] for u in URGENCIES} for i in IMPACTS},
                "por_tipo": dict(self.default_priority)},
            "ans": {kind: {p: {"primera_respuesta": self.service_levels[kind, p].first_response.to_dict(),
                               "resolucion": self.service_levels[kind, p].resolution.to_dict()}
                           for p in PRIORITIES} for kind in TYPES},
            "plazos": dict(self.deadlines),
            "calendario": self.calendar.to_dict(),
            "reglas_ans": {"primera_respuesta_termina": self.first_response_ends},
            "responsables": {
                "grupos": [{"nombre": g.name, "nivel": g.level, "externo": g.external, "miembros": list(g.members)}
                           for g in self.people.groups],
                "coordinadores": list(self.people.coordinators)},
        }

    def with_people(self, people: People) -> ProtocolDocument:
        """The same document with another snapshot of responsible people."""
        return dataclasses.replace(self, people=people)


def read_service_level_rules(reader: Reader, value: Any, path: str) -> str | None:
    """When the first-response clock stops (`primera_respuesta_termina`: registro | respuesta)."""
    raw = reader.mapping(value, path, ("primera_respuesta_termina",))
    if raw is None:
        return None
    return reader.choice(raw.get("primera_respuesta_termina"), join(path, "primera_respuesta_termina"),
                         FIRST_RESPONSE_ENDS)


def review_limit(approved_on: date) -> date:
    """The latest next-review date: the same day twelve months after approval (28 Feb for a 29 Feb)."""
    try:
        return approved_on.replace(year=approved_on.year + REVIEW_MONTHS // 12)
    except ValueError:
        return approved_on.replace(year=approved_on.year + 1, day=28)


def check_next_review(approved_on: date, next_review: date, path: str = "proxima_revision") -> list[Problem]:
    """Problems of a next-review date: after approval and at most twelve months later (procedure, policy 3)."""
    if next_review <= approved_on:
        return [Problem(path, f"la próxima revisión ({next_review.isoformat()}) debe ser posterior a la aprobación "
                              f"({approved_on.isoformat()})")]
    if next_review > review_limit(approved_on):
        return [Problem(path, f"la próxima revisión ({next_review.isoformat()}) debe ser a más tardar el "
                              f"{review_limit(approved_on).isoformat()}: el protocolo se revisa al menos una vez "
                              "al año")]
    return []


# First response / resolution of a brand-new protocol, per tipo and priority (critica … planificada).
_DEFAULT_TARGETS: dict[str, tuple[tuple[Target, Target], ...]] = {
    "incidencia": ((Target(1, "horas"), Target(4, "horas")), (Target(2, "horas"), Target(8, "horas")),
                   (Target(4, "horas"), Target(2, "dias")), (Target(8, "horas"), Target(3, "dias")),
                   (Target(1, "dias"), Target(5, "dias"))),
    "peticion": ((Target(2, "horas"), Target(1, "dias")), (Target(4, "horas"), Target(3, "dias")),
                 (Target(1, "dias"), Target(5, "dias")), (Target(1, "dias"), Target(10, "dias")),
                 (Target(2, "dias"), Target(15, "dias"))),
    "problema": ((Target(2, "horas"), Target(3, "dias")), (Target(4, "horas"), Target(5, "dias")),
                 (Target(1, "dias"), Target(10, "dias")), (Target(2, "dias"), Target(20, "dias")),
                 (Target(3, "dias"), Target(30, "dias"))),
}


def default_protocol(settings: Settings, default_level2_group: str) -> ProtocolDocument:
    """A new help desk's first draft: MESA_PLAZOS, today's priority rules, Mon–Fri 08:00–17:00, portal only.

    The catalogue starts empty with every application escalating to the help desk's default level-2 group.
    """
    return ProtocolDocument(
        catalogue=Catalogue(default_level2_group, ()),
        channels={name: Channel(name == "portal") for name in ("portal", "correo", "telefono", "presencial")},
        priority_matrix=default_matrix(),
        default_priority=dict.fromkeys(TYPES, "media"),
        service_levels={(kind, p): ServiceLevel(*targets[n]) for kind, targets in _DEFAULT_TARGETS.items()
                        for n, p in enumerate(PRIORITIES)},
        deadlines=dict(settings.deadlines),
        calendar=office_hours(),
    )


__all__ = ["Problem", "ProtocolDocument", "ProtocolError", "check_next_review", "default_protocol", "review_limit"]
