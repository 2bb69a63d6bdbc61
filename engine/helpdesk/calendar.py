"""A help desk's business calendar: weekly working hours in a zone, Colombian national holidays, closures, openings.

A pure value object (no database, no clock). Every operation takes aware datetimes and answers in the calendar's
zone. Differences are taken in UTC because subtracting two datetimes that share a tzinfo ignores DST offsets.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

Interval = tuple[time, time]
DayHours = tuple[Interval, ...]
WeekHours = tuple[DayHours, ...]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAYS_ES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
OFFICE_HOURS: DayHours = ((time(8), time(17)),)
STANDARD_WEEK: WeekHours = (OFFICE_HOURS,) * 5 + ((), ())
BOGOTA = ZoneInfo("America/Bogota")
# Searches stop here: a deadline or clock more than ten years away is a configuration error, not a date.
MAX_SEARCH_DAYS = 3660
_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
_HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class CalendarError(ValueError):
    """A calendar that cannot work, or a question it cannot answer."""


@functools.lru_cache(maxsize=64)
def national_holidays(year: int) -> Mapping[date, str]:
    """Colombia's national holidays of `year` with their Spanish names (cached: building them takes ~80 ms)."""
    return MappingProxyType(dict(holidays.country_holidays("CO", years=year, language="es")))


