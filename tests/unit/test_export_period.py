"""Bounds of the export's creation period: whole local days or instants with offset."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.services.audit.export import PeriodError, describe, period_bound
from engine.services.audit.log import LogFilter, LogTrace

BOGOTA = ZoneInfo("America/Bogota")


def test_a_date_is_a_whole_local_day() -> None:
    assert period_bound("2026-12-01", BOGOTA) == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    assert period_bound("2026-12-01", BOGOTA, end=True) == datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


def test_an_instant_keeps_its_offset() -> None:
    assert period_bound("2026-12-01T09:30:00-05:00", BOGOTA, end=True) == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    assert period_bound(" 2026-12-01T14:30:00Z ", BOGOTA) == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(("text", "message"), [
    ("2026-12-01T09:00:00", "no tiene desfase"), ("ayer", "no es una fecha"), ("2026-13-01", "no es una fecha"),
])
def test_bad_bounds_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        period_bound(text, BOGOTA)


def test_the_log_is_named_after_its_filter() -> None:
    assert describe(LogFilter()) == "Mesa de Ayuda: todas las mesas"
    named = describe(LogFilter(help_desk="ti", process_id="mesa_de_ayuda", version=2,
                               created_from=datetime(2026, 12, 1, tzinfo=UTC)))
    assert named == "Mesa de Ayuda: mesa ti, proceso mesa_de_ayuda v2, creados en [2026-12-01T00:00:00+00:00, …)"


def test_a_case_without_ticket_is_named_by_its_id() -> None:
    moment = datetime(2026, 12, 1, tzinfo=UTC)
    trace = LogTrace(7, None, None, "p", 1, "ana", "iniciado", moment, None, ())
    assert trace.name == "caso-7"
