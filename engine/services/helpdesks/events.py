"""The append-only record of administrative changes (help desks, groups, coordinators, protocols)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import AdminEvent
from engine.services.context import ServiceContext
from engine.services.helpdesks.access import ensure_may_read
from engine.services.views import Actor


@dataclass(frozen=True)
class AdminEventView:
    """One administrative change."""

    occurred_at: datetime
    actor: str
    kind: str
    help_desk_code: str | None
    payload: dict[str, Any]


def record(session: Session, actor: Actor, kind: str, code: str | None, now: datetime, **payload: Any) -> None:
    """Append an event in the caller's transaction (so it exists exactly when the change does)."""
    session.add(AdminEvent(occurred_at=now, actor=actor.username, kind=kind, help_desk_code=code,
                           payload_json=json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)))


def list_events(ctx: ServiceContext, actor: Actor, code: str) -> list[AdminEventView]:
    """A help desk's administrative history, oldest first."""
    with ctx.db.read() as session:
        ensure_may_read(session, actor, code)
        rows = session.scalars(select(AdminEvent).where(AdminEvent.help_desk_code == code)
                               .order_by(AdminEvent.occurred_at, AdminEvent.id))
        return [AdminEventView(r.occurred_at, r.actor, r.kind, r.help_desk_code, json.loads(r.payload_json))
                for r in rows]
