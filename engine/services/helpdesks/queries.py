"""Reading protocols: a version, the list of versions, the draft compared with the current one, review status."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import ProtocolVersion
from engine.helpdesk.protocol_diff import TableDiff, diff
from engine.services.context import ServiceContext
from engine.services.errors import NotFoundError
from engine.services.helpdesks.access import ensure_may_read, readable_desks
from engine.services.helpdesks.protocols import DRAFT, PUBLISHED, current_row, draft_row, stored_document, today
from engine.services.helpdesks.protocols import version_view as _view
from engine.services.helpdesks.views import ProtocolStatus, ProtocolVersionView
from engine.services.views import Actor

CURRENT = "vigente"
# A protocol whose review is this close is por vencer (procedure, policy 3: reviewed at least once a year).
WARNING_DAYS = 30


def get_version(ctx: ServiceContext, actor: Actor, code: str, which: str | int = CURRENT) -> ProtocolVersionView:
    """The published version ("vigente"), the draft ("borrador") or a version by number."""
    with ctx.db.read() as session:
        ensure_may_read(session, actor, code)
        return _view(version_row(session, code, which))


def version_row(session: Session, code: str, which: str | int) -> ProtocolVersion:
    """The row `get_version` names, or NotFoundError saying which one is missing."""
    if which == CURRENT:
        row, missing = current_row(session, code), "un protocolo publicado"
    elif which == DRAFT:
        row, missing = draft_row(session, code), "un borrador de protocolo"
    else:
        row = session.scalar(select(ProtocolVersion).where(ProtocolVersion.help_desk_code == code,
                                                           ProtocolVersion.number == which))
        missing = f"la versión {which} del protocolo"
    if row is None:
        raise NotFoundError(f"la mesa '{code}' no tiene {missing}")
    return row


def list_versions(ctx: ServiceContext, actor: Actor, code: str) -> list[ProtocolVersionView]:
    """Every version of the help desk's protocol, the draft first, then newest first."""
    with ctx.db.read() as session:
        ensure_may_read(session, actor, code)
        rows = session.scalars(select(ProtocolVersion).where(ProtocolVersion.help_desk_code == code)
                               .order_by(ProtocolVersion.number.is_(None).desc(), ProtocolVersion.number.desc()))
        return [_view(row) for row in rows]


def diff_draft(ctx: ServiceContext, actor: Actor, code: str) -> tuple[TableDiff, ...]:
    """Every table of the draft beside the published version (all rows added when none is published)."""
    with ctx.db.read() as session:
        ensure_may_read(session, actor, code)
        draft = version_row(session, code, DRAFT)
        current = current_row(session, code)
        return diff(stored_document(current) if current else None, stored_document(draft))


def protocol_status(ctx: ServiceContext, actor: Actor) -> list[ProtocolStatus]:
    """Per readable help desk: vigente, por vencer (review within 30 days), vencido or sin protocolo."""
    on = today(ctx)
    with ctx.db.read() as session:
        statuses = []
        for desk in readable_desks(session, actor):
            current, has_draft = current_row(session, desk.code), draft_row(session, desk.code) is not None
            days = (current.next_review - on).days if current and current.next_review else None
            state = ("sin protocolo" if current is None else "vencido" if days is not None and days < 0
                     else "por vencer" if days is not None and days <= WARNING_DAYS else "vigente")
            statuses.append(ProtocolStatus(desk.code, desk.name, state, current.number if current else None,
                                           current.next_review if current else None, days, has_draft))
        return statuses


__all__ = ["CURRENT", "DRAFT", "PUBLISHED", "diff_draft", "get_version", "list_versions", "protocol_status"]
