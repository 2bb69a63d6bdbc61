"""Help desks on the web: the list and its protocol status, the dependency tree with its heads, a desk with its
coordinators, groups and members. Protocol drafts and versions live in web/helpdesk_protocol.py, on this blueprint.

Every verb goes through engine.services.helpdesks, which decides who may manage which desk (a desk the actor does
not coordinate is missing: 404). A form the service refuses comes back to its page with the reason in a flash.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from engine.services.errors import ConflictError, FormValidationError, NotFoundError
from engine.services.helpdesks import dependencies, desks, groups, heads, queries
from engine.services.helpdesks.events import list_events
from engine.services.people import policy
from web import helpdesk_protocol
from web.context import permission_required, services
from web.helpdesk_access import actor, ensure_administers, managed, may_manage

bp = Blueprint("helpdesks", __name__, url_prefix="/mesas")
# Every route opens for those who may administer help desks; each change then asks the policy about its desk
# (web/helpdesk_access.py) before any form is read, so auditors meet 403 and other desks 404.
guard = permission_required(policy.may_administer_help_desks)
helpdesk_protocol.register(bp, guard)


def attempt(action: Callable[[], object], done: str, code: str | None = None, *,
            dependency: str | None = None) -> None:
    """Run a service; flash `done`, or the reason a form was refused (the page is shown again with it)."""
    try:
        action()
    except (FormValidationError, ConflictError) as error:
        flash(f"No se guardó: {error}.", "error")
    except NotFoundError as error:
        # The page's own desk (or one the actor may not manage) or unit stays a 404; a missing user or group is a
        # typo in the form.
        page = f"la mesa '{code}' no existe" if code else f"la dependencia '{dependency}' no existe"
        if (code is None and dependency is None) or str(error) == page:
            raise
        flash(f"No se guardó: {error}.", "error")
    else:
        flash(done, "success")


@bp.get("/")
@guard
def index() -> ResponseReturnValue:
    """The help desks the actor may read, with their protocol status; administrators create one here."""
    ctx, who = services(), actor()
    states = {s.help_desk_code: s for s in queries.protocol_status(ctx, who)}
    return render_template("helpdesks/index.html", desks=desks.list_help_desks(ctx, who), states=states,
                           dependencies=dependencies.list_dependencies(ctx), is_admin=policy.manages_all_desks(who))


@bp.post("/")
@guard
def create() -> ResponseReturnValue:
    """Create a help desk with its level-1 and default level-2 groups (administrators)."""
    ensure_administers()
    form = request.form
    spec = desks.NewHelpDesk(form.get("codigo", "").strip(), form.get("nombre", ""),
                             form.get("prefijo", "").strip(), form.get("dependencia", ""),
                             form.get("grupo_nivel1", "").strip(), form.get("grupo_nivel2", "").strip())
    try:
        desks.create_help_desk(services(), actor(), spec)
    except (FormValidationError, ConflictError) as error:
        flash(f"No se creó la mesa: {error}.", "error")
        return redirect(url_for("helpdesks.index"))
    flash(f"Mesa «{spec.code}» creada con sus grupos de nivel 1 y 2.", "success")
    return redirect(url_for("helpdesks.desk", code=spec.code))


@bp.get("/estado")
@guard
def status() -> ResponseReturnValue:
    """Each readable help desk's protocol: vigente, por vencer, vencido or sin protocolo."""
    return render_template("helpdesks/status.html", states=queries.protocol_status(services(), actor()))


@bp.get("/dependencias")
@guard
def dependency_tree() -> ResponseReturnValue:
    """The DNP units that own help desks, in tree order, with their heads."""
    ctx, who = services(), actor()
    return render_template("helpdesks/dependencies.html", tree=dependencies.list_dependencies(ctx),
                           heads=heads.heads_by_dependency(ctx, who), kinds=dependencies.KINDS,
                           is_admin=policy.manages_all_desks(who))


@bp.post("/dependencias")
@guard
def add_dependency() -> ResponseReturnValue:
    """Add a unit under its parent (administrators)."""
    ensure_administers()
    form = request.form
    attempt(lambda: dependencies.add_dependency(services(), actor(), form.get("codigo", "").strip(),
                                                form.get("nombre", ""), form.get("tipo", ""),
                                                form.get("padre") or None), "Dependencia agregada.")
    return redirect(url_for("helpdesks.dependency_tree"))


@bp.post("/dependencias/<dependency>")
@guard
def update_dependency(dependency: str) -> ResponseReturnValue:
    """Rename a unit or move it under another parent (administrators)."""
    ensure_administers()
    form = request.form
    attempt(lambda: dependencies.update_dependency(services(), actor(), dependency, form.get("nombre", ""),
                                                   form.get("padre") or None), "Dependencia modificada.")
    return redirect(url_for("helpdesks.dependency_tree"))


