"""The web inbox's read helpers: filter choices, one visible open task, the people a task may go to."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import update

from engine.db.models import User
from engine.services.cases import start as cases
from engine.services.context import ServiceContext
from engine.services.errors import NotFoundError
from engine.services.helpdesks.protocols import create_draft, publish, update_draft
from engine.services.inbox.queries import Choice, Person, candidate_people, filter_choices, find_open_task
from engine.services.people.desks import HelpDeskSpec, add_help_desk
from engine.services.people.users import add_user, get_actor
from engine.services.views import SYSTEM
from tests.helpers import COMPLETE_REVIEW, INCOMPLETE_REVIEW, REPORT, Walker

TI = Choice("ti", "Mesa de ayuda de Tecnologías de la Información")
RH = Choice("rh", "Mesa de Talento Humano")


def _report(ctx: ServiceContext, **changes: str) -> Walker:
    walk = Walker(ctx)
    walk.start({**REPORT, **changes})
    return walk


@pytest.fixture
def two_desks(ctx: ServiceContext) -> ServiceContext:
    """The demo help desk and a second one (rh) whose agents see none of the first."""
    add_help_desk(ctx, HelpDeskSpec("rh", "Mesa de Talento Humano", "RH", "rh-nivel1", "rh-nivel2"))
    protocol = create_draft(ctx, SYSTEM, "rh").document.to_dict()  # requesters report to desks with a protocol
    protocol["catalogo"]["servicios"] = [{"nombre": "Nómina", "descripcion": "", "grupo_nivel2": "rh-nivel2"}]
    update_draft(ctx, SYSTEM, "rh", protocol)
    publish(ctx, SYSTEM, "rh")
    add_user(ctx, "rh1", "rh1@example.org", "agente", groups=["rh-nivel1"])
    return ctx


def test_filter_choices_come_from_the_tasks_the_actor_may_see(two_desks: ServiceContext) -> None:
    ctx = two_desks
    _report(ctx, aplicacion="VPN")
    _report(ctx, aplicacion="Correo electrónico").complete("nivel1", INCOMPLETE_REVIEW)
    _report(ctx, mesa="rh", aplicacion="Nómina")
    nivel1 = filter_choices(ctx, get_actor(ctx, "nivel1"))
    assert nivel1.help_desks == (TI,)
    assert nivel1.applications == (Choice("Correo electrónico", "Correo electrónico"), Choice("VPN", "VPN"))
    assert nivel1.states == (Choice("en revisión", "en revisión"),
                             Choice("pendiente de información", "pendiente de información"))
    assert nivel1.help_desk_names() == {"ti": TI.label}
    auditor = filter_choices(ctx, get_actor(ctx, "auditor"))
    assert auditor.help_desks == (TI, RH)
    assert [c.value for c in auditor.applications] == ["Correo electrónico", "Nómina", "VPN"]
    assert filter_choices(ctx, get_actor(ctx, "rh1")).help_desks == (RH,)
    assert filter_choices(ctx, get_actor(ctx, "solicitante")).help_desks == (TI, RH)  # their own cases' tasks


def test_find_open_task_answers_only_for_visible_open_tasks(two_desks: ServiceContext) -> None:
    ctx = two_desks
    task_id = _report(ctx).task().id
    other = _report(ctx, mesa="rh", aplicacion="Nómina").task().id
    nivel1 = get_actor(ctx, "nivel1")
    found = find_open_task(ctx, nivel1, task_id)
    assert (found.id, found.name, found.candidate_groups, found.help_desk_code) == (
        task_id, "Revisar y registrar caso", ("ti-nivel1",), "ti")
    for hidden in ("no-existe", other):
        with pytest.raises(NotFoundError, match=f"la tarea {hidden} no existe"):
            find_open_task(ctx, nivel1, hidden)
    cases.complete_task(ctx, nivel1, task_id, COMPLETE_REVIEW)
    with pytest.raises(NotFoundError):
        find_open_task(ctx, nivel1, task_id)


def test_candidate_people_are_the_active_members_and_named_users(ctx: ServiceContext) -> None:
    add_user(ctx, "ana", "ana@example.org", "agente", groups=["ti-nivel1"], full_name="Ana Zapata")
    add_user(ctx, "zoe", "zoe@example.org", "agente", groups=["ti-nivel1"])
    add_user(ctx, "ido", "ido@example.org", "agente", groups=["ti-nivel1"], full_name="Ido Inactivo")
    with ctx.db.write() as session:
        session.execute(update(User).where(User.username == "ido").values(active=False))
    review = _report(ctx).task()
    asking = _report(ctx)
    asking.complete("nivel1", INCOMPLETE_REVIEW)
    requester_task = asking.task()
    people = candidate_people(ctx, [review, requester_task])
    assert people[review.id] == (Person("ana", "Ana Zapata"), Person("nivel1", "Nicolás Nivel Uno"),
                                 Person("zoe", ""))
    assert people[requester_task.id] == ()  # assigned to the requester, no candidates
    assert [p.label for p in people[review.id]] == ["Ana Zapata (ana)", "Nicolás Nivel Uno (nivel1)", "zoe"]
    assert candidate_people(ctx, []) == {}


def test_candidate_users_count_as_people_of_the_task(ctx: ServiceContext) -> None:
    review = _report(ctx).task()
    named = dataclasses.replace(review, candidate_groups=(), candidate_users=("nivel2", "nadie"))
    assert candidate_people(ctx, [named]) == {review.id: (Person("nivel2", "Natalia Nivel Dos"),)}
