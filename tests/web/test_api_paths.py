"""Every path of the help-desk process walked only through /api/v1 with the demo users and their tokens.

Timers are the exception: they fire through engine.services.cases.timers with the test clock moved, as the
scheduler would. SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from engine.clock import FixedClock
from engine.services.cases.timers import fire_due_timers
from engine.services.context import ServiceContext
from tests.conftest import T0
from tests.helpers import (
    ACCEPT,
    COMPLETE_INFO,
    COMPLETE_REVIEW,
    ESCALATE,
    ESCALATE_TO_LEVEL3,
    INCOMPLETE_REVIEW,
    LEVEL2,
    LEVEL3,
    REJECT,
    REPORT,
    REVIEW,
    SOLVE_AT_LEVEL2,
    SOLVE_AT_LEVEL3,
    VALIDATE,
)
from tests.web.api_support import Api, expect

TICKET = re.compile(r"TI-2026-\d{6}")
AUDITOR = "auditor"


class Walk:
    """One case driven over HTTP: each step is found in the user's inbox, opened, then completed."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.case: dict[str, Any] = {}

    def start(self) -> dict[str, Any]:
        """The requester reports the demo case."""
        self.case = expect(self.api.post("solicitante", "/cases", {"data": REPORT}), 201, "Case")
        return self.case

    def complete(self, user: str, data: dict[str, Any], element_id: str, *, claim: bool = False) -> dict[str, Any]:
        """Find the task in the user's inbox, open it, (claim it,) complete it; check the answer is the case."""
        task = self.task(element_id)
        scope = "mine" if task["assignee"] == user else "groups"
        assert task["id"] in [t["id"] for t in expect(self.api.get(user, "/tasks", scope=scope), 200, "Task")]
        if claim:
            assert expect(self.api.post(user, f"/tasks/{task['id']}/claim"), 200, "Task")["assignee"] == user
        detail = expect(self.api.get(user, f"/tasks/{task['id']}"), 200, "TaskDetail")
        assert detail["may_complete"] and detail["form"]["id"] == task["form_id"]
        self.case = expect(self.api.post(user, f"/tasks/{task['id']}/complete", {"data": data}), 200, "Case")
        assert self.refresh() == self.case
        return self.case

    def task(self, element_id: str) -> dict[str, Any]:
        """The only ready task, which must be this element."""
        assert self.waiting_on() == [element_id]
        task: dict[str, Any] = self.case["ready_tasks"][0]
        return task

    def refresh(self) -> dict[str, Any]:
        """The case as the auditor reads it now."""
        self.case = expect(self.api.get(AUDITOR, f"/cases/{self.case['id']}"), 200, "Case")
        return self.case

    def waiting_on(self) -> list[str]:
        """Element ids of the ready tasks."""
        return [task["element_id"] for task in self.case["ready_tasks"]]

    def state(self) -> tuple[str, bool, list[str]]:
        """State, open flag and ready tasks."""
        return self.case["state"], self.case["open"], self.waiting_on()

    def events(self, kind: str) -> list[str | None]:
        """Element ids of the case's audit events of one kind, in order."""
        events = expect(self.api.get(AUDITOR, f"/cases/{self.case['id']}/events"), 200, "Event")
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        return [e["element_id"] for e in events if e["kind"] == kind]

    def closed_for_requester(self) -> None:
        """The requester finds the case among their closed cases."""
        closed = expect(self.api.get("solicitante", "/cases", mine="true", open="false"), 200, "Case")
        assert [c["id"] for c in closed] == [self.case["id"]] and closed[0]["closed_at"] is not None


@pytest.fixture
def walk(ctx: ServiceContext) -> Walk:
    """A walk over SQLite and PostgreSQL."""
    return Walk(Api(ctx))


def to_level2(walk: Walk) -> None:
    """Report, register with complete information and escalate to level 2 as proposed."""
    walk.start()
    walk.complete("nivel1", COMPLETE_REVIEW, REVIEW)
    walk.complete("nivel1", {"grupo_nivel2": walk.case["data"]["grupo_nivel2"]}, ESCALATE)


