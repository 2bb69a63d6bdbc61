"""Export the event log of a filter (help desk, creation period, process version) as XES or CSV.

Who: auditors, process owners and administrators (and the system: the CLI already holds the database).
Period: a case is in the log when it was *created* in [from, to); its trace is then exported whole (every
event up to now), so process-mining tools never see traces cut in the middle. A bound is a date (a whole
day in the configured zone: `to` includes that day) or an ISO-8601 instant with offset.
Instants are written in the configured zone (settings.timezone, e.g. -05:00 for America/Bogota).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine.db.models import Deployment, HelpDesk
from engine.services.audit.formats import LogHeader, csv_chunks, xes_chunks
from engine.services.audit.log import DEFAULT_BATCH, LogFilter, LogReader, LogTrace
from engine.services.context import ServiceContext
from engine.services.errors import ForbiddenError
from engine.services.people import policy
from engine.services.views import Actor

Format = Literal["xes", "csv"]
FORMATS: tuple[Format, ...] = ("xes", "csv")
MEDIA_TYPES: dict[Format, str] = {"xes": "application/xml", "csv": "text/csv; charset=utf-8"}
WRITERS = {"xes": xes_chunks, "csv": csv_chunks}


class PeriodError(ValueError):
    """A period bound is neither a date nor an instant with offset."""


@dataclass
class ExportStats:
    """What an export wrote, filled in as it streams."""

    cases: int = 0
    events: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class ExportChoices:
    """What an export form offers: every help desk (code, name) and every deployed (process id, version)."""

    help_desks: list[tuple[str, str]]
    versions: list[tuple[str, int]]


def export_choices(ctx: ServiceContext, actor: Actor) -> ExportChoices:
    """Help desks and deployed versions to filter by (inactive desks too: their cases stay in the log)."""
    ensure_may_export(actor)
    with ctx.db.read() as session:
        desks = session.execute(select(HelpDesk.code, HelpDesk.name).order_by(HelpDesk.name)).tuples().all()
        versions = session.execute(select(Deployment.process_id, Deployment.version)
                                   .order_by(Deployment.process_id, Deployment.version.desc())).tuples().all()
    return ExportChoices(list(desks), list(versions))


def ensure_may_export(actor: Actor) -> None:
    """Only those who may read every case may export the log."""
    if not policy.may_export(actor):
        raise ForbiddenError("solo auditores, dueños del proceso y administradores pueden exportar el registro")


def period_bound(text: str, zone: ZoneInfo, *, end: bool = False) -> datetime:
    """A bound of the creation period: a date (local midnight; the next one when `end`) or an aware instant."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
            return datetime.combine(day, time(), zone)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"'{text}' no es una fecha (2026-12-01) ni un instante ISO-8601 con desfase") from None
    if moment.tzinfo is None:
        raise PeriodError(f"'{text}' no tiene desfase horario (p. ej. 2026-12-01T09:00:00-05:00)")
    return moment


def describe(log_filter: LogFilter) -> str:
    """The log's name: what was selected, in Spanish."""
    parts = [f"mesa {log_filter.help_desk}" if log_filter.help_desk else "todas las mesas"]
    if log_filter.process_id or log_filter.version is not None:
        version = f" v{log_filter.version}" if log_filter.version is not None else ""
        parts.append(f"proceso {log_filter.process_id or '*'}{version}")
    if log_filter.created_from or log_filter.created_to:
        start = log_filter.created_from.isoformat() if log_filter.created_from else "…"
        stop = log_filter.created_to.isoformat() if log_filter.created_to else "…"
        parts.append(f"creados en [{start}, {stop})")
    return "Mesa de Ayuda: " + ", ".join(parts)


def export_log(ctx: ServiceContext, actor: Actor, log_filter: LogFilter, fmt: Format, *,
               stats: ExportStats | None = None, batch_size: int = DEFAULT_BATCH) -> Iterator[bytes]:
    """The log as chunks of bytes; the actor is checked now, the database is read as the chunks are taken."""
    ensure_may_export(actor)
    if fmt not in FORMATS:
        raise ValueError(f"formato desconocido: {fmt}")
    return _stream(ctx, log_filter, fmt, stats if stats is not None else ExportStats(), batch_size)


def _stream(ctx: ServiceContext, log_filter: LogFilter, fmt: Format, stats: ExportStats,
            batch_size: int) -> Iterator[bytes]:
    header = LogHeader(describe(log_filter), ctx.clock.now(), ctx.settings.timezone)
    with ctx.db.read() as session:
        traces = _counted(LogReader(ctx, session, log_filter, batch_size).traces(), stats)
        for chunk in WRITERS[fmt](header, traces):
            stats.bytes += len(chunk)
            yield chunk


def _counted(traces: Iterable[LogTrace], stats: ExportStats) -> Iterator[LogTrace]:
    for trace in traces:
        stats.cases += 1
        stats.events += len(trace.events)
        yield trace


def write_log(ctx: ServiceContext, actor: Actor, log_filter: LogFilter, fmt: Format, path: Path, *,
              batch_size: int = DEFAULT_BATCH) -> ExportStats:
    """Write the log to a file; a half-written export never takes the file's name."""
    stats = ExportStats()
    chunks = export_log(ctx, actor, log_filter, fmt, stats=stats, batch_size=batch_size)
    partial = path.with_name(f".{path.name}.parcial")
    try:
        with partial.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return stats
