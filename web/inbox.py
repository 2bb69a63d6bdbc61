"""The agents' inbox: open tasks by tab (mine, my groups, all I may see), filtered, sorted and paged;
claim, release and reassign."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import Forbidden

from engine.helpdesk.service_levels import LABELS as CLOCK_LABELS
from engine.helpdesk.service_levels import standing
from engine.services.cases.tasks import (
    Scope,
    TaskFilter,
    assign_task,
    claim_task,
    count_tasks,
    list_tasks,
    release_task,
)
from engine.services.errors import ConflictError, ForbiddenError, NotFoundError
from engine.services.inbox.queries import Person, candidate_people, filter_choices, find_open_task
from engine.services.people import policy
from engine.services.views import Actor, Role, TaskView
from web.context import current_actor, permission_required, services

bp = Blueprint("inbox", __name__, url_prefix="/bandeja")
PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_TEXT = 200
MAX_USERNAME = 80
DUE_SOON = timedelta(hours=24)
TABS: dict[str, tuple[Scope, str]] = {
    "mias": ("mine", "Asignadas a mí"), "grupos": ("groups", "De mis grupos"),
    "todas": ("all", "Todas las que puedo ver"),
}
SORTS: dict[str, tuple[str, str]] = {
    "ans": ("ans", "ANS (el que vence primero)"), "vencimiento": ("due", "Vencimiento del paso"),
    "prioridad": ("priority", "Prioridad"),
    "creacion": ("created", "Creación"),
}
PRIORITIES = ((90, "crítica", "critica"), (70, "alta", "alta"), (50, "media", "media"), (30, "baja", "baja"))
FILTER_KEYS = ("mesa", "aplicacion", "estado", "texto")
LIST_KEYS = ("vista", "orden", *FILTER_KEYS, "limite", "desde")
VERBS = {"tomar": "tomar", "liberar": "liberar", "asignar": "reasignar"}
CONFLICTS = {"tomar": "Otra persona tomó la tarea", "liberar": "La tarea cambió antes de liberarla",
             "asignar": "La tarea cambió antes de reasignarla"}


@dataclass(frozen=True)
class Listing:
    """What the list shows, as read from the query string (tab, filters, sort, page)."""

    vista: str
    orden: str = "ans"
    mesa: str = ""
    aplicacion: str = ""
    estado: str = ""
    texto: str = ""
    limite: int = PAGE_SIZE
    desde: int = 0

    @property
    def scope(self) -> Scope:
        """The engine scope of the tab."""
        return TABS[self.vista][0]

    @property
    def filtered(self) -> bool:
        """True when any filter narrows the list."""
        return any(getattr(self, key) for key in FILTER_KEYS)

    def task_filter(self, *, paged: bool = True) -> TaskFilter:
        """The engine filter (without the page when counting)."""
        return TaskFilter(help_desk=self.mesa or None, application=self.aplicacion or None,
                          state=self.estado or None, text=self.texto or None, sort=SORTS[self.orden][0],
                          limit=self.limite if paged else PAGE_SIZE, offset=self.desde if paged else 0)

    def params(self, **changes: str | int) -> dict[str, Any]:
        """Query parameters of this list with some changed; defaults are left out of the URL."""
        values = {key: changes.get(key, getattr(self, key)) for key in LIST_KEYS}
        defaults = {"orden": "ans", "limite": PAGE_SIZE, "desde": 0}
        return {key: value for key, value in values.items() if value not in ("", defaults.get(key))}


@dataclass(frozen=True)
class Badge:
    """A labelled marker: what it says and its CSS modifier."""

    label: str
    kind: str


@dataclass(frozen=True)
class Row:
    """One task ready for the template: markers, links and the actions the actor is offered."""

    task: TaskView
    priority: Badge
    due: Badge | None
    ans: Badge | None
    task_url: str
    case_url: str
    can_claim: bool
    can_release: bool
    can_assign: bool
    people: tuple[Person, ...] = ()


def priority_badge(priority: int) -> Badge:
    """crítica ≥ 90, alta ≥ 70, media ≥ 50, baja ≥ 30, else planificada."""
    return next((Badge(label, kind) for floor, label, kind in PRIORITIES if priority >= floor),
                Badge("planificada", "planificada"))


def due_badge(due_at: datetime | None, now: datetime) -> Badge | None:
    """'Vencida' once past due, 'Vence pronto' within 24 hours, else nothing."""
    if due_at is None:
        return None
    if due_at < now:
        return Badge("Vencida", "vencida")
    return Badge("Vence pronto", "pronto") if due_at - now <= DUE_SOON else None


def ans_badge(task: TaskView, now: datetime) -> Badge | None:
    """The standing of the case's most urgent ANS clock: en plazo, en riesgo (≥ 75 %), vencido or en pausa."""
    if task.ans_state is None:
        return None
    found = standing(task.ans_state, now, task.ans_warn_at, task.ans_due_at, None)
    return Badge(found, found.replace(" ", "-"))