@dataclass(frozen=True)
class BusinessCalendar:
    """When a help desk works: weekly hours in `zone`, minus national holidays and closures, plus openings.

    An opening on a weekday without hours (a Saturday) works the hours of the first weekday that has any (Monday's
    08:00–17:00 by default); an opening on a holiday works its own weekday's hours.
    """

    zone: ZoneInfo = BOGOTA
    # Index 0 is Monday; each day's intervals are local wall times, sorted and non-overlapping.
    hours: WeekHours = STANDARD_WEEK
    closures: frozenset[date] = frozenset()
    openings: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if len(self.hours) != 7:
            raise CalendarError(f"el horario debe tener los 7 días (lunes a domingo), no {len(self.hours)}")
        # Accept lists and sets from callers but keep the object hashable and immutable.
        week = tuple(_checked_day(weekday, day) for weekday, day in enumerate(self.hours))
        if not any(week):
            raise CalendarError("el horario no tiene ningún tiempo hábil: al menos un día debe tener horas")
        object.__setattr__(self, "hours", week)
        object.__setattr__(self, "closures", frozenset(self.closures))
        object.__setattr__(self, "openings", frozenset(self.openings))
        both = self.closures & self.openings
        if both:
            raise CalendarError(f"una fecha no puede ser cierre y apertura a la vez: {_iso_list(both)}")

    @classmethod
    def weekly(cls, hours: Mapping[int, Sequence[Interval]], zone: ZoneInfo = BOGOTA,
               closures: Iterable[date] = (), openings: Iterable[date] = ()) -> BusinessCalendar:
        """A calendar from {weekday (0 = Monday): [(start, end), ...]}; weekdays left out do not work."""
        outside = sorted(repr(key) for key in hours if key not in range(7))
        if outside:
            raise CalendarError(f"día de la semana fuera de 0–6 (0 = lunes, 6 = domingo): {', '.join(outside)}")
        week = tuple(tuple(hours.get(weekday, ())) for weekday in range(7))
        return cls(zone, week, frozenset(closures), frozenset(openings))

    def is_working_day(self, day: date) -> bool:
        """Whether `day` has working hours: a working weekday that is no holiday or closure, or an opening."""
        if day in self.openings:
            return True
        return bool(self.hours[day.weekday()]) and day not in self.closures and day not in national_holidays(day.year)

    def holiday_name(self, day: date) -> str | None:
        """The Spanish name of the national holiday on `day`, if it is one."""
        return national_holidays(day.year).get(day)

    def working_hours(self, day: date) -> DayHours:
        """The local working intervals of `day` (none on a day off)."""
        if not self.is_working_day(day):
            return ()
        return self.hours[day.weekday()] or next(hours for hours in self.hours if hours)

    def working_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """`day`'s working intervals as aware datetimes in the calendar's zone."""
        return tuple((self._at(day, start), self._at(day, end)) for start, end in self.working_hours(day))

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """`start` moved `days` working days ahead at the same local wall time; working hours do not matter.

        Each following working day counts one, so from a day off (Saturday 09:00) one business day is the next
        working day at 09:00 (Monday, or Tuesday after a holiday Monday); zero days is `start` itself.
        """
        local = _aware(start, "el inicio").astimezone(self.zone).replace(tzinfo=None)
        if days < 0:
            raise CalendarError(f"los días hábiles no pueden ser negativos ({days})")
        day, left = local.date(), days
        for _ in range(MAX_SEARCH_DAYS):
            if left == 0:
                return datetime.combine(day, local.time(), tzinfo=self.zone)
            day += _ONE_DAY
            left -= self.is_working_day(day)
        raise _too_far(start)

    def add_business_hours(self, start: datetime, hours: float | timedelta) -> datetime:
        """The instant when `hours` of working time after `start` have passed (an interval's end counts in it)."""
        left = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
        if left < _ZERO:
            raise CalendarError(f"las horas hábiles no pueden ser negativas ({hours})")
        cursor = _aware(start, "el inicio").astimezone(UTC)
        for day in self._days(start, MAX_SEARCH_DAYS):
            for begin, end in self._utc_intervals(day):
                # `<` and not `<=`: at 17:00 sharp, zero more hours is 17:00 itself (so a+0 == a).
                if end < cursor:
                    continue
                begin = max(begin, cursor)
                if left <= end - begin:
                    return (begin + left).astimezone(self.zone)
                left -= end - begin
        raise _too_far(start)

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """The working time elapsed from `start` to `end`."""
        first, last = _aware(start, "el inicio").astimezone(UTC), _aware(end, "el fin").astimezone(UTC)
        if last < first:
            raise CalendarError(f"el fin ({end.isoformat()}) es anterior al inicio ({start.isoformat()})")
        span = (end.astimezone(self.zone).date() - start.astimezone(self.zone).date()).days + 1
        if span > MAX_SEARCH_DAYS:
            raise _too_far(start)
        total = _ZERO
        for day in self._days(start, span):
            for begin, stop in self._utc_intervals(day):
                total += max(_ZERO, min(stop, last) - max(begin, first))
        return total

    def business_time_excluding(self, start: datetime, end: datetime,
                                pauses: Sequence[tuple[datetime, datetime]]) -> timedelta:
        """An ANS clock: working time from `start` to `end` minus pauses (they may overlap each other and the edges)."""
        total = self.business_time_between(start, end)
        for begin, stop in _merged(pauses, start, end):
            total -= self.business_time_between(begin, stop)
        return total

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form: {"zone", "hours": {"monday": [["08:00", "17:00"]], ...}, "closures", "openings"}."""
        return {
            "zone": str(self.zone),
            "hours": {name: [[_hh_mm(start), _hh_mm(end)] for start, end in day]
                      for name, day in zip(WEEKDAYS, self.hours, strict=True)},
            "closures": _iso_list(self.closures),
            "openings": _iso_list(self.openings),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """The calendar `to_dict` described; weekdays left out of "hours" do not work."""
        if not isinstance(data, Mapping) or not isinstance(data.get("hours"), Mapping):
            raise CalendarError('el calendario debe ser un objeto con "zone" y "hours" (horario por día)')
        unknown = sorted(str(name) for name in data["hours"] if name not in WEEKDAYS)
        if unknown:
            raise CalendarError(f"día de la semana desconocido: {', '.join(unknown)} (use {', '.join(WEEKDAYS)})")
        hours = {WEEKDAYS.index(name): [_interval(name, pair) for pair in _list(f"hours.{name}", day)]
                 for name, day in data["hours"].items()}
        return cls.weekly(hours, _zone(data.get("zone")), _dates("closures", data.get("closures", [])),
                          _dates("openings", data.get("openings", [])))

    def _at(self, day: date, wall: time) -> datetime:
        return datetime.combine(day, wall, tzinfo=self.zone)

    def _utc_intervals(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        for start, end in self.working_hours(day):
            yield self._at(day, start).astimezone(UTC), self._at(day, end).astimezone(UTC)

    def _days(self, start: datetime, count: int) -> Iterator[date]:
        day = start.astimezone(self.zone).date()
        for _ in range(count):
            yield day
            day += _ONE_DAY


def _checked_day(weekday: int, intervals: Iterable[Interval]) -> DayHours:
    """One weekday's intervals, sorted, after checking each is a forward HH:MM pair and none overlaps another."""
    name = _WEEKDAYS_ES[weekday]
    pairs = [(start, end) for start, end in intervals]
    for wall in (wall for pair in pairs for wall in pair):
        if not isinstance(wall, time) or wall.tzinfo is not None or wall.second or wall.microsecond:
            raise CalendarError(f"{name}: las horas son horas locales HH:MM, sin zona ni segundos ({wall!r})")
    day = tuple(sorted(pairs))
    for start, end in day:
        if start >= end:
            raise CalendarError(f"{name}: el intervalo {_hh_mm(start)}–{_hh_mm(end)} termina antes de empezar")
    for (start, end), (next_start, next_end) in itertools.pairwise(day):
        if next_start < end:
            raise CalendarError(f"{name}: los intervalos {_hh_mm(start)}–{_hh_mm(end)} y "
                                f"{_hh_mm(next_start)}–{_hh_mm(next_end)} se traslapan")
    return day


