"""The event log for process mining: GET /export.xes and /export.csv, streamed as a download."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import cast

from flask import Blueprint, Response, stream_with_context
from flask.typing import ResponseReturnValue

from engine.services.audit.export import MEDIA_TYPES, Format, PeriodError, ensure_may_export, export_log, period_bound
from engine.services.audit.log import LogFilter, Transitions
from web.api import params
from web.api.bearer import actor, services
from web.api.errors import QueryError

bp = Blueprint("export", __name__)
EXPORT_PARAMS = ("help_desk", "from", "to", "process", "version", "transitions")
TRANSITIONS = ("complete", "all")


@bp.get("/export.xes")
def export_xes() -> ResponseReturnValue:
    """The event log as XES (IEEE 1849-2016): one trace per case."""
    return _download("xes")


@bp.get("/export.csv")
def export_csv() -> ResponseReturnValue:
    """The event log as CSV: one row per event."""
    return _download("csv")


def _download(fmt: Format) -> Response:
    ensure_may_export(actor())  # 403 before anything is parsed or read
    log_filter = _filter(params.query(EXPORT_PARAMS))
    chunks = export_log(services(), actor(), log_filter, fmt)
    response = Response(stream_with_context(chunks), content_type=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="mesa-ayuda.{fmt}"'
    return response


def _filter(args: Mapping[str, str]) -> LogFilter:
    version = params.integer(args, "version", 0, 1, 10**6) if "version" in args else None
    return LogFilter(help_desk=params.text(args, "help_desk"), created_from=_bound(args, "from", end=False),
                     created_to=_bound(args, "to", end=True), process_id=params.text(args, "process"),
                     version=version,
                     transitions=cast(Transitions, params.choice(args, "transitions", TRANSITIONS, "complete")))


def _bound(args: Mapping[str, str], name: str, *, end: bool) -> datetime | None:
    raw = params.text(args, name)
    if raw is None:
        return None
    try:
        return period_bound(raw, services().settings.timezone, end=end)
    except PeriodError as exc:
        raise QueryError(f"«{name}»: {exc}.") from exc
