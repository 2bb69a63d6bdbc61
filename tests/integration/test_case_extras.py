"""What the case page needs: case lists, a task with its form, the start form, comments, attachments, diagram."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.db.models import OutboxMessage
from engine.services.cases import files, notes
from engine.services.cases.queries import case_diagram, list_cases, start_screen, task_detail
from engine.services.context import ServiceContext
from engine.services.errors import ForbiddenError, FormValidationError, NotFoundError
from engine.services.people.users import add_user, get_actor
from tests.helpers import COMPLETE_REVIEW, Walker

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _case(ctx: ServiceContext) -> Walker:
    walk = Walker(ctx)
    walk.start()
    return walk


def test_case_lists_by_role(ctx: ServiceContext) -> None:
    walk = _case(ctx)
    other = add_user(ctx, "tercero", "t@example.org", "solicitante")
    assert walk.case is not None
    assert [c.id for c in list_cases(ctx, get_actor(ctx, "solicitante"))] == [walk.case.id]
    assert list_cases(ctx, other) == []
    assert [c.id for c in list_cases(ctx, get_actor(ctx, "nivel1"))] == [walk.case.id]
    assert [c.id for c in list_cases(ctx, get_actor(ctx, "auditor"), is_open=True)] == [walk.case.id]
    assert list_cases(ctx, get_actor(ctx, "auditor"), is_open=False) == []
    outsider = add_user(ctx, "externo", "e@example.org", "agente", groups=["otra-mesa"])
    assert list_cases(ctx, outsider) == []


def test_task_detail_gives_form_schema_values_and_options(ctx: ServiceContext) -> None:
    walk = _case(ctx)
    walk.complete("nivel1", COMPLETE_REVIEW, "Activity_RevisarRegistrar")
    detail = task_detail(ctx, get_actor(ctx, "nivel1"), walk.task().id)
    assert detail.form.form_id == "escalar_nivel2" and detail.form.schema is not None
    assert detail.form.data["grupo_nivel2"] == "ti-nivel2-sistemas-informacion"  # pre-filled from the matrix
    options = {o["value"] for o in detail.form.data["grupos_nivel2"]}
    assert {"ti-nivel2-aplicaciones", "ti-nivel2-sistemas-informacion", "ti-nivel2-infraestructura"} <= options
    assert detail.may_complete
    assert not task_detail(ctx, get_actor(ctx, "nivel2"), walk.task().id).may_complete
    assert not task_detail(ctx, get_actor(ctx, "auditor"), walk.task().id).may_complete
    with pytest.raises(NotFoundError):
        task_detail(ctx, add_user(ctx, "x1", "x1@example.org", "solicitante"), walk.task().id)


def test_start_screen_lists_the_help_desks(ctx: ServiceContext) -> None:
    screen = start_screen(ctx)
    assert (screen.process_id, screen.form.form_id) == ("mesa_de_ayuda", "reportar_caso")
    assert screen.form.data["mesas"] == [  # active help desks, by name
        {"label": "Mesa de ayuda de Inversiones y Finanzas Públicas", "value": "inversiones"},
        {"label": "Mesa de ayuda de Tecnologías de la Información", "value": "ti"}]
    assert screen.form.data["canal"] == "portal"  # the form's default value


def test_comments_internal_and_public(ctx: ServiceContext) -> None:
    walk = _case(ctx)
    assert walk.case is not None
    agent, requester = get_actor(ctx, "nivel1"), get_actor(ctx, "solicitante")
    notes.add_comment(ctx, agent, walk.case.id, "Revisar si es la misma falla de ayer", "internal")
    notes.add_comment(ctx, agent, walk.case.id, "Estamos revisando su caso <b>hoy</b>", "public")
    notes.add_comment(ctx, requester, walk.case.id, "Gracias")
    assert [c.body for c in notes.list_comments(ctx, requester, walk.case.id)] == [
        "Estamos revisando su caso <b>hoy</b>", "Gracias"]
    assert len(notes.list_comments(ctx, get_actor(ctx, "auditor"), walk.case.id)) == 3
    with pytest.raises(ForbiddenError):
        notes.add_comment(ctx, requester, walk.case.id, "nota", "internal")
    with pytest.raises(ForbiddenError):
        notes.add_comment(ctx, get_actor(ctx, "auditor"), walk.case.id, "nota")
    with pytest.raises(FormValidationError):
        notes.add_comment(ctx, agent, walk.case.id, "   ")
    with ctx.db.read() as session:
        templates = list(session.scalars(select(OutboxMessage.template).where(OutboxMessage.case_id == walk.case.id)))
    assert templates == ["respuesta_caso"]  # only the agent's public reply is emailed
    assert [e.kind for e in walk.refresh().history].count("comment.added") == 3


def test_attachments_limits_types_and_access(ctx: ServiceContext) -> None:
    walk = _case(ctx)
    assert walk.case is not None
    requester, agent = get_actor(ctx, "solicitante"), get_actor(ctx, "nivel1")
    shot = files.add_attachment(ctx, requester, walk.case.id, "C:\\fotos\\pantallazo.png", PNG)
    assert (shot.filename, shot.content_type, shot.size) == ("pantallazo.png", "image/png", len(PNG))
    _, path = files.open_attachment(ctx, agent, shot.id)
    assert path.read_bytes() == PNG and path.parent == ctx.settings.instance_path / "attachments"
    assert path.name != "pantallazo.png"
    log = files.add_attachment(ctx, agent, walk.case.id, "traza.log", b"error 500 en /tablero")
    hidden = files.add_attachment(ctx, agent, walk.case.id, "interno.txt", b"solo agentes", "internal")
    assert [a.filename for a in files.list_attachments(ctx, requester, walk.case.id)] == [
        "pantallazo.png", "traza.log"]
    with pytest.raises(NotFoundError):
        files.open_attachment(ctx, requester, hidden.id)
    stranger = add_user(ctx, "curioso", "c@example.org", "solicitante")
    with pytest.raises(NotFoundError):
        files.open_attachment(ctx, stranger, log.id)
    refused = [("virus.exe", b"MZ"), ("falso.png", b"%PDF-1.4"), ("vacio.txt", b""),
               ("latin1.txt", "año".encode("latin-1")), ("grande.pdf", b"%PDF-" + b"0" * files.MAX_BYTES)]
    for name, content in refused:
        with pytest.raises(FormValidationError):
            files.add_attachment(ctx, requester, walk.case.id, name, content)
    with pytest.raises(NotFoundError):
        files.add_attachment(ctx, stranger, walk.case.id, "x.txt", b"x")
    assert len(list(files.storage_dir(ctx).iterdir())) == 3  # refused uploads left nothing behind


def test_case_diagram_shows_the_path(ctx: ServiceContext) -> None:
    walk = _case(ctx)
    walk.complete("nivel1", COMPLETE_REVIEW, "Activity_RevisarRegistrar")
    assert walk.case is not None
    diagram = case_diagram(ctx, get_actor(ctx, "solicitante"), walk.case.id)
    assert "<bpmn:definitions" in diagram.bpmn_xml
    assert diagram.completed[:2] == ["StartEvent_CasoReportado", "Gateway_MergeRevision"]
    assert {"Activity_RevisarRegistrar", "Gateway_InformacionCompleta", "Activity_AsignarTicket"} <= set(
        diagram.completed)
    assert diagram.active == ["Activity_EscalarNivel2"]
