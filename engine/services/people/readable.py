"""What each role reads of a case: one role-filtered view that the pages and the API both serialise.

Staff (agents, owners, auditors, administrators) read a case in full. A requester reads what the case page has
always shown them: the variables of the case's summary, and the history without internal notes, internal files,
the agents' working data or the automatic steps (only what they did, what was done to their tasks and each change
of state, each with the few values its line needs). A provider or outside body (a member of an external level-3
group) reads the same as a requester plus what the escalated work needs: why it was escalated, level 2's
diagnosis, the solution so far and why a requester rejected it (never level 1's or level 2's notes to each other).
Comments and attachments are filtered the same way by `engine.services.cases.notes` and `files` (through
`sees_internal`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from engine.services.people.policy import sees_internal
from engine.services.views import Actor, CaseView, EventView

# The variables a requester reads: what they reported, and what the case page tells them back.
REQUESTER_FIELDS = frozenset({
    "mesa", "mesa_nombre", "aplicacion", "asunto", "descripcion", "tipo", "canal", "contacto", "solicitante",
    "ticket", "prioridad", "categoria", "informacion_faltante", "informacion_adicional",
})
# What a provider reads besides: the variables of the escalated task (solucionar_escalado) and what led to it.
PROVIDER_FIELDS = REQUESTER_FIELDS | {
    "motivo_escalamiento", "diagnostico", "diagnostico_nivel3", "solucion", "impacto", "urgencia", "tipo_nivel3",
    "grupo_nivel3", "motivo_rechazo",
}
# The events a requester reads besides any that changed the case's state.
PUBLIC_KINDS = frozenset({"case.started", "task.completed", "timer.fired", "comment.added", "attachment.added"})
# What of a public event a requester reads: what names the step (its title) and the change of state.
PUBLIC_PAYLOAD = ("name", "state", "requester", "visibility", "filename", "assignee", "from_version", "to_version")


def readable_case(actor: Actor, case: CaseView) -> CaseView:
    """The case as the actor's role may read it (the same object for staff)."""
    if sees_internal(actor):
        return case
    fields = PROVIDER_FIELDS if actor.external else REQUESTER_FIELDS
    data = {key: value for key, value in case.data.items() if key in fields}
    labels = {key: value for key, value in case.labels.items() if key in fields}
    return dataclasses.replace(case, data=data, labels=labels, history=readable_events(actor, case.history))


def readable_events(actor: Actor, history: Sequence[EventView]) -> tuple[EventView, ...]:
    """The events the actor's role reads, each with what of its payload they may read."""
    if sees_internal(actor):
        return tuple(history)
    return tuple(_public(event) for event in history if is_public_event(event))


def is_public_event(event: EventView) -> bool:
    """An event a requester reads: not internal, and of a public kind or changing the case's state."""
    if event.payload.get("visibility") == "internal":
        return False
    return event.kind in PUBLIC_KINDS or changes_state(event.payload)


def changes_state(payload: Mapping[str, Any]) -> bool:
    """The event recorded the case's state before and after."""
    return isinstance(payload.get("state"), Mapping)


def _public(event: EventView) -> EventView:
    payload = {key: event.payload[key] for key in PUBLIC_PAYLOAD if key in event.payload}
    return dataclasses.replace(event, payload=payload)
