"""Help desks as tenants on SQLite and PostgreSQL: first run, coordinators' reach, heads of dependencies, protocols
published and refused."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from engine.clock import FixedClock
from engine.db.models import AdminEvent, DependencyHead, EscalationRule, HelpDesk, ProtocolVersion, User
from engine.db.session import Database
from engine.helpdesk.protocol import default_protocol
from engine.services.cases.start import start_case
from engine.services.context import ServiceContext
from engine.services.errors import ConflictError, ForbiddenError, FormValidationError, NotFoundError
from engine.services.helpdesks import dependencies, desks, events, groups, heads, protocols, queries, transfer
from engine.services.helpdesks.errors import ProtocolRejectedError
from engine.services.people.users import add_user, get_actor
from engine.services.views import Actor
from engine.setup.bootstrap import initialise
from tests.conftest import T0, make_settings
from tests.helpers import REPORT


@pytest.fixture
def fresh(database: Database, tmp_path: Path, clock: FixedClock) -> ServiceContext:
    """An install without --demo: schema and process only, then one administrator."""
    context = ServiceContext(database, make_settings(tmp_path, database.url), clock)
    initialise(context, "sistema")
    add_user(context, "admin", "admin@dnp.gov.co", "admin", password="clave-larga")
    return context


def admin(ctx: ServiceContext) -> Actor:
    return get_actor(ctx, "admin")


def first_protocol(ctx: ServiceContext) -> dict[str, Any]:
    """What a coordinator writes for the new help desk: two applications and the mail channel."""
    data = default_protocol(ctx.settings, "rh-nivel2").to_dict()
    data["catalogo"]["servicios"] = [
        {"nombre": "Nómina", "descripcion": "Liquidación", "grupo_nivel2": "rh-nivel2-nomina",
         "grupo_nivel3": "rh-proveedor"},
        {"nombre": "Kactus", "descripcion": "", "grupo_nivel2": "rh-nivel2", "grupo_nivel3": None}]
    data["canales"]["correo"] = {"habilitado": True, "contacto": "talento@dnp.gov.co"}
    return {"notas": "Primera versión", "protocolo": data}


def count(ctx: ServiceContext, model: type[Any]) -> int:
    with ctx.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def rules(ctx: ServiceContext, code: str) -> dict[str, str]:
    with ctx.db.read() as session:
        rows = session.scalars(select(EscalationRule).where(EscalationRule.help_desk_code == code))
        return {row.application: row.level2_group for row in rows}


def test_first_run_admin_creates_a_help_desk_and_its_protocol_then_requesters_report(fresh: ServiceContext) -> None:
    boss = admin(fresh)
    dependencies.add_dependency(fresh, boss, "sg", "Secretaría General", "subdireccion")
    dependencies.add_dependency(fresh, boss, "gth", "Grupo de Talento Humano", "grupo", "sg")
    desk = desks.create_help_desk(fresh, boss, desks.NewHelpDesk("rh", "Mesa de Talento Humano", "RH", "gth"))
    assert (desk.level1_group, desk.level2_default_group) == ("rh-nivel1", "rh-nivel2")
    groups.add_group(fresh, boss, "rh", "rh-nivel2-nomina", 2, description="Nómina")
    groups.add_group(fresh, boss, "rh", "rh-proveedor", 3, external=True)
    add_user(fresh, "ana", "ana@dnp.gov.co", "agente")
    groups.add_member(fresh, boss, "rh", "rh-nivel1", "ana")
    text = yaml.safe_dump(first_protocol(fresh), allow_unicode=True)
    draft = transfer.import_protocol(fresh, boss, "rh", text, "yaml")
    assert (draft.status, draft.number, draft.notes) == ("borrador", None, "Primera versión")
    assert rules(fresh, "rh") == {}
    published = protocols.publish(fresh, boss, "rh")
    assert (published.status, published.number, published.approved_by) == ("publicado", 1, "admin")
    assert published.next_review == date(2027, 12, 1)
    assert rules(fresh, "rh") == {"Nómina": "rh-nivel2-nomina", "Kactus": "rh-nivel2"}
    assert published.document.people.groups[0].members == ("ana",)
    with fresh.db.read() as session:
        kinds = list(session.scalars(select(AdminEvent.kind).where(AdminEvent.help_desk_code == "rh")
                                     .order_by(AdminEvent.id)))
    assert kinds[0] == "mesa.creada" and kinds[-2:] == ["protocolo.importado", "protocolo.publicado"]
    requester = add_user(fresh, "sofia", "sofia@example.org", "solicitante")
    case = start_case(fresh, requester, {**REPORT, "mesa": "rh", "aplicacion": "Nómina"})
    assert case.help_desk_code == "rh"


def test_a_coordinator_manages_only_their_own_help_desk(ctx: ServiceContext) -> None:
    add_user(ctx, "coord", "coord@dnp.gov.co", "agente")
    desks.add_coordinator(ctx, admin(ctx), "inversiones", "coord")
    coordinator = get_actor(ctx, "coord")
    with pytest.raises(NotFoundError, match="la mesa 'ti' no existe"):
        protocols.create_draft(ctx, coordinator, "ti")
    with pytest.raises(NotFoundError):
        groups.add_group(ctx, coordinator, "ti", "ti-nivel2-otro", 2)
    with pytest.raises(NotFoundError):
        transfer.export_protocol(ctx, coordinator, "ti")
    assert [d.code for d in desks.list_help_desks(ctx, coordinator)] == ["inversiones"]
    assert protocols.create_draft(ctx, coordinator, "inversiones").status == "borrador"
    with pytest.raises(ForbiddenError):
        desks.create_help_desk(ctx, coordinator, desks.NewHelpDesk("x1", "X", "XX", "otsi"))
    auditor = get_actor(ctx, "auditor")
    with pytest.raises(ForbiddenError, match="solo pueden consultar"):
        protocols.publish(ctx, auditor, "inversiones")
    assert queries.get_version(ctx, auditor, "ti").number == 1
    with pytest.raises(FormValidationError, match="no puede coordinar"):
        desks.add_coordinator(ctx, admin(ctx), "ti", "solicitante")


def test_a_bad_draft_is_refused_whole_and_nothing_is_stored(ctx: ServiceContext) -> None:
    boss = admin(ctx)
    before = protocols.create_draft(ctx, boss, "ti")
    with pytest.raises(ConflictError, match="ya tiene un borrador"):
        protocols.create_draft(ctx, boss, "ti")
    data = before.document.to_dict()
    data["ans"]["peticion"]["media"]["resolucion"] = {"valor": 20, "unidad": "dias"}
    data["catalogo"]["servicios"][0]["grupo_nivel2"] = "inversiones-nivel2"
    data["calendario"]["horario"]["lunes"] = ["08:00-13:00", "12:00-17:00"]
    with pytest.raises(ProtocolRejectedError) as caught:
        protocols.update_draft(ctx, boss, "ti", data, next_review=date(2028, 1, 1))
    assert set(caught.value.errors) == {"ans.peticion.media.resolucion", "catalogo.servicios.0.grupo_nivel2",
                                        "calendario.horario.lunes", "proxima_revision"}
    assert "no existe en esta mesa" in caught.value.errors["catalogo.servicios.0.grupo_nivel2"][0]
    assert queries.get_version(ctx, boss, "ti", "borrador").document == before.document
    events = count(ctx, AdminEvent)
    with pytest.raises(ProtocolRejectedError, match="a más tardar el 2027-12-01"):
        protocols.publish(ctx, boss, "ti", next_review=date(2027, 12, 2))
    assert (count(ctx, AdminEvent), queries.get_version(ctx, boss, "ti").number) == (events, 1)


def test_a_malformed_import_file_stores_nothing(ctx: ServiceContext) -> None:
    boss = admin(ctx)
    versions = count(ctx, ProtocolVersion)
    for text, fmt, message in [("protocolo: [1, 2", "yaml", "YAML inválido en la línea"),
                               ('{"protocolo": ', "json", "JSON inválido"),
                               ("- una lista", "yaml", "debe ser un objeto"),
                               ("protocolo: {}\nextra: 1\n", "yaml", "clave desconocida"),
                               ("!!python/object:os.system {}", "yaml", "YAML inválido")]:
        with pytest.raises(ProtocolRejectedError, match=message):
            transfer.import_protocol(ctx, boss, "ti", text, fmt)
    assert count(ctx, ProtocolVersion) == versions


def test_publishing_a_new_version_replaces_the_old_and_rebuilds_the_matrix(ctx: ServiceContext) -> None:
    boss = admin(ctx)
    draft = protocols.create_draft(ctx, boss, "ti").document.to_dict()
    draft["catalogo"]["servicios"] = [s for s in draft["catalogo"]["servicios"] if s["nombre"] != "VPN"]
    draft["catalogo"]["grupo_nivel2_por_defecto"] = "ti-nivel2-infraestructura"
    protocols.update_draft(ctx, boss, "ti", draft, notes="Sin VPN")
    changed = {t.name: [(r.key, r.status) for r in t.changes] for t in queries.diff_draft(ctx, boss, "ti")}
    assert changed["catalogo"] == [("(cualquier otra aplicación)", "cambiado"), ("VPN", "eliminado")]
    second = protocols.publish(ctx, boss, "ti")
    assert (second.number, second.notes) == (2, "Sin VPN")
    assert [(v.number, v.status) for v in queries.list_versions(ctx, boss, "ti")] == [
        (2, "publicado"), (1, "reemplazado")]
    assert "VPN" not in rules(ctx, "ti") and rules(ctx, "ti")["SUIFP"] == "ti-nivel2-sistemas-informacion"
    with ctx.db.read() as session:
        assert session.get(HelpDesk, "ti").level2_default_group == "ti-nivel2-infraestructura"  # type: ignore[union-attr]
    with pytest.raises(NotFoundError, match="no tiene un borrador"):
        protocols.publish(ctx, boss, "ti")


def test_export_then_import_in_json_and_yaml_gives_the_same_protocol(ctx: ServiceContext) -> None:
    boss = admin(ctx)
    published = queries.get_version(ctx, boss, "ti")
    for fmt in ("json", "yaml"):
        text = transfer.export_protocol(ctx, boss, "ti", fmt)
        draft = transfer.import_protocol(ctx, boss, "ti", text, fmt)
        assert draft.document == published.document and draft.next_review == published.next_review
        assert all(t.changes == () for t in queries.diff_draft(ctx, boss, "ti"))


def test_protocol_status_follows_the_review_date(ctx: ServiceContext, clock: FixedClock) -> None:
    boss = admin(ctx)
    desks.create_help_desk(ctx, boss, desks.NewHelpDesk("nueva", "Mesa nueva", "NV", "otsi"))

    def states() -> dict[str, str]:
        return {s.help_desk_code: s.state for s in queries.protocol_status(ctx, boss)}

    assert states() == {"ti": "vigente", "inversiones": "vigente", "nueva": "sin protocolo"}
    clock.advance(timedelta(days=340))
    assert states()["ti"] == "por vencer"
    clock.advance(timedelta(days=30))
    assert states()["ti"] == "vencido"


def test_dependencies_form_a_tree_and_groups_keep_to_their_help_desk(ctx: ServiceContext) -> None:
    boss = admin(ctx)
    with pytest.raises(FormValidationError, match="una subdirección no puede depender de una dirección"):
        dependencies.add_dependency(ctx, boss, "sub", "Sub", "subdireccion", "otsi")
    with pytest.raises(ConflictError, match="tiene mesas de ayuda"):
        dependencies.remove_dependency(ctx, boss, "otsi")
    assert [(d.code, d.depth) for d in dependencies.list_dependencies(ctx)][:2] == [
        ("secretaria-general", 0), ("otsi", 1)]
    with pytest.raises(FormValidationError, match="solo un grupo de nivel 3"):
        groups.add_group(ctx, boss, "ti", "ti-nivel2-externo", 2, external=True)
    with pytest.raises(ConflictError, match="ya existe de la mesa 'ti'"):
        groups.add_group(ctx, boss, "inversiones", "ti-nivel1", 1)


def test_the_database_keeps_one_draft_and_one_published_version_per_help_desk(ctx: ServiceContext) -> None:
    for status in ("borrador", "publicado"):
        with pytest.raises(IntegrityError), ctx.db.write() as session:
            for _ in range(2):
                session.add(ProtocolVersion(help_desk_code="inversiones", status=status, document_json="{}",
                                            created_by="x", created_at=T0, updated_at=T0))
            session.flush()


def test_desk_upkeep_deactivate_rename_people_and_drafts_are_recorded(ctx: ServiceContext) -> None:
    boss = admin(ctx)
    dependencies.update_dependency(ctx, boss, "difp", "Dirección de Inversiones", "sgise")
    desks.update_help_desk(ctx, boss, "inversiones", name="Mesa de Inversiones", dependency_code="otsi")
    desks.set_help_desk_active(ctx, boss, "inversiones", False)
    with ctx.db.read() as session:
        desk = session.get(HelpDesk, "inversiones")
        assert desk is not None and (desk.name, desk.dependency_code, desk.active) == ("Mesa de Inversiones", "otsi",
                                                                                       False)
    with pytest.raises(FormValidationError, match="Valor no permitido: 'inversiones'"):  # not offered any more
        start_case(ctx, get_actor(ctx, "solicitante"), {**REPORT, "mesa": "inversiones"})
    desks.add_coordinator(ctx, boss, "ti", "nivel2")
    assert desks.get_help_desk(ctx, boss, "ti").coordinators == ("coordinador_ti", "nivel2")  # the demo's, and one
    assert desks.remove_coordinator(ctx, boss, "ti", "nivel2").coordinators == ("coordinador_ti",)
    assert groups.remove_member(ctx, boss, "ti", "ti-nivel1", "nivel1").members == ()
    protocols.create_draft(ctx, boss, "ti")
    protocols.discard_draft(ctx, boss, "ti")
    with pytest.raises(NotFoundError, match="no tiene un borrador"):
        queries.get_version(ctx, boss, "ti", "borrador")
    kinds = [event.kind for event in events.list_events(ctx, boss, "ti")]
    assert kinds[-5:] == ["mesa.coordinador_agregado", "mesa.coordinador_retirado", "grupo.miembro_retirado",
                          "protocolo.borrador_creado", "protocolo.borrador_descartado"]
    assert "protocolo.publicado" in kinds


def head_events(ctx: ServiceContext) -> list[tuple[str, str, dict[str, Any]]]:
    """(actor, kind, payload) of every change of a dependency's heads, oldest first."""
    with ctx.db.read() as session:
        rows = session.scalars(select(AdminEvent).where(AdminEvent.kind.like("dependencia.jefe_%"))
                               .order_by(AdminEvent.id))
        return [(row.actor, row.kind, json.loads(row.payload_json)) for row in rows]


