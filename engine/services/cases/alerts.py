"""ANS alerts: at 75 % of a clock's target, email whoever holds the case's work; at 100 %, them and the coordinators.

Run by the scheduler's sweep. Each alert is sent once: the clock's `warned_at` / `breached_at` is set in the same
transaction that queues its emails, after the case row is locked (PostgreSQL; SQLite serialises writers) and the
clock read again, so a second scheduler, or a restart after a crash, finds it set and sends nothing. Each clock
runs in its own transaction (ARCHITECTURE decision 14): one that fails is reported, the others are still sent.
A clock already past 100 % when first seen (the scheduler was down) gets the breach alone, not a stale warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.db.audit import NewEvent, append_events
from engine.db.models import Case, Group, HelpDesk, InboxTask, Membership, ServiceLevelClock, User
from engine.helpdesk.protocol_tables import Target
from engine.helpdesk.service_levels import LABELS, RUNNING, describe_target
from engine.mail.outbox import queue_email
from engine.services.cases.stepping import lock_case
from engine.services.context import ServiceContext
from engine.services.helpdesks.reviews import coordinators

# A sweep handles at most this many clocks; the rest wait for the next sweep (a bounded loop).
BATCH = 500
WARNING, BREACH = "en_riesgo", "vencido"
TEMPLATES = {WARNING: "ans_en_riesgo", BREACH: "ans_vencido"}


@dataclass(frozen=True)
class SentAlert:
    """One alert sent: the case, its clock, the level and who was written to."""

    case_id: int
    clock: str
    level: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class AlertReport:
    """What one run sent, and the clocks whose alert failed (with the error)."""

    sent: tuple[SentAlert, ...] = ()
    failed: tuple[tuple[int, str], ...] = ()


def send_ans_alerts(ctx: ServiceContext, at: datetime | None = None) -> AlertReport:
    """Send every warning and breach due as of `at` (default: the clock's now), each clock in its own transaction."""
    now = at or ctx.clock.now()
    with ctx.db.read() as session:
        due = session.execute(select(ServiceLevelClock.id, ServiceLevelClock.case_id).where(
            ServiceLevelClock.state == RUNNING, or_(
                (ServiceLevelClock.warn_at <= now) & ServiceLevelClock.warned_at.is_(None),
                (ServiceLevelClock.due_at <= now) & ServiceLevelClock.breached_at.is_(None)))
            .order_by(ServiceLevelClock.due_at, ServiceLevelClock.id).limit(BATCH)).tuples().all()
    sent: list[SentAlert] = []
    failed: list[tuple[int, str]] = []
    for clock_id, case_id in due:
        try:
            alert = alert_clock(ctx, clock_id, case_id, now)
        except Exception as exc:  # one case's failure must not block the others' alerts: it is reported
            failed.append((case_id, f"{type(exc).__name__}: {exc}"))
            continue
        if alert is not None:
            sent.append(alert)
    return AlertReport(tuple(sent), tuple(failed))


def next_alert_at(ctx: ServiceContext) -> datetime | None:
    """The earliest instant a running clock will need an alert (for the scheduler's wake-up)."""
    with ctx.db.read() as session:
        warn = session.scalar(select(func.min(ServiceLevelClock.warn_at)).where(
            ServiceLevelClock.state == RUNNING, ServiceLevelClock.warned_at.is_(None)))
        breach = session.scalar(select(func.min(ServiceLevelClock.due_at)).where(
            ServiceLevelClock.state == RUNNING, ServiceLevelClock.breached_at.is_(None)))
    found = [moment for moment in (warn, breach) if moment is not None]
    return min(found) if found else None


def alert_clock(ctx: ServiceContext, clock_id: int, case_id: int, now: datetime) -> SentAlert | None:
    """Send one clock's due alert unless it is no longer due or was already sent."""
    with ctx.db.write() as session:
        case = lock_case(session, case_id)
        clock = session.scalar(select(ServiceLevelClock).where(ServiceLevelClock.id == clock_id)
                               .execution_options(populate_existing=True))
        if clock is None or clock.state != RUNNING:
            return None
        if clock.due_at is not None and clock.due_at <= now and clock.breached_at is None:
            level = BREACH
            clock.breached_at = now
            clock.warned_at = clock.warned_at or now  # a warning after the breach would only be noise
        elif clock.warn_at is not None and clock.warn_at <= now and clock.warned_at is None:
            level = WARNING
            clock.warned_at = now
        else:
            return None  # another scheduler sent it first
        recipients = _recipients(session, case, breach=level == BREACH)
        tasks = _agent_rows(session, case)
        desk = session.get(HelpDesk, case.help_desk_code) if case.help_desk_code else None
        zone = ctx.settings.timezone
        for username, full_name, email in recipients:
            queue_email(session, case_id=case.id, template=TEMPLATES[level], recipient=email, now=now, values={
                "nombre": full_name or username, "mesa_nombre": desk.name if desk else "mesa de ayuda",
                "ticket": case.ticket or f"caso {case.id}", "asunto": case.subject,
                "reloj": LABELS[clock.kind].lower(), "porcentaje": 75 if level == WARNING else 100,
                "objetivo": describe_target(Target(clock.target_value, clock.target_unit)),
                "vence": (clock.due_at or now).astimezone(zone).strftime("%d/%m/%Y a las %H:%M"),
                "prioridad": clock.priority, "tarea": ", ".join(row.name for row in tasks) or "ninguna",
                "responsable": ", ".join(_holder(row) for row in tasks) or "sin responsable",
                "enlace_caso": f"{ctx.settings.base_url.rstrip('/')}/casos/{case.id}"})
        names = tuple(username for username, _, _ in recipients)
        append_events(session, case, [NewEvent("ans.alert", "sistema", now, None, {
            "reloj": clock.kind, "nivel": level, "destinatarios": list(names)})])
        session.flush()
        return SentAlert(case.id, clock.kind, level, names)


def _agent_rows(session: Session, case: Case) -> list[InboxTask]:
    rows = session.scalars(select(InboxTask).where(InboxTask.case_id == case.id, InboxTask.completed_at.is_(None))
                           .order_by(InboxTask.created_at, InboxTask.id))
    return [row for row in rows if row.assignee != case.requester or row.candidate_groups]


def _holder(row: InboxTask) -> str:
    return row.assignee or f"sin asignar, grupo {row.candidate_groups.replace(',', ', ')}"


def _recipients(session: Session, case: Case, *, breach: bool) -> list[tuple[str, str, str]]:
    """The assignee of each open agent task, else its groups' members; on breach also the coordinators."""
    people: dict[str, tuple[str, str, str]] = {}
    for row in _agent_rows(session, case):
        if row.assignee:
            found = _users(session, User.username == row.assignee)
        else:
            groups = [g for g in row.candidate_groups.split(",") if g]
            found = _users(session, User.id.in_(select(Membership.user_id).join(Group).where(Group.name.in_(groups))))
        people.update((username, (username, name, email)) for username, name, email in found)
    if breach and case.help_desk_code:
        people.update((username, (username, name, email))
                      for username, name, email in coordinators(session, case.help_desk_code))
    return [people[name] for name in sorted(people)]


def _users(session: Session, condition: object) -> Iterable[tuple[str, str, str]]:
    return session.execute(select(User.username, User.full_name, User.email)
                           .where(condition, User.active.is_(True), User.email != "")  # type: ignore[arg-type]
                           .order_by(User.username)).tuples().all()
