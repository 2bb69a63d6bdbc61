"""The tree of DNP units that own help desks: subdirección → dirección → grupo (administrators only).

A unit's parent must rank above it (a grupo under a dirección or a subdirección, a dirección under a
subdirección or at the top, a subdirección at the top), which also makes cycles impossible.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db.models import Dependency, HelpDesk
from engine.services.context import ServiceContext
from engine.services.errors import ConflictError, FormValidationError, NotFoundError
from engine.services.helpdesks.access import ensure_admin
from engine.services.helpdesks.events import record
from engine.services.helpdesks.views import DependencyView
from engine.services.views import Actor

KINDS = ("subdireccion", "direccion", "grupo")
_LABELS = {"subdireccion": "una subdirección", "direccion": "una dirección", "grupo": "un grupo"}
CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


def add_dependency(ctx: ServiceContext, actor: Actor, code: str, name: str, kind: str,
                   parent_code: str | None = None) -> DependencyView:
    """Add a unit under its parent."""
    ensure_admin(actor)
    errors = _field_errors(code, name, kind)
    if errors:
        raise FormValidationError(errors)
    with ctx.db.write() as session:
        if session.get(Dependency, code) is not None:
            raise ConflictError(f"la dependencia '{code}' ya existe")
        _check_parent(session, kind, parent_code)
        row = Dependency(code=code, name=name.strip(), kind=kind, parent_code=parent_code)
        session.add(row)
        record(session, actor, "dependencia.creada", None, ctx.clock.now(), codigo=code, nombre=row.name,
               tipo=kind, padre=parent_code)
        return _view(row)


def update_dependency(ctx: ServiceContext, actor: Actor, code: str, name: str,
                      parent_code: str | None) -> DependencyView:
    """Rename a unit or move it under another parent."""
    ensure_admin(actor)
    with ctx.db.write() as session:
        row = _get(session, code)
        errors = _field_errors(code, name, row.kind)
        if errors:
            raise FormValidationError(errors)
        _check_parent(session, row.kind, parent_code)
        row.name, row.parent_code = name.strip(), parent_code
        record(session, actor, "dependencia.modificada", None, ctx.clock.now(), codigo=code, nombre=row.name,
               padre=parent_code)
        return _view(row)


def remove_dependency(ctx: ServiceContext, actor: Actor, code: str) -> None:
    """Remove a unit that owns no help desk and has no units under it."""
    ensure_admin(actor)
    with ctx.db.write() as session:
        row = _get(session, code)
        if session.scalar(select(func.count()).where(Dependency.parent_code == code)):
            raise ConflictError(f"la dependencia '{code}' tiene dependencias a su cargo")
        if session.scalar(select(func.count()).where(HelpDesk.dependency_code == code)):
            raise ConflictError(f"la dependencia '{code}' tiene mesas de ayuda")
        session.delete(row)
        record(session, actor, "dependencia.eliminada", None, ctx.clock.now(), codigo=code)


def list_dependencies(ctx: ServiceContext) -> list[DependencyView]:
    """Every unit, in tree order (each after its parent, siblings by name)."""
    with ctx.db.read() as session:
        rows = list(session.scalars(select(Dependency).order_by(Dependency.name)))
    children: dict[str | None, list[Dependency]] = {}
    for row in rows:
        children.setdefault(row.parent_code, []).append(row)
    ordered: list[DependencyView] = []

    def walk(parent: str | None, depth: int) -> None:
        for row in children.get(parent, []):
            ordered.append(_view(row, depth))
            walk(row.code, depth + 1)

    walk(None, 0)
    return ordered


def _field_errors(code: str, name: str, kind: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not CODE.fullmatch(code):
        errors["codigo"] = ["use de 1 a 40 minúsculas, dígitos o '-'"]
    if not name.strip() or len(name) > 200:
        errors["nombre"] = ["escriba el nombre (hasta 200 caracteres)"]
    if kind not in KINDS:
        errors["tipo"] = [f"tipo '{kind}' desconocido; use uno de: {', '.join(KINDS)}"]
    return errors


def _check_parent(session: Session, kind: str, parent_code: str | None) -> None:
    if parent_code is None:
        if kind == "grupo":
            raise FormValidationError({"padre": ["un grupo pertenece a una dirección o a una subdirección"]})
        return
    parent = session.get(Dependency, parent_code)
    if parent is None:
        raise FormValidationError({"padre": [f"la dependencia '{parent_code}' no existe"]})
    if KINDS.index(parent.kind) >= KINDS.index(kind):
        raise FormValidationError({"padre": [f"{_LABELS[kind]} no puede depender de {_LABELS[parent.kind]} "
                                             f"({parent.name})"]})


def _get(session: Session, code: str) -> Dependency:
    row = session.get(Dependency, code)
    if row is None:
        raise NotFoundError(f"la dependencia '{code}' no existe")
    return row


def _view(row: Dependency, depth: int = 0) -> DependencyView:
    return DependencyView(row.code, row.name, row.kind, row.parent_code, depth)
