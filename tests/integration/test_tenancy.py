"""Help desks as tenants on SQLite and PostgreSQL: who sees which case, in the lists (SQL) and one by one (policy).

The world: a `ti` case at level 2, a `ti` case escalated to the external provider (with an internal note), an
`inversiones` case, and a case of another process that belongs to no help desk.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from engine.db.models import Case
from engine.services.cases.notes import add_comment, list_comments
from engine.services.cases.queries import list_cases
from engine.services.cases.start import complete_task, get_case, start_case
from engine.services.cases.tasks import claim_task, list_tasks
from engine.services.context import ServiceContext
from engine.services.errors import ForbiddenError, FormValidationError, NotFoundError
from engine.services.helpdesks import desks, protocols
from engine.services.helpdesks.heads import add_head, list_heads, remove_head
from engine.services.people.enforce import can_view_case
from engine.services.people.readable import readable_case
from engine.services.people.users import add_user, get_actor
from engine.services.views import Actor
from tests.helpers import ESCALATE_TO_LEVEL3, LEVEL2, LEVEL3, REPORT, SOLVE_AT_LEVEL3, walk_to_level2
from tests.integration.test_versions import PROCESS, deploy_lineal


@dataclass(frozen=True)
class World:
    """The ids of the four cases."""

    ti: int
    escalated: int
    inversiones: int
    other_process: int


@pytest.fixture
def world(ctx: ServiceContext) -> World:
    admin = get_actor(ctx, "admin")
    add_user(ctx, "inv1", "inv1@dnp.gov.co", "agente", groups=["inversiones-nivel1"])
    add_user(ctx, "equipo1", "equipo1@dnp.gov.co", "agente", groups=["equipo"])
    for head, unit in (("jefe_sg", "secretaria-general"), ("jefa_sgise", "sgise")):
        add_user(ctx, head, f"{head}@dnp.gov.co", "coordinador")
        add_head(ctx, admin, unit, head)
    plain = walk_to_level2(ctx)
    escalated = walk_to_level2(ctx)
    escalated.complete("nivel2", ESCALATE_TO_LEVEL3, LEVEL2)
    assert escalated.case is not None and plain.case is not None
    add_comment(ctx, get_actor(ctx, "nivel2"), escalated.case.id, "El usuario es insistente", "internal")
    requester = get_actor(ctx, "solicitante")
    inversiones = start_case(ctx, requester, {**REPORT, "mesa": "inversiones", "aplicacion": "MGA Web"})
    deploy_lineal(ctx)
    other = start_case(ctx, requester, {}, process_id=PROCESS)
    assert other.help_desk_code is None and inversiones.help_desk_code == "inversiones"
    return World(plain.case.id, escalated.case.id, inversiones.id, other.id)


def _listed(ctx: ServiceContext, actor: Actor) -> set[int]:
    return {case.id for case in list_cases(ctx, actor, limit=500)}


def _allowed(ctx: ServiceContext, actor: Actor) -> set[int]:
    with ctx.db.read() as session:
        return {case.id for case in session.query(Case).all() if can_view_case(session, actor, case)}


def test_each_actor_lists_exactly_the_cases_the_policy_lets_them_see(ctx: ServiceContext, world: World) -> None:
    everything = {world.ti, world.escalated, world.inversiones, world.other_process}
    expected = {
        "coordinador_ti": {world.ti, world.escalated}, "proveedor": {world.escalated},
        "nivel1": {world.ti, world.escalated}, "inv1": {world.inversiones}, "equipo1": {world.other_process},
        "jefe_sg": {world.ti, world.escalated}, "jefa_sgise": {world.inversiones},
        "solicitante": everything, "auditor": everything, "dueno": everything,
    }
    for username, cases in expected.items():
        actor = get_actor(ctx, username)
        assert _listed(ctx, actor) == cases == _allowed(ctx, actor), username


def test_the_inbox_shows_coordinators_their_desks_and_providers_only_their_tasks(
        ctx: ServiceContext, world: World) -> None:
    coordinator, provider = get_actor(ctx, "coordinador_ti"), get_actor(ctx, "proveedor")
    assert {task.case_id for task in list_tasks(ctx, coordinator, "all")} == {world.ti, world.escalated}
    assert [(task.case_id, task.element_id) for task in list_tasks(ctx, provider, "all")] == [
        (world.escalated, LEVEL3)]
    assert {task.case_id for task in list_tasks(ctx, get_actor(ctx, "jefa_sgise"), "all")} == {world.inversiones}


def test_a_provider_never_sees_a_case_not_escalated_to_it_nor_internal_notes(
        ctx: ServiceContext, world: World) -> None:
    provider = get_actor(ctx, "proveedor")
    assert provider.external and not get_actor(ctx, "nivel3").external  # nivel3 is also in a staff group
    for case_id in (world.ti, world.inversiones, world.other_process):
        with pytest.raises(NotFoundError):
            get_case(ctx, provider, case_id)
    assert [c.visibility for c in list_comments(ctx, provider, world.escalated)] == []
    shown = readable_case(provider, get_case(ctx, provider, world.escalated))
    assert shown.data["motivo_escalamiento"] == ESCALATE_TO_LEVEL3["motivo_escalamiento"]
    assert "grupo_nivel2" not in shown.data
    with pytest.raises(ForbiddenError):
        add_comment(ctx, provider, world.escalated, "nota", "internal")
    task = next(t for t in get_case(ctx, provider, world.escalated).ready_tasks if t.element_id == LEVEL3)
    claim_task(ctx, provider, task.id)
    complete_task(ctx, provider, task.id, SOLVE_AT_LEVEL3)
    assert _listed(ctx, provider) == {world.escalated}  # still theirs once the task is done


def test_a_coordinator_follows_up_read_only_and_manages_only_their_desk(ctx: ServiceContext, world: World) -> None:
    coordinator = get_actor(ctx, "coordinador_ti")
    case = get_case(ctx, coordinator, world.ti)
    assert [c.visibility for c in list_comments(ctx, coordinator, world.escalated)] == ["internal"]
    with pytest.raises(ForbiddenError, match="seguimiento"):
        claim_task(ctx, coordinator, case.ready_tasks[0].id)
    with pytest.raises(ForbiddenError, match="seguimiento"):
        add_comment(ctx, coordinator, world.ti, "¿Cómo vamos?", "internal")
    with pytest.raises(NotFoundError):
        get_case(ctx, coordinator, world.inversiones)
    with pytest.raises(NotFoundError, match="la mesa 'inversiones' no existe"):
        protocols.create_draft(ctx, coordinator, "inversiones")
    with pytest.raises(NotFoundError):
        desks.get_help_desk(ctx, coordinator, "inversiones")
    assert protocols.create_draft(ctx, coordinator, "ti").status == "borrador"
    assert [desk.code for desk in desks.list_help_desks(ctx, coordinator)] == ["ti"]


def test_a_head_reads_the_help_desks_under_their_dependency(ctx: ServiceContext, world: World) -> None:
    head = get_actor(ctx, "jefe_sg")
    assert [desk.code for desk in desks.list_help_desks(ctx, head)] == ["ti"]
    assert desks.get_help_desk(ctx, head, "ti").code == "ti"
    with pytest.raises(NotFoundError):
        protocols.create_draft(ctx, head, "ti")  # reads, does not manage
    with pytest.raises(NotFoundError):
        get_case(ctx, head, world.inversiones)
    admin = get_actor(ctx, "admin")
    with pytest.raises(FormValidationError, match="coordinador"):
        add_head(ctx, admin, "otsi", "nivel1")
    with pytest.raises(ForbiddenError):
        add_head(ctx, get_actor(ctx, "coordinador_ti"), "otsi", "coordinador_ti")
    assert list_heads(ctx, admin, "sgise") == ("jefa_sgise",)


def test_a_head_once_named_reads_the_cases_under_the_unit_until_removed(ctx: ServiceContext, world: World) -> None:
    admin = get_actor(ctx, "admin")
    add_user(ctx, "jefe_otsi", "jefe_otsi@dnp.gov.co", "coordinador")
    head = get_actor(ctx, "jefe_otsi")
    with pytest.raises(NotFoundError):
        get_case(ctx, head, world.ti)
    assert _listed(ctx, head) == set() == _allowed(ctx, head)
    assert add_head(ctx, admin, "otsi", "jefe_otsi") == ("jefe_otsi",)
    assert get_case(ctx, head, world.ti).id == world.ti
    assert _listed(ctx, head) == {world.ti, world.escalated} == _allowed(ctx, head)
    assert [desk.code for desk in desks.list_help_desks(ctx, head)] == ["ti"]
    with pytest.raises(ForbiddenError, match="seguimiento"):
        add_comment(ctx, head, world.ti, "¿Cómo vamos?", "public")  # reads, changes nothing
    assert remove_head(ctx, admin, "otsi", "jefe_otsi") == ()
    with pytest.raises(NotFoundError):
        get_case(ctx, head, world.ti)
    assert _listed(ctx, head) == set()