def test_happy_path(walk: Walk) -> None:
    case = walk.start()
    assert (walk.state(), case["ticket"]) == (("en revisión", True, [REVIEW]), None)
    assert walk.task(REVIEW)["candidate_groups"] == ["ti-nivel1"]
    case = walk.complete("nivel1", COMPLETE_REVIEW, REVIEW, claim=True)
    assert walk.state() == ("registrado", True, [ESCALATE]) and TICKET.fullmatch(case["ticket"])
    assert walk.task(ESCALATE)["assignee"] is None and walk.task(ESCALATE)["ticket"] == case["ticket"]
    walk.complete("nivel1", {"grupo_nivel2": "ti-nivel2-aplicaciones"}, ESCALATE, claim=True)
    assert walk.state() == ("asignado a nivel 2", True, [LEVEL2])
    assert walk.task(LEVEL2)["candidate_groups"] == ["ti-nivel2-aplicaciones"]
    walk.complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2, claim=True)
    assert walk.state() == ("solucionado", True, [VALIDATE]) and walk.task(VALIDATE)["assignee"] == "solicitante"
    assert walk.task(VALIDATE)["due"] == (T0 + timedelta(days=8)).isoformat()  # 8 December is a holiday
    case = walk.complete("solicitante", ACCEPT, VALIDATE)
    assert walk.state() == ("cerrado", False, []) and case["ticket"] == walk.case["ticket"]
    assert (case["data"]["calificacion"], case["closed_at"]) == (5, T0.isoformat())
    assert walk.events("task.completed") == [REVIEW, ESCALATE, LEVEL2, VALIDATE]
    assert walk.events("task.claimed") == [REVIEW, ESCALATE, LEVEL2] and walk.events("case.started")
    walk.closed_for_requester()


def test_incomplete_then_completed(walk: Walk) -> None:
    walk.start()
    case = walk.complete("nivel1", INCOMPLETE_REVIEW, REVIEW)
    assert (walk.state(), case["ticket"]) == (("pendiente de información", True, [COMPLETE_INFO]), None)
    assert walk.task(COMPLETE_INFO)["assignee"] == "solicitante"
    assert case["next_timer_at"] == (T0 + timedelta(days=2)).isoformat()
    case = walk.complete("solicitante", {"informacion_adicional": "Adjunto el pantallazo con el error"}, COMPLETE_INFO)
    assert walk.state() == ("en revisión", True, [REVIEW]) and case["next_timer_at"] is None
    case = walk.complete("nivel1", COMPLETE_REVIEW, REVIEW)
    assert TICKET.fullmatch(case["ticket"]) and case["data"]["informacion_adicional"].startswith("Adjunto")
    walk.complete("nivel1", {"grupo_nivel2": case["data"]["grupo_nivel2"]}, ESCALATE)
    walk.complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2)
    walk.complete("solicitante", ACCEPT, VALIDATE)
    assert walk.state() == ("cerrado", False, [])
    assert walk.events("task.completed") == [REVIEW, COMPLETE_INFO, REVIEW, ESCALATE, LEVEL2, VALIDATE]
    walk.closed_for_requester()


def test_incomplete_without_answer_is_closed_for_lack_of_information(walk: Walk, clock: FixedClock) -> None:
    walk.start()
    walk.complete("nivel1", INCOMPLETE_REVIEW, REVIEW)
    clock.set(T0 + timedelta(days=2))
    assert [f.elements for f in fire_due_timers(walk.api.ctx)] == [("Event_RecordatorioInformacion",)]
    case = walk.refresh()
    assert walk.state() == ("pendiente de información", True, [COMPLETE_INFO])
    assert case["next_timer_at"] == (T0 + timedelta(days=8)).isoformat()  # 5 business days: 8 December is a holiday
    clock.set(T0 + timedelta(days=8))
    assert [f.elements for f in fire_due_timers(walk.api.ctx)] == [("Event_PlazoInformacionVencido",)]
    case = walk.refresh()
    assert (walk.state(), case["ticket"]) == (("cerrado por falta de información", False, []), None)
    assert walk.events("timer.fired") == ["Event_RecordatorioInformacion", "Event_PlazoInformacionVencido"]
    assert expect(walk.api.get("solicitante", "/tasks", scope="mine"), 200) == []
    walk.closed_for_requester()


