"""Deadlines in business days, exposed to diagrams as plazo('nombre').

A case of a help desk with a published protocol counts them with that version's `plazos` and calendar; any
other case with MESA_PLAZOS on the default calendar. Every value a step computes is recorded (decision 12), so
a replay reads the recorded value back instead of recounting with today's settings, protocol or holidays.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class DeadlineRules:
    """Business days per deadline name, the calendar they are counted on, and where they come from (messages)."""

    days: Mapping[str, int]
    calendar: BusinessCalendar
    source: str = "MESA_PLAZOS"

    def due(self, name: str, now: datetime) -> datetime:
        """The instant `name`'s business days after `now`."""
        if name not in self.days:
            known = ", ".join(sorted(self.days))
            raise UnknownDeadlineError(f"plazo '{name}' no configurado ({self.source}); plazos conocidos: {known}")
        return self.calendar.add_business_days(now, self.days[name])


def settings_rules(settings: Settings) -> DeadlineRules:
    """MESA_PLAZOS on the configured zone's default calendar: the rules of cases without a protocol."""
    return DeadlineRules(dict(settings.deadlines), default_calendar(settings.timezone))


def deadline(settings: Settings, name: str, now: datetime, calendar: BusinessCalendar | None = None) -> datetime:
    """The instant `name`'s configured business days after `now` on `calendar` (the zone's default if None)."""
    rules = settings_rules(settings)
    return DeadlineRules(rules.days, calendar or rules.calendar).due(name, now)


class RecordedDeadlineError(UnknownDeadlineError):
    """A replayed step asked for a deadline its audit event did not record."""


def expression_functions(rules: DeadlineRules | Settings, now: datetime,
                         record: dict[str, str] | None = None) -> dict[str, Callable[..., Any]]:
    """The functions a diagram's expressions may call at `now` (deployment allows exactly these names).

    Each plazo() value is also written into `record` (name → ISO-8601), for the step's audit event.
    """
    rules = settings_rules(rules) if isinstance(rules, Settings) else rules

    def plazo(name: str) -> str:
        value = rules.due(str(name), now).isoformat()
        if record is not None:
            record[str(name)] = value
        return value

    return {"plazo": plazo}


def recorded_functions(recorded: Mapping[str, Any]) -> dict[str, Callable[..., Any]]:
    """Expression functions whose plazo() answers what a step recorded (replay never recounts a deadline)."""

    def plazo(name: str) -> str:
        if str(name) not in recorded:
            raise RecordedDeadlineError(f"el paso no registró el plazo '{name}'")
        return str(recorded[str(name)])

    return {"plazo": plazo}


def plazo_function(settings: Settings, now: datetime) -> Callable[[str], str]:
    """The `plazo(nombre)` function of expressions: ISO-8601 with offset, in the configured zone."""
    function: Callable[[str], str] = expression_functions(settings, now)["plazo"]
    return function