@bp.get("")
@permission_required(policy.uses_inbox)
def index() -> ResponseReturnValue:
    """The open tasks of one tab, with the counts of every tab."""
    actor, ctx = _actor(), services()
    listing = read_listing(request.args, actor)
    tabs = [(key, label, count_tasks(ctx, actor, TABS[key][0], listing.task_filter(paged=False)))
            for key, label in _tabs_of(actor)]
    total = next(count for key, _, count in tabs if key == listing.vista)
    rows = _rows(actor, list_tasks(ctx, actor, listing.scope, listing.task_filter()))
    choices = filter_choices(ctx, actor)
    return render_template("inbox/index.html", listing=listing, tabs=tabs, total=total, rows=rows, choices=choices,
                           desk_names=choices.help_desk_names(), sorts=SORTS, page_size=PAGE_SIZE,
                           may_act=policy.works_tasks(actor), volver=urlencode(listing.params()),
                           ans_clock_names=CLOCK_LABELS)


@bp.post("/tareas/<task_id>/tomar")
@permission_required(policy.uses_inbox)
def claim(task_id: str) -> ResponseReturnValue:
    """Take an unassigned task of the actor's groups."""
    _ensure_works_tasks(task_id)
    return _act("tomar", lambda: claim_task(services(), _actor(), task_id), lambda what: f"Tomó la tarea {what}.")


@bp.post("/tareas/<task_id>/liberar")
@permission_required(policy.uses_inbox)
def release(task_id: str) -> ResponseReturnValue:
    """Give the task back to its candidate groups."""
    _ensure_works_tasks(task_id)
    return _act("liberar", lambda: release_task(services(), _actor(), task_id),
                lambda what: f"Liberó la tarea {what}: vuelve a sus grupos candidatos.")


@bp.post("/tareas/<task_id>/asignar")
@permission_required(policy.uses_inbox)
def assign(task_id: str) -> ResponseReturnValue:
    """Reassign the task to the person in the `usuario` field."""
    _ensure_works_tasks(task_id)
    actor, username = _actor(), request.form.get("usuario", "").strip()
    try:
        task: TaskView | None = find_open_task(services(), actor, task_id)
    except NotFoundError:
        task = None  # unknown, hidden or already closed: the engine tells which (404 or a conflict)
    problem = _assignee_problem(actor, task, username) if task else None
    if problem:
        flash(problem, "error")
        return _back()
    try:
        return _act("asignar", lambda: assign_task(services(), actor, task_id, username),
                    lambda what: f"Asignó la tarea {what} a {username}.")
    except NotFoundError:
        if task is None:
            raise
        flash(f"El usuario «{username}» no existe o está inactivo.", "error")
        return _back()


def read_listing(args: Mapping[str, str], actor: Actor) -> Listing:
    """The list asked for; unknown values fall back to defaults (a bookmark never breaks the page)."""
    tabs = dict(_tabs_of(actor))
    default = "mias" if actor.role is Role.AGENT else "todas"  # agents start with their own work
    vista = args.get("vista", default)
    orden = args.get("orden", "ans")
    return Listing(
        vista=vista if vista in tabs else default, orden=orden if orden in SORTS else "ans",
        mesa=_text(args, "mesa"), aplicacion=_text(args, "aplicacion"), estado=_text(args, "estado"),
        texto=_text(args, "texto"), limite=_number(args, "limite", PAGE_SIZE, 1, MAX_PAGE_SIZE),
        desde=_number(args, "desde", 0, 0, 10**9),
    )