@bp.post("/dependencias/<dependency>/eliminar")
@guard
def remove_dependency(dependency: str) -> ResponseReturnValue:
    """Remove a unit without units or help desks under it (administrators)."""
    ensure_administers()
    attempt(lambda: dependencies.remove_dependency(services(), actor(), dependency), "Dependencia eliminada.")
    return redirect(url_for("helpdesks.dependency_tree"))


@bp.post("/dependencias/<dependency>/jefes")
@guard
def add_head(dependency: str) -> ResponseReturnValue:
    """Make a coordinator the head of a unit: they read the cases of every desk under it (administrators)."""
    ensure_administers()
    user = request.form.get("usuario", "").strip()
    attempt(lambda: heads.add_head(services(), actor(), dependency, user), f"{user} es jefe de la dependencia.",
            dependency=dependency)
    return redirect(url_for("helpdesks.dependency_tree"))


@bp.post("/dependencias/<dependency>/jefes/<username>/retirar")
@guard
def remove_head(dependency: str, username: str) -> ResponseReturnValue:
    """Stop a user heading a unit (administrators)."""
    ensure_administers()
    attempt(lambda: heads.remove_head(services(), actor(), dependency, username),
            f"{username} ya no es jefe de la dependencia.", dependency=dependency)
    return redirect(url_for("helpdesks.dependency_tree"))


@bp.get("/<code>")
@guard
def desk(code: str) -> ResponseReturnValue:
    """A help desk: its data, coordinators, groups by level, current protocol, versions and history."""
    ctx, who = services(), actor()
    view = desks.get_help_desk(ctx, who, code)
    state = next(s for s in queries.protocol_status(ctx, who) if s.help_desk_code == code)
    try:
        current = queries.get_version(ctx, who, code)
    except NotFoundError:
        current = None
    manages = may_manage(who, view)
    return render_template("helpdesks/desk.html", desk=view, state=state, current=current,
                           groups=groups.list_groups(ctx, who, code), versions=queries.list_versions(ctx, who, code),
                           events=list_events(ctx, who, code), dependencies=dependencies.list_dependencies(ctx),
                           manages=manages, is_admin=policy.manages_all_desks(who), layout=helpdesk_protocol.LAYOUT)


@bp.post("/<code>")
@guard
def update(code: str) -> ResponseReturnValue:
    """Rename the desk or give it to another dependency; administrators also open or close it to new cases."""
    current = managed(code)
    form, ctx, who = request.form, services(), actor()
    attempt(lambda: desks.update_help_desk(ctx, who, code, name=form.get("nombre", ""),
                                           dependency_code=form.get("dependencia", "")), "Mesa modificada.", code)
    active = form.get("activa") == "si"
    if policy.manages_all_desks(who) and active != current.active:
        desks.set_help_desk_active(ctx, who, code, active)
        flash("La mesa recibe casos nuevos." if active else "La mesa ya no recibe casos nuevos.", "info")
    return _back(code)


@bp.post("/<code>/coordinadores")
@guard
def add_coordinator(code: str) -> ResponseReturnValue:
    """Make a user a coordinator of the desk."""
    managed(code)
    user = request.form.get("usuario", "").strip()
    attempt(lambda: desks.add_coordinator(services(), actor(), code, user), f"{user} coordina la mesa.", code)
    return _back(code)


@bp.post("/<code>/coordinadores/<username>/retirar")
@guard
def remove_coordinator(code: str, username: str) -> ResponseReturnValue:
    """Stop a user coordinating the desk."""
    managed(code)
    attempt(lambda: desks.remove_coordinator(services(), actor(), code, username),
            f"{username} ya no coordina la mesa.", code)
    return _back(code)


@bp.post("/<code>/grupos")
@guard
def add_group(code: str) -> ResponseReturnValue:
    """Add a level group (level 3 may be a provider or outside entity)."""
    managed(code)
    form = request.form
    level = int(form["nivel"]) if form.get("nivel", "").isdigit() else 0
    name = form.get("grupo", "").strip()
    attempt(lambda: groups.add_group(services(), actor(), code, name, level, external=form.get("externo") == "si",
                                     description=form.get("descripcion", "").strip()),
            f"Grupo «{name}» agregado.", code)
    return _back(code)


@bp.post("/<code>/grupos/<group>/miembros")
@guard
def add_member(code: str, group: str) -> ResponseReturnValue:
    """Put a user in one of the desk's groups."""
    managed(code)
    user = request.form.get("usuario", "").strip()
    attempt(lambda: groups.add_member(services(), actor(), code, group, user), f"{user} agregado a {group}.", code)
    return _back(code)


@bp.post("/<code>/grupos/<group>/miembros/<username>/retirar")
@guard
def remove_member(code: str, group: str, username: str) -> ResponseReturnValue:
    """Take a user out of one of the desk's groups."""
    managed(code)
    attempt(lambda: groups.remove_member(services(), actor(), code, group, username),
            f"{username} retirado de {group}.", code)
    return _back(code)


def _back(code: str) -> Response:
    return redirect(url_for("helpdesks.desk", code=code))
