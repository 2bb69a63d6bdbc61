"""Calendar benchmark: all of one case's deadlines (the 8 MESA_PLAZOS names) on a warm business calendar.

Run from the project root:

    .venv/bin/python -m tests.bench.bench_calendar [--cases 2000] [--rounds 5]

Case starts are spread (seeded) over 2026–2027, so weekends, Colombian holidays and year ends are all crossed.
The holidays of both years are loaded once before timing (the calendar caches them per year), as they are in a
running server. Also times one ANS clock (4 business hours, then elapsed time excluding two pauses) and what a
step computes for a case's two ANS clocks (targets in hours and days, 75 % and 100 % instants after a pause). Prints ONE
JSON document on stdout; nothing is asserted about time, but every deadline must land on a working day.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from typing import Any

from engine.config import DEFAULT_DEADLINES, Settings
from engine.helpdesk.calendar import BusinessCalendar
from engine.helpdesk.deadlines import deadline, default_calendar
from engine.helpdesk.protocol_tables import Target
from engine.helpdesk.service_levels import Thresholds, target_seconds, thresholds

SETTINGS = Settings.from_env({"MESA_INSTANCE_PATH": "instance"})


def _starts(count: int) -> list[datetime]:
    rng = random.Random(2578)
    first = datetime(2026, 1, 1, 5, tzinfo=UTC)
    return [first + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60)) for _ in range(count)]


def _case_deadlines(now: datetime) -> list[datetime]:
    return [deadline(SETTINGS, name, now) for name in DEFAULT_DEADLINES]


def _ans_clock(calendar: BusinessCalendar, now: datetime) -> timedelta:
    due = calendar.add_business_hours(now, 4)
    pauses = [(now + timedelta(hours=1), now + timedelta(hours=3)), (now + timedelta(hours=2), due)]
    return calendar.business_time_excluding(now, due + timedelta(hours=30), pauses)


def _ans_step(calendar: BusinessCalendar, now: datetime) -> list[Thresholds]:
    """What a step computes for a case's two ANS clocks: targets from the report, then 75 % and 100 % instants."""
    found = []
    for target in (Target(4, "horas"), Target(2, "dias")):
        seconds = target_seconds(calendar, now, target)
        found.append(thresholds(calendar, now, seconds, paused=3 * 3600))
    return found


def _mean_us(work: Callable[[datetime], object], starts: Sequence[datetime], rounds: int) -> dict[str, float]:
    """Mean and best-round microseconds per start of `work` over `rounds` passes."""
    per_round = []
    for _ in range(rounds):
        began = time.perf_counter()
        for start in starts:
            work(start)
        per_round.append((time.perf_counter() - began) / len(starts) * 1e6)
    return {"mean_us": round(statistics.fmean(per_round), 2), "best_round_us": round(min(per_round), 2)}


def _check(starts: Sequence[datetime]) -> None:
    calendar = default_calendar(SETTINGS.timezone)
    for start in starts:
        for due in _case_deadlines(start):
            if not calendar.is_working_day(due.date()):
                raise SystemExit(f"plazo en día no hábil: {due.isoformat()} desde {start.isoformat()}")


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=2000, help="case starts per round")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over all starts")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its JSON report."""
    args = _arguments(argv)
    starts = _starts(args.cases)
    calendar = default_calendar(SETTINGS.timezone)
    _check(starts)  # also warms the per-year holiday cache for every year the deadlines reach
    report: dict[str, Any] = {
        "cases": args.cases, "rounds": args.rounds, "deadlines_per_case": len(DEFAULT_DEADLINES),
        "case_deadlines": _mean_us(_case_deadlines, starts, args.rounds),
        "ans_clock": _mean_us(lambda start: _ans_clock(calendar, start), starts, args.rounds),
        "ans_step_two_clocks": _mean_us(lambda start: _ans_step(calendar, start), starts, args.rounds),
        "python": platform.python_version(), "holidays": version("holidays"), "platform": platform.platform(),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
