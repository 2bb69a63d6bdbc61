"""ANS clock rules on the Colombian business calendar: targets, 75 % and 100 % instants, standing, wording."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.helpdesk.calendar import BusinessCalendar
from engine.helpdesk.protocol_tables import Target
from engine.helpdesk.service_levels import (
    PAUSED,
    RUNNING,
    STOPPED,
    describe_seconds,
    describe_target,
    standing,
    target_seconds,
    thresholds,
    warn_seconds,
)

BOGOTA = ZoneInfo("America/Bogota")
CALENDAR = BusinessCalendar(zone=BOGOTA)
HOUR = 3600


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of 2026 in Bogotá."""
    return datetime(2026, month, day, hour, minute, tzinfo=BOGOTA)


@pytest.mark.parametrize(("start", "target", "seconds"), [
    (at(12, 1, 9), Target(4, "horas"), 4 * HOUR),
    (at(12, 1, 9), Target(2, "dias"), 18 * HOUR),  # Tuesday 09:00 → Thursday 09:00
    (at(12, 4, 16, 30), Target(1, "dias"), 9 * HOUR),  # Friday 16:30 → Monday 16:30
    (at(12, 7, 9), Target(1, "dias"), 9 * HOUR),  # Monday → Wednesday (8 December is a holiday)
    (at(12, 5, 10), Target(1, "dias"), 2 * HOUR),  # Saturday 10:00 → Monday 10:00: Monday 08:00–10:00
    (at(4, 1, 9), Target(1, "dias"), 9 * HOUR),  # Holy Wednesday → Monday 6 April (Thursday, Friday off)
])
def test_targets_in_business_seconds(start: datetime, target: Target, seconds: int) -> None:
    assert target_seconds(CALENDAR, start, target) == seconds


def test_thresholds_cross_the_weekend_and_holidays_and_shift_by_the_pause() -> None:
    # 4 business hours from Friday 16:30: 30 minutes on Friday, then Monday 08:00–11:30; 75 % at 10:30.
    found = thresholds(CALENDAR, at(12, 4, 16, 30), 4 * HOUR, paused=0)
    assert (found.warn_at, found.due_at) == (at(12, 7, 10, 30), at(12, 7, 11, 30))
    # Nine business hours of pause: the next working day (Wednesday 9, after the holiday) at the same hour.
    shifted = thresholds(CALENDAR, at(12, 4, 16, 30), 4 * HOUR, paused=9 * HOUR)
    assert shifted.due_at == at(12, 9, 11, 30)
    assert CALENDAR.business_time_between(found.due_at, shifted.due_at) == timedelta(hours=9)


def test_a_closure_day_of_the_help_desk_does_not_count() -> None:
    closed = BusinessCalendar(zone=BOGOTA, closures=frozenset({at(12, 2, 0).date()}))
    assert thresholds(closed, at(12, 1, 9), 18 * HOUR, paused=0).due_at == at(12, 4, 9)


def test_warning_is_75_percent_rounded_up() -> None:
    assert (warn_seconds(4 * HOUR), warn_seconds(1)) == (3 * HOUR, 1)


def test_standing() -> None:
    now, warn, due = at(12, 1, 12), at(12, 1, 11), at(12, 1, 13)
    assert standing(RUNNING, now, warn, due, None) == "en riesgo"
    assert standing(RUNNING, at(12, 1, 10), warn, due, None) == "en plazo"
    assert standing(RUNNING, due, warn, due, None) == "vencido"
    assert standing(PAUSED, now, None, None, None) == "en pausa"
    assert (standing(STOPPED, now, None, None, True), standing(STOPPED, now, None, None, False)) == (
        "cumplido", "incumplido")


def test_wording() -> None:
    assert describe_seconds(3 * HOUR + 20 * 60) == "3 h 20 min"
    assert (describe_seconds(45 * 60), describe_seconds(2 * HOUR), describe_seconds(0)) == ("45 min", "2 h", "0 min")
    assert describe_target(Target(1, "dias")) == "1 día hábil"
    assert describe_target(Target(8, "horas")) == "8 horas hábiles"
