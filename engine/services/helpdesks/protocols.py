"""Protocol versions of a help desk: one draft at a time, edited whole, then published as the next number.

Publishing is the only way a protocol takes effect: it numbers the draft, freezes its document (with a snapshot of
the responsible people), marks the previous version reemplazado, rebuilds the escalation rows the process reads
(`EscalationRule`, the help desk's default level-2 group) and writes an AdminEvent, all in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.db.models import EscalationRule, HelpDesk, ProtocolVersion
from engine.helpdesk.escalation import application_key
from engine.helpdesk.protocol import (
    Problem,
    ProtocolDocument,
    ProtocolError,
    check_next_review,
    default_protocol,
    review_limit,
)
from engine.helpdesk.protocol_diff import diff
from engine.helpdesk.protocol_tables import GroupPeople, People
from engine.services.context import ServiceContext
from engine.services.errors import ConflictError, NotFoundError
from engine.services.helpdesks.access import ensure_may_manage
from engine.services.helpdesks.desks import coordinators
from engine.services.helpdesks.errors import ProtocolRejectedError
from engine.services.helpdesks.events import record
from engine.services.helpdesks.groups import desk_groups, members
from engine.services.helpdesks.views import ProtocolVersionView
from engine.services.views import Actor

DRAFT, PUBLISHED, REPLACED = "borrador", "publicado", "reemplazado"


def create_draft(ctx: ServiceContext, actor: Actor, code: str) -> ProtocolVersionView:
    """Start a draft: a copy of the published version, or the default protocol for a help desk without one."""
    with ctx.db.write() as session:
        desk = ensure_may_manage(session, actor, code)
        if draft_row(session, code) is not None:
            raise ConflictError(f"la mesa '{code}' ya tiene un borrador de protocolo")
        current = current_row(session, code)
        document = (stored_document(current) if current
                    else default_protocol(ctx.settings, desk.level2_default_group))
        row = write_draft(session, actor, code, document.with_people(people_of(session, code)), ctx.clock.now(),
                          notes="", next_review=None)
        record(session, actor, "protocolo.borrador_creado", code, ctx.clock.now(),
               desde=current.number if current else "protocolo por defecto")
        return version_view(row)


def update_draft(ctx: ServiceContext, actor: Actor, code: str, data: Mapping[str, Any], *, notes: str = "",
                 next_review: date | None = None) -> ProtocolVersionView:
    """Replace the draft's whole document (validated against the help desk's groups), notes and review date."""
    with ctx.db.write() as session:
        ensure_may_manage(session, actor, code)
        row = draft_row(session, code)
        if row is None:
            raise NotFoundError(f"la mesa '{code}' no tiene un borrador de protocolo")
        document = checked_document(session, code, data, today(ctx), next_review)
        write_draft(session, actor, code, document.with_people(people_of(session, code)), ctx.clock.now(),
                    notes=notes, next_review=next_review, row=row)
        return version_view(row)


def discard_draft(ctx: ServiceContext, actor: Actor, code: str) -> None:
    """Throw the draft away (published versions are never deleted)."""
    with ctx.db.write() as session:
        ensure_may_manage(session, actor, code)
        row = draft_row(session, code)
        if row is None:
            raise NotFoundError(f"la mesa '{code}' no tiene un borrador de protocolo")
        session.delete(row)
        record(session, actor, "protocolo.borrador_descartado", code, ctx.clock.now())


def publish(ctx: ServiceContext, actor: Actor, code: str, *, next_review: date | None = None,
            notes: str | None = None) -> ProtocolVersionView:
    """Publish the draft as the help desk's protocol; the review date defaults to twelve months from today."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        desk = ensure_may_manage(session, actor, code)
        row = draft_row(session, code)
        if row is None:
            raise NotFoundError(f"la mesa '{code}' no tiene un borrador de protocolo para publicar")
        review = next_review or row.next_review or review_limit(today(ctx))
        # Groups may have changed since the draft was saved: check it again, with the review date.
        document = checked_document(session, code, json.loads(row.document_json), today(ctx), review)
        document = document.with_people(people_of(session, code))
        previous = current_row(session, code)
        if previous is not None:
            previous.status = REPLACED
            session.flush()  # before the draft becomes the published one: one published version per desk
        row.status, row.number, row.approved_by, row.approved_at, row.valid_from = (
            PUBLISHED, _next_number(session, code), actor.username, now, now)
        row.next_review, row.notes = review, row.notes if notes is None else notes
        row.document_json, row.updated_at = _dumps(document), now
        rebuild_escalation(session, desk, document)
        changes = {t.name: len(t.changes) for t in diff(stored_document(previous) if previous else None, document)}
        record(session, actor, "protocolo.publicado", code, now, numero=row.number,
               reemplaza=previous.number if previous else None, proxima_revision=review.isoformat(),
               cambios={table: count for table, count in changes.items() if count})
        session.flush()
        return version_view(row)


