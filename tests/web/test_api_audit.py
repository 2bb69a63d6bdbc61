"""GET /api/v1/cases/{id}/verify and /cases/{id}/at/{k}: shapes, who may call them, and their errors."""

from __future__ import annotations

import json

from sqlalchemy import select

from engine.db.models import CaseEvent
from engine.services.people.users import add_user
from tests.helpers import COMPLETE_REVIEW, ESCALATE, REVIEW
from tests.web.api_support import Api, expect, expect_error, review_task, start


def _reviewed_case(api: Api) -> int:
    case = start(api)
    expect(api.post("nivel1", f"/tasks/{review_task(case)}/complete", {"data": COMPLETE_REVIEW}), 200, "Case")
    case_id: int = case["id"]
    return case_id


def test_verify_a_clean_case(api: Api) -> None:
    case_id = _reviewed_case(api)
    body = expect(api.get("auditor", f"/cases/{case_id}/verify"), 200, "Verification")
    assert body == {"chain_ok": True, "replay_ok": True, "problems": []}


def test_verify_reports_an_edited_event(lite: Api) -> None:
    case_id = _reviewed_case(lite)
    with lite.ctx.db.write() as session:
        row = session.scalar(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.seq == 2))
        assert row is not None
        payload = json.loads(row.payload_json)
        payload["data"]["impacto"] = "bajo"
        row.payload_json = json.dumps(payload)
    body = expect(lite.get("dueno", f"/cases/{case_id}/verify"), 200, "Verification")
    assert (body["chain_ok"], body["replay_ok"]) == (False, False)
    assert body["problems"][0].startswith("cadena: evento 2:")
    assert any(p.startswith("evento 2: «impacto»") for p in body["problems"])


def test_case_at_each_step(api: Api) -> None:
    case_id = _reviewed_case(api)
    first, reported, reviewed = (expect(api.get("auditor", f"/cases/{case_id}/at/{k}"), 200, "CaseSnapshot")
                                 for k in range(3))
    assert (first["k"], first["steps"], first["event_seq"], first["state"], first["data"]) == (0, 2, 0, "iniciado", {})
    assert (first["completed_elements"], first["active_elements"], first["ready_tasks"]) == ([], [], [])
    assert first["version"] == reported["version"] == reviewed["version"] == 1
    assert (reported["state"], reported["active_elements"]) == ("en revisión", [REVIEW])
    assert reported["ready_tasks"] == [{"element_id": REVIEW, "name": "Revisar y registrar caso"}]
    assert reported["occurred_at"] == "2026-12-01T14:00:00+00:00" and reported["data"]["mesa"] == "ti"
    assert (reviewed["event_seq"], reviewed["state"], reviewed["data"]["prioridad"]) == (2, "registrado", "alta")
    assert REVIEW in reviewed["completed_elements"] and reviewed["active_elements"] == [ESCALATE]
    assert "no tiene el paso 3" in expect_error(api.get("auditor", f"/cases/{case_id}/at/3"), 404)
    expect_error(api.get("auditor", f"/cases/{case_id}/at/-1"), 404)


def test_who_may_verify(lite: Api) -> None:
    case_id = _reviewed_case(lite)
    for user in ("auditor", "dueno", "admin", "nivel1"):
        expect(lite.get(user, f"/cases/{case_id}/verify"), 200, "Verification")
    for path in (f"/cases/{case_id}/verify", f"/cases/{case_id}/at/1"):
        expect_error(lite.get(None, path), 401)
        expect_error(lite.get("solicitante", path), 403)  # sees the case, does not audit it
    add_user(lite.ctx, "externo", "e@example.org", "agente", groups=["otra-mesa"])
    hidden = expect_error(lite.get("externo", f"/cases/{case_id}/verify"), 404)
    assert hidden == expect_error(lite.get("externo", "/cases/999999/verify"), 404).replace("999999", str(case_id))
    expect_error(lite.get("auditor", "/cases/999999/at/0"), 404)


def test_case_at_a_story_that_does_not_replay_is_422(lite: Api) -> None:
    case_id = _reviewed_case(lite)
    with lite.ctx.db.write() as session:
        row = session.scalar(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.seq == 2))
        assert row is not None
        row.element_id = "Activity_EscalarNivel2"  # the review is told as if the escalation were completed
    body = expect(lite.get("auditor", f"/cases/{case_id}/at/2"), 422, "ProcessError")
    assert "no se reproduce hasta el paso 2" in body["error"] and body["element_id"] == "Activity_EscalarNivel2"
    expect(lite.get("auditor", f"/cases/{case_id}/at/1"), 200, "CaseSnapshot")
