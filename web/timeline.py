"""A case's audit history as a Spanish timeline: in full for staff and auditors, simplified for requesters.

Which events and values a role reads is the engine's decision (engine.services.people.readable): the history given
here is already filtered for the reader; `detailed` only chooses how much of each line to draw.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.services.audit.history import EmailView
from engine.services.views import EventView

SYSTEM_ACTOR = "sistema"


@dataclass(frozen=True)
class Change:
    """A variable's value before and after a step."""

    key: str
    before: str
    after: str


@dataclass(frozen=True)
class EmailLine:
    """An email a step queued: its Message-ID, and its outbox row when the page has it (the audit page)."""

    message_id: str
    email: EmailView | None = None


@dataclass(frozen=True)
class CarriedTimer:
    """A timer a migration kept armed, with its due time (None when the recorded text is not a date)."""

    element_id: str
    due: datetime | None
    recorded: str


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline."""

    when: datetime
    who: str
    title: str
    element: str | None = None
    state: tuple[str, str] | None = None
    data: tuple[tuple[str, str], ...] = ()
    changes: tuple[Change, ...] = ()
    emails: tuple[EmailLine, ...] = ()
    internal: bool = False
    seq: int = 0
    kind: str = ""
    body: str = ""
    facts: tuple[tuple[str, str], ...] = ()
    timers: tuple[CarriedTimer, ...] = ()


def timeline(history: Sequence[EventView], *, detailed: bool,
             emails: Mapping[str, EmailView] | None = None) -> list[TimelineEntry]:
    """The events in order; without `detailed`, each as a title and its change of state only (requesters).

    With `emails` (outbox rows by Message-ID) each entry carries the emails its event queued, in full.
    """
    return [_entry(event, detailed, emails or {}) for event in history]


def display_value(value: Any) -> str:
    """A stored value as people read it: Sí/No, — for nothing, JSON for lists and objects."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _entry(event: EventView, detailed: bool, emails: Mapping[str, EmailView]) -> TimelineEntry:
    payload = event.payload
    internal = payload.get("visibility") == "internal"
    state = _state(payload)
    who = "Sistema" if event.actor == SYSTEM_ACTOR else event.actor
    entry = TimelineEntry(event.occurred_at, who, event_title(event), state=state, internal=internal, seq=event.seq,
                          kind=event.kind)
    if not detailed:
        return entry
    data = payload.get("data") if event.kind in ("case.started", "task.completed") else payload.get("outputs")
    queued = tuple(EmailLine(str(m), emails.get(str(m))) for m in payload.get("emails") or ())
    body = str(payload.get("body") or "") if event.kind == "comment.added" else ""
    return TimelineEntry(
        entry.when, entry.who, entry.title, event.element_id, state, _pairs(data), _changes(payload.get("changes")),
        queued, internal, event.seq, event.kind, body, _facts(event), _timers(payload.get("timers")),
    )


def event_title(event: EventView) -> str:
    """What the event did, in a short Spanish sentence ("Completó «Escalar a nivel 2»")."""
    payload = event.payload
    name = payload.get("name") or event.element_id or ""
    kind = event.kind
    if kind == "case.started":
        requester = payload.get("requester")
        behalf = f" a nombre de {requester}" if requester and requester != event.actor else ""
        return f"Registró el caso{behalf}"
    if kind == "comment.added":
        return "Escribió una nota interna" if payload.get("visibility") == "internal" else "Escribió una respuesta"
    if kind == "attachment.added":
        return f"Adjuntó el archivo «{payload.get('filename', '')}»"
    if kind == "task.assigned":
        assignee = (payload.get("assignee") or {}).get("after") or "nadie"
        return f"Asignó la tarea «{name}» a {assignee}"
    if kind == "case.migrated":
        return f"Migró el caso de la versión {payload.get('from_version')} a la versión {payload.get('to_version')}"
    titles = {
        "task.completed": f"Completó «{name}»",
        "service.completed": f"Paso automático: «{name}»",
        "timer.fired": f"Se cumplió el plazo «{name}»",
        "task.claimed": f"Tomó la tarea «{name}»",
        "task.released": f"Liberó la tarea «{name}»",
    }
    return titles.get(kind, f"{kind} {name}".strip())


def _state(payload: Mapping[str, Any]) -> tuple[str, str] | None:
    state = payload.get("state")
    if not isinstance(state, Mapping):
        return None
    return str(state.get("before") or "—"), str(state.get("after") or "—")


def _pairs(values: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(values, Mapping):
        return ()
    return tuple((str(key), display_value(value)) for key, value in sorted(values.items()))


def _changes(changes: Any) -> tuple[Change, ...]:
    if not isinstance(changes, Mapping):
        return ()
    return tuple(Change(str(key), display_value(change.get("before")), display_value(change.get("after")))
                 for key, change in sorted(changes.items()) if isinstance(change, Mapping))


def _facts(event: EventView) -> tuple[tuple[str, str], ...]:
    """What else an event recorded, as label and value: the assignee, an attachment's file, migrated tasks."""
    payload = event.payload
    if event.kind in ("task.claimed", "task.released", "task.assigned"):
        assignee = payload.get("assignee") or {}
        return (("Responsable", f"{assignee.get('before') or 'nadie'} → {assignee.get('after') or 'nadie'}"),)
    if event.kind == "attachment.added":
        return (("Archivo", str(payload.get("filename", ""))), ("Tamaño", f"{payload.get('size', 0)} bytes"),
                ("SHA-256", str(payload.get("sha256", ""))),
                ("Visibilidad", "interna" if payload.get("visibility") == "internal" else "pública"))
    if event.kind == "case.migrated":
        tasks = ", ".join(str(task) for task in payload.get("tasks") or ()) or "ninguna"
        return (("Despliegues", f"{payload.get('from_deployment')} → {payload.get('to_deployment')}"),
                ("Tareas conservadas", tasks))
    return ()


def _timers(timers: Any) -> tuple[CarriedTimer, ...]:
    if not isinstance(timers, Sequence) or isinstance(timers, str):
        return ()
    return tuple(CarriedTimer(str(t.get("element_id", "")), _instant(t.get("due")), str(t.get("due") or ""))
                 for t in timers if isinstance(t, Mapping))


def _instant(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None
