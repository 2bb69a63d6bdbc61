"""A case's audit history as a Spanish timeline: in full for staff, simplified for requesters."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.services.views import EventView

# What a requester sees besides any event that changed the case's state.
PUBLIC_KINDS = frozenset({"case.started", "task.completed", "timer.fired", "comment.added", "attachment.added"})
SYSTEM_ACTOR = "sistema"


@dataclass(frozen=True)
class Change:
    """A variable's value before and after a step."""

    key: str
    before: str
    after: str


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
    emails: int = 0
    internal: bool = False


def timeline(history: Sequence[EventView], *, detailed: bool) -> list[TimelineEntry]:
    """The events in order; without `detailed`, internal events and data are left out (requesters)."""
    entries = [_entry(event, detailed) for event in history]
    return [entry for entry in entries if entry is not None]


def display_value(value: Any) -> str:
    """A stored value as people read it: Sí/No, — for nothing, JSON for lists and objects."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _entry(event: EventView, detailed: bool) -> TimelineEntry | None:
    payload = event.payload
    internal = payload.get("visibility") == "internal"
    state = _state(payload)
    if not detailed and (internal or (event.kind not in PUBLIC_KINDS and state is None)):
        return None
    who = "Sistema" if event.actor == SYSTEM_ACTOR else event.actor
    entry = TimelineEntry(event.occurred_at, who, _title(event), state=state, internal=internal)
    if not detailed:
        return entry
    data = payload.get("data") if event.kind in ("case.started", "task.completed") else payload.get("outputs")
    return TimelineEntry(
        entry.when, entry.who, entry.title, event.element_id, state, _pairs(data), _changes(payload.get("changes")),
        len(payload.get("emails") or ()), internal,
    )


def _title(event: EventView) -> str:
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
