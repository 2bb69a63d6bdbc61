"""Comments on a case: internal notes among agents, or replies the requester reads (and is emailed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select

from engine.db.audit import NewEvent, append_events
from engine.db.models import Case, CaseComment, User
from engine.mail.outbox import queue_email
from engine.services.cases.clocks import record_answer
from engine.services.cases.stepping import lock_case
from engine.services.context import ServiceContext
from engine.services.errors import FormValidationError, NotFoundError
from engine.services.people import policy
from engine.services.people.enforce import ensure_can_view
from engine.services.views import Actor

Visibility = Literal["internal", "public"]
MAX_COMMENT = 4000


@dataclass(frozen=True)
class CommentView:
    """A comment as shown on the case page."""

    id: int
    author: str
    visibility: str
    body: str
    created_at: datetime


def add_comment(ctx: ServiceContext, actor: Actor, case_id: int, body: str,
                visibility: Visibility = "public") -> CommentView:
    """Add a comment; a public reply by an agent is also emailed to the requester."""
    text = body.strip()
    if not text or len(text) > MAX_COMMENT:
        raise FormValidationError({"body": [f"Escriba entre 1 y {MAX_COMMENT} caracteres."]})
    if visibility not in ("internal", "public"):
        raise FormValidationError({"visibility": ["Use 'internal' o 'public'."]})
    now = ctx.clock.now()
    with ctx.db.write() as session:
        case = lock_case(session, case_id)
        # A case the actor may not see is missing (404) before any rule about what they may write is told.
        ensure_can_view(session, actor, case)
        policy.ensure(policy.comment_refusal(actor, visibility))
        comment = CaseComment(case_id=case.id, author=actor.username, visibility=visibility, body=text,
                              created_at=now)
        session.add(comment)
        session.flush()
        emails: list[str] = []
        requester = session.scalar(select(User).where(User.username == case.requester))
        if visibility == "public" and actor.username != case.requester and requester is not None:
            values = {"nombre": requester.full_name or requester.username, "asunto": case.subject,
                      "ticket": case.ticket or "sin ticket", "autor": actor.username, "comentario": text,
                      "enlace_caso": f"{ctx.settings.base_url}/casos/{case.id}"}
            message = queue_email(session, case_id=case.id, template="respuesta_caso", recipient=requester.email,
                                  values=values, now=now)
            emails.append(message.message_id)
        if visibility == "public" and actor.username != case.requester:
            # A reply to the requester is a first response where the protocol counts answers (not registration).
            record_answer(session, case, ctx.protocol_of(session, case.protocol_version_id), now)
        append_events(session, case, [NewEvent("comment.added", actor.username, now, None, {
            "comment_id": comment.id, "visibility": visibility, "body": text, "emails": emails})])
        case.updated_at = now
        return CommentView(comment.id, comment.author, comment.visibility, comment.body, comment.created_at)


def list_comments(ctx: ServiceContext, actor: Actor, case_id: int) -> list[CommentView]:
    """Comments of a case the actor may see (requesters never see internal notes)."""
    with ctx.db.read() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFoundError(f"el caso {case_id} no existe")
        ensure_can_view(session, actor, case)
        query = select(CaseComment).where(CaseComment.case_id == case_id).order_by(CaseComment.created_at,
                                                                                    CaseComment.id)
        if not policy.sees_internal(actor):
            query = query.where(CaseComment.visibility == "public")
        return [CommentView(c.id, c.author, c.visibility, c.body, c.created_at) for c in session.scalars(query)]
