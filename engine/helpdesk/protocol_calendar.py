"""The calendar section of a protocol: working hours per weekday, national holidays, dated closures and openings.

Read here with every problem collected (the coordinator's file, in Spanish keys and "08:00-12:00" intervals);
`engine.helpdesk.calendar.BusinessCalendar` does the business-time arithmetic, and a section is accepted only
if it also builds one, so what a protocol stores can always be computed with.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

from engine.helpdesk.calendar import BOGOTA, BusinessCalendar, CalendarError
from engine.helpdesk.protocol_read import Reader, join

WEEKDAYS = ("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo")
HOLIDAY_SETS = ("CO",)  # Colombian national holidays (Ley 51 de 1983 and Easter-based days)
_INTERVAL = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")


@dataclass(frozen=True, order=True)
class Interval:
    """Working time within one day, start before end."""

    start: time
    end: time

    @property
    def hours(self) -> float:
        """Length in hours."""
        return (self.end.hour * 60 + self.end.minute - self.start.hour * 60 - self.start.minute) / 60

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class DatedException:
    """A closure (a working day off) or an opening (a rest day or holiday worked, with the usual hours)."""

    day: date
    reason: str


@dataclass(frozen=True)
class CalendarSection:
    """Weekly hours (Monday first), the holiday set and the coordinator's dated exceptions."""

    week: tuple[tuple[Interval, ...], ...]
    holidays: str
    closures: tuple[DatedException, ...] = ()
    openings: tuple[DatedException, ...] = ()

    def day_hours(self, weekday: int) -> float:
        """Working hours of a weekday (0 = Monday)."""
        return sum(interval.hours for interval in self.week[weekday])

    def shortest_working_day(self) -> float:
        """Hours of the shortest working weekday: limits given in days are converted with it (the strict way)."""
        return min((h for h in map(self.day_hours, range(7)) if h > 0), default=0.0)

    def to_dict(self) -> dict[str, Any]:
        """Plain data as stored and exported."""
        return {
            "horario": {name: [str(i) for i in self.week[n]] for n, name in enumerate(WEEKDAYS)},
            "festivos": self.holidays,
            "cierres": [{"fecha": c.day.isoformat(), "motivo": c.reason} for c in self.closures],
            "aperturas": [{"fecha": o.day.isoformat(), "motivo": o.reason} for o in self.openings],
        }

    def business_calendar(self, zone: ZoneInfo = BOGOTA) -> BusinessCalendar:
        """The calendar that computes business time for this section (national holidays are built in)."""
        return BusinessCalendar.weekly({n: [(i.start, i.end) for i in day] for n, day in enumerate(self.week)}, zone,
                                       closures=[c.day for c in self.closures], openings=[o.day for o in self.openings])


def office_hours(start: str = "08:00", end: str = "17:00") -> CalendarSection:
    """Monday to Friday between two times, Colombian holidays, no exceptions: a new help desk's calendar."""
    interval = Interval(time.fromisoformat(start), time.fromisoformat(end))
    return CalendarSection(week=tuple((interval,) if n < 5 else () for n in range(7)), holidays="CO")


def read_calendar(reader: Reader, value: Any, path: str) -> CalendarSection | None:
    """The calendar section, or None after recording its problems."""
    raw = reader.mapping(value, path, ("horario", "festivos", "cierres", "aperturas"))
    if raw is None:
        return None
    before = len(reader.problems)
    week = _read_week(reader, raw["horario"], join(path, "horario")) if "horario" in raw else None
    holidays = reader.choice(raw["festivos"], join(path, "festivos"), HOLIDAY_SETS) if "festivos" in raw else None
    closures = _read_dates(reader, raw.get("cierres", []), join(path, "cierres"))
    openings = _read_dates(reader, raw.get("aperturas", []), join(path, "aperturas"))
    closed = {c.day for c in closures}
    for n, opening in enumerate(openings):
        if opening.day in closed:
            reader.fail(join(join(path, "aperturas"), n), f"el {opening.day.isoformat()} también figura como cierre")
    if len(reader.problems) > before or week is None or holidays is None:
        return None
    section = CalendarSection(week, holidays, tuple(sorted(closures, key=lambda c: c.day)),
                              tuple(sorted(openings, key=lambda o: o.day)))
    try:
        section.business_calendar()
    except CalendarError as exc:  # a rule of the calendar itself that the reading above does not know yet
        reader.fail(path, str(exc))
        return None
    return section


def read_intervals(reader: Reader, value: Any, path: str) -> tuple[Interval, ...] | None:
    """A day's intervals "HH:MM-HH:MM", each start before its end, none overlapping another."""
    items = reader.listing(value, path)
    if items is None:
        return None
    intervals: list[Interval] = []
    for n, item in enumerate(items):
        interval = _read_interval(reader, item, join(path, n))
        if interval is not None:
            intervals.append(interval)
    if len(intervals) < len(items):
        return None
    intervals.sort()
    for first, second in itertools.pairwise(intervals):
        if second.start < first.end:
            reader.fail(path, f"los intervalos {first} y {second} se superponen")
            return None
    return tuple(intervals)


def _read_interval(reader: Reader, value: Any, path: str) -> Interval | None:
    match = _INTERVAL.fullmatch(value) if isinstance(value, str) else None
    hours = [int(part) for part in match.groups()] if match else []
    if not match or hours[0] > 23 or hours[2] > 23 or hours[1] > 59 or hours[3] > 59:
        reader.fail(path, f"{value!r} no es un intervalo HH:MM-HH:MM (p. ej. 08:00-12:00)")
        return None
    interval = Interval(time(hours[0], hours[1]), time(hours[2], hours[3]))
    if interval.end <= interval.start:
        reader.fail(path, f"el intervalo {interval} termina antes de empezar")
        return None
    return interval


def _read_week(reader: Reader, value: Any, path: str) -> tuple[tuple[Interval, ...], ...] | None:
    raw = reader.mapping(value, path, WEEKDAYS)
    if raw is None:
        return None
    days = [read_intervals(reader, raw[name], join(path, name)) if name in raw else None for name in WEEKDAYS]
    if any(day is None for day in days):
        return None
    week = tuple(day or () for day in days)
    if not any(week):
        reader.fail(path, "la mesa debe atender al menos un día de la semana")
        return None
    return week


def _read_dates(reader: Reader, value: Any, path: str) -> list[DatedException]:
    """Closures or openings: each a date and its reason, no date twice."""
    found: list[DatedException] = []
    for n, item in enumerate(reader.listing(value, path) or []):
        raw = reader.mapping(item, join(path, n), ("fecha", "motivo"))
        if raw is None:
            continue
        day = reader.day(raw.get("fecha"), join(join(path, n), "fecha"))
        reason = reader.text(raw.get("motivo"), join(join(path, n), "motivo"))
        if day is not None and reason is not None:
            if day in {c.day for c in found}:
                reader.fail(join(path, n), f"el {day.isoformat()} está repetido")
            found.append(DatedException(day, reason))
    return found
