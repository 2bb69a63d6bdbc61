"""The API answers as the case page does, through the one permission policy: a task goes only to its candidates and
never to the requester of the case, and a requester reads no internal note, internal file or agents' working data."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.services.cases.files import add_attachment
from engine.services.cases.notes import add_comment
from engine.services.cases.tasks import assign_task
from engine.services.errors import ForbiddenError
from engine.services.people.readable import PUBLIC_PAYLOAD
from engine.services.people.users import add_user, get_actor
from tests.helpers import COMPLETE_REVIEW, REPORT
from tests.web.api_support import Api, expect, expect_error, review_task, start

SECRETS = ("Revisar el servidor 3 antes de responder", "bitacora-interna.txt", "impacto", "urgencia", "grupo_nivel1")


def test_a_task_is_assigned_only_to_its_candidates_and_never_to_the_requester(api: Api) -> None:
    add_user(api.ctx, "nivel1b", "nivel1b@example.org", "agente", groups=["ti-nivel1"])
    task = review_task(start(api))
    assert "solicitante del caso" in expect_error(api.post("nivel1", f"/tasks/{task}/assign", {"user": "solicitante"}),
                                                  403)
    assert "candidatos" in expect_error(api.post("nivel1", f"/tasks/{task}/assign", {"user": "nivel2"}), 403)
    assert "solicitante del caso" in expect_error(api.post("admin", f"/tasks/{task}/assign", {"user": "solicitante"}),
                                                  403)
    with pytest.raises(ForbiddenError, match="solicitante del caso"):  # the CLI and every other caller alike
        assign_task(api.ctx, get_actor(api.ctx, "nivel1"), task, "solicitante")
    expect_error(api.post("solicitante", f"/tasks/{task}/complete", {"data": COMPLETE_REVIEW}), 403)
    assert expect(api.get("nivel1", f"/tasks/{task}"), 200, "TaskDetail")["assignee"] is None
    assigned = expect(api.post("nivel1", f"/tasks/{task}/assign", {"user": "nivel1b"}), 200, "Task")
    assert assigned["assignee"] == "nivel1b"


def test_an_agent_who_reported_their_own_case_is_not_given_its_review(api: Api) -> None:
    add_user(api.ctx, "nivel1b", "nivel1b@example.org", "agente", groups=["ti-nivel1"])
    task = review_task(expect(api.post("nivel1b", "/cases", {"data": REPORT}), 201, "Case"))
    assert "solicitante del caso" in expect_error(api.post("nivel1", f"/tasks/{task}/assign", {"user": "nivel1b"}),
                                                  403)


def _reviewed_with_internal_notes(lite: Api) -> int:
    """A case past its review, with an internal note and an internal file beside a public reply."""
    case = start(lite)
    expect(lite.post("nivel1", f"/tasks/{review_task(case)}/complete", {"data": COMPLETE_REVIEW}), 200, "Case")
    nivel1 = get_actor(lite.ctx, "nivel1")
    add_comment(lite.ctx, nivel1, case["id"], SECRETS[0], "internal")
    add_comment(lite.ctx, nivel1, case["id"], "Estamos revisando su caso", "public")
    add_attachment(lite.ctx, nivel1, case["id"], SECRETS[1], b"registro interno\n", "internal")
    return int(case["id"])


def _read(lite: Api, user: str, case_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    case = expect(lite.get(user, f"/cases/{case_id}"), 200, "Case")
    return case, expect(lite.get(user, f"/cases/{case_id}/events"), 200, "Event")


def test_a_requesters_api_answer_holds_no_internal_notes_files_or_working_data(lite: Api) -> None:
    case_id = _reviewed_with_internal_notes(lite)
    case, events = _read(lite, "solicitante", case_id)
    text = json.dumps([case, events], ensure_ascii=False)
    assert [secret for secret in SECRETS if secret in text] == []
    assert case["data"]["asunto"] == REPORT["asunto"] and case["data"]["categoria"] == "software"
    assert {"case.started", "task.completed", "comment.added"} <= {event["kind"] for event in events}
    assert all(set(event["payload"]) <= set(PUBLIC_PAYLOAD) for event in events)
    listed = expect(lite.get("solicitante", "/cases"), 200, "Case")
    assert [secret for secret in SECRETS if secret in json.dumps(listed, ensure_ascii=False)] == []
    staff_case, staff_events = _read(lite, "nivel1", case_id)
    staff_text = json.dumps([staff_case, staff_events], ensure_ascii=False)
    assert [secret for secret in SECRETS if secret not in staff_text] == []  # staff read it all, as before
