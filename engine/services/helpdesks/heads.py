"""Heads of dependencies (jefe de dependencia): who reads the cases and figures of every help desk under a unit.

A head is a relation, not a role: a user with the coordinator role (read-only on cases) linked to a unit of the
dependency tree. Only administrators link and unlink heads.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.db.models import Dependency, DependencyHead, User
from engine.services.context import ServiceContext
from engine.services.errors import FormValidationError, NotFoundError
from engine.services.helpdesks.access import ensure_admin
from engine.services.helpdesks.events import record
from engine.services.people.policy import may_head_dependency
from engine.services.views import Actor, Role


def add_head(ctx: ServiceContext, actor: Actor, dependency_code: str, username: str) -> tuple[str, ...]:
    """Make a coordinator the head of a unit; returns the unit's heads."""
    ensure_admin(actor)
    with ctx.db.write() as session:
        if session.get(Dependency, dependency_code) is None:
            raise NotFoundError(f"la dependencia '{dependency_code}' no existe")
        user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
        if user is None:
            raise NotFoundError(f"el usuario '{username}' no existe o está inactivo")
        if not may_head_dependency(Role(user.role)):
            raise FormValidationError({"usuario": [f"un usuario con rol {user.role} no puede ser jefe de "
                                                   f"dependencia; use el rol {Role.COORDINATOR.value}"]})
        if session.get(DependencyHead, (dependency_code, user.id)) is None:
            session.add(DependencyHead(dependency_code=dependency_code, user_id=user.id))
            record(session, actor, "dependencia.jefe_agregado", None, ctx.clock.now(), codigo=dependency_code,
                   usuario=username)
        session.flush()
        return _heads(session, dependency_code)


def remove_head(ctx: ServiceContext, actor: Actor, dependency_code: str, username: str) -> tuple[str, ...]:
    """Stop a user heading a unit; returns the unit's heads."""
    ensure_admin(actor)
    with ctx.db.write() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        session.execute(delete(DependencyHead).where(DependencyHead.dependency_code == dependency_code,
                                                     DependencyHead.user_id == user_id))
        record(session, actor, "dependencia.jefe_retirado", None, ctx.clock.now(), codigo=dependency_code,
               usuario=username)
        return _heads(session, dependency_code)


def list_heads(ctx: ServiceContext, dependency_code: str) -> tuple[str, ...]:
    """User names of a unit's heads, sorted."""
    with ctx.db.read() as session:
        return _heads(session, dependency_code)


def _heads(session: Session, dependency_code: str) -> tuple[str, ...]:
    return tuple(session.scalars(select(User.username).join(DependencyHead, DependencyHead.user_id == User.id)
                                 .where(DependencyHead.dependency_code == dependency_code).order_by(User.username)))
