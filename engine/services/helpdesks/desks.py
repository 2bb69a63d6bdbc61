"""Help desks: create (administrators), rename or move, activate or deactivate, and their coordinators.

A help desk is created with its level-1 group and a default level-2 group, so the start form can offer it and a
case can be registered and escalated at once; its protocol then refines where each application escalates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.db.models import Dependency, HelpDesk, HelpDeskCoordinator, User
from engine.services.context import ServiceContext
from engine.services.errors import ConflictError, FormValidationError, NotFoundError
from engine.services.helpdesks.access import ensure_admin, ensure_may_manage, ensure_may_read, readable_desks
from engine.services.helpdesks.events import record
from engine.services.helpdesks.groups import claim_group
from engine.services.helpdesks.views import HelpDeskView
from engine.services.views import Actor

DESK_CODE = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
PREFIX = re.compile(r"[A-Z0-9]{2,12}")
# Who may coordinate: requesters and auditors may not manage anything. "coordinador" is the role the issue
# announces; until the policy has it, a coordinator is an agent or owner linked to the desk.
COORDINATOR_ROLES = frozenset({"agente", "dueno", "admin", "coordinador"})


@dataclass(frozen=True)
class NewHelpDesk:
    """What an administrator gives to create a help desk (group names default to CODE-nivel1, CODE-nivel2)."""

    code: str
    name: str
    ticket_prefix: str
    dependency_code: str
    level1_group: str = ""
    level2_default_group: str = ""


def create_help_desk(ctx: ServiceContext, actor: Actor, spec: NewHelpDesk) -> HelpDeskView:
    """Create a help desk of a dependency with its level-1 and default level-2 groups."""
    ensure_admin(actor)
    _check(spec)
    level1 = spec.level1_group or f"{spec.code}-nivel1"
    level2 = spec.level2_default_group or f"{spec.code}-nivel2"
    with ctx.db.write() as session:
        if session.get(HelpDesk, spec.code) is not None:
            raise ConflictError(f"la mesa '{spec.code}' ya existe")
        if session.get(Dependency, spec.dependency_code) is None:
            raise FormValidationError({"dependencia": [f"la dependencia '{spec.dependency_code}' no existe"]})
        if session.scalar(select(HelpDesk.code).where(HelpDesk.ticket_prefix == spec.ticket_prefix)):
            raise ConflictError(f"el prefijo de ticket '{spec.ticket_prefix}' ya es de otra mesa")
        desk = HelpDesk(code=spec.code, name=spec.name.strip(), ticket_prefix=spec.ticket_prefix,
                        dependency_code=spec.dependency_code, level1_group=level1, level2_default_group=level2,
                        active=True)
        session.add(desk)
        session.flush()
        claim_group(session, spec.code, level1, 1, description="Nivel 1 · Profesionales de la mesa de ayuda")
        claim_group(session, spec.code, level2, 2, description="Nivel 2")
        record(session, actor, "mesa.creada", spec.code, ctx.clock.now(), nombre=desk.name,
               prefijo=spec.ticket_prefix, dependencia=spec.dependency_code)
        return desk_view(session, desk)


def update_help_desk(ctx: ServiceContext, actor: Actor, code: str, *, name: str,
                     dependency_code: str) -> HelpDeskView:
    """Rename a help desk or give it to another dependency."""
    with ctx.db.write() as session:
        desk = ensure_may_manage(session, actor, code)
        if not name.strip() or len(name) > 200:
            raise FormValidationError({"nombre": ["escriba el nombre (hasta 200 caracteres)"]})
        if session.get(Dependency, dependency_code) is None:
            raise FormValidationError({"dependencia": [f"la dependencia '{dependency_code}' no existe"]})
        desk.name, desk.dependency_code = name.strip(), dependency_code
        record(session, actor, "mesa.modificada", code, ctx.clock.now(), nombre=desk.name, dependencia=dependency_code)
        return desk_view(session, desk)


def set_help_desk_active(ctx: ServiceContext, actor: Actor, code: str, active: bool) -> HelpDeskView:
    """Open or close a help desk to new cases (an inactive one leaves the start form; its cases stay)."""
    ensure_admin(actor)
    with ctx.db.write() as session:
        desk = ensure_may_manage(session, actor, code)
        desk.active = active
        record(session, actor, "mesa.activada" if active else "mesa.desactivada", code, ctx.clock.now())
        return desk_view(session, desk)


def list_help_desks(ctx: ServiceContext, actor: Actor) -> list[HelpDeskView]:
    """The help desks whose setup the actor may read."""
    with ctx.db.read() as session:
        return [desk_view(session, desk) for desk in readable_desks(session, actor)]


def get_help_desk(ctx: ServiceContext, actor: Actor, code: str) -> HelpDeskView:
    """One help desk."""
    with ctx.db.read() as session:
        return desk_view(session, ensure_may_read(session, actor, code))


def add_coordinator(ctx: ServiceContext, actor: Actor, code: str, username: str) -> HelpDeskView:
    """Make a user a coordinator of the help desk."""
    with ctx.db.write() as session:
        desk = ensure_may_manage(session, actor, code)
        user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
        if user is None:
            raise NotFoundError(f"el usuario '{username}' no existe o está inactivo")
        if user.role not in COORDINATOR_ROLES:
            raise FormValidationError({"usuario": [f"un usuario con rol {user.role} no puede coordinar una mesa"]})
        if session.get(HelpDeskCoordinator, (code, user.id)) is None:
            session.add(HelpDeskCoordinator(help_desk_code=code, user_id=user.id))
            record(session, actor, "mesa.coordinador_agregado", code, ctx.clock.now(), usuario=username)
        session.flush()
        return desk_view(session, desk)


def remove_coordinator(ctx: ServiceContext, actor: Actor, code: str, username: str) -> HelpDeskView:
    """Stop a user coordinating the help desk."""
    with ctx.db.write() as session:
        desk = ensure_may_manage(session, actor, code)
        user_id = session.scalar(select(User.id).where(User.username == username))
        session.execute(delete(HelpDeskCoordinator).where(HelpDeskCoordinator.help_desk_code == code,
                                                          HelpDeskCoordinator.user_id == user_id))
        record(session, actor, "mesa.coordinador_retirado", code, ctx.clock.now(), usuario=username)
        return desk_view(session, desk)


def coordinators(session: Session, code: str) -> tuple[str, ...]:
    """User names of the help desk's coordinators, sorted."""
    return tuple(session.scalars(select(User.username).join(HelpDeskCoordinator, HelpDeskCoordinator.user_id == User.id)
                                 .where(HelpDeskCoordinator.help_desk_code == code).order_by(User.username)))


def desk_view(session: Session, desk: HelpDesk) -> HelpDeskView:
    """A help desk row as a plain value."""
    return HelpDeskView(desk.code, desk.name, desk.ticket_prefix, desk.dependency_code, desk.active,
                        desk.level1_group, desk.level2_default_group, coordinators(session, desk.code))


def _check(spec: NewHelpDesk) -> None:
    errors: dict[str, list[str]] = {}
    if not DESK_CODE.fullmatch(spec.code):
        errors["codigo"] = ["use de 2 a 40 minúsculas, dígitos o '-'"]
    if not spec.name.strip() or len(spec.name) > 200:
        errors["nombre"] = ["escriba el nombre (hasta 200 caracteres)"]
    if not PREFIX.fullmatch(spec.ticket_prefix):
        errors["prefijo"] = ["use de 2 a 12 mayúsculas o dígitos (p. ej. TI)"]
    if errors:
        raise FormValidationError(errors)
