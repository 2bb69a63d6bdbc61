"""The requester portal: report a case, "Mis casos", and the routes of the case, task and attachment pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from engine.services.cases.queries import StartScreen, list_cases, start_screen
from engine.services.cases.start import start_case
from engine.services.errors import FormValidationError, NotFoundError
from engine.services.people import policy
from engine.services.people.users import get_actor
from engine.services.views import Actor
from web import attachments, case_page, task_page
from web.case_display import pending_for, signed_in
from web.context import login_required, permission_required, services
from web.form_screen import error_summary, submitted_data, viewer_payload

bp = Blueprint("portal", __name__)
BEHALF_FIELD = "a_nombre_de"
BEHALF_LABEL = "A nombre de"
PAGE_SIZE = 25
OPEN_FILTERS: dict[str, bool | None] = {"abiertos": True, "cerrados": False, "todos": None}

_ROUTES: tuple[tuple[str, str, Callable[..., ResponseReturnValue], tuple[str, ...]], ...] = (
    ("/casos/<int:case_id>", "case_page", case_page.show, ("GET",)),
    ("/casos/<int:case_id>/diagrama.json", "diagram", case_page.diagram, ("GET",)),
    ("/casos/<int:case_id>/comentarios", "add_comment", case_page.comment, ("POST",)),
    ("/casos/<int:case_id>/tareas/<task_id>/tomar", "claim", case_page.claim, ("POST",)),
    ("/casos/<int:case_id>/tareas/<task_id>/liberar", "release", case_page.release, ("POST",)),
    ("/casos/<int:case_id>/adjuntos", "upload", attachments.upload, ("POST",)),
    ("/adjuntos/<attachment_id>", "download", attachments.download, ("GET",)),
    ("/tareas/<task_id>", "task_page", task_page.task_form, ("GET", "POST")),
)
for _rule, _endpoint, _view, _methods in _ROUTES:
    bp.add_url_rule(_rule, _endpoint, _view, methods=_methods)
bp.register_error_handler(RequestEntityTooLarge, attachments.too_large)
bp.record_once(attachments.limit_request_size)


@bp.route("/casos/nuevo", methods=("GET", "POST"))
@permission_required(policy.may_report)
def new_case() -> ResponseReturnValue:
    """The start form rendered by form-js; a valid submission starts a case and opens its page."""
    actor = signed_in()
    if request.method == "GET":
        return _new_case_page(start_screen(services()), actor)
    data = submitted_data()
    behalf = request.form.get(BEHALF_FIELD, "").strip().lower()
    try:
        requester = _requester(actor, behalf)
        case = start_case(services(), actor, data, requester=requester)
    except FormValidationError as error:
        return _new_case_page(start_screen(services()), actor, data, error.errors, behalf), 422
    flash("Caso registrado" + (f" a nombre de {case.requester}." if requester else "."), "success")
    return redirect(url_for("portal.case_page", case_id=case.id))


@bp.route("/casos")
@login_required
def my_cases() -> ResponseReturnValue:
    """The actor's cases (requesters) or the cases they may see (staff), filtered and paged."""
    actor = signed_in()
    view = CaseFilter.from_args(request.args, actor)
    found = list_cases(services(), actor, mine=view.mine, state=view.state or None, is_open=OPEN_FILTERS[view.open],
                       limit=PAGE_SIZE + 1, offset=(view.page - 1) * PAGE_SIZE)
    rows = [(case, pending_for(actor, case)) for case in found[:PAGE_SIZE]]
    return render_template("portal/my_cases.html", rows=rows, view=view, has_next=len(found) > PAGE_SIZE,
                           staff=policy.sees_internal(actor), states=sorted({case.state for case in found}))


@dataclass(frozen=True)
class CaseFilter:
    """The list's filters as the query string carries them."""

    open: str = "abiertos"
    state: str = ""
    mine: bool = True
    page: int = 1

    @classmethod
    def from_args(cls, args: MultiDict[str, str], actor: Actor) -> CaseFilter:
        """Read ?abiertos=...&estado=...&mios=1&pagina=N, ignoring values that make no sense."""
        open_filter = args.get("ver", "abiertos")
        page = args.get("pagina", "1")
        return cls(open=open_filter if open_filter in OPEN_FILTERS else "abiertos",
                   state=args.get("estado", "").strip()[:100],
                   mine=policy.sees_only_own_cases(actor) or args.get("mios") == "1",
                   page=max(1, min(int(page), 10_000)) if page.isdigit() else 1)

    def query(self, **changes: Any) -> dict[str, Any]:
        """The query string of this view with some values changed (for links)."""
        values = {"ver": self.open, "estado": self.state, "mios": "1" if self.mine else "", "pagina": self.page}
        values.update(changes)
        return {key: value for key, value in values.items() if value not in ("", None, 1)}


def _new_case_page(screen: StartScreen, actor: Actor, typed: dict[str, Any] | None = None,
                   errors: dict[str, list[str]] | None = None, behalf: str = "") -> str:
    errors = errors or {}
    form_errors = {key: value for key, value in errors.items() if key != BEHALF_FIELD}
    summary = error_summary(screen.form.schema, form_errors)
    if BEHALF_FIELD in errors:
        summary.append((BEHALF_LABEL, " ".join(errors[BEHALF_FIELD])))
    payload = viewer_payload(screen.form, typed=typed, errors=form_errors)
    return render_template("portal/new_case.html", screen=screen, payload=payload, summary=summary,
                           may_report_for_others=policy.may_report_for_others(actor), behalf=behalf,
                           behalf_errors=errors.get(BEHALF_FIELD, []))


def _requester(actor: Actor, behalf: str) -> str | None:
    """The user an agent reports for (None: the actor); someone who does not exist is a field error."""
    if not behalf or behalf == actor.username:
        return None
    if not policy.may_report_for_others(actor):
        return behalf  # the engine refuses it (403); looking the name up would tell who has an account
    try:
        return get_actor(services(), behalf).username
    except NotFoundError as error:
        raise FormValidationError({BEHALF_FIELD: ["No hay un usuario activo con ese nombre."]}) from error
