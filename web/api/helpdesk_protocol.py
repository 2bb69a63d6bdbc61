"""A help desk's protocol over the API: versions, the draft (replaced whole with PUT), its diff, publishing,
export and import. Every refused protocol is a 422 with its problems per path; nothing is stored."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import Forbidden

from engine.helpdesk.protocol_diff import TableDiff
from engine.services.helpdesks import protocols, queries, transfer
from engine.services.helpdesks.views import ProtocolVersionView
from engine.services.people import policy
from web.api import params
from web.api.bearer import actor, services
from web.api.errors import BodyError
from web.api.params import Member
from web.api.serialize import JsonObject, instant
from web.helpdesk_access import managed

bp = Blueprint("helpdesk_protocol", __name__)
MAX_VERSION = 1_000_000
DRAFT_BODY = {"protocol": Member(dict, True, "el documento del protocolo (catalogo, canales, prioridades, ans, "
                                             "plazos, calendario), como lo da GET .../protocol/draft"),
              "notes": Member(str, False, "un texto"), "next_review": Member(str, False, "una fecha AAAA-MM-DD")}
PUBLISH_BODY = {"notes": Member(str, False, "un texto"), "next_review": Member(str, False, "una fecha AAAA-MM-DD")}
IMPORT_BODY = {"text": Member(str, True, "el contenido del archivo (texto)"),
               "format": Member(str, True, "yaml o json")}
MIMETYPES = {"yaml": "application/yaml", "json": "application/json"}


@bp.before_request
def _administers_help_desks() -> None:
    if not policy.may_administer_help_desks(actor()):
        raise Forbidden()


@bp.get("/help-desks/<code>/protocol")
def get_protocol(code: str) -> ResponseReturnValue:
    """The current version, or «version=N»."""
    args = params.query(("version",))
    which: str | int = params.integer(args, "version", 0, 1, MAX_VERSION) if "version" in args else queries.CURRENT
    return jsonify(version_json(queries.get_version(services(), actor(), code, which)))


@bp.get("/help-desks/<code>/protocol/versions")
def list_protocol_versions(code: str) -> ResponseReturnValue:
    """Every version, the draft first, then the newest."""
    params.query(())
    return jsonify([version_json(v) for v in queries.list_versions(services(), actor(), code)])


@bp.post("/help-desks/<code>/protocol/draft")
def create_draft(code: str) -> ResponseReturnValue:
    """Start the draft: a copy of the current version or the default protocol (409 if there is one)."""
    managed(code, actor())
    return jsonify(version_json(protocols.create_draft(services(), actor(), code))), 201


@bp.get("/help-desks/<code>/protocol/draft")
def get_draft(code: str) -> ResponseReturnValue:
    """The draft."""
    params.query(())
    return jsonify(version_json(queries.get_version(services(), actor(), code, protocols.DRAFT)))


@bp.put("/help-desks/<code>/protocol/draft")
def put_draft(code: str) -> ResponseReturnValue:
    """Replace the draft's whole document, its notes and next review date."""
    managed(code, actor())
    body = params.body(DRAFT_BODY)
    view = protocols.update_draft(services(), actor(), code, body["protocol"], notes=body.get("notes", ""),
                                  next_review=_review(body))
    return jsonify(version_json(view))


@bp.delete("/help-desks/<code>/protocol/draft")
def discard_draft(code: str) -> ResponseReturnValue:
    """Throw the draft away."""
    managed(code, actor())
    protocols.discard_draft(services(), actor(), code)
    return Response(status=204)


@bp.get("/help-desks/<code>/protocol/draft/diff")
def draft_diff(code: str) -> ResponseReturnValue:
    """Every table of the draft beside the current version."""
    params.query(())
    return jsonify([table_json(t) for t in queries.diff_draft(services(), actor(), code)])


@bp.post("/help-desks/<code>/protocol/publish")
def publish(code: str) -> ResponseReturnValue:
    """Publish the draft as the next version (body optional: next_review, notes)."""
    managed(code, actor())
    body = params.body(PUBLISH_BODY) if request.get_data(cache=True) else {}
    view = protocols.publish(services(), actor(), code, next_review=_review(body), notes=body.get("notes"))
    return jsonify(version_json(view))


@bp.get("/help-desks/<code>/protocol/export")
def export_protocol(code: str) -> ResponseReturnValue:
    """The version («version=N», «draft», by default the current one) as a YAML or JSON file."""
    args = params.query(("format", "version"))
    fmt = params.choice(args, "format", transfer.FORMATS, "yaml")
    raw = args.get("version")
    which: str | int = (protocols.DRAFT if raw == "draft" else queries.CURRENT if raw is None
                        else params.integer(args, "version", 0, 1, MAX_VERSION))
    text = transfer.export_protocol(services(), actor(), code, fmt, which)
    return Response(text, mimetype=MIMETYPES[fmt])


@bp.post("/help-desks/<code>/protocol/import")
def import_protocol(code: str) -> ResponseReturnValue:
    """Make a YAML or JSON text (an exported file) the draft."""
    managed(code, actor())
    body = params.body(IMPORT_BODY)
    return jsonify(version_json(transfer.import_protocol(services(), actor(), code, body["text"], body["format"])))


def _review(body: dict[str, Any]) -> date | None:
    raw = body.get("next_review")
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BodyError({"next_review": [f"«{raw}» no es una fecha AAAA-MM-DD."]}) from None


def version_json(view: ProtocolVersionView) -> JsonObject:
    """A protocol version with its whole document."""
    return {"help_desk": view.help_desk_code, "number": view.number, "status": view.status,
            "valid_from": instant(view.valid_from), "approved_by": view.approved_by,
            "approved_at": instant(view.approved_at), "notes": view.notes,
            "next_review": view.next_review.isoformat() if view.next_review else None,
            "created_by": view.created_by, "created_at": instant(view.created_at),
            "updated_at": instant(view.updated_at), "protocol": view.document.to_dict()}


def table_json(table: TableDiff) -> JsonObject:
    """One table of the diff, every row with its status and both sides."""
    return {"name": table.name, "title": table.title, "rows": [
        {"key": r.key, "status": r.status, "before": r.before, "after": r.after,
         "changed_columns": list(r.changed_columns)} for r in table.rows]}
