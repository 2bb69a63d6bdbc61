"""Help desks and their escalation matrix (a later protocol issue extends this)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from engine.db.models import EscalationRule, HelpDesk
from engine.helpdesk.escalation import application_key
from engine.services.context import ServiceContext
from engine.services.errors import ConflictError, NotFoundError
from engine.services.people.users import ensure_group


@dataclass(frozen=True)
class HelpDeskSpec:
    """What defines a help desk for the process."""

    code: str
    name: str
    ticket_prefix: str
    level1_group: str
    level2_default_group: str


def add_help_desk(ctx: ServiceContext, spec: HelpDeskSpec) -> None:
    """Create a help desk and its level-1 and default level-2 groups."""
    with ctx.db.write() as session:
        if session.get(HelpDesk, spec.code) is not None:
            raise ConflictError(f"la mesa '{spec.code}' ya existe")
        session.add(HelpDesk(code=spec.code, name=spec.name, ticket_prefix=spec.ticket_prefix,
                             level1_group=spec.level1_group, level2_default_group=spec.level2_default_group,
                             active=True))
        session.flush()
        ensure_group(session, spec.level1_group, level=1, help_desk_code=spec.code)
        ensure_group(session, spec.level2_default_group, level=2, help_desk_code=spec.code)


def add_group(ctx: ServiceContext, name: str, level: int, help_desk_code: str | None, description: str = "") -> None:
    """Create a group of a service level (1, 2 or 3)."""
    with ctx.db.write() as session:
        ensure_group(session, name, level=level, help_desk_code=help_desk_code, description=description)


def set_escalation(ctx: ServiceContext, help_desk_code: str, application: str, level2_group: str) -> None:
    """Set the level-2 group the matrix proposes for an application of a help desk."""
    with ctx.db.write() as session:
        if session.get(HelpDesk, help_desk_code) is None:
            raise NotFoundError(f"la mesa '{help_desk_code}' no existe")
        key = application_key(application)
        rule = session.scalar(select(EscalationRule).where(EscalationRule.help_desk_code == help_desk_code,
                                                           EscalationRule.application_key == key))
        if rule is None:
            session.add(EscalationRule(help_desk_code=help_desk_code, application=application,
                                       application_key=key, level2_group=level2_group))
        else:
            rule.level2_group = level2_group
        ensure_group(session, level2_group, level=2, help_desk_code=help_desk_code)
