"""A help desk's protocol on the web: versions, the draft (edited as YAML or imported from a file), its
side-by-side diff with the current version, publishing, discarding and exports.

Registered on the helpdesks blueprint (web/helpdesks.py), which guards the routes. A refused protocol comes back
to the draft page (422) with every problem beside its path and what was typed kept: nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from pathlib import PurePath

import yaml
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.helpdesk.protocol_calendar import WEEKDAYS
from engine.helpdesk.protocol_diff import TableDiff
from engine.helpdesk.protocol_tables import IMPACTS, PRIORITIES, TYPES, URGENCIES
from engine.services.errors import ConflictError, FormValidationError, NotFoundError
from engine.services.helpdesks import desks, protocols, queries, transfer
from engine.services.helpdesks.views import ProtocolVersionView
from web.context import services
from web.helpdesk_access import actor, managed, may_manage

Guard = Callable[[Callable[..., ResponseReturnValue]], Callable[..., ResponseReturnValue]]
# What the summary and diff templates lay their grids out by.
LAYOUT = {"impacts": IMPACTS, "urgencies": URGENCIES, "types": TYPES, "priorities": PRIORITIES, "weekdays": WEEKDAYS}
MIMETYPES = {"yaml": "application/yaml", "json": "application/json"}
FORMAT_OF = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}


def register(bp: Blueprint, guard: Guard) -> None:
    """Add the protocol routes to the helpdesks blueprint."""
    base = "/<code>/protocolo"
    bp.add_url_rule(f"{base}/<int:number>", "version", guard(version), methods=("GET",))
    bp.add_url_rule(f"{base}/exportar", "export", guard(export), methods=("GET",))
    bp.add_url_rule(f"{base}/borrador", "draft", guard(draft), methods=("GET",))
    bp.add_url_rule(f"{base}/borrador", "save_draft", guard(save_draft), methods=("POST",))
    bp.add_url_rule(f"{base}/borrador/diferencias", "draft_diff", guard(draft_diff), methods=("GET",))
    bp.add_url_rule(f"{base}/borrador/crear", "create_draft", guard(create_draft), methods=("POST",))
    bp.add_url_rule(f"{base}/borrador/importar", "import_draft", guard(import_draft), methods=("POST",))
    bp.add_url_rule(f"{base}/borrador/publicar", "publish", guard(publish), methods=("POST",))
    bp.add_url_rule(f"{base}/borrador/descartar", "discard", guard(discard), methods=("POST",))


def document_yaml(view: ProtocolVersionView) -> str:
    """The draft's document as the YAML a coordinator edits (people come from the desk's groups, not the text)."""
    data = view.document.to_dict()
    data.pop("responsables", None)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def version(code: str, number: int) -> ResponseReturnValue:
    """One published version with every table."""
    ctx, who = services(), actor()
    view = queries.get_version(ctx, who, code, number)
    return render_template("helpdesks/version.html", desk=desks.get_help_desk(ctx, who, code), version=view,
                           layout=LAYOUT)


def export(code: str) -> ResponseReturnValue:
    """Download a version (the current one, «version=N» or «version=borrador») as YAML or JSON."""
    fmt = request.args.get("formato", "yaml")
    raw = request.args.get("version", "")
    which: str | int = int(raw) if raw.isdigit() else protocols.DRAFT if raw == "borrador" else queries.CURRENT
    text = transfer.export_protocol(services(), actor(), code, fmt, which)
    name = f"protocolo-{code}-{'borrador' if which == protocols.DRAFT else which}.{fmt}"
    return Response(text, mimetype=MIMETYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})


def draft(code: str) -> ResponseReturnValue:
    """The draft editor, or the button that starts one."""
    return _draft_page(code)


def _draft_page(code: str, *, text: str | None = None, errors: Mapping[str, list[str]] | None = None,
                form: Mapping[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    ctx, who = services(), actor()
    desk = desks.get_help_desk(ctx, who, code)
    try:
        view: ProtocolVersionView | None = queries.get_version(ctx, who, code, protocols.DRAFT)
    except NotFoundError:
        view = None
    manages = may_manage(who, desk)
    shown = text if text is not None else document_yaml(view) if view else ""
    return render_template("helpdesks/draft.html", desk=desk, draft=view, text=shown, errors=errors or {},
                           form=form or {}, manages=manages), status


def create_draft(code: str) -> ResponseReturnValue:
    """Start a draft: a copy of the current version, or the default protocol."""
    managed(code)
    try:
        protocols.create_draft(services(), actor(), code)
    except ConflictError as error:
        flash(f"{error}.", "error")
    else:
        flash("Borrador creado: edítelo, compárelo con la versión vigente y publíquelo.", "success")
    return redirect(url_for("helpdesks.draft", code=code))


def save_draft(code: str) -> ResponseReturnValue:
    """Replace the draft's document (YAML), notes and next review date; every problem is listed if refused."""
    managed(code)
    form = request.form
    text = form.get("documento", "")
    try:
        review = _review_date(form.get("proxima_revision", ""))
        data = transfer.parse(text, "yaml")
        protocols.update_draft(services(), actor(), code, data, notes=form.get("notas", "").strip(),
                               next_review=review)
    except FormValidationError as error:
        return _draft_page(code, text=text, errors=error.errors, form=form, status=422)
    flash("Borrador guardado.", "success")
    return redirect(url_for("helpdesks.draft", code=code))


