"""Side-by-side comparison of two protocol documents, table by table and row by row.

Every table of a protocol is flattened into keyed rows of short texts (the same words the page shows), so one
generic comparison serves the catalogue, the ANS, the calendar and the rest; unchanged rows are kept because the
page shows both versions whole, with the changes marked.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.helpdesk.protocol import ProtocolDocument
from engine.helpdesk.protocol_calendar import WEEKDAYS
from engine.helpdesk.protocol_tables import IMPACTS, PRIORITIES, TYPES, URGENCIES, Target

Row = dict[str, str]
TABLES = {
    "catalogo": "Catálogo de servicios y matriz de escalamiento",
    "canales": "Canales de atención",
    "matriz_prioridad": "Matriz de prioridad (impacto × urgencia)",
    "prioridad_por_tipo": "Prioridad de un caso sin clasificar",
    "ans": "ANS (primera respuesta y resolución)",
    "reglas_ans": "Reglas de los relojes ANS",
    "plazos": "Plazos del procedimiento (días hábiles)",
    "horario": "Horario de atención",
    "excepciones": "Cierres y aperturas",
    "responsables": "Responsables por nivel y coordinadores",
}


@dataclass(frozen=True)
class RowDiff:
    """One row in both versions; status is igual, agregado, eliminado or cambiado."""

    key: str
    status: str
    before: Row | None
    after: Row | None

    @property
    def changed_columns(self) -> tuple[str, ...]:
        """Columns whose text differs (all of them for added or removed rows)."""
        before, after = self.before or {}, self.after or {}
        return tuple(c for c in dict.fromkeys([*before, *after]) if before.get(c) != after.get(c))


@dataclass(frozen=True)
class TableDiff:
    """One table of the protocol compared."""

    name: str
    title: str
    rows: tuple[RowDiff, ...]

    @property
    def changes(self) -> tuple[RowDiff, ...]:
        """The rows that are not equal."""
        return tuple(row for row in self.rows if row.status != "igual")


def diff(old: ProtocolDocument | None, new: ProtocolDocument) -> tuple[TableDiff, ...]:
    """Every table of `new` against `old` (None: a first version, every row added)."""
    before, after = tables(old) if old else {}, tables(new)
    return tuple(TableDiff(name, title, _rows(before.get(name, {}), after[name])) for name, title in TABLES.items())


def _rows(before: dict[str, Row], after: dict[str, Row]) -> tuple[RowDiff, ...]:
    rows = []
    for key in dict.fromkeys([*after, *before]):
        old, new = before.get(key), after.get(key)
        status = "agregado" if old is None else "eliminado" if new is None else "igual" if old == new else "cambiado"
        rows.append(RowDiff(key, status, old, new))
    return tuple(rows)


def tables(document: ProtocolDocument) -> dict[str, dict[str, Row]]:
    """The document as keyed rows of texts, per table."""
    catalogue = {"(cualquier otra aplicación)": {"grupo_nivel2": document.catalogue.default_level2_group,
                                                 "se ofrece": "sí" if document.catalogue.allows_other else "no"}}
    catalogue |= {s.name: {"descripcion": s.description, "grupo_nivel2": s.level2_group,
                           "grupo_nivel3": s.level3_group or "-"} for s in document.catalogue.services}
    people = {f"nivel {g.level} · {g.name}": {"externo": _yes(g.external), "miembros": ", ".join(g.members) or "-"}
              for g in document.people.groups}
    people["coordinadores"] = {"miembros": ", ".join(document.people.coordinators) or "-"}
    calendar = document.calendar
    return {
        "catalogo": catalogue,
        "canales": {name: {"habilitado": _yes(c.enabled), "contacto": c.contact or "-"}
                    for name, c in document.channels.items()},
        "matriz_prioridad": {f"{i} × {u}": {"prioridad": document.priority_matrix[i, u]}
                             for i in IMPACTS for u in URGENCIES},
        "prioridad_por_tipo": {kind: {"prioridad": document.default_priority[kind]} for kind in TYPES},
        "ans": {f"{kind} · {p}": {"primera_respuesta": _target(document.service_levels[kind, p].first_response),
                                  "resolucion": _target(document.service_levels[kind, p].resolution)}
                for kind in TYPES for p in PRIORITIES},
        "reglas_ans": {"primera respuesta termina con": {"valor": document.first_response_ends}},
        "plazos": {name: {"dias": str(days)} for name, days in document.deadlines.items()},
        "horario": {name: {"horario": ", ".join(map(str, calendar.week[n])) or "no se atiende"}
                    for n, name in enumerate(WEEKDAYS)} | {"festivos": {"horario": f"festivos {calendar.holidays}"}},
        "excepciones": {c.day.isoformat(): {"tipo": "cierre", "motivo": c.reason} for c in calendar.closures}
                       | {o.day.isoformat(): {"tipo": "apertura", "motivo": o.reason} for o in calendar.openings},
        "responsables": people,
    }


def _target(target: Target) -> str:
    return f"{target.value} {target.unit}"


def _yes(flag: bool) -> str:
    return "sí" if flag else "no"
