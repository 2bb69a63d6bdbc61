"""The permission policy's rules on plain values, and the role-filtered case the pages and the API both serialise."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from engine.services.errors import ConflictError, ForbiddenError
from engine.services.people import policy
from engine.services.people.readable import PUBLIC_PAYLOAD, REQUESTER_FIELDS, readable_case
from engine.services.views import SYSTEM, Actor, CaseView, EventView, Role, TaskView
from web.case_display import SUMMARY_KEYS

T = datetime(2026, 12, 1, 14, tzinfo=UTC)
REQUESTER = Actor("sofia", Role.REQUESTER)
AGENT = Actor("nivel1", Role.AGENT, frozenset({"ti-nivel1"}))
COLLEAGUE = Actor("nivel1b", Role.AGENT, frozenset({"ti-nivel1"}))
OUTSIDER = Actor("nivel2", Role.AGENT, frozenset({"ti-nivel2"}))
ADMIN, AUDITOR, OWNER = Actor("admin", Role.ADMIN), Actor("auditor", Role.AUDITOR), Actor("dueno", Role.OWNER)
REVIEW = TaskView(id="t1", case_id=1, ticket=None, element_id="Activity_RevisarRegistrar", name="Revisar",
                  lane="Nivel 1", candidate_groups=("ti-nivel1",), candidate_users=(), assignee=None, due_at=None,
                  follow_up_at=None, priority=50, form_id=None, created_at=T, requester="sofia")
VALIDATE = replace(REVIEW, id="t2", candidate_groups=(), assignee="sofia")


def test_stored_role_names_become_roles_and_unknown_ones_fail() -> None:
    assert Actor("x", "agente").role is Role.AGENT  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Actor("x", "jefe")  # type: ignore[arg-type]
    assert SYSTEM.is_system and policy.reads_all_cases(SYSTEM)


def test_who_claims_releases_and_completes() -> None:
    assert [a.username for a in (REQUESTER, AGENT, OUTSIDER, ADMIN, AUDITOR, OWNER) if policy.may_claim(a, REVIEW)] == [
        "nivel1", "admin"]
    mine = replace(REVIEW, assignee="nivel1")
    assert isinstance(policy.claim_refusal(COLLEAGUE, mine), ConflictError)
    assert policy.may_release(AGENT, mine) and policy.may_release(ADMIN, mine)
    assert not policy.may_release(COLLEAGUE, mine)
    assert isinstance(policy.release_refusal(REQUESTER, VALIDATE), ForbiddenError)  # requesters keep their tasks
    assert policy.may_complete(REQUESTER, VALIDATE) and not policy.may_complete(AGENT, VALIDATE)
    assert not policy.may_complete(AUDITOR, REVIEW) and policy.may_complete(COLLEAGUE, REVIEW)
    assert not policy.may_complete(AGENT, replace(REVIEW, completed_at=T))


def test_assignment_goes_to_candidates_never_to_the_requester_of_an_agents_task() -> None:
    assert policy.may_assign(AGENT, REVIEW) and not policy.may_assign(OUTSIDER, REVIEW)
    assert policy.assignee_refusal(AGENT, REVIEW, "nivel1b", candidate=True) is None
    assert str(policy.assignee_refusal(AGENT, REVIEW, "nivel2", candidate=False)) == policy.ONLY_CANDIDATES
    assert policy.assignee_refusal(ADMIN, REVIEW, "nivel3", candidate=False) is None  # administrators: anybody...
    for who in (AGENT, ADMIN):  # ...but nobody hands the requester an agents' task, even a candidate requester
        assert str(policy.assignee_refusal(who, REVIEW, "sofia", candidate=True)) == policy.NOT_THE_REQUESTER
    assert policy.assignee_refusal(ADMIN, VALIDATE, "sofia", candidate=False) is None  # their own task, back to them


def test_requesters_open_only_their_tasks() -> None:
    assert not policy.may_open_task(REQUESTER, REVIEW) and policy.may_open_task(REQUESTER, VALIDATE)
    done_by_other = replace(VALIDATE, completed_at=T, completed_by="admin")
    assert not policy.may_open_task(REQUESTER, done_by_other) and policy.may_open_task(AUDITOR, done_by_other)


def test_comments_files_and_new_cases() -> None:
    assert policy.comment_refusal(REQUESTER, "public") is None
    assert isinstance(policy.comment_refusal(REQUESTER, "internal"), ForbiddenError)
    assert isinstance(policy.comment_refusal(OWNER, "internal"), ForbiddenError)  # owners read notes, agents write
    assert policy.upload_refusal(OWNER, "internal") is None
    assert str(policy.upload_refusal(AUDITOR, "public")) == policy.READ_ONLY
    assert policy.start_refusal(AGENT, "sofia") is None and policy.start_refusal(REQUESTER, "otra") is not None


def _case(**changes: object) -> CaseView:
    events = (EventView(1, "case.started", "sofia", T, None, {"data": {"asunto": "x"}, "requester": "sofia"}),
              EventView(2, "comment.added", "nivel1", T, None, {"visibility": "internal", "body": "nota"}),
              EventView(3, "service.completed", "sistema", T, "Asignar", {"name": "Asignar", "outputs": {"t": 1}}),
              EventView(4, "task.completed", "nivel1", T, "R", {"name": "Revisar", "data": {"impacto": "alto"},
                                                               "state": {"before": "a", "after": "b"}}))
    view = CaseView(id=1, ticket=None, process_id="p", process_version=1, state="b", is_open=True, requester="sofia",
                    help_desk_code="ti", subject="x", application="SISCONPES", data={"asunto": "x", "impacto": "alto"},
                    ready_tasks=(REVIEW,), created_at=T, updated_at=T, closed_at=None, next_timer_at=None,
                    history=events)
    return replace(view, **changes)


def test_a_requester_reads_the_summary_and_the_public_history_only() -> None:
    case = _case()
    assert readable_case(AGENT, case) is case and readable_case(AUDITOR, case) is case
    shown = readable_case(REQUESTER, case)
    assert shown.data == {"asunto": "x"}
    review = (4, {"name": "Revisar", "state": {"before": "a", "after": "b"}})
    assert [(e.seq, e.payload) for e in shown.history] == [(1, {"requester": "sofia"}), review]
    assert set(PUBLIC_PAYLOAD) >= {"name", "state"}


def test_the_case_pages_summary_is_what_requesters_may_read() -> None:
    assert {key for key, _ in SUMMARY_KEYS} <= REQUESTER_FIELDS
