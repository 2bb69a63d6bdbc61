"""Who may sign in: an Authenticator checks a user name and password; which one is set by MESA_AUTH."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from engine.config import ConfigError
from engine.services.context import ServiceContext
from engine.services.people.users import authenticate
from engine.services.views import Actor

# Longer passwords are refused before hashing: a KDF over megabytes would be a cheap way to load the server.
MAX_PASSWORD_LENGTH = 1024


class Authenticator(Protocol):
    """Checks credentials; an LDAP/AD implementation would bind as the user, then load the local actor."""

    def authenticate(self, username: str, password: str) -> Actor | None:
        """The actor when the credentials are right and the user is active, else None."""
        ...


class LocalAuthenticator:
    """Passwords stored (scrypt-hashed) in the users table."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def authenticate(self, username: str, password: str) -> Actor | None:
        """The actor when the password matches, else None."""
        if not username or not password or len(password) > MAX_PASSWORD_LENGTH:
            return None
        return authenticate(self.ctx, username, password)


AUTHENTICATORS: dict[str, Callable[[ServiceContext], Authenticator]] = {"local": LocalAuthenticator}


def authenticator_for(ctx: ServiceContext) -> Authenticator:
    """The authenticator MESA_AUTH names."""
    factory = AUTHENTICATORS.get(ctx.settings.auth_backend)
    if factory is None:
        raise ConfigError(f"MESA_AUTH={ctx.settings.auth_backend!r} no se admite; use uno de: "
                          f"{', '.join(sorted(AUTHENTICATORS))}")
    return factory(ctx)