def _next_number(session: Session, code: str) -> int:
    """One more than the help desk's last published number (the unique constraint settles a race)."""
    last = session.scalar(select(func.max(ProtocolVersion.number)).where(ProtocolVersion.help_desk_code == code))
    return (last or 0) + 1


def rebuild_escalation(session: Session, desk: HelpDesk, document: ProtocolDocument) -> None:
    """Make the escalation rows the process reads say what the published catalogue says."""
    session.execute(delete(EscalationRule).where(EscalationRule.help_desk_code == desk.code))
    session.add_all(EscalationRule(help_desk_code=desk.code, application=s.name,
                                   application_key=application_key(s.name), level2_group=s.level2_group)
                    for s in document.catalogue.services)
    desk.level2_default_group = document.catalogue.default_level2_group


def checked_document(session: Session, code: str, data: Any, on: date, next_review: date | None,
                     prefix: str = "", earlier: Sequence[Problem] = ()) -> ProtocolDocument:
    """The validated document, else ProtocolRejectedError with every problem (`earlier`, document, review date)."""
    problems: list[Problem] = list(earlier)
    document: ProtocolDocument | None = None
    try:
        document = ProtocolDocument.from_dict(data, group_levels(session, code))
    except ProtocolError as exc:
        problems += [Problem(f"{prefix}{p.path}" if p.path else prefix.rstrip("."), p.message) for p in exc.problems]
    if next_review is not None:
        problems += check_next_review(on, next_review)
    if problems or document is None:
        raise ProtocolRejectedError(problems)
    return document


def write_draft(session: Session, actor: Actor, code: str, document: ProtocolDocument, now: datetime, *, notes: str,
                next_review: date | None, row: ProtocolVersion | None = None) -> ProtocolVersion:
    """Create the help desk's draft or overwrite the given one."""
    if row is None:
        row = ProtocolVersion(help_desk_code=code, status=DRAFT, created_by=actor.username, created_at=now)
        session.add(row)
    row.document_json, row.notes, row.next_review, row.updated_at = _dumps(document), notes, next_review, now
    session.flush()
    return row


def draft_row(session: Session, code: str) -> ProtocolVersion | None:
    """The help desk's draft, if any."""
    return session.scalar(select(ProtocolVersion).where(ProtocolVersion.help_desk_code == code,
                                                        ProtocolVersion.status == DRAFT))


def current_row(session: Session, code: str) -> ProtocolVersion | None:
    """The help desk's published version, if any."""
    return session.scalar(select(ProtocolVersion).where(ProtocolVersion.help_desk_code == code,
                                                        ProtocolVersion.status == PUBLISHED))


def group_levels(session: Session, code: str) -> dict[str, int]:
    """Group name → level of the help desk's groups (what a catalogue may name)."""
    return {g.name: g.level for g in desk_groups(session, code) if g.level is not None}


def people_of(session: Session, code: str) -> People:
    """The responsible people now: each group with its members, and the coordinators."""
    groups = tuple(GroupPeople(g.name, g.level, g.external, members(session, g))
                   for g in desk_groups(session, code) if g.level is not None)
    return People(groups, coordinators(session, code))


def stored_document(row: ProtocolVersion) -> ProtocolDocument:
    """A stored version's document (validated when it was saved; group checks belong to that time)."""
    return ProtocolDocument.from_dict(json.loads(row.document_json))


def version_view(row: ProtocolVersion) -> ProtocolVersionView:
    """A version row as a plain value."""
    return ProtocolVersionView(row.id, row.help_desk_code, row.number, row.status, row.valid_from, row.approved_by,
                               row.approved_at, row.notes, row.next_review, stored_document(row), row.created_by,
                               row.created_at, row.updated_at)


def today(ctx: ServiceContext) -> date:
    """Today in the configured zone (review dates are calendar dates there)."""
    return ctx.clock.now().astimezone(ctx.settings.timezone).date()


def _dumps(document: ProtocolDocument) -> str:
    return json.dumps(document.to_dict(), ensure_ascii=False)