def test_an_administrator_names_and_removes_heads_and_the_change_is_recorded(ctx: ServiceContext) -> None:
    boss = admin(ctx)
    add_user(ctx, "jefa", "jefa@dnp.gov.co", "coordinador")
    add_user(ctx, "jefe", "jefe@dnp.gov.co", "coordinador")
    assert heads.add_head(ctx, boss, "sgise", "jefe") == ("jefe",)
    assert heads.add_head(ctx, boss, "sgise", "jefa") == ("jefa", "jefe")
    assert heads.list_heads(ctx, get_actor(ctx, "auditor"), "sgise") == ("jefa", "jefe")
    assert heads.list_heads(ctx, boss, "otsi") == ()
    assert heads.heads_by_dependency(ctx, get_actor(ctx, "coordinador_ti")) == {"sgise": ("jefa", "jefe")}
    assert heads.remove_head(ctx, boss, "sgise", "jefe") == ("jefa",)
    assert head_events(ctx) == [
        ("admin", "dependencia.jefe_agregado", {"codigo": "sgise", "usuario": "jefe"}),
        ("admin", "dependencia.jefe_agregado", {"codigo": "sgise", "usuario": "jefa"}),
        ("admin", "dependencia.jefe_retirado", {"codigo": "sgise", "usuario": "jefe"})]
    with ctx.db.read() as session:
        assert all(row.help_desk_code is None for row in session.scalars(
            select(AdminEvent).where(AdminEvent.kind.like("dependencia.jefe_%"))))


