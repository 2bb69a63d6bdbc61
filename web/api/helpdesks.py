"""Help desks over the API: desks, their groups, members and coordinators, the protocol status, dependencies and
their heads.

The help-desk services decide who manages which desk; the permission policy is asked first (web.helpdesk_access)
so an auditor's write is a 403 and another coordinator's desk a 404 before any body is read.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import Forbidden

from engine.services.helpdesks import dependencies, desks, groups, heads, queries
from engine.services.helpdesks.views import DependencyView, GroupView, HelpDeskView, ProtocolStatus
from engine.services.people import policy
from web.api import params
from web.api.bearer import actor, services
from web.api.params import Member
from web.api.responses import created
from web.api.serialize import JsonObject
from web.helpdesk_access import ensure_administers, managed

bp = Blueprint("helpdesks", __name__)
TEXT = "un texto"
NEW_DESK = {"code": Member(str, True, TEXT), "name": Member(str, True, TEXT),
            "ticket_prefix": Member(str, True, TEXT), "dependency": Member(str, True, TEXT),
            "level1_group": Member(str, False, TEXT), "level2_default_group": Member(str, False, TEXT)}
DESK_CHANGE = {"name": Member(str, False, TEXT), "dependency": Member(str, False, TEXT),
               "active": Member(bool, False, "true o false")}
NEW_GROUP = {"name": Member(str, True, TEXT), "level": Member(int, True, "1, 2 o 3"),
             "external": Member(bool, False, "true o false"), "description": Member(str, False, TEXT)}
USER = {"user": params.USER}
NEW_DEPENDENCY = {"code": Member(str, True, TEXT), "name": Member(str, True, TEXT), "kind": Member(str, True, TEXT),
                  "parent": Member(str, False, TEXT)}


@bp.before_request
def _administers_help_desks() -> None:
    if not policy.may_administer_help_desks(actor()):
        raise Forbidden()


@bp.get("/help-desks")
def list_desks() -> ResponseReturnValue:
    """The help desks the caller may read."""
    params.query(())
    return jsonify([desk_json(d) for d in desks.list_help_desks(services(), actor())])


@bp.post("/help-desks")
def create_desk() -> ResponseReturnValue:
    """Create a help desk with its level-1 and default level-2 groups (administrators)."""
    ensure_administers(actor())
    body = params.body(NEW_DESK)
    spec = desks.NewHelpDesk(body["code"], body["name"], body["ticket_prefix"], body["dependency"],
                             body.get("level1_group", ""), body.get("level2_default_group", ""))
    view = desks.create_help_desk(services(), actor(), spec)
    return created(desk_json(view), url_for("api.helpdesks.get_desk", code=view.code))


@bp.get("/help-desks/status")
def desk_status() -> ResponseReturnValue:
    """Each readable help desk's protocol: vigente, por vencer, vencido or sin protocolo."""
    params.query(())
    return jsonify([status_json(s) for s in queries.protocol_status(services(), actor())])


@bp.get("/help-desks/<code>")
def get_desk(code: str) -> ResponseReturnValue:
    """One help desk."""
    params.query(())
    return jsonify(desk_json(desks.get_help_desk(services(), actor(), code)))


@bp.patch("/help-desks/<code>")
def update_desk(code: str) -> ResponseReturnValue:
    """Rename, move to another dependency, or (administrators) open or close to new cases."""
    desk = managed(code, actor())
    body = params.body(DESK_CHANGE)
    if "name" in body or "dependency" in body:
        desk = desks.update_help_desk(services(), actor(), code, name=body.get("name", desk.name),
                                      dependency_code=body.get("dependency", desk.dependency_code or ""))
    if "active" in body and body["active"] != desk.active:
        desk = desks.set_help_desk_active(services(), actor(), code, body["active"])
    return jsonify(desk_json(desk))


@bp.get("/help-desks/<code>/groups")
def list_groups(code: str) -> ResponseReturnValue:
    """The desk's groups by level, with their members."""
    params.query(())
    return jsonify([group_json(g) for g in groups.list_groups(services(), actor(), code)])


@bp.post("/help-desks/<code>/groups")
def add_group(code: str) -> ResponseReturnValue:
    """Add a level group (level 3 may be external: a provider or outside entity)."""
    managed(code, actor())
    body = params.body(NEW_GROUP)
    view = groups.add_group(services(), actor(), code, body["name"], body["level"],
                            external=body.get("external", False), description=body.get("description", ""))
    return jsonify(group_json(view)), 201