def test_level3_path(walk: Walk) -> None:
    to_level2(walk)
    walk.complete("nivel2", ESCALATE_TO_LEVEL3, LEVEL2)
    assert walk.state() == ("escalado a nivel 3", True, [LEVEL3])
    assert walk.task(LEVEL3)["candidate_groups"] == ["ti-nivel3-proveedor"]
    assert expect(walk.api.get("nivel2", "/tasks", scope="groups"), 200) == []
    walk.complete("nivel3", SOLVE_AT_LEVEL3, LEVEL3, claim=True)
    assert walk.state() == ("solucionado", True, [VALIDATE])
    walk.complete("solicitante", ACCEPT, VALIDATE)
    assert walk.state() == ("cerrado", False, [])
    assert walk.events("task.completed") == [REVIEW, ESCALATE, LEVEL2, LEVEL3, VALIDATE]
    walk.closed_for_requester()


def test_rejected_returns_to_level2_then_accepted(walk: Walk) -> None:
    to_level2(walk)
    walk.complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2)
    case = walk.complete("solicitante", REJECT, VALIDATE)
    assert walk.state() == ("asignado a nivel 2", True, [LEVEL2])
    assert case["data"]["motivo_rechazo"] == "El error continúa" and case["next_timer_at"] is None
    walk.complete("nivel2", {**SOLVE_AT_LEVEL2, "solucion": "Se reinició el servicio"}, LEVEL2)
    case = walk.complete("solicitante", ACCEPT, VALIDATE)
    assert walk.state() == ("cerrado", False, []) and case["data"]["solucion"] == "Se reinició el servicio"
    assert walk.events("task.completed") == [REVIEW, ESCALATE, LEVEL2, VALIDATE, LEVEL2, VALIDATE]
    walk.closed_for_requester()


def test_rejected_after_level3_returns_to_level3(walk: Walk) -> None:
    to_level2(walk)
    walk.complete("nivel2", ESCALATE_TO_LEVEL3, LEVEL2)
    walk.complete("nivel3", SOLVE_AT_LEVEL3, LEVEL3)
    walk.complete("solicitante", REJECT, VALIDATE)
    assert walk.state() == ("escalado a nivel 3", True, [LEVEL3])
    walk.complete("nivel3", SOLVE_AT_LEVEL3, LEVEL3)
    walk.complete("solicitante", ACCEPT, VALIDATE)
    assert walk.state() == ("cerrado", False, [])
    walk.closed_for_requester()


def test_no_validation_closes_automatically(walk: Walk, clock: FixedClock) -> None:
    to_level2(walk)
    case = walk.complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2)
    assert case["next_timer_at"] == (T0 + timedelta(days=3)).isoformat()
    clock.set(T0 + timedelta(days=3))
    assert [f.elements for f in fire_due_timers(walk.api.ctx)] == [("Event_RecordatorioValidacion",)]
    walk.refresh()
    assert walk.state() == ("solucionado", True, [VALIDATE])
    clock.set(T0 + timedelta(days=8))  # 5 business days: 8 December is a holiday
    assert [f.state for f in fire_due_timers(walk.api.ctx)] == ["cerrado automáticamente"]
    case = walk.refresh()
    assert walk.state() == ("cerrado automáticamente", False, []) and case["closed_at"] is not None
    assert walk.events("timer.fired") == ["Event_RecordatorioValidacion", "Event_PlazoValidacionVencido"]
    assert walk.events("task.completed") == [REVIEW, ESCALATE, LEVEL2]
    walk.closed_for_requester()
