"""Cases run on the protocol version they started under, routed by its catalogue, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update

from engine.clock import FixedClock
from engine.config import Settings
from engine.db.models import Case, CaseEvent, InboxTask
from engine.db.session import Database
from engine.helpdesk.deadlines import expression_functions
from engine.helpdesk.protocol import default_protocol
from engine.replay.service import replay_case
from engine.services.cases.queries import start_screen
from engine.services.context import ServiceContext
from engine.services.errors import FormValidationError
from engine.services.helpdesks import dependencies, desks, groups, protocols
from engine.services.people.users import add_user, get_actor
from engine.setup.bootstrap import initialise
from tests.changes import rechain
from tests.conftest import T0, make_settings
from tests.helpers import (
    ACCEPT,
    COMPLETE_REVIEW,
    ESCALATE,
    ESCALATE_TO_LEVEL3,
    LEVEL2,
    LEVEL3,
    REPORT,
    REVIEW,
    SOLVE_AT_LEVEL2,
    VALIDATE,
    Walker,
    walk_to_level2,
    walk_to_validation,
)
from web.cli import main

NOMINA = {**REPORT, "mesa": "rh", "aplicacion": "Nómina", "canal": "correo"}
# T0 is Tuesday 1 December 2026, 09:00 in Bogotá. Two business days with Wednesday 2 closed: Friday 4 at 09:00
# (MESA_PLAZOS' five days would be Wednesday 9, after the 8 December holiday).
DUE_ON_ITS_PROTOCOL = "2026-12-04T09:00:00-05:00"


@pytest.fixture
def fresh(database: Database, tmp_path: Path, clock: FixedClock) -> ServiceContext:
    """An install without --demo: schema and process, one administrator, no help desk."""
    context = ServiceContext(database, make_settings(tmp_path, database.url), clock)
    initialise(context, "sistema")
    add_user(context, "admin", "admin@dnp.gov.co", "admin", password="clave-larga")
    return context


def protocol_for_rh(ctx: ServiceContext) -> dict[str, Any]:
    """Its own catalogue (no 'otra'), channels, matrix and deadlines, and a closure on Wednesday 2 December."""
    data = default_protocol(ctx.settings, "rh-nivel2").to_dict()
    data["catalogo"]["servicios"] = [{"nombre": "Nómina", "descripcion": "Liquidación",
                                      "grupo_nivel2": "rh-nivel2-nomina", "grupo_nivel3": "rh-proveedor"}]
    data["catalogo"]["permite_otra"] = False
    data["canales"]["correo"] = {"habilitado": True, "contacto": "talento@dnp.gov.co"}
    data["prioridades"]["matriz"]["alto"]["media"] = "critica"
    data["plazos"]["validacion"] = 2
    data["calendario"]["cierres"] = [{"fecha": "2026-12-02", "motivo": "Jornada de inventario"}]
    return data


def set_up_rh(ctx: ServiceContext) -> None:
    """What an administrator does on a fresh install: dependency, desk, groups, people, protocol, publication."""
    boss = get_actor(ctx, "admin")
    dependencies.add_dependency(ctx, boss, "sg", "Secretaría General", "subdireccion")
    dependencies.add_dependency(ctx, boss, "gth", "Grupo de Talento Humano", "grupo", "sg")
    desks.create_help_desk(ctx, boss, desks.NewHelpDesk("rh", "Mesa de Talento Humano", "RH", "gth"))
    groups.add_group(ctx, boss, "rh", "rh-nivel2-nomina", 2, description="Nómina")
    groups.add_group(ctx, boss, "rh", "rh-proveedor", 3, external=True)
    for user, group in (("ana", "rh-nivel1"), ("beto", "rh-nivel2-nomina"), ("carla", "rh-proveedor")):
        add_user(ctx, user, f"{user}@dnp.gov.co", "agente")
        groups.add_member(ctx, boss, "rh", group, user)
    add_user(ctx, "sofia", "sofia@example.org", "solicitante")
    protocols.create_draft(ctx, boss, "rh")
    protocols.update_draft(ctx, boss, "rh", protocol_for_rh(ctx))
    protocols.publish(ctx, boss, "rh")


def refusal(ctx: ServiceContext, data: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(FormValidationError) as caught:
        Walker(ctx).start(data, "sofia")
    return caught.value.errors


def test_a_case_on_a_new_help_desk_runs_to_closure_on_its_own_protocol(fresh: ServiceContext) -> None:
    set_up_rh(fresh)
    screen = start_screen(fresh).form.data
    assert screen["mesas"] == [{"label": "Mesa de Talento Humano", "value": "rh"}]
    assert screen["opciones_por_mesa"]["rh"]["aplicaciones"] == [{"label": "Nómina", "value": "Nómina"}]
    assert [c["value"] for c in screen["opciones_por_mesa"]["rh"]["canales"]] == ["portal", "correo"]
    assert set(refusal(fresh, {**NOMINA, "aplicacion": "otra"})) == {"aplicacion"}
    assert set(refusal(fresh, {**NOMINA, "canal": "telefono"})) == {"canal"}

    walk = Walker(fresh)
    started = walk.start(NOMINA, "sofia")
    with fresh.db.read() as session:
        published = protocols.current_row(session, "rh")
        pinned = session.scalar(select(Case.protocol_version_id).where(Case.id == started.id))
    assert published is not None and pinned == published.id
    case = walk.complete("ana", COMPLETE_REVIEW, REVIEW)
    assert (case.data["prioridad"], case.data["prioridad_valor"]) == ("critica", 90)
    assert (case.data["grupo_nivel2"], case.data["grupo_nivel3"]) == ("rh-nivel2-nomina", "rh-proveedor")
    with pytest.raises(FormValidationError) as outside:
        walk.complete("ana", {"grupo_nivel2": "rh-proveedor"}, ESCALATE)
    assert "no es un grupo de nivel 2 de la mesa 'rh'" in outside.value.errors["grupo_nivel2"][0]
    walk.complete("ana", {"grupo_nivel2": "rh-nivel2-nomina"}, ESCALATE)
    case = walk.complete("beto", SOLVE_AT_LEVEL2, LEVEL2)
    assert case.data["vence_validacion"] == DUE_ON_ITS_PROTOCOL
    with fresh.db.read() as session:
        due = session.scalar(select(InboxTask.due_at).where(InboxTask.case_id == case.id,
                                                            InboxTask.element_id == VALIDATE))
        recorded = [row.payload_json for row in session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.element_id == LEVEL2))]
    assert due is not None and due.isoformat() == "2026-12-04T14:00:00+00:00"
    assert any(DUE_ON_ITS_PROTOCOL in payload for payload in recorded)
    case = walk.complete("sofia", ACCEPT, VALIDATE)
    assert not case.is_open and case.state == "cerrado"
    assert replay_case(fresh, get_actor(fresh, "admin"), case.id).problems == []


class Cli:
    """`mesa-ayuda` in-process on one SQLite file; `changed` adds environment (e.g. another MESA_PLAZOS)."""

    def __init__(self, tmp_path: Path) -> None:
        self.env = {"MESA_INSTANCE_PATH": str(tmp_path / "instance"),
                    "MESA_DATABASE_URL": f"sqlite:///{tmp_path / 'mesa.db'}"}

    def __call__(self, *args: str, **changed: str) -> Result:
        return CliRunner(env={**self.env, **changed}).invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Cli, ServiceContext]]:
    run = Cli(tmp_path)
    assert run("init", "--demo").exit_code == 0
    db = Database(run.env["MESA_DATABASE_URL"])
    yield run, ServiceContext(db, Settings.from_env(run.env), FixedClock(T0))
    db.dispose()


def publish_ti_with_a_closure(ctx: ServiceContext) -> None:
    """A coordinator's next version of ti: Wednesday 2 December closed and nine days to validate."""
    boss = get_actor(ctx, "admin")
    data = protocols.create_draft(ctx, boss, "ti").document.to_dict()
    data["calendario"]["cierres"] = [{"fecha": "2026-12-02", "motivo": "Traslado de sede"}]
    data["plazos"]["validacion"] = 9
    protocols.update_draft(ctx, boss, "ti", data)
    protocols.publish(ctx, boss, "ti")


