"""Deliver the outbox over SMTP: claim, send outside any transaction, record; retries with backoff.

Delivery is at-least-once. A message is claimed (attempts + 1, `next_attempt_at` moved forward by a
lease) and committed before it is sent; the outcome is recorded in a second transaction. If the process
dies between sending and recording, the lease runs out and the message is sent again: receivers can drop
the duplicate by its Message-ID, which stays the same on every attempt. Nothing is lost or silently skipped.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select

from engine.db.models import OutboxMessage
from engine.mail.smtp import SmtpConfig, build_message, parse_smtp_url, send
from engine.services.context import ServiceContext

Status = Literal["sent", "retry", "failed"]
NOT_CONFIGURED = "MESA_SMTP_URL no está configurado: los correos quedan pendientes en la bandeja de salida"


@dataclass(frozen=True)
class RetryPolicy:
    """How long a claim holds, how retries back off and when a message is given up."""

    # Well above the SMTP timeout, so a slow but live send is never taken over by another worker.
    lease: timedelta = timedelta(minutes=5)
    first_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(hours=1)
    max_attempts: int = 8

    def delay_after(self, attempt: int) -> timedelta:
        """Wait before the next try after `attempt` (1-based) failed: 1, 2, 4, 8... minutes, capped."""
        return min(self.first_delay * (1 << min(attempt - 1, 30)), self.max_delay)


RETRY = RetryPolicy()


@dataclass(frozen=True)
class ClaimedMessage:
    """A copy of an outbox row taken for one attempt (sent after its transaction has committed)."""

    id: int
    message_id: str
    recipient: str
    subject: str
    body: str
    attempt: int
    claimed_at: datetime


@dataclass(frozen=True)
class MessageOutcome:
    """What happened to one message in this run."""

    outbox_id: int
    message_id: str
    recipient: str
    status: Status
    attempt: int
    error: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class DeliveryReport:
    """One delivery run: per-message outcomes, or why nothing was tried."""

    enabled: bool
    outcomes: tuple[MessageOutcome, ...] = ()
    note: str | None = None

    @property
    def sent(self) -> int:
        """Messages the server accepted."""
        return self._count("sent")

    @property
    def retried(self) -> int:
        """Messages that failed this time and will be tried again."""
        return self._count("retry")

    @property
    def failed(self) -> int:
        """Messages given up for good."""
        return self._count("failed")

    def _count(self, status: Status) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)


def deliver_due(ctx: ServiceContext, *, limit: int = 100, policy: RetryPolicy = RETRY) -> DeliveryReport:
    """Send up to `limit` due messages, at least once; SMTP failures are recorded on the rows, DB errors raise."""
    if not ctx.settings.smtp_url:
        return DeliveryReport(enabled=False, note=NOT_CONFIGURED)
    config = parse_smtp_url(ctx.settings.smtp_url)
    outcomes: list[MessageOutcome] = []
    seen: list[int] = []
    while len(outcomes) < limit:
        claimed = claim_next(ctx, policy, exclude=seen)
        if claimed is None:
            break
        seen.append(claimed.id)
        outcome, server_unusable = _attempt(ctx, config, claimed, policy)
        outcomes.append(outcome)
        if server_unusable:
            # The server cannot be reached or refuses us: the rest keep their turn for the next run.
            return DeliveryReport(True, tuple(outcomes), note=f"entrega detenida: {outcome.error}")
    return DeliveryReport(True, tuple(outcomes))


def claim_next(ctx: ServiceContext, policy: RetryPolicy = RETRY, *,
               exclude: list[int] | None = None) -> ClaimedMessage | None:
    """Take the earliest due pending message for one attempt (short transaction), or None."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        query = (select(OutboxMessage)
                 .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
                 .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1)
                 # PostgreSQL: concurrent schedulers each take a different row. SQLite ignores this;
                 # its writer lock (BEGIN IMMEDIATE) already serialises claims.
                 .with_for_update(skip_locked=True))
        if exclude:
            query = query.where(OutboxMessage.id.not_in(exclude))
        row = session.scalar(query)
        if row is None:
            return None
        row.attempts += 1
        row.next_attempt_at = now + policy.lease
        return ClaimedMessage(row.id, row.message_id, row.recipient, row.subject, row.body, row.attempts, now)


def _attempt(ctx: ServiceContext, config: SmtpConfig, claimed: ClaimedMessage,
             policy: RetryPolicy) -> tuple[MessageOutcome, bool]:
    """Send one claimed message and record the outcome; True when the server is unusable for the rest."""
    if claimed.attempt > policy.max_attempts:
        # Earlier attempts were claimed but never reported back (the process died mid-send).
        return _record(ctx, claimed, "sin resultado tras el último intento (proceso interrumpido)",
                       permanent=True, policy=policy), False
    message = build_message(claimed, sender=ctx.settings.mail_from, date=claimed.claimed_at)
    try:
        send(config, message)
    except (smtplib.SMTPException, OSError) as exc:
        specific = isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError)
        outcome = _record(ctx, claimed, _describe(exc), permanent=specific and _is_permanent(exc),
                          policy=policy)
        return outcome, not specific
    return _record(ctx, claimed, None, policy=policy), False


def _record(ctx: ServiceContext, claimed: ClaimedMessage, error: str | None, *, permanent: bool = False,
            policy: RetryPolicy = RETRY) -> MessageOutcome:
    """Mark a claimed message sent, schedule its retry, or give it up (short transaction)."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        row = session.get(OutboxMessage, claimed.id, with_for_update=True)
        if row is None:
            raise LookupError(f"el mensaje {claimed.id} desapareció de la bandeja de salida durante el envío")
        outcome = MessageOutcome(row.id, row.message_id, row.recipient, "sent", claimed.attempt, error)
        if error is None:
            if row.status != "sent":
                row.status, row.sent_at = "sent", now
            return outcome
        if row.status != "pending" or row.attempts != claimed.attempt:
            # Our lease ran out and another worker took the message over: its outcome is the one that counts.
            return replace(outcome, status="retry")
        row.last_error = error
        if permanent or claimed.attempt >= policy.max_attempts:
            row.status = "failed"
            return replace(outcome, status="failed")
        row.next_attempt_at = now + policy.delay_after(claimed.attempt)
        return replace(outcome, status="retry", next_attempt_at=row.next_attempt_at)


def _is_permanent(exc: BaseException) -> bool:
    """A 5xx refusal of this very message (not of us as a client): retrying would give the same answer."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _describe(exc: BaseException) -> str:
    """A short text for last_error: the server's reply when there is one."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        text = "; ".join(f"{rcpt}: {code} {_text(reply)}" for rcpt, (code, reply) in exc.recipients.items())
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"{exc.smtp_code} {_text(exc.smtp_error)}"
    else:
        text = str(exc) or "sin detalle"
    return f"{type(exc).__name__}: {text}"[:1000]


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
