"""Time source for the engine; tests inject a FixedClock instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current instant (aware, UTC)."""

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests, `timers run --now`)."""

    def __init__(self, instant: datetime) -> None:
        self._instant = as_utc(instant)

    def now(self) -> datetime:
        """Return the instant this clock is set to."""
        return self._instant

    def set(self, instant: datetime) -> None:
        """Move the clock to an instant."""
        self._instant = as_utc(instant)

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward and return the new instant."""
        self._instant += delta
        return self._instant


def as_utc(instant: datetime) -> datetime:
    """Return an aware UTC datetime; naive values are refused because their zone is unknown."""
    if instant.tzinfo is None:
        raise ValueError(f"instante sin zona horaria: {instant.isoformat()} (agregue un desfase, p. ej. -05:00)")
    return instant.astimezone(UTC)
