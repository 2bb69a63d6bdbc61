"""`mesa-ayuda audit export`: the event log of a filter as XES or CSV, for process-mining tools."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import cast

import click

from engine.cli.runner import run_service, service_context
from engine.services.audit.export import FORMATS, Format, PeriodError, period_bound, write_log
from engine.services.audit.log import LogFilter, Transitions
from engine.services.context import ServiceContext
from engine.services.views import SYSTEM

_OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


def _bound(ctx: ServiceContext, text: str | None, option: str, *, end: bool) -> datetime | None:
    if text is None:
        return None
    try:
        return period_bound(text, ctx.settings.timezone, end=end)
    except PeriodError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from exc


def register(main: click.Group) -> None:
    """Add `export` to the `audit` command group."""

    @click.command("export")
    @click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="xes o csv.")
    @click.option("--out", "out", type=_OUT, required=True, help="Archivo de salida.")
    @click.option("--help-desk", help="Código de la mesa de ayuda (p. ej. ti).")
    @click.option("--from", "start", help="Casos creados desde esta fecha o instante (inclusive).")
    @click.option("--to", "stop", help="Casos creados hasta esta fecha (inclusive) o este instante (exclusivo).")
    @click.option("--process", "process_id", help="Id del proceso en el BPMN (p. ej. mesa_de_ayuda).")
    @click.option("--process-version", type=click.IntRange(min=1), help="Versión desplegada del proceso.")
    @click.option("--transitions", type=click.Choice(["complete", "all"]), default="complete", show_default=True,
                  help="complete: solo actividades completadas; all: también asignaciones (assign/reassign).")
    def audit_export(fmt: str, out: Path, help_desk: str | None, start: str | None, stop: str | None,
                     process_id: str | None, process_version: int | None, transitions: str) -> None:
        """Exporta el registro de eventos (un trace por caso) en XES (IEEE 1849-2016) o CSV."""
        with service_context() as ctx:
            log_filter = LogFilter(help_desk=help_desk, created_from=_bound(ctx, start, "--from", end=False),
                                   created_to=_bound(ctx, stop, "--to", end=True), process_id=process_id,
                                   version=process_version, transitions=cast(Transitions, transitions))
            stats = run_service(lambda: write_log(ctx, SYSTEM, log_filter, cast(Format, fmt), out))
        click.echo(f"{stats.cases} caso(s), {stats.events} evento(s), {stats.bytes} bytes → {out}")

    audit = main.commands["audit"]
    if not isinstance(audit, click.Group):
        raise RuntimeError("la CLI no tiene el grupo `audit`")
    audit.add_command(audit_export)
