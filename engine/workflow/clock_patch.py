"""Lets the engine decide what 'now' is for SpiffWorkflow's timer code (injectable clock, no sleeping)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, tzinfo

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module

_now: ContextVar[datetime | None] = ContextVar("mesa_now", default=None)


class _EngineDatetime(datetime):
    """datetime whose now() is the engine's instant while a step runs (the timer module's only clock)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        instant = _now.get()
        if instant is None:
            return datetime.now(tz)
        return instant.astimezone(tz) if tz is not None else instant.astimezone().replace(tzinfo=None)


_timer_module.datetime = _EngineDatetime


@contextmanager
def engine_time(instant: datetime) -> Iterator[None]:
    """Run SpiffWorkflow code as if the current instant were `instant` (aware)."""
    token = _now.set(instant)
    try:
        yield
    finally:
        _now.reset(token)
