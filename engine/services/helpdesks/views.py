"""Plain values the help-desk services hand back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from engine.helpdesk.protocol import ProtocolDocument


@dataclass(frozen=True)
class DependencyView:
    """A DNP unit and its place in the tree (depth 0 = top)."""

    code: str
    name: str
    kind: str
    parent_code: str | None
    depth: int = 0


@dataclass(frozen=True)
class GroupView:
    """A level group of a help desk with its members' user names."""

    name: str
    level: int | None
    external: bool
    description: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class HelpDeskView:
    """A help desk, its owning dependency and its coordinators."""

    code: str
    name: str
    ticket_prefix: str
    dependency_code: str | None
    active: bool
    level1_group: str
    level2_default_group: str
    coordinators: tuple[str, ...]


@dataclass(frozen=True)
class ProtocolVersionView:
    """One protocol version (a draft has no number, approval or validity yet)."""

    id: int
    help_desk_code: str
    number: int | None
    status: str
    valid_from: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    notes: str
    next_review: date | None
    document: ProtocolDocument
    created_by: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ProtocolStatus:
    """Whether a help desk's protocol is current: vigente, por vencer, vencido or sin protocolo."""

    help_desk_code: str
    help_desk_name: str
    state: str
    number: int | None
    next_review: date | None
    days_left: int | None
    has_draft: bool
