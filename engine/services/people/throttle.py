"""Sign-in throttling: too many failures for a user name or a client address in a window blocks it."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select

from engine.db.models import LoginFailure
from engine.services.context import ServiceContext


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures a key may have within a sliding window."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)


LOGIN = ThrottlePolicy()


def login_keys(username: str, address: str | None) -> tuple[str, ...]:
    """The keys one sign-in attempt counts against: the user name and the client address."""
    keys = [f"usuario:{username.strip().lower()[:150]}"]
    if address:
        keys.append(f"ip:{address[:150]}")
    return tuple(keys)


def blocked_for(ctx: ServiceContext, keys: Iterable[str], policy: ThrottlePolicy = LOGIN) -> int:
    """Seconds until every key may try again (0: allowed now)."""
    now = ctx.clock.now()
    wait = 0.0
    with ctx.db.read() as session:
        for key in keys:
            recent = session.scalars(
                select(LoginFailure.failed_at)
                .where(LoginFailure.key == key, LoginFailure.failed_at > now - policy.window)
                .order_by(LoginFailure.failed_at.desc()).limit(policy.max_failures)).all()
            if len(recent) >= policy.max_failures:
                # Blocked until the oldest of the last `max_failures` failures leaves the window.
                wait = max(wait, (recent[-1] + policy.window - now).total_seconds())
    return max(1, math.ceil(wait)) if wait > 0 else 0


def record_failure(ctx: ServiceContext, keys: Iterable[str], policy: ThrottlePolicy = LOGIN) -> None:
    """Count one failed attempt against each key, forgetting failures older than the window."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= now - policy.window))
        session.add_all(LoginFailure(key=key, failed_at=now) for key in keys)


def forget(ctx: ServiceContext, keys: Iterable[str]) -> None:
    """Drop the failures of keys (after a successful sign-in for its user name)."""
    with ctx.db.write() as session:
        session.execute(delete(LoginFailure).where(LoginFailure.key.in_(list(keys))))
