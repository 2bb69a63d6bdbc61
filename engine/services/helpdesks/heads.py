"""Heads of dependencies (jefe de dependencia): who reads the cases and figures of every help desk under a unit.

A head is a relation, not a role: a user with the coordinator role (read-only on cases) linked to a unit of the
dependency tree. Only administrators link and unlink heads; whoever opens the help-desk administration reads
them. Every refusal is raised before anything is written, and each change is an AdminEvent in its transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import Dependency, DependencyHead, User
from engine.services.context import ServiceContext
from engine.services.errors import ConflictError, FormValidationError, NotFoundError
from engine.services.helpdesks.access import ensure_admin, ensure_may_read_tree
from engine.services.helpdesks.events import record
from engine.services.people.policy import may_head_dependency
from engine.services.views import Actor, Role


def add_head(ctx: ServiceContext, actor: Actor, dependency_code: str, username: str) -> tuple[str, ...]:
    """Make an active coordinator the head of a unit (administrators); returns the unit's heads."""
    ensure_admin(actor)
    with ctx.db.write() as session:
        _dependency(session, dependency_code)
        user = _user(session, username)
        if not user.active:
            raise FormValidationError({"usuario": [f"el usuario '{username}' está inactivo"]})
        if not may_head_dependency(Role(user.role)):
            raise FormValidationError({"usuario": [f"un usuario con rol {user.role} no puede ser jefe de "
                                                   f"dependencia; use el rol {Role.COORDINATOR.value}"]})
        if session.get(DependencyHead, (dependency_code, user.id)) is not None:
            raise ConflictError(f"el usuario '{username}' ya es jefe de la dependencia '{dependency_code}'")
        session.add(DependencyHead(dependency_code=dependency_code, user_id=user.id))
        record(session, actor, "dependencia.jefe_agregado", None, ctx.clock.now(), codigo=dependency_code,
               usuario=username)
        session.flush()
        return _heads(session, dependency_code)


def remove_head(ctx: ServiceContext, actor: Actor, dependency_code: str, username: str) -> tuple[str, ...]:
    """Stop a user heading a unit (administrators); returns the unit's heads."""
    ensure_admin(actor)
    with ctx.db.write() as session:
        _dependency(session, dependency_code)
        user = _user(session, username)
        row = session.get(DependencyHead, (dependency_code, user.id))
        if row is None:
            raise ConflictError(f"el usuario '{username}' no es jefe de la dependencia '{dependency_code}'")
        session.delete(row)
        record(session, actor, "dependencia.jefe_retirado", None, ctx.clock.now(), codigo=dependency_code,
               usuario=username)
        return _heads(session, dependency_code)


def list_heads(ctx: ServiceContext, actor: Actor, dependency_code: str) -> tuple[str, ...]:
    """User names of a unit's heads, sorted."""
    ensure_may_read_tree(actor)
    with ctx.db.read() as session:
        _dependency(session, dependency_code)
        return _heads(session, dependency_code)


def heads_by_dependency(ctx: ServiceContext, actor: Actor) -> dict[str, tuple[str, ...]]:
    """Every unit that has heads, with their user names sorted (for the dependency tree)."""
    ensure_may_read_tree(actor)
    found: dict[str, list[str]] = {}
    with ctx.db.read() as session:
        rows = session.execute(select(DependencyHead.dependency_code, User.username)
                               .join(User, User.id == DependencyHead.user_id).order_by(User.username)).tuples()
        for code, username in rows:
            found.setdefault(code, []).append(username)
    return {code: tuple(names) for code, names in found.items()}


def _dependency(session: Session, code: str) -> Dependency:
    row = session.get(Dependency, code)
    if row is None:
        raise NotFoundError(f"la dependencia '{code}' no existe")
    return row


def _user(session: Session, username: str) -> User:
    if not username.strip():
        raise FormValidationError({"usuario": ["escriba el nombre de usuario"]})
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"el usuario '{username}' no existe")
    return user


def _heads(session: Session, dependency_code: str) -> tuple[str, ...]:
    return tuple(session.scalars(select(User.username).join(DependencyHead, DependencyHead.user_id == User.id)
                                 .where(DependencyHead.dependency_code == dependency_code).order_by(User.username)))