def test_every_mistake_naming_a_head_is_refused_in_spanish_and_writes_nothing(ctx: ServiceContext) -> None:
    boss, coordinator = admin(ctx), get_actor(ctx, "coordinador_ti")
    add_user(ctx, "jefa", "jefa@dnp.gov.co", "coordinador")
    add_user(ctx, "retirado", "retirado@dnp.gov.co", "coordinador")
    with ctx.db.write() as session:
        session.execute(update(User).where(User.username == "retirado").values(active=False))
    heads.add_head(ctx, boss, "sgise", "jefa")
    before = (count(ctx, DependencyHead), count(ctx, AdminEvent))
    refusals: list[tuple[type[Exception], str, Callable[[], object]]] = [
        (NotFoundError, "la dependencia 'nada' no existe", lambda: heads.add_head(ctx, boss, "nada", "jefa")),
        (NotFoundError, "el usuario 'nadie' no existe", lambda: heads.add_head(ctx, boss, "sgise", "nadie")),
        (FormValidationError, "usuario: el usuario 'retirado' está inactivo",
         lambda: heads.add_head(ctx, boss, "sgise", "retirado")),
        (FormValidationError, "un usuario con rol agente no puede ser jefe de dependencia",
         lambda: heads.add_head(ctx, boss, "sgise", "nivel1")),
        (FormValidationError, "escriba el nombre de usuario", lambda: heads.add_head(ctx, boss, "sgise", " ")),
        (ConflictError, "el usuario 'jefa' ya es jefe de la dependencia 'sgise'",
         lambda: heads.add_head(ctx, boss, "sgise", "jefa")),
        (ConflictError, "el usuario 'jefa' no es jefe de la dependencia 'otsi'",
         lambda: heads.remove_head(ctx, boss, "otsi", "jefa")),
        (NotFoundError, "el usuario 'nadie' no existe", lambda: heads.remove_head(ctx, boss, "sgise", "nadie")),
        (NotFoundError, "la dependencia 'nada' no existe", lambda: heads.remove_head(ctx, boss, "nada", "jefa")),
        (NotFoundError, "la dependencia 'nada' no existe", lambda: heads.list_heads(ctx, boss, "nada")),
        (ForbiddenError, "solo un administrador", lambda: heads.add_head(ctx, coordinator, "otsi", "jefa")),
        (ForbiddenError, "solo un administrador", lambda: heads.remove_head(ctx, coordinator, "sgise", "jefa")),
        (ForbiddenError, "los auditores solo pueden consultar",
         lambda: heads.add_head(ctx, get_actor(ctx, "auditor"), "otsi", "jefa")),
        (ForbiddenError, "consultar las dependencias",
         lambda: heads.list_heads(ctx, get_actor(ctx, "solicitante"), "sgise")),
    ]
    for error, message, attempt in refusals:
        with pytest.raises(error, match=re.escape(message)):
            attempt()
    assert (count(ctx, DependencyHead), count(ctx, AdminEvent)) == before
    assert heads.list_heads(ctx, boss, "sgise") == ("jefa",)
