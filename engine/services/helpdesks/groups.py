"""A help desk's level groups (1, 2, 3; level 3 may be a provider or outside entity) and their members."""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.db.models import Group, Membership, User
from engine.services.context import ServiceContext
from engine.services.errors import ConflictError, FormValidationError, NotFoundError
from engine.services.helpdesks.access import ensure_may_manage, ensure_may_read
from engine.services.helpdesks.events import record
from engine.services.helpdesks.views import GroupView
from engine.services.views import Actor

LEVELS = (1, 2, 3)
GROUP_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,119}")


def claim_group(session: Session, code: str, name: str, level: int, *, external: bool = False,
                description: str = "") -> Group:
    """The help desk's group `name` at `level`: created, or adopted when it exists without a help desk."""
    errors = _group_errors(name, level, external)
    if errors:
        raise FormValidationError(errors)
    group = session.scalar(select(Group).where(Group.name == name))
    if group is None:
        group = Group(name=name, level=level, help_desk_code=code, description=description, external=external)
        session.add(group)
    elif group.help_desk_code not in (None, code) or group.level not in (None, level):
        where = f"de la mesa '{group.help_desk_code}'" if group.help_desk_code != code else f"de nivel {group.level}"
        raise ConflictError(f"el grupo '{name}' ya existe {where}")
    else:
        # Users added before their help desk (users add --group) leave groups without one: adopt them.
        group.help_desk_code, group.level, group.external = code, level, external
        group.description = description or group.description
    session.flush()
    return group


def add_group(ctx: ServiceContext, actor: Actor, code: str, name: str, level: int, *, external: bool = False,
              description: str = "") -> GroupView:
    """Add a level group to a help desk."""
    with ctx.db.write() as session:
        ensure_may_manage(session, actor, code)
        if session.scalar(select(Group.id).where(Group.name == name, Group.help_desk_code == code)) is not None:
            raise ConflictError(f"el grupo '{name}' ya existe en la mesa '{code}'")
        group = claim_group(session, code, name, level, external=external, description=description)
        record(session, actor, "grupo.creado", code, ctx.clock.now(), grupo=name, nivel=level, externo=external)
        return _view(session, group)


def update_group(ctx: ServiceContext, actor: Actor, code: str, name: str, *, external: bool,
                 description: str) -> GroupView:
    """Change a group's description and whether it is an outside provider (level 3 only)."""
    with ctx.db.write() as session:
        ensure_may_manage(session, actor, code)
        group = _group(session, code, name)
        errors = _group_errors(name, group.level or 0, external)
        if errors:
            raise FormValidationError(errors)
        group.external, group.description = external, description
        record(session, actor, "grupo.modificado", code, ctx.clock.now(), grupo=name, externo=external)
        return _view(session, group)


def add_member(ctx: ServiceContext, actor: Actor, code: str, name: str, username: str) -> GroupView:
    """Put a user in one of the help desk's groups."""
    with ctx.db.write() as session:
        ensure_may_manage(session, actor, code)
        group, user = _group(session, code, name), _user(session, username)
        if session.get(Membership, (user.id, group.id)) is None:
            session.add(Membership(user_id=user.id, group_id=group.id))
            record(session, actor, "grupo.miembro_agregado", code, ctx.clock.now(), grupo=name, usuario=username)
        session.flush()
        return _view(session, group)


def remove_member(ctx: ServiceContext, actor: Actor, code: str, name: str, username: str) -> GroupView:
    """Take a user out of one of the help desk's groups."""
    with ctx.db.write() as session:
        ensure_may_manage(session, actor, code)
        group, user = _group(session, code, name), _user(session, username)
        session.execute(delete(Membership).where(Membership.user_id == user.id, Membership.group_id == group.id))
        record(session, actor, "grupo.miembro_retirado", code, ctx.clock.now(), grupo=name, usuario=username)
        return _view(session, group)


def list_groups(ctx: ServiceContext, actor: Actor, code: str) -> list[GroupView]:
    """The help desk's groups by level and name, with their members."""
    with ctx.db.read() as session:
        ensure_may_read(session, actor, code)
        return [_view(session, g) for g in desk_groups(session, code)]


def desk_groups(session: Session, code: str) -> list[Group]:
    """The help desk's groups ordered by level and name."""
    return list(session.scalars(select(Group).where(Group.help_desk_code == code).order_by(Group.level, Group.name)))


def members(session: Session, group: Group) -> tuple[str, ...]:
    """User names in a group, sorted."""
    return tuple(session.scalars(select(User.username).join(Membership, Membership.user_id == User.id)
                                 .where(Membership.group_id == group.id).order_by(User.username)))


def _group_errors(name: str, level: int, external: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not GROUP_NAME.fullmatch(name):
        errors["grupo"] = ["use de 2 a 120 minúsculas, dígitos, '.', '_' o '-'"]
    if level not in LEVELS:
        errors["nivel"] = [f"el nivel debe ser 1, 2 o 3 (es {level})"]
    elif external and level != 3:
        errors["externo"] = ["solo un grupo de nivel 3 puede ser un proveedor o ente externo"]
    return errors


def _group(session: Session, code: str, name: str) -> Group:
    group = session.scalar(select(Group).where(Group.name == name, Group.help_desk_code == code))
    if group is None:
        raise NotFoundError(f"el grupo '{name}' no existe en la mesa '{code}'")
    return group


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        raise NotFoundError(f"el usuario '{username}' no existe o está inactivo")
    return user


def _view(session: Session, group: Group) -> GroupView:
    return GroupView(group.name, group.level, group.external, group.description, members(session, group))
