"""Plain values that services hand back (never ORM rows or SpiffWorkflow objects)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from engine.db.models import Case, CaseEvent, InboxTask


class Role(StrEnum):
    """A user's role, stored as its Spanish name; SYSTEM is the scheduler's own actor, never a user's."""

    REQUESTER = "solicitante"
    AGENT = "agente"
    OWNER = "dueno"
    AUDITOR = "auditor"
    # Manages the protocol of the help desks linked to them and follows up their cases (the procedure's
    # "coordinador de grupo o jefe de dependencia").
    COORDINATOR = "coordinador"
    ADMIN = "admin"
    SYSTEM = "sistema"


@dataclass(frozen=True)
class Actor:
    """Who acts: user name, role and group names; `external` when every group of theirs is a provider's."""

    username: str
    role: Role
    groups: frozenset[str] = frozenset()
    # Providers and outside bodies (policy 1) are not DNP staff: they never read internal notes or working data.
    external: bool = False

    def __post_init__(self) -> None:
        # Stored roles are plain strings: make them a Role here so an unknown one fails at once, not in a check.
        object.__setattr__(self, "role", Role(self.role))

    @property
    def is_system(self) -> bool:
        """True for the scheduler acting on its own."""
        return self.role is Role.SYSTEM


SYSTEM = Actor("sistema", Role.SYSTEM)


@dataclass(frozen=True)
class TaskView:
    """A user task as the inbox shows it."""

    id: str
    case_id: int
    ticket: str | None
    element_id: str
    name: str
    lane: str | None
    candidate_groups: tuple[str, ...]
    candidate_users: tuple[str, ...]
    assignee: str | None
    due_at: datetime | None
    follow_up_at: datetime | None
    priority: int
    form_id: str | None
    created_at: datetime
    case_subject: str = ""
    case_state: str = ""
    help_desk_code: str | None = None
    application: str = ""
    completed_at: datetime | None = None
    completed_by: str | None = None
    requester: str = ""
    # The case's most urgent ANS clock: "corriendo" (with its 75 % and 100 % instants), "pausado" or None.
    ans_state: str | None = None
    ans_clock: str | None = None
    ans_warn_at: datetime | None = None
    ans_due_at: datetime | None = None

    @classmethod
    def of(cls, row: InboxTask, case: Case) -> TaskView:
        """Build from a projection row and its case."""
        return cls(
            id=row.id, case_id=row.case_id, ticket=case.ticket, element_id=row.element_id, name=row.name,
            lane=row.lane, candidate_groups=_split(row.candidate_groups), candidate_users=_split(row.candidate_users),
            assignee=row.assignee, due_at=row.due_at, follow_up_at=row.follow_up_at, priority=row.priority,
            form_id=row.form_id, created_at=row.created_at, case_subject=case.subject, case_state=case.state,
            help_desk_code=case.help_desk_code, application=case.application, completed_at=row.completed_at,
            completed_by=row.completed_by, requester=case.requester, ans_state=row.ans_state,
            ans_clock=row.ans_clock, ans_warn_at=row.ans_warn_at, ans_due_at=row.ans_due_at,
        )


@dataclass(frozen=True)
class EventView:
    """One audit event."""

    seq: int
    kind: str
    actor: str
    occurred_at: datetime
    element_id: str | None
    payload: dict[str, Any]

    @classmethod
    def of(cls, row: CaseEvent) -> EventView:
        """Build from a stored event."""
        return cls(row.seq, row.kind, row.actor, row.occurred_at, row.element_id, json.loads(row.payload_json))


@dataclass(frozen=True)
class CaseView:
    """A case with its ready tasks (and, when asked, its history)."""

    id: int
    ticket: str | None
    process_id: str
    process_version: int
    state: str
    is_open: bool
    requester: str
    help_desk_code: str | None
    subject: str
    application: str
    data: dict[str, Any]
    ready_tasks: tuple[TaskView, ...]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    next_timer_at: datetime | None
    history: tuple[EventView, ...] = ()
    # Per variable, option value → label from the forms of the case's version (only when asked for).
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def shown(self, key: str) -> Any:
        """A variable as people read it: an option's label instead of its value (each one, for lists)."""
        value, labels = self.data.get(key), self.labels.get(key, {})
        if isinstance(value, list):
            return [labels.get(str(item), item) for item in value]
        return labels.get(str(value), value) if isinstance(value, str) else value


@dataclass(frozen=True)
class FiredTimers:
    """What one case did when its due timers fired."""

    case_id: int
    ticket: str | None
    elements: tuple[str, ...]
    state: str


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(",") if part)