def _tabs_of(actor: Actor) -> list[tuple[str, str]]:
    """Everybody who may act gets the three tabs; read-only roles have no tasks or groups of their own."""
    keys = TABS if policy.works_tasks(actor) else ("todas",)
    return [(key, TABS[key][1]) for key in keys]


def _text(args: Mapping[str, str], key: str) -> str:
    return args.get(key, "").strip()[:MAX_TEXT]


def _number(args: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    raw = args.get(key, "")
    return min(max(int(raw), low), high) if raw.isdigit() else default


def _rows(actor: Actor, tasks: list[TaskView]) -> list[Row]:
    now = services().clock.now()
    rows = [_row(actor, task, now) for task in tasks]
    people = candidate_people(services(), [row.task for row in rows if row.can_assign])
    return [replace(row, people=tuple(p for p in people.get(row.task.id, ()) if _offered(actor, row.task, p)))
            for row in rows]


def _offered(actor: Actor, task: TaskView, person: Person) -> bool:
    """A candidate the task may go to (not its assignee already)."""
    refusal = policy.assignee_refusal(actor, task, person.username, candidate=True)
    return person.username != task.assignee and refusal is None


def _row(actor: Actor, task: TaskView, now: datetime) -> Row:
    return Row(
        task=task, priority=priority_badge(task.priority), due=due_badge(task.due_at, now), ans=ans_badge(task, now),
        task_url=_link("portal.task_page", f"/tareas/{quote(task.id, safe='')}", task_id=task.id),
        case_url=_link("portal.case_page", f"/casos/{task.case_id}", case_id=task.case_id),
        can_claim=policy.may_claim(actor, task), can_release=policy.may_release(actor, task),
        can_assign=policy.may_assign(actor, task),
    )


def _link(endpoint: str, path: str, **values: Any) -> str:
    """The portal's page when its blueprint is registered, else the path it will have."""
    if endpoint in current_app.view_functions:
        return url_for(endpoint, **values)
    return request.script_root + path


def _assignee_problem(actor: Actor, task: TaskView, username: str) -> str | None:
    if not username:
        return "Elija la persona a quien asignar la tarea."
    if len(username) > MAX_USERNAME:  # flashes travel in the session cookie: never echo a huge value
        return "Ese nombre de usuario es demasiado largo."
    if username == task.assignee:
        return f"La tarea ya está asignada a {username}."
    candidates = {person.username for person in candidate_people(services(), [task])[task.id]}
    refusal = policy.assignee_refusal(actor, task, username, candidate=username in candidates)
    return f"{str(refusal)[:1].upper()}{str(refusal)[1:]}." if refusal else None


def _act(verb: str, call: Callable[[], TaskView], success: Callable[[str], str]) -> ResponseReturnValue:
    """Run one engine verb; conflicts and refusals become flash messages, then back to the same list."""
    try:
        task = call()
    except ConflictError as error:
        flash(f"{CONFLICTS[verb]}: {error}.", "warning")
    except ForbiddenError as error:
        flash(f"No se pudo {VERBS[verb]} la tarea: {error}.", "error")
    else:
        flash(success(f"«{task.name}» del caso {task.ticket or f'#{task.case_id}'}"), "success")
    return _back()


def _back() -> ResponseReturnValue:
    """Redirect to the list the form was sent from (only its known parameters: never elsewhere)."""
    kept: dict[str, Any] = {key: value for key, value in parse_qsl(request.form.get("volver", "")) if key in LIST_KEYS}
    return redirect(url_for("inbox.index", **kept))


def _ensure_works_tasks(task_id: str) -> None:
    """Readers of the inbox who work no task (auditors, coordinators) are refused (403), but a task they may not
    see stays missing (404) first: another help desk's task ids leak nothing."""
    actor = _actor()
    if not policy.works_tasks(actor):
        find_open_task(services(), actor, task_id)
        raise Forbidden()


def _actor() -> Actor:
    actor = current_actor()
    assert actor is not None  # permission_required
    return actor
