"""The event log of the cases a filter selects, read a batch of cases at a time: one trace per case.

Mapping of the audit chain to process-mining events (audit order, `seq`, is the event order):
- `case.started` → the start event's name ("Incidencia o solicitud reportada"), `complete`, by who reported;
- `task.completed` → the task's name, `complete`, by who completed it, `concept:instance` = the task id;
- `service.completed` → the service task's name, `complete`, by "sistema";
- `timer.fired` → the timer event's name, `complete`, by "sistema";
- with transitions="all" also `task.claimed` → `assign` (by who claimed) and `task.assigned` → `assign`, or
  `reassign` when someone else held it (resource = the new assignee). `task.released`, comments and
  attachments are not activities and are left out.
The group of every event is the BPMN lane of its element in the case's deployed version.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from engine.db.models import Case, CaseEvent, Deployment
from engine.services.context import ServiceContext

Transitions = Literal["complete", "all"]
ACTIVITY_KINDS = ("case.started", "task.completed", "service.completed", "timer.fired")
ASSIGNMENT_KINDS = ("task.claimed", "task.assigned")
DEFAULT_BATCH = 500
START_NAME = "Caso iniciado"  # when the start event has no name


@dataclass(frozen=True)
class LogFilter:
    """Which cases (help desk, created in [created_from, created_to), process, version) and which transitions."""

    help_desk: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    process_id: str | None = None
    version: int | None = None
    transitions: Transitions = "complete"


@dataclass(frozen=True)
class LogEvent:
    """One event of a trace, in XES terms."""

    activity: str
    transition: str
    timestamp: datetime
    resource: str
    group: str | None
    seq: int
    element_id: str | None
    instance: str | None = None


@dataclass(frozen=True)
class LogTrace:
    """One case and its events, in audit order."""

    case_id: int
    ticket: str | None
    help_desk: str | None
    process_id: str
    version: int
    requester: str
    state: str
    created_at: datetime
    closed_at: datetime | None
    events: tuple[LogEvent, ...]

    @property
    def name(self) -> str:
        """The trace's concept:name: the ticket, or caso-<id> for cases that never got one."""
        return self.ticket or f"caso-{self.case_id}"


@dataclass(frozen=True)
class Element:
    """What the log needs of a BPMN element: its name and its lane."""

    name: str | None
    lane: str | None


class LogReader:
    """Reads traces in batches of cases (keyset on the case id): memory stays flat however many cases match."""

    def __init__(self, ctx: ServiceContext, session: Session, log_filter: LogFilter,
                 batch_size: int = DEFAULT_BATCH) -> None:
        self.ctx, self.session, self.filter, self.batch_size = ctx, session, log_filter, batch_size
        self.kinds = ACTIVITY_KINDS + (ASSIGNMENT_KINDS if log_filter.transitions == "all" else ())
        self._elements: dict[int, dict[str, Element]] = {}

    def traces(self) -> Iterator[LogTrace]:
        """Every selected case as a trace, in case id order."""
        after = 0
        while True:
            cases = self.session.execute(self._cases_after(after)).all()
            events = self._events([row.id for row in cases])
            for row in cases:
                yield self._trace(row, events.get(row.id, []))
            if len(cases) < self.batch_size:
                return
            after = cases[-1].id

    def _cases_after(self, after: int) -> Select[Any]:
        f = self.filter
        query = (select(Case.id, Case.ticket, Case.help_desk_code, Case.process_id, Case.deployment_id,
                        Case.requester, Case.state, Case.created_at, Case.closed_at, Deployment.version)
                 .join(Deployment, Deployment.id == Case.deployment_id)
                 .where(Case.id > after).order_by(Case.id).limit(self.batch_size))
        if f.help_desk is not None:
            query = query.where(Case.help_desk_code == f.help_desk)
        if f.process_id is not None:
            query = query.where(Case.process_id == f.process_id)
        if f.version is not None:
            query = query.where(Deployment.version == f.version)
        if f.created_from is not None:
            query = query.where(Case.created_at >= f.created_from)
        if f.created_to is not None:
            query = query.where(Case.created_at < f.created_to)
        return query

    def _events(self, case_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
        by_case: dict[int, list[Row[Any]]] = {}
        if not case_ids:
            return by_case
        rows = self.session.execute(
            select(CaseEvent.case_id, CaseEvent.seq, CaseEvent.kind, CaseEvent.actor, CaseEvent.occurred_at,
                   CaseEvent.element_id, CaseEvent.payload_json)
            .where(CaseEvent.case_id.in_(case_ids), CaseEvent.kind.in_(self.kinds))
            .order_by(CaseEvent.case_id, CaseEvent.seq))
        for row in rows:
            by_case.setdefault(row.case_id, []).append(row)
        return by_case

    def _trace(self, case: Row[Any], rows: list[Row[Any]]) -> LogTrace:
        elements = self._elements_of(case.deployment_id)
        events = tuple(event for row in rows if (event := log_event(row, elements)) is not None)
        return LogTrace(case_id=case.id, ticket=case.ticket, help_desk=case.help_desk_code,
                        process_id=case.process_id, version=case.version, requester=case.requester,
                        state=case.state, created_at=case.created_at, closed_at=case.closed_at, events=events)

    def _elements_of(self, deployment_id: int) -> dict[str, Element]:
        if deployment_id not in self._elements:
            process = self.ctx.specs.get(self.session, deployment_id).process
            self._elements[deployment_id] = {
                element.element_id: Element(element.name, element.lane) for element in process.elements()}
        return self._elements[deployment_id]


def log_event(row: Row[Any], elements: dict[str, Element]) -> LogEvent | None:
    """The XES event of one audit row (None for rows that are not activity transitions)."""
    element = elements.get(row.element_id or "", Element(None, None))
    payload: dict[str, Any] = {} if row.kind == "case.started" else json.loads(row.payload_json)
    name = str(payload.get("name") or element.name or row.element_id or START_NAME)
    transition, resource = _transition(row.kind, row.actor, payload)
    if transition is None:
        return None
    return LogEvent(activity=name, transition=transition, timestamp=row.occurred_at, resource=resource,
                    group=element.lane, seq=row.seq, element_id=row.element_id, instance=payload.get("task_id"))


def _transition(kind: str, actor: str, payload: dict[str, Any]) -> tuple[str | None, str]:
    """The lifecycle transition (standard model) and the resource of an audit event kind."""
    if kind in ACTIVITY_KINDS:
        return "complete", actor
    assignee = payload.get("assignee") or {}
    if kind == "task.claimed":
        return "assign", actor
    if kind == "task.assigned" and assignee.get("after"):
        return ("reassign" if assignee.get("before") else "assign"), str(assignee["after"])
    return None, actor
