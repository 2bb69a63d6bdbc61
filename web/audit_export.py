"""The export page for auditors, process owners and administrators: pick a filter, download XES or CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue

from engine.services.audit.export import (
    FORMATS,
    MEDIA_TYPES,
    Format,
    PeriodError,
    export_choices,
    export_log,
    period_bound,
)
from engine.services.audit.log import LogFilter
from engine.services.people import policy
from web.context import current_actor, permission_required, services

bp = Blueprint("audit_export", __name__, url_prefix="/auditoria/exportar")


class FormError(ValueError):
    """A field of the export form is not valid (its message says which)."""


@dataclass(frozen=True)
class ExportRequest:
    """The submitted form: the format and the filter."""

    fmt: Format
    log_filter: LogFilter


@bp.get("/")
@permission_required(policy.may_export)
def index() -> ResponseReturnValue:
    """The form: help desk, creation period, process version, transitions and format."""
    return _form()


@bp.get("/descargar")
@permission_required(policy.may_export)
def download() -> ResponseReturnValue:
    """The log as a streamed attachment (the form again, with the reason, when a field is wrong)."""
    try:
        wanted = _parse()
    except FormError as exc:
        return _form(str(exc)), 400
    actor = current_actor()
    assert actor is not None  # permission_required
    chunks = export_log(services(), actor, wanted.log_filter, wanted.fmt)
    response = Response(stream_with_context(chunks), content_type=MEDIA_TYPES[wanted.fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="mesa-ayuda.{wanted.fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _form(error: str | None = None) -> str:
    actor = current_actor()
    assert actor is not None  # permission_required
    return render_template("audit_export/index.html", choices=export_choices(services(), actor),
                           values=request.args, error=error, formats=FORMATS)


def _parse() -> ExportRequest:
    args = request.args
    fmt = args.get("formato", "xes")
    if fmt not in FORMATS:
        raise FormError("Elija el formato XES o CSV.")
    process, _, version = args.get("proceso", "").partition(":")
    if version and not version.isdigit():
        raise FormError("La versión del proceso no es válida.")
    log_filter = LogFilter(help_desk=args.get("mesa") or None, created_from=_bound("desde", end=False),
                           created_to=_bound("hasta", end=True), process_id=process or None,
                           version=int(version) if version else None,
                           transitions="all" if args.get("transiciones") == "todas" else "complete")
    return ExportRequest("xes" if fmt == "xes" else "csv", log_filter)


def _bound(name: str, *, end: bool) -> datetime | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return period_bound(raw, services().settings.timezone, end=end)
    except PeriodError as exc:
        label = "Desde" if name == "desde" else "Hasta"
        raise FormError(f"{label}: {exc}.") from exc
