"""Relational schema: deployments, cases, inbox projection, audit chain, outbox, people."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy import false as sql_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and gives them back aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC instants")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(300), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Group(Base):
    __tablename__ = "groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    help_desk_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    description: Mapped[str] = mapped_column(String(300), default="")
    # Level 3 only: a provider or an outside entity (procedure, policy 1), not DNP staff.
    external: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_false())


class Membership(Base):
    __tablename__ = "memberships"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class HelpDesk(Base):
    __tablename__ = "help_desks"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    ticket_prefix: Mapped[str] = mapped_column(String(12))
    level1_group: Mapped[str] = mapped_column(String(120))
    level2_default_group: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The DNP unit that owns the help desk; null only for desks created before dependencies existed.
    dependency_code: Mapped[str | None] = mapped_column(
        ForeignKey("dependencies.code", name="fk_help_desks_dependency_code"), nullable=True)


class EscalationRule(Base):
    """One row of a help desk's escalation matrix: application → level-2 group."""

    __tablename__ = "escalation_rules"
    __table_args__ = (UniqueConstraint("help_desk_code", "application_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    help_desk_code: Mapped[str] = mapped_column(ForeignKey("help_desks.code", ondelete="CASCADE"))
    application: Mapped[str] = mapped_column(String(120))
    application_key: Mapped[str] = mapped_column(String(120))
    level2_group: Mapped[str] = mapped_column(String(120))


class TicketSequence(Base):
    __tablename__ = "ticket_sequences"
    prefix: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Deployment(Base):
    """One deployed version of a process: its BPMN, forms and parsed spec, stored once."""

    __tablename__ = "deployments"
    __table_args__ = (
        UniqueConstraint("process_id", "version"),
        Index("ix_deployments_process_hash", "process_id", "content_hash"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    bpmn_name: Mapped[str] = mapped_column(String(300))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    forms_json: Mapped[str] = mapped_column(Text)
    spec_json: Mapped[str] = mapped_column(Text)
    spiff_version: Mapped[str] = mapped_column(String(20))
    deployed_by: Mapped[str] = mapped_column(String(80))
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Case(Base):
    """A process instance: workflow state by reference to its deployment, plus its visible projection."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_next_timer_at", "next_timer_at"),
        Index("ix_cases_requester_open", "requester", "is_open"),
        Index("ix_cases_help_desk_state", "help_desk_code", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(200))
    ticket: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    help_desk_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # The protocol version the case runs on (deadlines, calendar, catalogue); null: MESA_PLAZOS as before protocols.
    protocol_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("protocol_versions.id", name="fk_cases_protocol_version_id"), index=True, nullable=True)
    requester: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(String(300), default="")
    application: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(80))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    data_json: Mapped[str] = mapped_column(Text)
    workflow_json: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Head of the audit chain and its length: a truncated tail no longer matches them.
    audit_head: Mapped[str] = mapped_column(String(64), default="0" * 64)
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    next_timer_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    # Optimistic concurrency: a flush whose version no longer matches raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's declared form)


class InboxTask(Base):
    """A user task, projected so inbox queries never deserialize workflows; open while completed_at is null."""

    __tablename__ = "inbox_tasks"
    __table_args__ = (Index("ix_inbox_tasks_open_assignee", "completed_at", "assignee"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(200), nullable=True)
    candidate_groups: Mapped[str] = mapped_column(Text, default="")
    candidate_users: Mapped[str] = mapped_column(Text, default="")
    assignee: Mapped[str | None] = mapped_column(String(80), nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    follow_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=50)
    form_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # The case's most urgent ANS clock, copied here so the inbox sorts and badges without a join:
    # "corriendo" (with the instants it reaches 75 % and 100 %) or "pausado"; null when no clock runs.
    ans_state: Mapped[str | None] = mapped_column(String(12), nullable=True)
    ans_clock: Mapped[str | None] = mapped_column(String(20), nullable=True)
    ans_warn_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    ans_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


def _open_task_index(name: str, *order: Any) -> Index:
    """An index in one inbox sort order after `completed_at` (IS NULL = open), so a page reads 50 rows."""
    return Index(name, InboxTask.completed_at, *order)


# The exact ORDER BY expressions of engine.services.cases.tasks.SORTS.
_open_task_index("ix_inbox_tasks_open_by_due", InboxTask.due_at.is_(None), InboxTask.due_at,
                 InboxTask.priority.desc(), InboxTask.id)
_open_task_index("ix_inbox_tasks_open_by_priority", InboxTask.priority.desc(), InboxTask.due_at.is_(None),
                 InboxTask.due_at, InboxTask.id)
_open_task_index("ix_inbox_tasks_open_by_created", InboxTask.created_at, InboxTask.id)
_open_task_index("ix_inbox_tasks_open_by_ans", InboxTask.ans_due_at.is_(None), InboxTask.ans_due_at,
                 InboxTask.due_at.is_(None), InboxTask.due_at, InboxTask.priority.desc(), InboxTask.id)


class TaskCandidate(Base):
    """One candidate group or user of an inbox task, indexed for 'tasks of my groups'."""

    __tablename__ = "task_candidates"
    __table_args__ = (Index("ix_task_candidates_kind_name", "kind", "name"),)
    task_id: Mapped[str] = mapped_column(ForeignKey("inbox_tasks.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), primary_key=True)


class CaseEvent(Base):
    """Append-only, hash-chained audit event of one case."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(80))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    element_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    payload_json: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class OutboxMessage(Base):
    """An email queued in the same transaction as the step that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True, index=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    template: Mapped[str] = mapped_column(String(80))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class CaseComment(Base):
    """A note on a case: internal (agents only) or a reply the requester sees."""

    __tablename__ = "case_comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author: Mapped[str] = mapped_column(String(80))
    visibility: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Attachment(Base):
    """A file attached to a case, stored outside the web root under a generated name."""

    __tablename__ = "attachments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    uploaded_by: Mapped[str] = mapped_column(String(80))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_name: Mapped[str] = mapped_column(String(80), unique=True)
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LoginFailure(Base):
    """One failed sign-in, under a key such as 'usuario:nivel1' or 'ip:203.0.113.7'."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_failed_at", "key", "failed_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class Dependency(Base):
    """A DNP unit in a small tree: subdirección → dirección → grupo."""

    __tablename__ = "dependencies"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("dependencies.code"), nullable=True, index=True)


class HelpDeskCoordinator(Base):
    """A person who manages a help desk's groups and protocol (coordinador de mesa)."""

    __tablename__ = "help_desk_coordinators"
    help_desk_code: Mapped[str] = mapped_column(ForeignKey("help_desks.code", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)


class ProtocolVersion(Base):
    """One version of a help desk's protocol: a draft, the published one, or one it replaced.

    The body is one validated JSON document (engine.helpdesk.protocol), immutable once published; the number is
    given at publication, so drafts have none.
    """

    __tablename__ = "protocol_versions"
    __table_args__ = (
        UniqueConstraint("help_desk_code", "number"),
        Index("ix_protocol_versions_desk_status", "help_desk_code", "status"),
        # At most one draft and one published version per help desk, even when two coordinators race.
        *(Index(f"uq_protocol_versions_one_{status}", "help_desk_code", unique=True,
                sqlite_where=text(f"status = '{status}'"), postgresql_where=text(f"status = '{status}'"))
          for status in ("borrador", "publicado")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    help_desk_code: Mapped[str] = mapped_column(ForeignKey("help_desks.code", ondelete="CASCADE"))
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(12))
    valid_from: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    next_review: Mapped[date | None] = mapped_column(Date, nullable=True)
    document_json: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AdminEvent(Base):
    """Append-only record of an administrative change (a protocol published, a help desk created...)."""

    __tablename__ = "admin_events"
    __table_args__ = (Index("ix_admin_events_desk_time", "help_desk_code", "occurred_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(60))
    # No foreign key: the record outlives what it speaks of.
    help_desk_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    payload_json: Mapped[str] = mapped_column(Text)


class DependencyHead(Base):
    """The head of a DNP unit (jefe de dependencia): reads the cases of every help desk under it, read-only."""

    __tablename__ = "dependency_heads"
    dependency_code: Mapped[str] = mapped_column(
        ForeignKey("dependencies.code", ondelete="CASCADE", name="fk_dependency_heads_dependency_code"),
        primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE", name="fk_dependency_heads_user_id"), primary_key=True, index=True)


class ReviewReminder(Base):
    """One yearly-review reminder sent for a protocol version (procedure, policy 3); the key makes it once only."""

    __tablename__ = "review_reminders"
    __table_args__ = (UniqueConstraint("protocol_version_id", "slot", name="uq_review_reminders_version_slot"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    help_desk_code: Mapped[str] = mapped_column(String(40))
    protocol_version_id: Mapped[int] = mapped_column(
        ForeignKey("protocol_versions.id", ondelete="CASCADE", name="fk_review_reminders_protocol_version_id"))
    # "antes" (30 days before), "dia" (the review date), "semana-N" (N weeks after it).
    slot: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ServiceLevelClock(Base):
    """One ANS clock of a case (first response or resolution), counted in business time on its protocol's calendar.

    Running time is `business(started_at, now) - paused_seconds` (minus the open pause); `due_at` and `warn_at` are
    the instants it reaches 100 % and 75 % if it keeps running (null while paused or stopped). The durations are
    business seconds, stored so reports can aggregate them in SQL.
    """

    __tablename__ = "ans_clocks"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", name="uq_ans_clocks_case_kind"),
        Index("ix_ans_clocks_state_warn", "state", "warn_at"),
        Index("ix_ans_clocks_state_due", "state", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", name="fk_ans_clocks_case_id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # corriendo | pausado | detenido
    state: Mapped[str] = mapped_column(String(12))
    tipo: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(20))
    target_value: Mapped[int] = mapped_column(Integer)
    target_unit: Mapped[str] = mapped_column(String(5))
    target_seconds: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Business seconds of the pauses already closed; the open one (paused_since) is added when it closes.
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    paused_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # Running business seconds at the last stop, and whether they were within the target.
    elapsed_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    met: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    warn_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # Set in the transaction that queues the alert's emails: each alert is sent once.
    warned_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    breached_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class ServiceLevelPause(Base):
    """One interval an ANS clock did not count: the case waited on its requester (information or validation)."""

    __tablename__ = "ans_pauses"
    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(
        ForeignKey("ans_clocks.id", ondelete="CASCADE", name="fk_ans_pauses_clock_id"), index=True)
    # solicitante (asked for information) | validacion (a solution waits for the requester's verdict)
    reason: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    business_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # So a clock and the pause it opens can be added in one flush (the step flushes once, at its end).
    clock: Mapped[ServiceLevelClock] = relationship()
