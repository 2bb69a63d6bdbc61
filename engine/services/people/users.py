"""People verbs: add users and groups, memberships, API tokens, sign-in checks."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import ApiToken, Group, Membership, User
from engine.services.context import ServiceContext
from engine.services.errors import ConflictError, FormValidationError, NotFoundError
from engine.services.people.enforce import load_actor
from engine.services.people.passwords import hash_password, verify_password
from engine.services.people.policy import USER_ROLES
from engine.services.views import Actor

ROLES = tuple(role.value for role in USER_ROLES)
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,79}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+|[^@\s]+@localhost")


def add_user(ctx: ServiceContext, username: str, email: str, role: str, *, groups: Sequence[str] = (),
             password: str | None = None, full_name: str = "") -> Actor:
    """Create a user with a role and groups (groups are created when missing)."""
    errors: dict[str, list[str]] = {}
    if not _USERNAME.fullmatch(username):
        errors["username"] = ["use de 2 a 80 minúsculas, dígitos, '.', '_' o '-'"]
    if not _EMAIL.fullmatch(email):
        errors["email"] = [f"'{email}' no es un correo válido"]
    if role not in ROLES:
        errors["role"] = [f"rol '{role}' desconocido; use uno de: {', '.join(ROLES)}"]
    if errors:
        raise FormValidationError(errors)
    with ctx.db.write() as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise ConflictError(f"el usuario '{username}' ya existe")
        user = User(username=username, email=email, role=role, full_name=full_name, active=True,
                    password_hash=hash_password(password) if password else None, created_at=ctx.clock.now())
        session.add(user)
        session.flush()
        for name in groups:
            session.add(Membership(user_id=user.id, group_id=ensure_group(session, name).id))
        session.flush()
        return load_actor(session, username)


def ensure_group(session: Session, name: str, *, level: int | None = None, help_desk_code: str | None = None,
                 description: str = "") -> Group:
    """The group with this name, created if missing."""
    group = session.scalar(select(Group).where(Group.name == name))
    if group is None:
        group = Group(name=name, level=level, help_desk_code=help_desk_code, description=description)
        session.add(group)
        session.flush()
    return group


def issue_token(ctx: ServiceContext, username: str) -> str:
    """A new API token for the user (only its hash is stored; print it once)."""
    token = "mda_" + secrets.token_urlsafe(32)
    with ctx.db.write() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFoundError(f"el usuario '{username}' no existe")
        session.add(ApiToken(user_id=user.id, token_hash=_digest(token), created_at=ctx.clock.now()))
    return token


def actor_for_token(ctx: ServiceContext, token: str) -> Actor | None:
    """The active user owning an API token, or None."""
    with ctx.db.read() as session:
        username = session.scalar(select(User.username).join(ApiToken, ApiToken.user_id == User.id)
                                  .where(ApiToken.token_hash == _digest(token), User.active.is_(True)))
        return load_actor(session, username) if username else None


def authenticate(ctx: ServiceContext, username: str, password: str) -> Actor | None:
    """The actor when the password matches, else None."""
    with ctx.db.read() as session:
        user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
        # Hash even for unknown users so response time does not tell which user names exist.
        stored = user.password_hash if user is not None else _dummy_hash()
        if not verify_password(password, stored) or user is None:
            return None
        return load_actor(session, username)


def get_actor(ctx: ServiceContext, username: str) -> Actor:
    """The actor of an existing, active user."""
    with ctx.db.read() as session:
        return load_actor(session, username)


@cache
def _dummy_hash() -> str:
    return hash_password("contraseña que nadie usa")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
