"""Business-day arithmetic for deadlines (weekends off; holidays arrive with the help-desk protocol)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def add_business_days(start: datetime, days: int, zone: ZoneInfo) -> datetime:
    """Return `start` moved forward `days` working days (Mon-Fri) in `zone`, keeping the local time."""
    local = start.astimezone(zone)
    moved = 0
    while moved < days:
        local = local + timedelta(days=1)
        if local.weekday() < 5:
            moved += 1
    # Re-localise so a DST change in between (not in Bogotá, but elsewhere) keeps the wall time.
    return local.replace(tzinfo=None).replace(tzinfo=zone)
