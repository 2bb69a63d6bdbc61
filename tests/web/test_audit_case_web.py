"""The auditor's case pages: full history with emails, verification (chain + replay), time travel step by step."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import delete, select, update

from engine.clock import FixedClock
from engine.db.models import Case, CaseEvent, OutboxMessage
from engine.mail.delivery import deliver_due
from engine.services.cases.files import add_attachment
from engine.services.cases.notes import add_comment
from engine.services.cases.tasks import assign_task, claim_task, release_task
from engine.services.cases.timers import fire_due_timers
from engine.services.context import ServiceContext
from engine.services.people.users import add_user, get_actor
from engine.services.processes import migration
from tests.changes import REVIEW_V2, deploy_main, rechain, renamed_review
from tests.helpers import (
    ACCEPT,
    ESCALATE,
    LEVEL2,
    SOLVE_AT_LEVEL2,
    VALIDATE,
    Walker,
    walk_to_ticket,
    walk_to_validation,
)
from tests.integration import smtp_server, with_smtp
from tests.web.conftest import login
from tests.web.portal_support import location

FAILED_ERROR = "SMTPRecipientsRefused: solicitante@demo.mesa.local: 550 buzón inexistente"


def _signed_in(app: Flask, user: str) -> FlaskClient:
    client = app.test_client()
    assert location(login(client, user)) != "/login"
    return client


def _closed_case(ctx: ServiceContext) -> int:
    """Reported, registered, escalated, solved at level 2 and accepted: steps 1..5, closed."""
    walk = walk_to_validation(ctx)
    return walk.complete("solicitante", ACCEPT, VALIDATE).id


def _case_of_every_kind(ctx: ServiceContext, clock: FixedClock) -> int:
    """A closed case whose history holds every kind of event, with emails sent, pending and failed."""
    walk = walk_to_ticket(ctx)
    assert walk.case is not None
    case_id = walk.case.id
    with smtp_server() as (url, _):
        assert deliver_due(with_smtp(ctx, url)).sent == 1  # the ticket email leaves
    nivel1, admin, nivel2 = get_actor(ctx, "nivel1"), get_actor(ctx, "admin"), get_actor(ctx, "nivel2")
    task = walk.task(ESCALATE)
    claim_task(ctx, nivel1, task.id)
    release_task(ctx, nivel1, task.id)
    assign_task(ctx, admin, task.id, "nivel1")
    walk.complete("nivel1", {"grupo_nivel2": walk.case.data["grupo_nivel2"]}, ESCALATE)
    add_comment(ctx, nivel2, case_id, "Revisar el servidor 3 antes de responder", "internal")
    add_comment(ctx, nivel2, case_id, "Estamos revisando su caso", "public")
    add_attachment(ctx, nivel2, case_id, "evidencia.txt", b"registro del error 500\n")
    walk.complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2)
    due = walk.refresh().next_timer_at
    assert due is not None
    clock.set(due)
    assert fire_due_timers(ctx, due)  # the validation reminder
    walk.complete("solicitante", ACCEPT, VALIDATE)
    with ctx.db.write() as session:  # the reply could not be delivered
        session.execute(update(OutboxMessage).where(OutboxMessage.template == "respuesta_caso")
                        .values(status="failed", attempts=8, last_error=FAILED_ERROR))
    return case_id


def _main(page: str) -> str:
    match = re.search(r"<main\b.*?</main>", page, re.S)
    assert match, "la página no tiene <main>"
    return match.group(0)


def _shown(page: str, attribute: str) -> str:
    match = re.search(rf"{attribute}>([^<]*)<", page)
    assert match, attribute
    return match.group(1).strip()


def _data_rows(page: str) -> dict[str, tuple[str, bool]]:
    """The time-travel data table: variable → (value, changed at this step)."""
    rows = re.findall(r'<tr( class="data-row--changed" data-changed)? data-variable="([^"]+)">\s*<th.*?</th>\s*'
                      r'<td class="prewrap">(.*?)</td>', page, re.S)
    return {key: (value, bool(changed)) for changed, key, value in rows}


def _diagram(client: FlaskClient, case_id: int, k: int) -> dict[str, Any]:
    response = client.get(f"/auditoria/casos/{case_id}/pasos/{k}/diagrama.json")
    assert response.status_code == 200
    body = response.get_json()
    assert isinstance(body, dict) and "bpmn:definitions" in body["xml"]
    return body


# --- the history ----------------------------------------------------------------------------------------------

def test_the_history_lists_every_event_with_its_emails(app: Flask, sqlite_ctx: ServiceContext,
                                                       clock: FixedClock) -> None:
    case_id = _case_of_every_kind(sqlite_ctx, clock)
    page = _signed_in(app, "auditor").get(f"/auditoria/casos/{case_id}").text
    with sqlite_ctx.db.read() as session:
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)).all()
        mails = session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case_id)).all()
    kinds = {event.kind for event in events}
    assert kinds == {"case.started", "task.completed", "service.completed", "timer.fired", "task.claimed",
                     "task.released", "task.assigned", "comment.added", "attachment.added"}
    shown = re.findall(r'id="evento-(\d+)" data-event-kind="([^"]+)"', page)
    assert shown == [(str(event.seq), event.kind) for event in events]  # every event, in order
    for event in events:
        assert f'title="{event.hash}">{event.hash[:12]}</code>' in page
    for text in ("Registró el caso", "Completó «Revisar y registrar caso»",
                 "Paso automático: «Asignar número de ticket»", "Tomó la tarea «Escalar a nivel 2»",
                 "Liberó la tarea «Escalar a nivel 2»",
                 "Asignó la tarea «Escalar a nivel 2» a nivel1", "Responsable</dt><dd class=\"prewrap\">nivel1 → nadie",
                 "Responsable</dt><dd class=\"prewrap\">nadie → nivel1", "Escribió una nota interna",
                 "Revisar el servidor 3 antes de responder", "Estamos revisando su caso",
                 "Adjuntó el archivo «evidencia.txt»", "Se cumplió el plazo «Recordatorio de validación»",
                 "<strong>Sistema</strong>", "<strong>nivel1</strong>", "Salidas registradas",
                 "<code>ticket</code>: — → TI-2026-000001", "registrado → <strong>asignado a nivel 2</strong>",
                 "<code>calificacion</code></dt><dd class=\"prewrap\">5</dd>"):
        assert text in page, text
    assert {mail.status for mail in mails} == {"sent", "pending", "failed"}
    assert len(re.findall(r'class="email" data-email-status=', page)) == len(mails)  # one line per email
    for mail in mails:
        subject = re.escape(str(escape(mail.subject)))
        line = re.search(rf'data-email-status="{mail.status}">\s*<strong>{subject}</strong>(.*?)</li>', page, re.S)
        assert line, mail.subject
        assert mail.recipient in line.group(1) and f"<code>{mail.template}</code>" in line.group(1)
    assert "Enviado</span> 2026-12-01 09:00" in page  # sent at T0 (Bogotá time)
    assert "Pendiente</span>" in page
    assert f"Falló</span> tras 8 intentos: {FAILED_ERROR}" in page


def test_the_case_page_offers_the_audit_to_who_may_audit(app: Flask, sqlite_ctx: ServiceContext) -> None:
    case_id = _closed_case(sqlite_ctx)
    link = f'href="/auditoria/casos/{case_id}"'
    for user in ("auditor", "dueno", "admin", "nivel1"):
        assert link in _signed_in(app, user).get(f"/casos/{case_id}").text, user
    assert link not in _signed_in(app, "solicitante").get(f"/casos/{case_id}").text
    auditor = _signed_in(app, "auditor")
    dashboard = auditor.get("/tablero").text
    assert 'href="/auditoria/casos">Auditoría de casos</a>' in dashboard  # the menu
    listing = auditor.get("/auditoria/casos").text
    assert f'<a href="/auditoria/casos/{case_id}">No carga el tablero de control</a>' in listing
    assert "TI-2026-000001" in auditor.get("/auditoria/casos?ver=cerrados").text
    assert "TI-2026-000001" not in auditor.get("/auditoria/casos?ver=abiertos").text
    assert _signed_in(app, "solicitante").get("/auditoria/casos").status_code == 403
    assert "Auditoría de casos" not in _signed_in(app, "nivel1").get("/bandeja").text


# --- time travel ----------------------------------------------------------------------------------------------

def test_time_travel_first_middle_and_last_step(app: Flask, sqlite_ctx: ServiceContext) -> None:
    case_id = _closed_case(sqlite_ctx)
    auditor = _signed_in(app, "auditor")
    path = f"/auditoria/casos/{case_id}"

    now = auditor.get(path).text  # the default: the last step, the case as it is
    assert _shown(now, "data-travel-step=\"5\"") == "Paso 5 de 5"
    assert (_shown(now, "data-travel-state"), _shown(now, "data-travel-version")) == ("cerrado", "1")
    assert _shown(now, "data-travel-ready") == "ninguna"
    rows = _data_rows(now)
    assert rows["solucion_aceptada"] == ("Sí", True) and rows["ticket"] == ("TI-2026-000001", False)
    assert f'data-diagram-url="{path}/pasos/5/diagrama.json"' in now
    last = _diagram(auditor, case_id, 5)
    assert last["active"] == [] and {"Activity_RevisarRegistrar", VALIDATE} <= set(last["completed"])

    middle = auditor.get(f"{path}?paso=2").text
    assert (_shown(middle, "data-travel-state"), _shown(middle, "data-travel-version")) == ("registrado", "1")
    assert _shown(middle, "data-travel-ready") == "Escalar a nivel 2"
    rows = _data_rows(middle)
    assert rows["ticket"] == ("TI-2026-000001", True) and rows["categoria"] == ("software", True)
    assert rows["asunto"] == ("No carga el tablero de control", False) and "solucion" not in rows
    assert f'href="{path}?paso=1#viaje" rel="prev"' in middle and f'href="{path}?paso=3#viaje" rel="next"' in middle
    shown = _diagram(auditor, case_id, 2)
    assert shown["active"] == [ESCALATE] and "Activity_RevisarRegistrar" in shown["completed"]
    assert LEVEL2 not in shown["completed"]

    first = auditor.get(f"{path}?paso=0").text
    assert _shown(first, "data-travel-state") == "iniciado" and "Sin datos todavía." in first
    assert 'rel="prev"' not in first and "Caso creado, antes del primer paso" in first
    assert _diagram(auditor, case_id, 0) | {"xml": ""} == {"xml": "", "completed": [], "active": []}


def test_steps_out_of_range_are_not_found(app: Flask, sqlite_ctx: ServiceContext) -> None:
    case_id = _closed_case(sqlite_ctx)
    auditor = _signed_in(app, "auditor")
    missing = auditor.get(f"/auditoria/casos/{case_id}?paso=6")
    assert missing.status_code == 404 and "El caso no tiene el paso 6: tiene del 0 al 5." in missing.text
    assert auditor.get(f"/auditoria/casos/{case_id}?paso=-1").status_code == 404
    assert auditor.get(f"/auditoria/casos/{case_id}?paso=dos").status_code == 400
    assert auditor.get(f"/auditoria/casos/{case_id}/pasos/6/diagrama.json").status_code == 404
    assert auditor.get("/auditoria/casos/999").status_code == 404


# --- verification ---------------------------------------------------------------------------------------------

def _edit_submission(session: Any, case_id: int) -> None:
    """The recorded impact lowered after the fact, and the chain rebuilt so it still verifies."""
    row = session.scalar(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "task.completed")
                         .order_by(CaseEvent.seq).limit(1))
    payload = json.loads(row.payload_json)
    payload["data"]["impacto"] = "bajo"
    row.payload_json = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    rechain(session, case_id)


def test_verification_of_an_honest_case(app: Flask, sqlite_ctx: ServiceContext) -> None:
    case_id = _closed_case(sqlite_ctx)
    auditor = _signed_in(app, "auditor")
    assert f'href="/auditoria/casos/{case_id}/verificacion"' in auditor.get(f"/auditoria/casos/{case_id}").text
    page = auditor.get(f"/auditoria/casos/{case_id}/verificacion").text
    assert 'data-chain-ok="true"' in page and 'data-replay-ok="true"' in page and 'data-verdict="ok"' in page
    assert "Verificación correcta" in page
    steps = re.findall(r'data-step="(\d+)" data-step-ok="(\w+)"', page)
    assert steps == [(str(k), "true") for k in range(1, 6)]
    for text in ("Registro del caso", "Tarea completada", "<code>Activity_EscalarNivel2</code>", "asignado a nivel 2",
                 "solucionado", "cerrado", "✓ OK"):
        assert text in page, text


def test_verification_shows_what_was_tampered(app: Flask, sqlite_ctx: ServiceContext) -> None:
    rechained, stored, broken = _closed_case(sqlite_ctx), _closed_case(sqlite_ctx), _closed_case(sqlite_ctx)
    with sqlite_ctx.db.write() as session:
        _edit_submission(session, rechained)
        row = session.get(Case, stored)
        assert row is not None
        row.data_json = json.dumps({**json.loads(row.data_json), "prioridad": "baja"})
        event = session.scalar(select(CaseEvent).where(CaseEvent.case_id == broken, CaseEvent.seq == 2))
        assert event is not None
        event.payload_json = event.payload_json.replace('"alto"', '"bajo"')  # no rechain: the hash no longer fits
    auditor = _signed_in(app, "auditor")

    page = auditor.get(f"/auditoria/casos/{rechained}/verificacion").text
    assert 'data-chain-ok="true"' in page and 'data-replay-ok="false"' in page and 'data-verdict="problems"' in page
    assert "evento 2: «impacto» registrado null → &#34;alto&#34;, reproducido null → &#34;bajo&#34;" in page
    assert re.search(r'data-step="2" data-step-ok="false"', page)

    page = auditor.get(f"/auditoria/casos/{stored}/verificacion").text
    assert 'data-chain-ok="true"' in page and 'data-replay-ok="false"' in page
    assert "final: «prioridad» guardado &#34;baja&#34;, reproducido &#34;alta&#34;" in page

    page = auditor.get(f"/auditoria/casos/{broken}/verificacion").text
    assert 'data-chain-ok="false"' in page and "✗ Alterada" in page
    assert "cadena: evento 2: el contenido del evento fue alterado (hash distinto)" in page


def test_time_travel_says_when_the_story_does_not_replay(app: Flask, sqlite_ctx: ServiceContext) -> None:
    case_id = _closed_case(sqlite_ctx)
    with sqlite_ctx.db.write() as session:  # the escalation step removed from the story, the chain rebuilt
        session.execute(delete(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.element_id == ESCALATE))
        rechain(session, case_id)
    auditor = _signed_in(app, "auditor")
    page = auditor.get(f"/auditoria/casos/{case_id}").text
    assert "data-travel-problem" in page and "no se reproduce hasta el paso 4" in page
    assert "data-diagram-url" not in page and "Historial completo" in page
    answer = auditor.get(f"/auditoria/casos/{case_id}/pasos/4/diagrama.json")
    assert answer.status_code == 422 and "no se reproduce hasta el paso 4" in answer.get_json()["error"]
    before = auditor.get(f"/auditoria/casos/{case_id}?paso=2").text
    assert "data-travel-problem" not in before and _shown(before, "data-travel-state") == "registrado"


# --- a migrated case ------------------------------------------------------------------------------------------

def test_a_migrated_case_shows_the_migration_and_both_versions(app: Flask, sqlite_ctx: ServiceContext) -> None:
    walk = walk_to_validation(sqlite_ctx)
    assert walk.case is not None
    case_id = walk.case.id
    assert deploy_main(sqlite_ctx, renamed_review) == 2
    [item] = migration.apply(sqlite_ctx, get_actor(sqlite_ctx, "dueno"), "mesa_de_ayuda", 1, 2)
    assert item.status == "migrated"
    walk.complete("solicitante", ACCEPT, VALIDATE)
    auditor = _signed_in(app, "auditor")
    path = f"/auditoria/casos/{case_id}"

    page = auditor.get(path).text
    assert 'data-event-kind="case.migrated"' in page
    assert "<strong>dueno</strong>: Migró el caso de la versión 1 a la versión 2" in page
    assert "Tareas conservadas</dt><dd class=\"prewrap\">Activity_ValidarSolucion" in page
    assert "<code>Event_RecordatorioValidacion</code>: vence 2026-12-04 09:00" in page
    assert "<code>Event_PlazoValidacionVencido</code>: vence 2026-12-09 09:00" in page  # 8 December is a holiday
    assert _shown(page, "data-case-version") == "2"
    assert "Migró el caso de la versión 1 a la versión 2" in auditor.get(f"/casos/{case_id}").text  # case page too

    before, after = auditor.get(f"{path}?paso=4").text, auditor.get(f"{path}?paso=5").text
    assert (_shown(before, "data-travel-version"), _shown(after, "data-travel-version")) == ("1", "2")
    assert _shown(before, "data-travel-ready") == _shown(after, "data-travel-ready") \
        == "Validar solución y calificar el servicio"
    assert _shown(auditor.get(f"{path}?paso=6").text, "data-travel-version") == "2"
    assert REVIEW_V2 not in _diagram(auditor, case_id, 4)["xml"]
    migrated = _diagram(auditor, case_id, 5)
    assert REVIEW_V2 in migrated["xml"] and VALIDATE in migrated["active"]  # with its two armed timers
    assert set(migrated["active"]) == set(_diagram(auditor, case_id, 4)["active"])
    assert 'data-verdict="ok"' in auditor.get(f"{path}/verificacion").text


# --- who may audit, and that auditing changes nothing ---------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", "/verificacion", "/pasos/1/diagrama.json"])
def test_who_may_open_the_audit_pages(app: Flask, sqlite_ctx: ServiceContext, suffix: str) -> None:
    case_id = Walker(sqlite_ctx).start().id
    path = f"/auditoria/casos/{case_id}{suffix}"
    assert location(app.test_client().get(path)) == f"/login?next={path}"
    for user in ("auditor", "dueno", "admin", "nivel1"):
        assert _signed_in(app, user).get(path).status_code == 200, user
    refused = _signed_in(app, "solicitante").get(path)  # sees the case, does not audit it
    assert refused.status_code == 403
    add_user(sqlite_ctx, "externo", "e@example.org", "agente", groups=["otra-mesa"], password="externo")
    assert _signed_in(app, "externo").get(path).status_code == 404  # may not see it: nothing is revealed
    assert _signed_in(app, "auditor").get(f"/auditoria/casos/999{suffix}").status_code == 404


def test_the_audit_pages_have_no_forms_that_post(app: Flask, sqlite_ctx: ServiceContext) -> None:
    case_id = _closed_case(sqlite_ctx)
    auditor = _signed_in(app, "auditor")
    for path in ("/auditoria/casos", f"/auditoria/casos/{case_id}", f"/auditoria/casos/{case_id}?paso=1",
                 f"/auditoria/casos/{case_id}/verificacion"):
        page = auditor.get(path).text
        assert "<form" not in _main(page), path
        assert re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', page) == ["/logout"], path
    assert auditor.post(f"/auditoria/casos/{case_id}").status_code in (400, 405)