def import_draft(code: str) -> ResponseReturnValue:
    """Make an uploaded YAML or JSON file the draft (the file's notes and review date included)."""
    managed(code)
    upload = request.files.get("archivo")
    name = upload.filename or "" if upload is not None else ""
    fmt = FORMAT_OF.get(PurePath(name).suffix.lower())
    if upload is None or fmt is None:
        problem = f"«{name}» no es .yaml, .yml ni .json" if name else "elija un archivo .yaml, .yml o .json"
        return _draft_page(code, errors={"archivo": [problem]}, status=422)
    try:
        transfer.import_protocol(services(), actor(), code, upload.read().decode("utf-8"), fmt)
    except UnicodeDecodeError:
        return _draft_page(code, errors={"archivo": ["el archivo no es texto UTF-8"]}, status=422)
    except FormValidationError as error:
        return _draft_page(code, errors=error.errors, status=422)
    flash(f"«{name}» importado como borrador.", "success")
    return redirect(url_for("helpdesks.draft", code=code))


def publish(code: str) -> ResponseReturnValue:
    """Publish the draft as the next version (review date: the one given, the draft's, or in twelve months)."""
    managed(code)
    try:
        review = _review_date(request.form.get("proxima_revision", ""))
        view = protocols.publish(services(), actor(), code, next_review=review)
    except FormValidationError as error:
        return _draft_page(code, errors=error.errors, status=422)
    flash(f"Versión {view.number} publicada: rige desde ahora para los casos nuevos.", "success")
    return redirect(url_for("helpdesks.desk", code=code))


def discard(code: str) -> ResponseReturnValue:
    """Throw the draft away."""
    managed(code)
    protocols.discard_draft(services(), actor(), code)
    flash("Borrador descartado.", "info")
    return redirect(url_for("helpdesks.desk", code=code))


def draft_diff(code: str) -> ResponseReturnValue:
    """Every table of the draft beside the current version, row by row."""
    ctx, who = services(), actor()
    tables = queries.diff_draft(ctx, who, code)
    try:
        current: ProtocolVersionView | None = queries.get_version(ctx, who, code)
    except NotFoundError:
        current = None
    return render_template("helpdesks/diff.html", desk=desks.get_help_desk(ctx, who, code), tables=tables,
                           current=current, columns=_columns)


def _columns(table: TableDiff) -> list[str]:
    """The columns of a table's rows, in the order they first appear."""
    seen: dict[str, None] = {}
    for row in table.rows:
        for cells in (row.before or {}, row.after or {}):
            seen.update(dict.fromkeys(cells))
    return list(seen)


def _review_date(raw: str) -> date | None:
    if not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise FormValidationError({"proxima_revision": [f"«{raw}» no es una fecha AAAA-MM-DD"]}) from None
