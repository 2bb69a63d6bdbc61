"""`mesa-ayuda timers`, `scheduler` and `mail`: the background work, on demand or in the foreground."""

from __future__ import annotations

import logging
from datetime import datetime

import click

from engine.cli.runner import run_service, service_context
from engine.config import ConfigError
from engine.db.schema import upgrade
from engine.services.cases.timers import fire_due_timers


def instant(text: str) -> datetime:
    """An aware ISO-8601 instant from --now, or a usage error."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        hint = f"'{text}' no es ISO-8601 (p. ej. 2026-12-01T09:00:00-05:00)"
        raise click.BadParameter(hint, param_hint="--now") from exc
    if value.tzinfo is None:
        raise click.BadParameter("agregue la zona horaria (p. ej. -05:00)", param_hint="--now")
    return value


def register(main: click.Group) -> None:
    """Add timers, scheduler and mail to the main command group."""

    @main.group()
    def timers() -> None:
        """Temporizadores de los casos."""


    @timers.command("run")
    @click.option("--now", "now_text", help="Instante ISO-8601 con zona (por defecto: ahora).")
    def timersrun_service(now_text: str | None) -> None:
        """Dispara todos los temporizadores vencidos a la fecha."""
        at = instant(now_text) if now_text else None
        with service_context(at) as ctx:
            fired = run_service(lambda: fire_due_timers(ctx))
        for item in fired:
            click.echo(f"caso {item.case_id} {item.ticket or ''}: {', '.join(item.elements) or '-'} → {item.state}")
        click.echo(f"{len(fired)} caso(s) con temporizadores disparados")

    @main.command()
    def scheduler() -> None:
        """Ejecuta el planificador en primer plano (temporizadores y correo)."""
        from engine.scheduler import Scheduler

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        with service_context() as ctx:
            upgrade(ctx.db)
            try:
                runner = Scheduler(ctx)
            except ConfigError as exc:  # e.g. a malformed MESA_SMTP_URL
                raise click.ClickException(str(exc)) from exc
            runner.run_forever()

    @main.group()
    def mail() -> None:
        """Correo saliente (bandeja de salida)."""


    @mail.command("send")
    @click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
    def mail_send(limit: int) -> None:
        """Entrega ahora el correo pendiente (lo mismo que hace el planificador en cada barrido)."""
        from engine.mail.delivery import deliver_due

        with service_context() as ctx:
            try:
                report = run_service(lambda: deliver_due(ctx, limit=limit))
            except ConfigError as exc:  # a malformed MESA_SMTP_URL
                raise click.ClickException(str(exc)) from exc
        if not report.enabled:
            raise click.ClickException(report.note or "MESA_SMTP_URL no está configurado")
        for outcome in report.outcomes:
            detail = f" ({outcome.error})" if outcome.error else ""
            click.echo(f"{outcome.status:7} {outcome.recipient} {outcome.message_id}{detail}")
        click.echo(f"{report.sent} enviado(s), {report.retried} por reintentar, {report.failed} fallido(s)")
