"""The yearly protocol review (procedure, policy 3): remind each help desk's coordinators before and after it.

Reminder slots of a published version: `antes` from 30 days before its `next_review`, `dia` from the review date,
then `semana-N` N weeks after it, while the version is still the published one (a new version replaces it and
brings its own review date). A slot is sent once: its row in `review_reminders` has a unique (version, slot) key
and is inserted in the same transaction as its emails, so a second scheduler (or a restart) meets the key and
rolls back, sending nothing. Each help desk runs in its own transaction (ARCHITECTURE decision 14): one that fails
is reported and the others still get their reminders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.clock import as_utc
from engine.db.models import HelpDesk, HelpDeskCoordinator, ProtocolVersion, ReviewReminder, User
from engine.mail.outbox import queue_email
from engine.services.context import ServiceContext
from engine.services.helpdesks.protocols import PUBLISHED

LEAD = timedelta(days=30)
TEMPLATE = "recordar_revision_protocolo"


@dataclass(frozen=True)
class SentReminder:
    """One slot reminded: the help desk, the version's number, the slot and who was written to."""

    help_desk_code: str
    version: int | None
    slot: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class ReminderReport:
    """What one run sent, and the help desks whose reminder failed (with the error)."""

    sent: tuple[SentReminder, ...]
    failed: tuple[tuple[str, str], ...]


def reminder_slot(next_review: date, today: date) -> str | None:
    """The slot a version is in today (None: more than 30 days before its review)."""
    if today < next_review - LEAD:
        return None
    if today < next_review:
        return "antes"
    weeks = (today - next_review).days // 7
    return "dia" if weeks == 0 else f"semana-{weeks}"


def send_review_reminders(ctx: ServiceContext, at: datetime | None = None) -> ReminderReport:
    """Queue the reminders due as of `at` (default: the clock's now), each help desk in its own transaction."""
    instant = as_utc(at) if at is not None else ctx.clock.now()
    today = instant.astimezone(ctx.settings.timezone).date()
    with ctx.db.read() as session:
        due = session.execute(select(ProtocolVersion.id, ProtocolVersion.help_desk_code).where(
            ProtocolVersion.status == PUBLISHED, ProtocolVersion.next_review <= today + LEAD)
            .order_by(ProtocolVersion.help_desk_code)).tuples().all()
    sent: list[SentReminder] = []
    failed: list[tuple[str, str]] = []
    for version_id, code in due:
        try:
            reminder = remind_desk(ctx, version_id, today, instant)
        except IntegrityError:
            continue  # the unique key: another scheduler sent this slot first
        except Exception as exc:  # one help desk's failure must not block the others: it is reported
            failed.append((code, f"{type(exc).__name__}: {exc}"))
            continue
        if reminder is not None:
            sent.append(reminder)
    return ReminderReport(tuple(sent), tuple(failed))


def remind_desk(ctx: ServiceContext, version_id: int, today: date, instant: datetime) -> SentReminder | None:
    """Send one version's current slot to its help desk's coordinators, unless already sent (IntegrityError)."""
    with ctx.db.write() as session:
        row = session.get(ProtocolVersion, version_id)
        if row is None or row.status != PUBLISHED or row.next_review is None:
            return None
        slot = reminder_slot(row.next_review, today)
        desk = session.get(HelpDesk, row.help_desk_code)
        people = coordinators(session, row.help_desk_code)
        # Nobody to tell yet: leave the slot open, so a coordinator named later still gets it.
        if slot is None or desk is None or not people or _already_sent(session, version_id, slot):
            return None
        session.add(ReviewReminder(help_desk_code=desk.code, protocol_version_id=version_id, slot=slot,
                                   sent_at=instant))
        session.flush()  # the unique key is checked here, before any email is queued
        for username, full_name, email in people:
            queue_email(session, case_id=None, template=TEMPLATE, recipient=email, now=instant, values={
                "nombre": full_name or username, "mesa_nombre": desk.name, "version": row.number,
                "fecha": row.next_review.isoformat(), "cuando": describe(slot, row.next_review, today),
                "enlace_mesa": f"{ctx.settings.base_url.rstrip('/')}/mesas/{desk.code}"})
        return SentReminder(desk.code, row.number, slot, tuple(username for username, _, _ in people))


def coordinators(session: Session, code: str) -> list[tuple[str, str, str]]:
    """(user name, full name, email) of the help desk's active coordinators."""
    rows = session.execute(select(User.username, User.full_name, User.email)
                           .join(HelpDeskCoordinator, HelpDeskCoordinator.user_id == User.id)
                           .where(HelpDeskCoordinator.help_desk_code == code, User.active.is_(True))
                           .order_by(User.username)).tuples().all()
    return list(rows)


def describe(slot: str, review: date, today: date) -> str:
    """The slot in Spanish, for the subject ('vence en 30 días', 'vence hoy', 'venció hace 2 semanas')."""
    if slot == "antes":
        return f"vence en {(review - today).days} días"
    if slot == "dia":
        return "vence hoy" if review == today else f"venció hace {(today - review).days} días"
    weeks = int(slot.removeprefix("semana-"))
    return f"venció hace {weeks} semana{'s' if weeks > 1 else ''}"


def _already_sent(session: Session, version_id: int, slot: str) -> bool:
    # Cheap check first, so the common case does not provoke (and roll back on) a unique violation.
    return session.scalar(select(ReviewReminder.id).where(ReviewReminder.protocol_version_id == version_id,
                                                          ReviewReminder.slot == slot)) is not None
