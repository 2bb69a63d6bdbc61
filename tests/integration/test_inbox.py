"""Inbox verbs and who may do what: list by scope and filters, claim, release, assign, form errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.db.models import InboxTask
from engine.services.cases import tasks
from engine.services.cases.start import complete_task, get_case, start_case
from engine.services.cases.tasks import TaskFilter
from engine.services.context import ServiceContext
from engine.services.errors import ConflictError, ForbiddenError, FormValidationError, NotFoundError
from engine.services.people.users import add_user, get_actor
from tests.conftest import T0
from tests.helpers import COMPLETE_REVIEW, REPORT, Walker


def _reported(ctx: ServiceContext, **changes: str) -> Walker:
    walk = Walker(ctx)
    walk.start({**REPORT, **changes})
    return walk


def test_scopes_mine_groups_all(ctx: ServiceContext) -> None:
    walk = _reported(ctx)
    nivel1, nivel2 = get_actor(ctx, "nivel1"), get_actor(ctx, "nivel2")
    assert [t.name for t in tasks.list_tasks(ctx, nivel1, "groups")] == ["Revisar y registrar caso"]
    assert tasks.list_tasks(ctx, nivel1, "mine") == []
    assert tasks.list_tasks(ctx, nivel2, "groups") == []
    assert len(tasks.list_tasks(ctx, nivel2, "all")) == 1  # same help desk: visible, not workable
    tasks.claim_task(ctx, nivel1, walk.task().id)
    assert [t.assignee for t in tasks.list_tasks(ctx, nivel1, "mine")] == ["nivel1"]
    assert tasks.count_tasks(ctx, nivel1, "mine") == 1
    outsider = add_user(ctx, "otro", "otro@example.org", "agente", groups=["otra-mesa-nivel1"])
    assert tasks.list_tasks(ctx, outsider, "all") == []
    assert [t.case_id for t in tasks.list_tasks(ctx, get_actor(ctx, "auditor"), "all")] == [walk.case.id]


def test_filters_and_sorting(ctx: ServiceContext) -> None:
    first = _reported(ctx, asunto="Buzón de correo lleno", aplicacion="Correo electrónico")
    second = _reported(ctx, asunto="VPN no conecta", aplicacion="VPN")
    agent = get_actor(ctx, "nivel1")
    assert [t.case_subject for t in tasks.list_tasks(ctx, agent, "all", TaskFilter(text="vpn"))] == ["VPN no conecta"]
    by_application = tasks.list_tasks(ctx, agent, "all", TaskFilter(application="Correo electrónico"))
    assert [t.application for t in by_application] == ["Correo electrónico"]
    assert tasks.list_tasks(ctx, agent, "all", TaskFilter(help_desk="otra")) == []
    assert len(tasks.list_tasks(ctx, agent, "all", TaskFilter(state="en revisión"))) == 2
    complete_task(ctx, agent, first.task().id, COMPLETE_REVIEW)  # priority 70 on 'Escalar a nivel 2'
    by_priority = tasks.list_tasks(ctx, agent, "all", TaskFilter(sort="priority"))
    assert [t.priority for t in by_priority] == [70, 50]
    assert second.case is not None and by_priority[1].case_id == second.case.id


def test_claim_release_assign_rules(ctx: ServiceContext) -> None:
    task_id = _reported(ctx).task().id
    nivel1, nivel2, admin = (get_actor(ctx, name) for name in ("nivel1", "nivel2", "admin"))
    colleague = add_user(ctx, "nivel1b", "n1b@example.org", "agente", groups=["ti-nivel1"])
    with pytest.raises(ForbiddenError):
        tasks.claim_task(ctx, nivel2, task_id)  # not a candidate
    claimed = tasks.claim_task(ctx, nivel1, task_id)
    assert claimed.assignee == "nivel1"
    with pytest.raises(ConflictError, match="tomada por nivel1"):
        tasks.claim_task(ctx, colleague, task_id)
    with pytest.raises(ForbiddenError):
        complete_task(ctx, colleague, task_id, COMPLETE_REVIEW)  # assigned to someone else
    with pytest.raises(ForbiddenError):
        tasks.release_task(ctx, colleague, task_id)
    assert tasks.release_task(ctx, nivel1, task_id).assignee is None
    with pytest.raises(ConflictError):
        tasks.release_task(ctx, nivel1, task_id)
    assert tasks.assign_task(ctx, nivel1, task_id, "nivel1b").assignee == "nivel1b"
    assert tasks.assign_task(ctx, admin, task_id, "nivel1").assignee == "nivel1"
    with pytest.raises(NotFoundError):
        tasks.assign_task(ctx, admin, task_id, "fantasma")
    with pytest.raises(ForbiddenError):
        tasks.claim_task(ctx, get_actor(ctx, "auditor"), task_id)
    events = [e.kind for e in get_case(ctx, admin, claimed.case_id).history]
    assert events.count("task.claimed") == 1 and events.count("task.assigned") == 2


def test_requesters_see_only_their_cases(ctx: ServiceContext) -> None:
    walk = _reported(ctx)
    assert walk.case is not None
    stranger = add_user(ctx, "tercero", "tercero@example.org", "solicitante")
    with pytest.raises(NotFoundError):
        get_case(ctx, stranger, walk.case.id)
    with pytest.raises(NotFoundError):
        complete_task(ctx, stranger, walk.task().id, COMPLETE_REVIEW)
    with pytest.raises(NotFoundError):
        get_case(ctx, stranger, 999_999)
    assert get_case(ctx, get_actor(ctx, "solicitante"), walk.case.id).id == walk.case.id


def test_form_errors_come_back_per_field_and_nothing_changes(ctx: ServiceContext) -> None:
    walk = _reported(ctx)
    agent = get_actor(ctx, "nivel1")
    with pytest.raises(FormValidationError) as caught:
        complete_task(ctx, agent, walk.task().id, {"informacion_completa": True, "impacto": "enorme",
                                                         "campo_raro": 1})
    assert set(caught.value.errors) == {"impacto", "urgencia", "categoria", "campo_raro"}
    again = walk.refresh()
    assert again.state == "en revisión" and [t.id for t in again.ready_tasks] == [walk.task().id]
    with ctx.db.read() as session:
        assert session.scalar(select(InboxTask.completed_at).where(InboxTask.id == walk.task().id)) is None


def test_start_form_is_validated_and_the_help_desk_must_exist(ctx: ServiceContext) -> None:
    requester = get_actor(ctx, "solicitante")
    with pytest.raises(FormValidationError) as caught:
        start_case(ctx, requester, {**REPORT, "contacto": "no es contacto", "tipo": "queja"})
    assert set(caught.value.errors) == {"contacto", "tipo"}
    with pytest.raises(FormValidationError, match="mesa"):
        start_case(ctx, requester, {**REPORT, "mesa": "inexistente"})
    with pytest.raises(ForbiddenError):
        start_case(ctx, requester, REPORT, requester="nivel2")
    on_behalf = start_case(ctx, get_actor(ctx, "nivel1"), {**REPORT, "canal": "telefono"},
                                 requester="solicitante")
    assert on_behalf.requester == "solicitante" and on_behalf.data["solicitante"] == "solicitante"


def test_due_dates_and_overdue_sorting(ctx: ServiceContext) -> None:
    walk = _reported(ctx)
    task = walk.task()
    assert task.due_at == T0 + timedelta(days=1)  # registro: 1 business day
    with pytest.raises(NotFoundError):
        tasks.claim_task(ctx, get_actor(ctx, "nivel1"), "00000000-0000-0000-0000-000000000000")
