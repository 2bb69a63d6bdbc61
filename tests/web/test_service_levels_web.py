"""ANS clocks where people read them: the case page (staff only), the inbox's badge and sort, and /api/v1."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from engine.clock import FixedClock
from engine.services.context import ServiceContext
from tests.helpers import INCOMPLETE_REVIEW, REVIEW, Walker, walk_to_level2
from tests.web.api_support import Api, expect
from tests.web.conftest import login

BOGOTA = ZoneInfo("America/Bogota")
STANDING = re.compile(r'data-ans-standing>([^<]+)<')
CLOCK_ROW = re.compile(r'<tr data-ans-clock="(\w+)">(.*?)</tr>', re.S)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of December 2026 in Bogotá."""
    return datetime(2026, 12, day, hour, minute, tzinfo=BOGOTA)


def page(app: Flask, user: str, path: str) -> str:
    """A page's HTML as a signed-in user (200 expected)."""
    client = app.test_client()
    login(client, user)
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_case_page_shows_each_clock_to_staff_and_none_to_the_requester(
        app: Flask, sqlite_ctx: ServiceContext, clock: FixedClock) -> None:
    walk = walk_to_level2(sqlite_ctx)  # alta: first response stopped at registration, resolution 8 hours
    assert walk.case is not None
    clock.set(at(1, 15, 30))
    html = page(app, "nivel2", f"/casos/{walk.case.id}")
    rows = dict(CLOCK_ROW.findall(html))
    assert set(rows) == {"primera_respuesta", "resolucion"}
    assert "2 horas hábiles" in rows["primera_respuesta"] and "cumplido" in rows["primera_respuesta"]
    assert "8 horas hábiles" in rows["resolucion"] and "6 h 30 min (81 %)" in rows["resolucion"]
    assert STANDING.findall(rows["resolucion"]) == ["en riesgo"]
    assert "Acuerdos de nivel de servicio" not in page(app, "solicitante", f"/casos/{walk.case.id}")


def test_the_inbox_badges_and_sorts_by_the_running_clock(
        app: Flask, sqlite_ctx: ServiceContext, clock: FixedClock) -> None:
    waiting = Walker(sqlite_ctx)
    waiting.start()
    waiting.complete("nivel1", INCOMPLETE_REVIEW, REVIEW)  # paused on the requester
    clock.set(at(1, 9, 30))
    late = Walker(sqlite_ctx)
    late_case = late.start()  # media: first response due 13:30
    clock.set(at(1, 12, 45))
    early = walk_to_level2(sqlite_ctx)  # reported 12:45, alta: resolution due Wednesday 11:45 (8 h)
    assert early.case is not None
    html = page(app, "admin", "/bandeja?vista=todas")
    ids = re.findall(r'data-task-id="([^"]+)"', html)
    # ANS order (the default): the first response due at 13:30 first, then Wednesday's resolution; paused last.
    assert ids[0] == late.task().id and ids[1] == early.task().id
    assert STANDING.findall(html) == ["en riesgo", "en plazo", "en pausa"]
    assert "Ordenadas por ans (el que vence primero)" in html
    assert late_case.id


def test_the_api_lists_the_clocks_and_the_inbox_sorts_by_ans(sqlite_ctx: ServiceContext, clock: FixedClock) -> None:
    api = Api(sqlite_ctx)
    walk = walk_to_level2(sqlite_ctx)
    assert walk.case is not None
    clock.set(at(1, 15, 30))
    clocks = expect(api.get("nivel2", f"/cases/{walk.case.id}/ans"), 200, "ServiceLevelClock")
    assert [(c["clock"], c["state"], c["standing"]) for c in clocks] == [
        ("primera_respuesta", "detenido", "cumplido"), ("resolucion", "corriendo", "en riesgo")]
    assert clocks[1]["target"] == {"value": 8, "unit": "horas", "seconds": 8 * 3600}
    assert (clocks[1]["elapsed_seconds"], clocks[1]["percent"]) == (6 * 3600 + 1800, 81)
    assert expect(api.get("solicitante", f"/cases/{walk.case.id}/ans"), 200) == []
    expect(api.get("proveedor", f"/cases/{walk.case.id}/ans"), 404)
    tasks = expect(api.get("nivel2", "/tasks", scope="groups", sort="ans"), 200, "Task")
    assert tasks[0]["ans"] == {"clock": "resolucion", "state": "corriendo",
                               "warn_at": "2026-12-01T20:00:00+00:00", "due_at": "2026-12-01T22:00:00+00:00"}
