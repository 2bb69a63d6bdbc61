"""The task page: a user task's Camunda Form rendered by form-js and completed through the engine."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.services.cases.queries import TaskDetail, task_detail
from engine.services.cases.start import complete_task
from engine.services.errors import ConflictError, FormValidationError
from engine.services.people import policy
from engine.services.people.readable import readable_case
from engine.services.views import Actor, CaseView
from web.case_display import case_summary, pending_for, signed_in, task_rows, why_read_only
from web.case_page import RETURN_FIELD
from web.context import login_required, services
from web.form_screen import error_summary, submitted_data, viewer_payload

INBOX = "inbox.index"
CONFLICT = "Otra persona ya completó esta tarea o el caso cambió entretanto ({}). Esta es la situación actual."


@login_required
def task_form(task_id: str) -> ResponseReturnValue:
    """GET: the form (read-only, with the reason, when the actor may not complete it). POST: complete it."""
    actor = signed_in()
    if request.method == "GET":
        return _page(actor, task_detail(services(), actor, task_id))
    data = submitted_data()
    try:
        case = complete_task(services(), actor, task_id, data)
    except FormValidationError as error:
        return _page(actor, task_detail(services(), actor, task_id), data, error.errors), 422
    except ConflictError as error:
        flash(CONFLICT.format(error), "warning")
        return redirect(url_for("portal.case_page", case_id=task_detail(services(), actor, task_id).case.id))
    flash(_done_message(case), "success")
    return redirect(_next_page(actor, case))


def _page(actor: Actor, detail: TaskDetail, typed: dict[str, Any] | None = None,
          errors: dict[str, list[str]] | None = None) -> str:
    reason = "" if detail.may_complete else why_read_only(actor, detail.task) or "No puede completar esta tarea."
    payload = viewer_payload(detail.form, typed=typed, errors=errors, read_only=not detail.may_complete)
    row = task_rows(actor, [detail.task], services().clock.now())[0]
    case = readable_case(actor, detail.case)
    return render_template("cases/task.html", detail=detail, task=detail.task, case=case, row=row,
                           payload=payload, summary=error_summary(detail.form.schema, errors or {}), reason=reason,
                           facts=case_summary(case), return_field=RETURN_FIELD)


def _done_message(case: CaseView) -> str:
    if not case.is_open:
        return "Tarea completada. El caso quedó cerrado."
    return f"Tarea completada. Estado del caso: {case.state}."


def _next_page(actor: Actor, case: CaseView) -> str:
    """The case while it holds a task for the actor or for non-agents; otherwise the agent's inbox."""
    if policy.works_tasks(actor) and INBOX in current_app.view_functions and not pending_for(actor, case):
        return url_for(INBOX)
    return url_for("portal.case_page", case_id=case.id)
