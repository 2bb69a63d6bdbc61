"""The auditor's case pages: the full history, the verification (chain + replay) and time travel step by step.

Read-only: every route is a GET, and every page is a link away from the others (no forms).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from engine.replay.service import CaseSnapshot, case_at
from engine.services.audit.history import CaseHistory, HistoryStep, case_history, case_verification, diagram_at
from engine.services.cases.queries import list_cases
from engine.services.errors import ProcessError
from engine.services.people import policy
from engine.services.views import Actor
from web.case_display import signed_in
from web.context import login_required, permission_required, services
from web.errors import error_response
from web.timeline import display_value, event_title, timeline

bp = Blueprint("audit_case", __name__, url_prefix="/auditoria/casos")
STEP_ARG = "paso"
PAGE_SIZE = 25
OPEN_FILTERS: dict[str, bool | None] = {"todos": None, "abiertos": True, "cerrados": False}
KIND_LABELS = {"case.started": "Registro del caso", "task.completed": "Tarea completada",
               "timer.fired": "Plazo cumplido", "case.migrated": "Migración de versión"}
BAD_STEP = "El paso debe ser un número entero (0 es el caso recién creado)."


@dataclass(frozen=True)
class StepLink:
    """One entry of the step navigation: its k, when, and what happened."""

    k: int
    when: datetime
    title: str
    seq: int | None


@dataclass(frozen=True)
class DataRow:
    """A variable as it was after step k; `before` is set when step k changed it."""

    key: str
    value: str
    changed: bool
    before: str | None = None


@bp.app_template_global()
def may_audit(actor: Actor | None) -> bool:
    """Whether to offer the audit pages to this actor (the engine checks each case again: agents see only theirs)."""
    return actor is not None and policy.may_audit(actor)


@bp.get("")
@permission_required(policy.may_audit)
def index() -> ResponseReturnValue:
    """The cases the actor may audit, newest first, each one click from its audit page."""
    shown = request.args.get("ver", "todos")
    shown = shown if shown in OPEN_FILTERS else "todos"
    page = request.args.get("pagina", "1")
    number = max(1, min(int(page), 10_000)) if page.isdigit() else 1
    found = list_cases(services(), signed_in(), is_open=OPEN_FILTERS[shown], limit=PAGE_SIZE + 1,
                       offset=(number - 1) * PAGE_SIZE)
    return render_template("audit_case/index.html", cases=found[:PAGE_SIZE], shown=shown, page=number,
                           has_next=len(found) > PAGE_SIZE, filters=OPEN_FILTERS)


@bp.get("/<int:case_id>")
@login_required
def show(case_id: int) -> ResponseReturnValue:
    """The audit page: the case at step ?paso=k (default: now) on its diagram, and its whole history."""
    actor, ctx = signed_in(), services()
    history = case_history(ctx, actor, case_id)
    k = _step(request.args.get(STEP_ARG), history.last_step)
    snapshot: CaseSnapshot | None = None
    problem = None
    try:
        snapshot = case_at(ctx, actor, case_id, k)
    except ProcessError as error:  # a tampered story: the page says so instead of failing
        problem = str(error)
    step = history.steps[k]
    return render_template(
        "audit_case/case.html", history=history, k=k, step=step, snapshot=snapshot, problem=problem,
        links=_links(history), rows=_data_rows(snapshot, step) if snapshot else [],
        entries=timeline(history.events, detailed=True, emails=history.emails), hashes=history.hashes,
        step_of={s.event.seq: s.k for s in history.steps if s.event}, audit=True, staff=True,
    )


@bp.get("/<int:case_id>/verificacion")
@login_required
def verification(case_id: int) -> ResponseReturnValue:
    """Verify the case's hash chain and replay it: OK or the problems, and every replayed step."""
    checked = case_verification(services(), signed_in(), case_id)
    return render_template("audit_case/verification.html", case=checked.case, report=checked.report,
                           kinds=KIND_LABELS)


@bp.get("/<int:case_id>/pasos/<int:k>/diagrama.json")
@login_required
def diagram(case_id: int, k: int) -> ResponseReturnValue:
    """The BPMN of the version the case was on after step k, with that moment's path, for diagram.js."""
    try:
        shown = diagram_at(services(), signed_in(), case_id, k)
    except ProcessError as error:  # a story that does not replay up to k: there is no diagram to show
        return jsonify(error=str(error)), 422
    return jsonify(xml=shown.bpmn_xml, completed=shown.completed, active=shown.active)


def _step(raw: str | None, last: int) -> int:
    """?paso=k as an int between 0 and the last step (the default); 400 for text, 404 out of range."""
    if raw is None or raw == "":
        return last
    try:
        k = int(raw)
    except ValueError:
        abort(error_response(400, BAD_STEP))
    if not 0 <= k <= last:
        abort(error_response(404, f"El caso no tiene el paso {k}: tiene del 0 al {last}."))
    return k


def _links(history: CaseHistory) -> list[StepLink]:
    return [StepLink(step.k, step.occurred_at, _step_title(step), step.event.seq if step.event else None)
            for step in history.steps]


def _step_title(step: HistoryStep) -> str:
    return event_title(step.event) if step.event else "Caso creado, antes del primer paso"


def _data_rows(snapshot: CaseSnapshot, step: HistoryStep) -> list[DataRow]:
    """The data at step k, sorted by name; the variables step k changed are marked with their value before."""
    changes: dict[str, Any] = step.changes
    rows = []
    for key, value in sorted(snapshot.data.items()):
        change = changes.get(key)
        before = display_value(change.get("before")) if isinstance(change, dict) else None
        rows.append(DataRow(key, display_value(value), key in changes, before))
    return rows