def recorded_deadlines(ctx: ServiceContext, case_id: int, element_id: str) -> dict[str, str]:
    """The plazo() values the step completing `element_id` recorded."""
    with ctx.db.read() as session:
        row = session.scalar(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.element_id == element_id,
                                                     CaseEvent.kind == "task.completed"))
        assert row is not None
        return dict(json.loads(row.payload_json)["deadlines"])


def test_replay_passes_after_a_new_protocol_version_a_closure_and_other_mesa_plazos(
        demo: tuple[Cli, ServiceContext]) -> None:
    run, ctx = demo
    closed = walk_to_validation(ctx).complete("solicitante", ACCEPT, VALIDATE).id
    waiting, at_level2 = walk_to_validation(ctx).case, walk_to_level2(ctx).case
    assert waiting is not None and at_level2 is not None
    recorded = recorded_deadlines(ctx, waiting.id, LEVEL2)
    assert recorded["validacion"] == "2026-12-09T09:00:00-05:00"  # five days over the 8 December holiday
    publish_ti_with_a_closure(ctx)
    other_plazos = "validacion=1,validacion_recordatorio=1,nivel2=9"

    replayed = run("audit", "replay", "--all", MESA_PLAZOS=other_plazos)

    assert replayed.exit_code == 0, replayed.stderr
    assert f"caso {closed}: OK" in replayed.stdout and "3 caso(s) reproducidos, 0 con problemas" in replayed.stdout
    # What a replay would have recounted without the recording: neither today's settings nor today's protocol.
    settings = Settings.from_env({**run.env, "MESA_PLAZOS": other_plazos})
    assert expression_functions(settings, T0)["plazo"]("validacion") != recorded["validacion"]
    with ctx.db.read() as session:
        current = protocols.current_row(session, "ti")
        assert current is not None and current.number == 2
        recount = ctx.protocol_of(session, current.id).deadlines.due("validacion", T0)
    assert recount.isoformat() != recorded["validacion"]


