"""The permission policy's rules on plain values, and the role-filtered case the pages and the API both serialise."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from engine.services.errors import ConflictError, ForbiddenError, NotFoundError
from engine.services.helpdesks.reviews import reminder_slot
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


COORDINATOR = Actor("coordinador_ti", Role.COORDINATOR)
PROVIDER = Actor("proveedor", Role.AGENT, frozenset({"ti-nivel3-proveedor"}), external=True)
LEVEL3 = replace(REVIEW, id="t3", element_id="Activity_SolucionarEscalado", candidate_groups=("ti-nivel3-proveedor",))


def test_coordinators_follow_up_read_only() -> None:
    assert policy.may_view_case(COORDINATOR, "sofia", "ti", desks={"ti"}, tasks=[REVIEW])
    assert not policy.may_view_case(COORDINATOR, "sofia", "inversiones", desks={"ti"}, tasks=[REVIEW])
    for refusal in (policy.claim_refusal, policy.release_refusal, policy.assign_refusal, policy.complete_refusal):
        assert str(refusal(COORDINATOR, replace(REVIEW, assignee="nivel1"))) == policy.FOLLOW_UP_ONLY
    for visibility in ("public", "internal"):
        assert str(policy.comment_refusal(COORDINATOR, visibility)) == policy.FOLLOW_UP_ONLY
        assert str(policy.upload_refusal(COORDINATOR, visibility)) == policy.FOLLOW_UP_ONLY
    assert policy.start_refusal(COORDINATOR, None) is not None and not policy.may_report(COORDINATOR)
    assert policy.sees_internal(COORDINATOR) and policy.uses_inbox(COORDINATOR) and not policy.works_tasks(COORDINATOR)


def test_which_help_desks_an_actor_reads_whole() -> None:
    relations = {"member_of": {"ti"}, "coordinated": {"inversiones"}, "headed": {"rh"}}
    assert policy.case_desks(AGENT, **relations) == {"ti", "inversiones", "rh"}
    assert policy.case_desks(COORDINATOR, **relations) == {"inversiones", "rh"}  # not a member's desk: no groups
    assert policy.case_desks(PROVIDER, **relations) == set()  # only what was escalated to them
    assert policy.case_desks(REQUESTER, **relations) == set()


def test_providers_see_only_what_was_escalated_to_them_and_nothing_internal() -> None:
    assert not policy.may_view_case(PROVIDER, "sofia", "ti", tasks=[REVIEW])
    assert policy.may_view_case(PROVIDER, "sofia", "ti", tasks=[REVIEW, replace(LEVEL3, completed_at=T)])
    assert not policy.sees_internal(PROVIDER) and policy.sees_internal(AGENT)
    assert isinstance(policy.comment_refusal(PROVIDER, "internal"), ForbiddenError)
    assert policy.comment_refusal(PROVIDER, "public") is None
    assert isinstance(policy.upload_refusal(PROVIDER, "internal"), ForbiddenError)
    assert policy.may_open_task(PROVIDER, LEVEL3) and not policy.may_open_task(PROVIDER, REVIEW)
    assert policy.may_claim(PROVIDER, LEVEL3) and policy.may_complete(PROVIDER, LEVEL3)


def test_a_provider_reads_the_escalation_but_not_the_notes() -> None:
    case = _case(data={"asunto": "x", "impacto": "alto", "motivo_escalamiento": "índice",
                       "observaciones_nivel1": "usuario insistente"})
    shown = readable_case(PROVIDER, case)
    assert shown.data == {"asunto": "x", "impacto": "alto", "motivo_escalamiento": "índice"}
    assert [e.seq for e in shown.history] == [1, 4]  # no internal note, no automatic step


def test_cases_of_other_processes_follow_the_camunda_rules() -> None:
    task = replace(REVIEW, candidate_groups=("compras",), candidate_users=("pedro",))
    for actor, sees in ((AGENT, False), (Actor("pedro", Role.AGENT), True), (COORDINATOR, False),
                        (Actor("x", Role.AGENT, frozenset({"compras"})), True), (OWNER, True), (AUDITOR, True)):
        assert policy.may_view_case(actor, "sofia", None, desks={"ti"}, tasks=[task]) is sees, actor.username
    assert policy.may_view_case(AGENT, "sofia", None, tasks=[replace(task, assignee="nivel1")])
    assert policy.may_view_case(REQUESTER, "sofia", None)


def test_help_desks_are_managed_by_admins_and_their_coordinators() -> None:
    assert policy.may_manage_desk(ADMIN, "ti", coordinated=()) and policy.may_manage_desk(SYSTEM, "x", coordinated=())
    assert policy.may_manage_desk(COORDINATOR, "ti", coordinated={"ti"})
    assert not policy.may_manage_desk(COORDINATOR, "inversiones", coordinated={"ti"})
    assert not policy.may_manage_desk(AUDITOR, "ti", coordinated={"ti"})
    assert isinstance(policy.manage_desk_refusal(COORDINATOR, coordinated={"ti"}, code="inversiones"), NotFoundError)
    assert str(policy.manage_desk_refusal(AUDITOR, coordinated=(), code="ti")) == policy.READ_ONLY
    assert policy.may_read_desk(COORDINATOR, "rh", coordinated=(), headed={"rh"})
    assert policy.may_read_desk(AUDITOR, "rh", coordinated=(), headed=())
    assert not policy.may_read_desk(COORDINATOR, "rh", coordinated={"ti"}, headed=())
    assert policy.administer_refusal(ADMIN) is None and policy.administer_refusal(COORDINATOR) is not None
    assert policy.may_head_dependency(Role.COORDINATOR) and not policy.may_head_dependency(Role.AGENT)


@pytest.mark.parametrize(("today", "slot"), [
    ("2027-10-01", None), ("2027-10-02", "antes"), ("2027-10-31", "antes"), ("2027-11-01", "dia"),
    ("2027-11-07", "dia"), ("2027-11-08", "semana-1"), ("2027-11-15", "semana-2")])
def test_review_reminder_slots(today: str, slot: str | None) -> None:
    assert reminder_slot(date(2027, 11, 1), date.fromisoformat(today)) == slot
