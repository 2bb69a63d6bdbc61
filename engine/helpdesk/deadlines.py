"""Deadlines in business days from configuration, exposed to diagrams as plazo('nombre')."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine.config import Settings
from engine.helpdesk.calendar import BusinessCalendar


class UnknownDeadlineError(KeyError):
    """A diagram asked for a deadline name that is not configured."""


@functools.lru_cache(maxsize=16)
def default_calendar(zone: ZoneInfo) -> BusinessCalendar:
    """The calendar of deadlines until a desk's protocol brings its own: Mon–Fri 08:00–17:00, Colombian holidays."""
    return BusinessCalendar(zone=zone)


def deadline(settings: Settings, name: str, now: datetime, calendar: BusinessCalendar | None = None) -> datetime:
    """The instant `name`'s configured business days after `now` on `calendar` (the zone's default if None)."""
    if name not in settings.deadlines:
        known = ", ".join(sorted(settings.deadlines))
        raise UnknownDeadlineError(f"plazo '{name}' no configurado (MESA_PLAZOS); plazos conocidos: {known}")
    calendar = calendar or default_calendar(settings.timezone)
    return calendar.add_business_days(now, settings.deadlines[name])


def expression_functions(settings: Settings, now: datetime) -> dict[str, Callable[..., Any]]:
    """The functions a diagram's expressions may call at `now` (deployment allows exactly these names)."""
    return {"plazo": plazo_function(settings, now)}


def plazo_function(settings: Settings, now: datetime) -> Callable[[str], str]:
    """The `plazo(nombre)` function of expressions: ISO-8601 with offset, in the configured zone."""

    def plazo(name: str) -> str:
        return deadline(settings, str(name), now).isoformat()

    return plazo