def test_without_recorded_deadlines_replay_recounts_and_sees_other_mesa_plazos(ctx: ServiceContext) -> None:
    case = walk_to_validation(ctx).case
    assert case is not None
    with ctx.db.write() as session:  # the shape of a case recorded before deadlines were: no key, no protocol
        session.execute(update(Case).where(Case.id == case.id).values(protocol_version_id=None))
        for row in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)):
            payload = json.loads(row.payload_json)
            payload.pop("deadlines", None)
            row.payload_json = json.dumps(payload)
        rechain(session, case.id)
    auditor = get_actor(ctx, "auditor")
    assert replay_case(ctx, auditor, case.id).ok
    changed = dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, deadlines={
        **ctx.settings.deadlines, "validacion": 1}))
    problems = replay_case(changed, auditor, case.id).problems
    assert any("temporizador" in problem for problem in problems), problems


def test_level_3_is_proposed_by_the_catalogue_and_kept_inside_the_help_desk(ctx: ServiceContext) -> None:
    walk = walk_to_level2(ctx)
    assert walk.case is not None and walk.case.data["grupo_nivel3_propuesto"] == "ti-nivel3-proveedor"
    other_desk = {**ESCALATE_TO_LEVEL3, "grupo_nivel3": "inversiones-nivel3-ente-externo"}
    with pytest.raises(FormValidationError) as outside:
        walk.complete("nivel2", other_desk, LEVEL2)
    assert outside.value.errors["grupo_nivel3"] == [
        "El grupo elegido no es un grupo de nivel 3 de la mesa 'ti': el caso solo se escala a grupos de su mesa "
        "según su protocolo."]
    case = walk.complete("nivel2", {**ESCALATE_TO_LEVEL3, "grupo_nivel3": "ti-nivel3-especialistas"}, LEVEL2)
    assert case.data["grupo_nivel3"] == "ti-nivel3-especialistas"
    assert [t.element_id for t in case.ready_tasks] == [LEVEL3]