def _merged(pauses: Sequence[tuple[datetime, datetime]], start: datetime,
            end: datetime) -> list[tuple[datetime, datetime]]:
    """The pauses clipped to [start, end], sorted and with overlapping ones joined."""
    clipped: list[tuple[datetime, datetime]] = []
    for begin, stop in pauses:
        if _aware(stop, "el fin de una pausa") < _aware(begin, "el inicio de una pausa"):
            raise CalendarError(f"la pausa {begin.isoformat()}–{stop.isoformat()} termina antes de empezar")
        begin, stop = max(begin, start), min(stop, end)
        if begin < stop:
            clipped.append((begin, stop))
    merged: list[tuple[datetime, datetime]] = []
    for begin, stop in sorted(clipped):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((begin, stop))
    return merged


def _aware(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise CalendarError(f"{what} debe ser una fecha y hora con zona horaria, no {value!r}")
    return value


def _too_far(start: datetime) -> CalendarError:
    return CalendarError(f"el cálculo desde {start.isoformat()} pasa de {MAX_SEARCH_DAYS} días (unos 10 años): "
                         "revise el horario, los cierres o la duración")


def _hh_mm(wall: time) -> str:
    return wall.isoformat(timespec="minutes")


def _iso_list(days: Iterable[date]) -> list[str]:
    return [day.isoformat() for day in sorted(days)]


def _list(where: str, value: object) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise CalendarError(f"{where}: se esperaba una lista, no {value!r}")
    return list(value)


def _interval(weekday: str, pair: object) -> Interval:
    texts = _list(f"hours.{weekday}", pair)
    if len(texts) != 2 or not all(isinstance(text, str) and _HH_MM.match(text) for text in texts):
        raise CalendarError(f'hours.{weekday}: cada intervalo es ["HH:MM", "HH:MM"], no {pair!r}')
    return time.fromisoformat(texts[0]), time.fromisoformat(texts[1])


def _dates(where: str, values: object) -> frozenset[date]:
    texts = _list(where, values)
    try:
        return frozenset(date.fromisoformat(text) for text in texts)
    except (TypeError, ValueError) as exc:
        raise CalendarError(f"{where}: las fechas van en formato AAAA-MM-DD ({exc})") from exc


def _zone(name: object) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CalendarError(f"zone={name!r} no es una zona horaria IANA (p. ej. America/Bogota)") from exc
