"""Queue emails in the caller's transaction (a rolled-back step sends nothing)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from engine.db.models import OutboxMessage
from engine.mail.templates import render


def queue_email(
    session: Session, *, case_id: int | None, template: str, recipient: str, values: Mapping[str, object],
    now: datetime,
) -> OutboxMessage:
    """Render a template and add it to the outbox; the scheduler delivers it."""
    email = render(template, values)
    message = OutboxMessage(
        case_id=case_id,
        message_id=f"<{uuid.uuid4()}@mesa-de-ayuda>",
        template=template,
        recipient=recipient,
        subject=email.subject,
        body=email.body,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message