@bp.post("/help-desks/<code>/groups/<group>/members")
def add_member(code: str, group: str) -> ResponseReturnValue:
    """Put a user in the group."""
    managed(code, actor())
    return jsonify(group_json(groups.add_member(services(), actor(), code, group, params.body(USER)["user"])))


@bp.delete("/help-desks/<code>/groups/<group>/members/<username>")
def remove_member(code: str, group: str, username: str) -> ResponseReturnValue:
    """Take a user out of the group."""
    managed(code, actor())
    return jsonify(group_json(groups.remove_member(services(), actor(), code, group, username)))


@bp.post("/help-desks/<code>/coordinators")
def add_coordinator(code: str) -> ResponseReturnValue:
    """Make a user a coordinator of the desk."""
    managed(code, actor())
    return jsonify(desk_json(desks.add_coordinator(services(), actor(), code, params.body(USER)["user"])))


@bp.delete("/help-desks/<code>/coordinators/<username>")
def remove_coordinator(code: str, username: str) -> ResponseReturnValue:
    """Stop a user coordinating the desk."""
    managed(code, actor())
    return jsonify(desk_json(desks.remove_coordinator(services(), actor(), code, username)))


@bp.get("/dependencies")
def list_dependencies() -> ResponseReturnValue:
    """The DNP units in tree order."""
    params.query(())
    return jsonify([dependency_json(d) for d in dependencies.list_dependencies(services())])


@bp.post("/dependencies")
def add_dependency() -> ResponseReturnValue:
    """Add a unit under its parent (administrators)."""
    ensure_administers(actor())
    body = params.body(NEW_DEPENDENCY)
    view = dependencies.add_dependency(services(), actor(), body["code"], body["name"], body["kind"],
                                       body.get("parent"))
    return jsonify(dependency_json(view)), 201


@bp.get("/dependencies/<dependency>/heads")
def list_heads(dependency: str) -> ResponseReturnValue:
    """The unit's heads (jefes de dependencia)."""
    params.query(())
    return jsonify(heads_json(dependency, heads.list_heads(services(), actor(), dependency)))


@bp.post("/dependencies/<dependency>/heads")
def add_head(dependency: str) -> ResponseReturnValue:
    """Make a coordinator the head of the unit (administrators)."""
    ensure_administers(actor())
    names = heads.add_head(services(), actor(), dependency, params.body(USER)["user"])
    return jsonify(heads_json(dependency, names)), 201


@bp.delete("/dependencies/<dependency>/heads/<username>")
def remove_head(dependency: str, username: str) -> ResponseReturnValue:
    """Stop a user heading the unit (administrators)."""
    ensure_administers(actor())
    return jsonify(heads_json(dependency, heads.remove_head(services(), actor(), dependency, username)))


def desk_json(desk: HelpDeskView) -> JsonObject:
    """A help desk as JSON."""
    return {"code": desk.code, "name": desk.name, "ticket_prefix": desk.ticket_prefix,
            "dependency": desk.dependency_code, "active": desk.active, "level1_group": desk.level1_group,
            "level2_default_group": desk.level2_default_group, "coordinators": list(desk.coordinators)}


def group_json(group: GroupView) -> JsonObject:
    """A group with its members as JSON."""
    return {"name": group.name, "level": group.level, "external": group.external,
            "description": group.description, "members": list(group.members)}


def dependency_json(unit: DependencyView) -> JsonObject:
    """A unit of the dependency tree as JSON."""
    return {"code": unit.code, "name": unit.name, "kind": unit.kind, "parent": unit.parent_code,
            "depth": unit.depth}


def heads_json(dependency: str, names: tuple[str, ...]) -> JsonObject:
    """A unit's heads as JSON."""
    return {"dependency": dependency, "heads": list(names)}


def status_json(status: ProtocolStatus) -> JsonObject:
    """A desk's protocol status as JSON."""
    return {"help_desk": status.help_desk_code, "name": status.help_desk_name, "state": status.state,
            "number": status.number,
            "next_review": status.next_review.isoformat() if status.next_review else None,
            "days_left": status.days_left, "has_draft": status.has_draft}
