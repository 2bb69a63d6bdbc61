"""Who may manage and read help desks: administrators all, coordinators their own.

Kept here, beside the verbs, until it moves into the one permission policy (engine.services.people.policy):
coordination is a relation (HelpDeskCoordinator), so the check needs the session. A help desk the actor may not
manage is reported as missing (NotFoundError), as cases are: codes leak nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import HelpDesk, HelpDeskCoordinator, User
from engine.services.errors import ForbiddenError, NotFoundError
from engine.services.views import Actor

ADMIN = "admin"
READERS = frozenset({"admin", "auditor", "dueno"})
READ_ONLY = "los auditores solo pueden consultar"


def coordinated_desks(session: Session, actor: Actor) -> set[str]:
    """Codes of the help desks the actor coordinates."""
    return set(session.scalars(
        select(HelpDeskCoordinator.help_desk_code).join(User, User.id == HelpDeskCoordinator.user_id)
        .where(User.username == actor.username)))


def may_manage(session: Session, actor: Actor, code: str) -> bool:
    """Administrators manage every help desk; a coordinator (not an auditor) the ones they coordinate."""
    if actor.role == ADMIN or actor.is_system:
        return True
    return actor.role != "auditor" and code in coordinated_desks(session, actor)


def ensure_may_manage(session: Session, actor: Actor, code: str) -> HelpDesk:
    """The help desk, if the actor may change it (auditors: Forbidden; others: NotFound)."""
    desk = session.get(HelpDesk, code)
    if actor.role == "auditor" and desk is not None:
        raise ForbiddenError(READ_ONLY)
    if desk is None or not may_manage(session, actor, code):
        raise NotFoundError(f"la mesa '{code}' no existe")
    return desk


def ensure_may_read(session: Session, actor: Actor, code: str) -> HelpDesk:
    """The help desk, if the actor may read its setup (administrators, auditors, owners, its coordinators)."""
    desk = session.get(HelpDesk, code)
    if desk is None or not (actor.role in READERS or may_manage(session, actor, code)):
        raise NotFoundError(f"la mesa '{code}' no existe")
    return desk


def readable_desks(session: Session, actor: Actor) -> list[HelpDesk]:
    """Every help desk whose setup the actor may read, by name."""
    query = select(HelpDesk).order_by(HelpDesk.name, HelpDesk.code)
    if actor.role not in READERS and not actor.is_system:
        query = query.where(HelpDesk.code.in_(coordinated_desks(session, actor)))
    return list(session.scalars(query))


def ensure_admin(actor: Actor) -> None:
    """Only administrators create help desks and edit the dependency tree."""
    if actor.role == "auditor":
        raise ForbiddenError(READ_ONLY)
    if actor.role != ADMIN and not actor.is_system:
        raise ForbiddenError("solo un administrador puede hacer esto")
