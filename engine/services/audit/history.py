"""The auditor's view of one case: every event with the emails it queued, its steps, and its diagram at step k."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import Case, CaseEvent, Deployment, OutboxMessage
from engine.replay.service import ReplayReport, auditable_case, case_at, replay_loaded
from engine.replay.story import story_of
from engine.services.cases.queries import CaseDiagram
from engine.services.context import ServiceContext
from engine.services.views import Actor, EventView


@dataclass(frozen=True)
class CaseSummary:
    """What heads every audit page: which case, where it stands, on which version it runs."""

    id: int
    ticket: str | None
    subject: str
    state: str
    is_open: bool
    requester: str
    process_id: str
    version: int
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class EmailView:
    """An outbox message as the audit shows it: to whom, what, and whether it left."""

    message_id: str
    template: str
    recipient: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class HistoryStep:
    """A point of time travel: k = 0 is the case created, k >= 1 the k-th workflow-advancing event."""

    k: int
    occurred_at: datetime
    event: EventView | None = None

    @property
    def changes(self) -> dict[str, Any]:
        """Variables the step changed, as recorded ({name: {before, after}}); none for k = 0."""
        return dict(self.event.payload.get("changes") or {}) if self.event else {}


@dataclass(frozen=True)
class CaseHistory:
    """A case's whole audit history: events in order, their hashes, the emails they name, the steps."""

    case: CaseSummary
    events: list[EventView]
    steps: list[HistoryStep]
    emails: dict[str, EmailView] = field(default_factory=dict)
    hashes: dict[int, str] = field(default_factory=dict)

    @property
    def last_step(self) -> int:
        """The k of the case as it is now."""
        return len(self.steps) - 1


@dataclass(frozen=True)
class CaseVerification:
    """A case's chain verification and replay, with the case it is about."""

    case: CaseSummary
    report: ReplayReport


def case_history(ctx: ServiceContext, actor: Actor, case_id: int) -> CaseHistory:
    """Every event of a case with the emails it queued (one query each), and its time-travel steps."""
    with ctx.db.read() as session:
        case = auditable_case(session, actor, case_id)
        rows = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)).all()
        events = [EventView.of(row) for row in rows]
        outbox = session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case_id)).all()
        story, _ = story_of(events)
        steps = [HistoryStep(0, case.created_at), *(HistoryStep(s.k, s.lead.occurred_at, s.lead) for s in story)]
        return CaseHistory(_summary(session, case), events, steps, {m.message_id: _email(m) for m in outbox},
                           {row.seq: row.hash for row in rows})


def diagram_at(ctx: ServiceContext, actor: Actor, case_id: int, k: int) -> CaseDiagram:
    """The diagram of the version the case was on after step k, with that moment's path and waiting elements."""
    snapshot = case_at(ctx, actor, case_id, k)
    with ctx.db.read() as session:
        deployment = session.get(Deployment, snapshot.deployment_id)
        assert deployment is not None  # the replay just used it
        return CaseDiagram(deployment.bpmn_xml, list(snapshot.completed_elements), list(snapshot.active_elements))


def case_verification(ctx: ServiceContext, actor: Actor, case_id: int) -> CaseVerification:
    """Verify the case's hash chain and replay it, with the case's summary for the page."""
    with ctx.db.read() as session:
        case = auditable_case(session, actor, case_id)
        return CaseVerification(_summary(session, case), replay_loaded(ctx, session, case))


def _summary(session: Session, case: Case) -> CaseSummary:
    version = session.scalar(select(Deployment.version).where(Deployment.id == case.deployment_id)) or 0
    return CaseSummary(case.id, case.ticket, case.subject, case.state, case.is_open, case.requester,
                       case.process_id, version, case.created_at, case.closed_at)


def _email(row: OutboxMessage) -> EmailView:
    return EmailView(row.message_id, row.template, row.recipient, row.subject, row.status, row.attempts,
                     row.last_error, row.created_at, row.sent_at)
