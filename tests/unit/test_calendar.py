"""The business calendar on real Colombian dates, seeded property checks against a brute-force count, and errors."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.config import Settings
from engine.helpdesk.calendar import BusinessCalendar, CalendarError
from engine.helpdesk.deadlines import deadline

BOGOTA = ZoneInfo("America/Bogota")
STANDARD = BusinessCalendar()
# Split hours, a short Saturday and a coordinator's closure: the property checks run on both calendars.
SPLIT = BusinessCalendar.weekly({**{d: [(time(8), time(12)), (time(14), time(18))] for d in range(5)},
                                 5: [(time(9), time(12))]}, closures={date(2026, 12, 24)})


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BOGOTA)


@pytest.mark.parametrize(("day", "name"), [
    (date(2026, 4, 2), "Jueves Santo"), (date(2026, 4, 3), "Viernes Santo"),
    (date(2026, 7, 13), "Día de Nuestra Señora del Rosario de Chiquinquirá (observado)"),
    (date(2026, 12, 8), "La Inmaculada Concepción"), (date(2027, 1, 1), "Año Nuevo"),
])
def test_colombian_holidays_are_days_off(day: date, name: str) -> None:
    assert day.weekday() < 5 and not STANDARD.is_working_day(day)
    assert STANDARD.holiday_name(day) == name and STANDARD.working_intervals(day) == ()


@pytest.mark.parametrize(("start", "days", "expected"), [
    (at(2026, 4, 1), 1, at(2026, 4, 6)),  # Holy Week: Wednesday → Monday after Easter
    (at(2026, 3, 31), 3, at(2026, 4, 7)),
    (at(2026, 7, 10), 1, at(2026, 7, 14)),  # Friday → Tuesday: Monday 13 July is Ley 2578 de 2026's holiday
    (at(2026, 12, 7), 1, at(2026, 12, 9)),  # Monday → Wednesday over 8 December
    (at(2026, 12, 31), 1, at(2027, 1, 4)),  # Thursday → Monday over 1 January 2027 and the weekend
    (at(2026, 12, 24), 1, at(2026, 12, 28)),  # Christmas Friday
    (at(2026, 12, 5, 10), 1, at(2026, 12, 7, 10)),  # a Saturday start counts Monday as the first day
    (at(2026, 12, 6, 10), 0, at(2026, 12, 6, 10)),  # zero days is the start, even on a day off
])
def test_business_days_skip_weekends_and_holidays_at_the_same_wall_time(
        start: datetime, days: int, expected: datetime) -> None:
    assert STANDARD.add_business_days(start, days) == expected


def test_business_days_answer_in_the_calendar_zone_from_any_zone() -> None:
    result = STANDARD.add_business_days(datetime(2026, 12, 7, 14, tzinfo=UTC), 1)
    assert result.tzinfo is BOGOTA and result.isoformat() == "2026-12-09T09:00:00-05:00"


@pytest.mark.parametrize(("start", "hours", "expected"), [
    (at(2026, 12, 4, 16, 30), 4, at(2026, 12, 7, 11, 30)),  # Friday 16:30 + 4 h → Monday 11:30
    (at(2026, 7, 10, 16, 30), 4, at(2026, 7, 14, 11, 30)),  # ... Tuesday when Monday is a holiday
    (at(2026, 12, 5, 10), 2, at(2026, 12, 7, 10)),  # a Saturday start begins counting Monday 08:00
    (at(2026, 12, 4, 16, 30), 0.5, at(2026, 12, 4, 17)),  # the end of the day counts as inside it
    (at(2026, 12, 4, 18), 0, at(2026, 12, 7, 8)),  # zero hours from closed time is the next opening
    (at(2026, 12, 7, 8), timedelta(hours=18), at(2026, 12, 9, 17)),  # two days skip 8 December; ends at 17:00
])
def test_business_hours_consume_only_working_intervals(start: datetime, hours: float | timedelta,
                                                       expected: datetime) -> None:
    assert STANDARD.add_business_hours(start, hours) == expected


def test_a_saturday_counts_no_business_time() -> None:
    assert STANDARD.business_time_between(at(2026, 12, 5, 8), at(2026, 12, 5, 17)) == timedelta(0)
    assert STANDARD.business_time_between(at(2026, 12, 5, 10), at(2026, 12, 7, 9)) == timedelta(hours=1)
    assert STANDARD.business_time_between(at(2026, 12, 4, 16, 30), at(2026, 12, 9, 8, 15)) == timedelta(
        hours=9, minutes=45)  # Friday's half hour, Monday's nine, Wednesday's quarter; Tuesday 8 is off


def test_a_coordinator_closure_is_a_day_off_and_an_opening_a_working_day() -> None:
    closed = BusinessCalendar(closures=frozenset({date(2026, 12, 24)}))  # a collective vacation day
    assert STANDARD.is_working_day(date(2026, 12, 24)) and not closed.is_working_day(date(2026, 12, 24))
    assert closed.add_business_days(at(2026, 12, 23), 1) == at(2026, 12, 28)  # 24 closed, 25 Navidad, weekend
    assert closed.add_business_hours(at(2026, 12, 23, 16), 2) == at(2026, 12, 28, 9)
    opened = BusinessCalendar(openings=frozenset({date(2026, 12, 12), date(2026, 12, 8)}))
    assert opened.working_hours(date(2026, 12, 12)) == ((time(8), time(17)),)  # a Saturday works Monday's hours
    assert opened.add_business_hours(at(2026, 12, 11, 16, 30), 4) == at(2026, 12, 12, 11, 30)
    assert opened.add_business_days(at(2026, 12, 7), 1) == at(2026, 12, 8)  # the holiday opened for work


def test_an_ans_clock_excludes_pauses_that_overlap_each_other_and_the_edges() -> None:
    start, end = at(2026, 12, 4, 9), at(2026, 12, 9, 12)  # Fri 8 h + Mon 9 h + Wed 4 h = 21 h
    assert STANDARD.business_time_excluding(start, end, []) == timedelta(hours=21)
    pauses = [(at(2026, 12, 4, 7), at(2026, 12, 4, 10)),  # starts before the clock: 1 h of it counts
              (at(2026, 12, 7, 9), at(2026, 12, 7, 11)), (at(2026, 12, 7, 10), at(2026, 12, 7, 12)),  # 3 h joined
              (at(2026, 12, 9, 11), at(2026, 12, 10, 11))]  # runs past the end: 1 h
    assert STANDARD.business_time_excluding(start, end, pauses) == timedelta(hours=16)
    assert STANDARD.business_time_excluding(start, end, [(at(2026, 12, 1), at(2026, 12, 2))]) == timedelta(hours=21)


def test_hours_are_real_elapsed_time_across_a_dst_change() -> None:
    new_york = ZoneInfo("America/New_York")
    night = BusinessCalendar.weekly({6: [(time(0), time(6))]}, zone=new_york)  # Sunday 8 March 2026: 02:00 → 03:00
    sunday = datetime(2026, 3, 8, tzinfo=new_york)
    assert night.business_time_between(sunday, sunday.replace(hour=6)) == timedelta(hours=5)
    assert night.add_business_hours(sunday, 5) == sunday.replace(hour=6)


@pytest.mark.parametrize("calendar", [STANDARD, SPLIT], ids=["standard", "split"])
def test_business_hours_add_up_measure_back_and_land_in_working_time(calendar: BusinessCalendar) -> None:
    rng = random.Random(20261208)
    for _ in range(300):
        start = at(2026, 1, 1, 0) + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        first, second = (timedelta(minutes=rng.randrange(1, 60 * 60)) for _ in range(2))
        end = calendar.add_business_hours(start, first + second)
        assert end == calendar.add_business_hours(calendar.add_business_hours(start, first), second), start
        assert calendar.business_time_between(start, end) == first + second, start
        assert any(begin <= end <= stop for begin, stop in calendar.working_intervals(end.date())), end
        due = calendar.add_business_days(start, rng.randrange(1, 12))
        assert calendar.is_working_day(due.date()) and due.time() == start.time(), start


@pytest.mark.parametrize("calendar", [STANDARD, SPLIT], ids=["standard", "split"])
def test_ans_clocks_match_a_minute_by_minute_count(calendar: BusinessCalendar) -> None:
    rng = random.Random(2578)
    for _ in range(40):
        start = at(2026, 12, 1, 0) + timedelta(minutes=rng.randrange(40 * 24 * 60))
        end = start + timedelta(minutes=rng.randrange(4 * 24 * 60))
        pauses = []
        for _ in range(rng.randrange(4)):
            begin = start + timedelta(minutes=rng.randrange(-600, 5 * 24 * 60))
            pauses.append((begin, begin + timedelta(minutes=rng.randrange(3 * 24 * 60))))
        expected = _count_minutes(calendar, start, end, pauses)
        assert calendar.business_time_excluding(start, end, pauses) == timedelta(minutes=expected), (start, end)


def _count_minutes(calendar: BusinessCalendar, start: datetime, end: datetime,
                   pauses: list[tuple[datetime, datetime]]) -> int:
    count, minute = 0, start
    while minute < end:
        working = any(b <= minute < e for b, e in calendar.working_intervals(minute.date()))
        count += working and not any(b <= minute < e for b, e in pauses)
        minute += timedelta(minutes=1)
    return count


def test_a_calendar_round_trips_through_json() -> None:
    data = SPLIT.to_dict()
    assert data["hours"]["monday"] == [["08:00", "12:00"], ["14:00", "18:00"]] and data["hours"]["sunday"] == []
    assert data["zone"] == "America/Bogota" and data["closures"] == ["2026-12-24"] and data["openings"] == []
    assert BusinessCalendar.from_dict(json.loads(json.dumps(data))) == SPLIT
    assert BusinessCalendar.from_dict({"zone": "America/Bogota", "hours": {
        day: [["08:00", "17:00"]] for day in ("monday", "tuesday", "wednesday", "thursday", "friday")}}) == STANDARD
    assert hash(BusinessCalendar.from_dict(STANDARD.to_dict())) == hash(STANDARD)


def test_plazo_uses_the_given_calendar_or_the_zone_default() -> None:
    settings = Settings.from_env({"MESA_PLAZOS": "registro=1"})
    now = datetime(2026, 12, 23, 14, tzinfo=UTC)  # Wednesday 09:00 in Bogotá
    assert deadline(settings, "registro", now) == at(2026, 12, 24)
    closed = BusinessCalendar(closures=frozenset({date(2026, 12, 24)}))
    assert deadline(settings, "registro", now, closed) == at(2026, 12, 28)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: BusinessCalendar.weekly({0: [(time(8), time(12)), (time(11), time(17))]}), "se traslapan"),
    (lambda: BusinessCalendar.weekly({0: [(time(17), time(8))]}), "termina antes de empezar"),
    (lambda: BusinessCalendar.weekly({7: [(time(8), time(17))]}), "fuera de 0–6"),
    (lambda: BusinessCalendar.weekly({}), "ningún tiempo hábil"),
    (lambda: BusinessCalendar.weekly({0: [(time(8, 0, 30), time(17))]}), "HH:MM"),
    (lambda: BusinessCalendar(hours=((),) * 6), "7 días"),
    (lambda: BusinessCalendar(closures=frozenset({date(2026, 12, 24)}), openings=frozenset({date(2026, 12, 24)})),
     "cierre y apertura"),
    (lambda: BusinessCalendar.from_dict({"zone": "America/Bogota", "hours": {"lunes": []}}), "desconocido"),
    (lambda: BusinessCalendar.from_dict({"zone": "America/Bogota", "hours": {"monday": [["8:00", "17"]]}}), "HH:MM"),
    (lambda: BusinessCalendar.from_dict({"zone": "Marte/Olympus", "hours": {"monday": [["08:00", "17:00"]]}}),
     "zona horaria"),
    (lambda: BusinessCalendar.from_dict({"zone": "America/Bogota", "hours": {"monday": [["08:00", "17:00"]]},
                                         "closures": ["24/12/2026"]}), "AAAA-MM-DD"),
    (lambda: BusinessCalendar.from_dict({"zone": "America/Bogota"}), '"hours"'),
])
def test_an_unworkable_calendar_is_refused_in_spanish(build: Callable[[], object], message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        build()


@pytest.mark.parametrize(("call", "message"), [
    (lambda: STANDARD.add_business_days(datetime(2026, 12, 1, 9), 1), "con zona horaria"),
    (lambda: STANDARD.add_business_hours(datetime(2026, 12, 1, 9), 1), "con zona horaria"),
    (lambda: STANDARD.business_time_between(at(2026, 12, 1), datetime(2026, 12, 2)), "con zona horaria"),
    (lambda: STANDARD.business_time_excluding(at(2026, 12, 1), at(2026, 12, 2), [(datetime(2026, 12, 1),
                                                                                    at(2026, 12, 2))]), "con zona"),
    (lambda: STANDARD.business_time_excluding(at(2026, 12, 1), at(2026, 12, 3), [(at(2026, 12, 2),
                                                                                    at(2026, 12, 1))]), "pausa"),
    (lambda: STANDARD.business_time_between(at(2026, 12, 2), at(2026, 12, 1)), "anterior al inicio"),
    (lambda: STANDARD.add_business_days(at(2026, 12, 1), -1), "negativos"),
    (lambda: STANDARD.add_business_hours(at(2026, 12, 1), -0.5), "negativas"),
    (lambda: STANDARD.add_business_days(at(2026, 12, 1), 3000), "10 años"),
    (lambda: STANDARD.add_business_hours(at(2026, 12, 1), 30_000), "10 años"),
    (lambda: STANDARD.business_time_between(at(2026, 12, 1), at(2037, 12, 1)), "10 años"),
])
def test_questions_a_calendar_cannot_answer_are_errors(call: Callable[[], object], message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        call()
