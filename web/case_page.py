"""The case page: data, tasks, history, comments, attachments and diagram; comments and claims post here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.helpdesk.service_levels import describe_seconds, describe_target
from engine.services.cases.clocks import case_clocks
from engine.services.cases.files import ALLOWED, MAX_BYTES, list_attachments
from engine.services.cases.notes import Visibility, add_comment, list_comments
from engine.services.cases.queries import case_diagram
from engine.services.cases.start import get_case
from engine.services.cases.tasks import claim_task, release_task
from engine.services.context import ServiceContext
from engine.services.errors import ConflictError, FormValidationError
from engine.services.people import policy
from engine.services.people.readable import readable_case
from engine.services.views import Actor, TaskView
from web.case_display import case_summary, pending_for, signed_in, task_rows
from web.context import login_required, services
from web.timeline import display_value, timeline

COMMENT_FIELD = "cuerpo"
VISIBILITY_FIELD = "visibilidad"
FILE_FIELD = "archivo"
RETURN_FIELD = "volver"
@dataclass(frozen=True)
class Drafts:
    """What was typed in the page's forms when it comes back with errors."""

    comment: str = ""
    visibility: str = ""
    comment_errors: tuple[str, ...] = ()
    upload_errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class UploadLimits:
    """The attachment rules shown next to the upload form."""

    max_mb: int
    extensions: tuple[str, ...]


LIMITS = UploadLimits(MAX_BYTES // (1024 * 1024), tuple(sorted(ALLOWED)))


@login_required
def show(case_id: int) -> ResponseReturnValue:
    """Everything needed to act on a case; the actor's own pending task comes first."""
    return render_case(case_id)


def render_case(case_id: int, drafts: Drafts | None = None, status: int = 200) -> ResponseReturnValue:
    """The case page (also re-rendered with the errors of a comment or upload that failed)."""
    actor, ctx = signed_in(), services()
    case = readable_case(actor, get_case(ctx, actor, case_id, with_labels=True))
    staff = policy.sees_internal(actor)
    return render_template(
        "cases/case.html", case=case, pending=pending_for(actor, case), staff=staff,
        tasks=task_rows(actor, case.ready_tasks, ctx.clock.now()), entries=timeline(case.history, detailed=staff),
        comments=list_comments(ctx, actor, case_id), attachments=list_attachments(ctx, actor, case_id),
        drafts=drafts or Drafts(), limits=LIMITS, summary=case_summary(case), may_write=policy.may_write(actor),
        # A provider works tasks but writes no internal note: the form offers them the public reply only.
        is_agent=policy.works_tasks(actor) and staff, display_value=display_value,
        clocks=case_clocks(ctx, actor, case_id), describe_target=describe_target, describe_seconds=describe_seconds,
    ), status


@login_required
def diagram(case_id: int) -> ResponseReturnValue:
    """The case's BPMN with the elements passed and the ones waiting, for diagram.js."""
    shown = case_diagram(services(), signed_in(), case_id)
    return jsonify(xml=shown.bpmn_xml, completed=shown.completed, active=shown.active)


@login_required
def comment(case_id: int) -> ResponseReturnValue:
    """Add a comment: agents write an internal note or a reply to the requester; requesters reply."""
    body = request.form.get(COMMENT_FIELD, "")
    visibility: Visibility = "internal" if request.form.get(VISIBILITY_FIELD) == "internal" else "public"
    try:
        add_comment(services(), signed_in(), case_id, body, visibility)
    except FormValidationError as error:
        problems = tuple(message for messages in error.errors.values() for message in messages)
        return render_case(case_id, Drafts(comment=body, visibility=visibility, comment_errors=problems), 422)
    flash("Nota interna guardada." if visibility == "internal" else "Respuesta publicada.", "success")
    return redirect(url_for("portal.case_page", case_id=case_id, _anchor="comentarios"))


@login_required
def claim(case_id: int, task_id: str) -> ResponseReturnValue:
    """Take a task of the case (an agent who is one of its candidates)."""
    return _reassign(case_id, task_id, claim_task, "Tomó la tarea «{}».")


@login_required
def release(case_id: int, task_id: str) -> ResponseReturnValue:
    """Give a task back to its candidates."""
    return _reassign(case_id, task_id, release_task, "Liberó la tarea «{}»: vuelve a sus grupos.")


def _reassign(case_id: int, task_id: str, verb: Callable[[ServiceContext, Actor, str], TaskView],
              message: str) -> ResponseReturnValue:
    try:
        task = verb(services(), signed_in(), task_id)
    except ConflictError as error:
        flash(f"No se pudo: {error}. La página muestra el estado actual.", "warning")
        return redirect(url_for("portal.case_page", case_id=case_id))
    flash(message.format(task.name), "success")
    if request.form.get(RETURN_FIELD) == "tarea":
        return redirect(url_for("portal.task_page", task_id=task.id))
    return redirect(url_for("portal.case_page", case_id=task.case_id))

