"""ANS clocks (procedure, policy 2): first response and resolution, in business time, paused on the requester.

Pure rules on plain values (no database): a clock counts the business time from the report, minus the intervals
the case waited on its requester. A target in days is the business time of that many working days from the start
(so with no pause the clock is due exactly `add_business_days(start, n)` in business terms); in hours, that many
business hours. The 75 % warning and the breach are instants computed once per change, so the scheduler and the
inbox compare them with `now` instead of recounting calendars.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.helpdesk.calendar import BusinessCalendar
from engine.helpdesk.protocol_tables import Target

FIRST_RESPONSE = "primera_respuesta"
RESOLUTION = "resolucion"
KINDS = (FIRST_RESPONSE, RESOLUTION)
LABELS = {FIRST_RESPONSE: "Primera respuesta", RESOLUTION: "Resolución"}
RUNNING, PAUSED, STOPPED = "corriendo", "pausado", "detenido"
WARN_FRACTION = 0.75
# Why a clock did not count: the case waited on its requester for information, or for the verdict on a solution.
ON_REQUESTER, ON_VALIDATION = "solicitante", "validacion"


def target_seconds(calendar: BusinessCalendar, started_at: datetime, target: Target) -> int:
    """A target as business seconds counted from `started_at` on `calendar`."""
    if target.unit == "horas":
        return target.value * 3600
    end = calendar.add_business_days(started_at, target.value)
    return int(calendar.business_time_between(started_at, end).total_seconds())


def warn_seconds(target: int) -> int:
    """The running time at which a clock warns (75 % of its target, rounded up)."""
    return math.ceil(target * WARN_FRACTION)


@dataclass(frozen=True)
class Thresholds:
    """When a running clock reaches 75 % and 100 % of its target."""

    warn_at: datetime
    due_at: datetime


def thresholds(calendar: BusinessCalendar, started_at: datetime, target: int, paused: int) -> Thresholds:
    """The 75 % and 100 % instants of a clock running since its last pause (every pause before is closed).

    Running time at t is business(start, t) - paused; it reaches x when business(start, t) = x + paused.
    """
    def at(seconds: int) -> datetime:
        return calendar.add_business_hours(started_at, timedelta(seconds=seconds + paused))

    return Thresholds(at(warn_seconds(target)), at(target))


def business_seconds(calendar: BusinessCalendar, start: datetime, end: datetime) -> int:
    """Whole business seconds from `start` to `end` (0 when `end` is not after `start`)."""
    if end <= start:
        return 0
    return int(calendar.business_time_between(start, end).total_seconds())


@dataclass(frozen=True)
class ClockReading:
    """A clock as people read it at an instant: what it counted, what it did not, and how it stands."""

    kind: str
    state: str
    target: Target
    target_seconds: int
    elapsed_seconds: int
    paused_seconds: int
    due_at: datetime | None
    standing: str

    @property
    def label(self) -> str:
        """The clock's name in Spanish."""
        return LABELS.get(self.kind, self.kind)

    @property
    def percent(self) -> int:
        """Running time as a percentage of the target (may exceed 100)."""
        return math.floor(100 * self.elapsed_seconds / self.target_seconds) if self.target_seconds else 0


def standing(state: str, now: datetime, warn_at: datetime | None, due_at: datetime | None,
             met: bool | None) -> str:
    """en plazo | en riesgo (≥ 75 %) | vencido | en pausa | cumplido | incumplido."""
    if state == STOPPED:
        return "cumplido" if met else "incumplido"
    if state == PAUSED:
        return "en pausa"
    if due_at is not None and now >= due_at:
        return "vencido"
    if warn_at is not None and now >= warn_at:
        return "en riesgo"
    return "en plazo"


def describe_seconds(seconds: int) -> str:
    """Business time for people: '3 h 20 min', '45 min', '0 min'."""
    hours, minutes = divmod(max(seconds, 0) // 60, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def describe_target(target: Target) -> str:
    """'8 horas hábiles', '1 día hábil'."""
    if target.unit == "horas":
        return f"{target.value} hora{'s' if target.value != 1 else ''} hábil{'es' if target.value != 1 else ''}"
    return f"{target.value} día{'s' if target.value != 1 else ''} hábil{'es' if target.value != 1 else ''}"
