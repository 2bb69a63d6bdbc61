"""The plain view of a case row: what every case verb hands back."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import Case, CaseEvent, Deployment, InboxTask
from engine.services.views import CaseView, EventView, TaskView


def case_view(session: Session, case: Case, *, rows: Sequence[InboxTask] | None = None, version: int | None = None,
              with_history: bool = False) -> CaseView:
    """Build a CaseView (no workflow loading); open task rows and version are queried unless given."""
    if rows is None:
        rows = session.scalars(select(InboxTask).where(InboxTask.case_id == case.id, InboxTask.completed_at.is_(None))
                               .order_by(InboxTask.created_at, InboxTask.id)).all()
    if version is None:
        version = session.scalar(select(Deployment.version).where(Deployment.id == case.deployment_id)) or 0
    history: tuple[EventView, ...] = ()
    if with_history:
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))
        history = tuple(EventView.of(e) for e in events)
    return CaseView(
        id=case.id, ticket=case.ticket, process_id=case.process_id, process_version=version, state=case.state,
        is_open=case.is_open, requester=case.requester, help_desk_code=case.help_desk_code, subject=case.subject,
        application=case.application, data=json.loads(case.data_json),
        ready_tasks=tuple(TaskView.of(r, case) for r in rows), created_at=case.created_at,
        updated_at=case.updated_at, closed_at=case.closed_at, next_timer_at=case.next_timer_at, history=history,
    )
