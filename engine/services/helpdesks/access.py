"""Who may manage and read help desks, enforced on stored rows: the rules are the permission policy's.

`engine.services.people.policy` decides (administrators manage every help desk, a coordinator only the ones linked
to them, a jefe de dependencia reads those under their dependency); this module loads the relations it is asked
about and raises its refusals. A help desk the actor may not see is reported as missing (NotFoundError), as cases
are: codes leak nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import HelpDesk
from engine.services.errors import NotFoundError
from engine.services.people import policy
from engine.services.people.enforce import coordinated_desks, headed_desks
from engine.services.views import Actor

__all__ = ["coordinated_desks", "ensure_admin", "ensure_may_manage", "ensure_may_read", "ensure_may_read_tree",
           "may_manage", "readable_desks"]


def may_manage(session: Session, actor: Actor, code: str) -> bool:
    """The policy's answer: may the actor change this help desk's groups, coordinators and protocol."""
    return policy.may_manage_desk(actor, code, coordinated=_coordinated(session, actor))


def ensure_may_manage(session: Session, actor: Actor, code: str) -> HelpDesk:
    """The help desk, if the actor may change it (auditors: Forbidden; others: NotFound)."""
    desk = session.get(HelpDesk, code)
    if desk is None:
        raise NotFoundError(f"la mesa '{code}' no existe")
    policy.ensure(policy.manage_desk_refusal(actor, coordinated=_coordinated(session, actor), code=code))
    return desk


def ensure_may_read(session: Session, actor: Actor, code: str) -> HelpDesk:
    """The help desk, if the actor may read its setup (all-readers, its coordinators, the heads above it)."""
    desk = session.get(HelpDesk, code)
    if desk is None or not policy.may_read_desk(actor, code, coordinated=_coordinated(session, actor),
                                                headed=_headed(session, actor)):
        raise NotFoundError(f"la mesa '{code}' no existe")
    return desk


def readable_desks(session: Session, actor: Actor) -> list[HelpDesk]:
    """Every help desk whose setup the actor may read, by name."""
    query = select(HelpDesk).order_by(HelpDesk.name, HelpDesk.code)
    if not policy.reads_all_desks(actor):
        coordinated = _coordinated(session, actor)
        mine = {code for code in coordinated if policy.may_manage_desk(actor, code, coordinated=coordinated)}
        query = query.where(HelpDesk.code.in_(mine | _headed(session, actor)))
    return list(session.scalars(query))


def ensure_admin(actor: Actor) -> None:
    """Only administrators create help desks and edit the dependency tree."""
    policy.ensure(policy.administer_refusal(actor))


def ensure_may_read_tree(actor: Actor) -> None:
    """The dependency tree and its heads: whoever opens the help-desk administration (and the scheduler)."""
    policy.ensure(policy.read_tree_refusal(actor))


def _coordinated(session: Session, actor: Actor) -> set[str]:
    return set() if policy.manages_all_desks(actor) else coordinated_desks(session, actor)


def _headed(session: Session, actor: Actor) -> set[str]:
    return set() if policy.reads_all_desks(actor) or actor.external else headed_desks(session, actor)
