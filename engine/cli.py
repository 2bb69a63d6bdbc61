"""The `mesa-ayuda` command: set up, deploy, run timers and the scheduler, verify audits, manage users."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import click

from engine.bootstrap import initialise, seed_demo
from engine.cli_audit import register as register_audit_commands
from engine.cli_cases import register as register_case_commands
from engine.cli_export import register as register_export_commands
from engine.cli_migrate import register as register_migrate_commands
from engine.clock import FixedClock, SystemClock
from engine.config import ConfigError, Settings
from engine.db.schema import upgrade
from engine.db.session import Database
from engine.demo_cases import seed_demo_cases
from engine.deployment import DeploymentError, SourceFile, validate_deployment
from engine.effects import DEFAULT_HANDLERS
from engine.services.auditing import verify_chains
from engine.services.context import ServiceContext
from engine.services.deploy import deploy as deploy_files
from engine.services.errors import FormValidationError, ServiceError
from engine.services.people import ROLES, add_user, issue_token
from engine.services.timers import fire_due_timers

T = TypeVar("T")


@contextmanager
def _context(clock_at: datetime | None = None) -> Iterator[ServiceContext]:
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    db = Database(settings.database_url)
    try:
        yield ServiceContext(db, settings, FixedClock(clock_at) if clock_at else SystemClock())
    finally:
        db.dispose()


def _run(action: Callable[[], T]) -> T:
    """Run a service call, turning domain errors into a clean non-zero exit."""
    try:
        return action()
    except DeploymentError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    except FormValidationError as exc:
        lines = [f"  {field}: {' '.join(messages)}" for field, messages in exc.errors.items()]
        raise click.ClickException("datos inválidos:\n" + "\n".join(lines)) from exc
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def main() -> None:
    """Mesa de Ayuda: el procedimiento de asistencia técnica del DNP ejecutado como BPMN."""


@main.command()
@click.option("--demo", is_flag=True, help="Agrega la mesa de demostración, sus grupos y usuarios.")
@click.option("--ejemplos", is_flag=True,
              help="Con --demo: agrega casos de ejemplo en distintos pasos si la base aún no tiene casos.")
def init(demo: bool, ejemplos: bool) -> None:
    """Crea o actualiza el esquema y despliega bpmn/ y forms/."""
    if ejemplos and not demo:
        raise click.UsageError("--ejemplos va con --demo: los casos de ejemplo usan la mesa y los usuarios "
                               "de la demostración")
    with _context() as ctx:
        for view in _run(lambda: initialise(ctx, "sistema")):
            status = "nueva versión" if view.created else "sin cambios"
            click.echo(f"{view.process_id} v{view.version} ({status}) {view.content_hash[:12]}")
        if demo:
            users = _run(lambda: seed_demo(ctx))
            click.echo("Usuarios de demostración (contraseña = nombre de usuario; solo para demostración):")
            for user in users:
                groups = f" grupos: {', '.join(user.groups)}" if user.groups else ""
                click.echo(f"  {user.username:<12} rol: {user.role}{groups}")
        if ejemplos:
            made = _run(lambda: seed_demo_cases(ctx))
            if made:
                click.echo("Casos de ejemplo:")
            for case in made:
                click.echo(f"  {case.ticket or f'caso {case.id}'}: {case.subject} ({case.state})")
            if not made:
                click.echo("Casos de ejemplo: la base ya tiene casos; no se agregan.")


def _sources(bpmn: Path, forms: tuple[Path, ...]) -> tuple[SourceFile, list[SourceFile]]:
    if not forms:
        # Camunda Modeler projects keep forms beside the diagram or in a sibling forms/ folder.
        forms = tuple(sorted({*bpmn.parent.glob("*.form"), *(bpmn.parent.parent / "forms").glob("*.form")}))
    return SourceFile(bpmn.name, bpmn.read_bytes()), [SourceFile(f.name, f.read_bytes()) for f in forms]


_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@main.command()
@click.argument("bpmn", type=_FILE)
@click.argument("forms", nargs=-1, type=_FILE)
def validate(bpmn: Path, forms: tuple[Path, ...]) -> None:
    """Valida un .bpmn y sus formularios sin desplegar nada."""
    source, form_sources = _sources(bpmn, forms)
    checked = _run(lambda: validate_deployment(source, form_sources, frozenset(DEFAULT_HANDLERS)))
    click.echo(f"{bpmn.name}: válido (proceso {checked.process_id}, formularios: {', '.join(checked.forms)})")


@main.command()
@click.argument("bpmn", type=_FILE)
@click.argument("forms", nargs=-1, type=_FILE)
@click.option("--by", "deployed_by", default="cli", show_default=True, help="Quién despliega (auditoría).")
def deploy(bpmn: Path, forms: tuple[Path, ...], deployed_by: str) -> None:
    """Valida y despliega una nueva versión (contenido idéntico no crea versión)."""
    source, form_sources = _sources(bpmn, forms)
    with _context() as ctx:
        upgrade(ctx.db)
        view = _run(lambda: deploy_files(ctx, deployed_by, source, form_sources))
    status = "desplegada" if view.created else "sin cambios (contenido idéntico)"
    click.echo(f"{view.process_id} v{view.version} {status} {view.content_hash[:12]}")


@main.group()
def timers() -> None:
    """Temporizadores de los casos."""


@timers.command("run")
@click.option("--now", "now_text", help="Instante ISO-8601 con zona (por defecto: ahora).")
def timers_run(now_text: str | None) -> None:
    """Dispara todos los temporizadores vencidos a la fecha."""
    at = _instant(now_text) if now_text else None
    with _context(at) as ctx:
        fired = _run(lambda: fire_due_timers(ctx))
    for item in fired:
        click.echo(f"caso {item.case_id} {item.ticket or ''}: {', '.join(item.elements) or '-'} → {item.state}")
    click.echo(f"{len(fired)} caso(s) con temporizadores disparados")


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        hint = f"'{text}' no es ISO-8601 (p. ej. 2026-12-01T09:00:00-05:00)"
        raise click.BadParameter(hint, param_hint="--now") from exc
    if value.tzinfo is None:
        raise click.BadParameter("agregue la zona horaria (p. ej. -05:00)", param_hint="--now")
    return value


@main.command()
def scheduler() -> None:
    """Ejecuta el planificador en primer plano (temporizadores y correo)."""
    from engine.scheduler import Scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with _context() as ctx:
        upgrade(ctx.db)
        try:
            runner = Scheduler(ctx)
        except ConfigError as exc:  # e.g. a malformed MESA_SMTP_URL
            raise click.ClickException(str(exc)) from exc
        runner.run_forever()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Dirección en la que escucha.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Procesos web.")
@click.option("--no-scheduler", is_flag=True, help="Sin planificador (si corre aparte con `mesa-ayuda scheduler`).")
@click.option("--demo", is_flag=True,
              help="Prepara la demostración (init --demo --ejemplos) y captura el correo saliente.")
@click.pass_context
def serve(click_ctx: click.Context, host: str, port: int, workers: int, no_scheduler: bool, demo: bool) -> None:
    """Sirve la aplicación web (gunicorn) con el planificador."""
    from engine.mail.sink import MailSink, mail_folder
    from engine.serve import ServeOptions, check_app, run

    options = ServeOptions(host=host, port=port, workers=workers, scheduler=not no_scheduler)
    # Links in emails point at this server unless MESA_BASE_URL says where the public address is.
    os.environ.setdefault("MESA_BASE_URL", options.url)
    if demo:
        os.environ["MESA_DEMO_MAIL"] = "1"
        # The demo is plain http on this machine: a Secure cookie would never come back.
        os.environ.setdefault("MESA_SECURE_COOKIES", "0")
        click_ctx.invoke(init, demo=True, ejemplos=True)
    with _context() as ctx:
        if not demo:  # init --demo already did
            upgrade(ctx.db)
        settings = ctx.settings
    sink = MailSink(mail_folder(settings.instance_path), settings.demo_smtp_port) if demo else None
    try:
        if sink is not None:
            os.environ["MESA_SMTP_URL"] = sink.start()
        try:
            check_app()
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from exc
        _announce(options.url, options.scheduler, sink.url if sink else None)
        run(options)
    finally:
        if sink is not None:
            sink.stop()


def _announce(url: str, scheduler: bool, demo_smtp_url: str | None) -> None:
    click.echo(f"Mesa de Ayuda en {url}  (Ctrl+C para detener)")
    if not scheduler:
        click.echo("Sin planificador: ejecute `mesa-ayuda scheduler` aparte para temporizadores y correo.")
    if demo_smtp_url is not None:
        click.echo(f"Correo de demostración: {url}/correo/ (SMTP en {demo_smtp_url})")
        click.echo("Entre con solicitante, nivel1, nivel2, nivel3, auditor, dueno o admin; "
                   "la contraseña es el nombre de usuario.")


@main.group()
def mail() -> None:
    """Correo saliente (bandeja de salida)."""


@mail.command("send")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
def mail_send(limit: int) -> None:
    """Entrega ahora el correo pendiente (lo mismo que hace el planificador en cada barrido)."""
    from engine.mail.delivery import deliver_due

    with _context() as ctx:
        try:
            report = _run(lambda: deliver_due(ctx, limit=limit))
        except ConfigError as exc:  # a malformed MESA_SMTP_URL
            raise click.ClickException(str(exc)) from exc
    if not report.enabled:
        raise click.ClickException(report.note or "MESA_SMTP_URL no está configurado")
    for outcome in report.outcomes:
        detail = f" ({outcome.error})" if outcome.error else ""
        click.echo(f"{outcome.status:7} {outcome.recipient} {outcome.message_id}{detail}")
    click.echo(f"{report.sent} enviado(s), {report.retried} por reintentar, {report.failed} fallido(s)")


@main.group()
def audit() -> None:
    """Auditoría de los casos."""


@audit.command("verify")
@click.argument("case_id", required=False, type=int)
def audit_verify(case_id: int | None) -> None:
    """Verifica las cadenas de hash de un caso o de todos."""
    with _context() as ctx:
        checked, problems = _run(lambda: verify_chains(ctx, case_id))
    for problem in problems:
        where = f"evento {problem.seq}" if problem.seq else "cadena"
        click.echo(f"caso {problem.case_id}: {where}: {problem.message}", err=True)
    click.echo(f"{checked} caso(s) verificados, {len(problems)} con problemas")
    if problems:
        sys.exit(1)


@main.group()
def users() -> None:
    """Usuarios y tokens de API."""


@users.command("add")
@click.argument("name")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--group", "groups", multiple=True, help="Grupo (repetible).")
@click.option("--full-name", default="")
@click.option("--password", help="Contraseña; si se omite y hay terminal, se pregunta.")
def users_add(name: str, email: str, role: str, groups: tuple[str, ...], full_name: str, password: str | None) -> None:
    """Crea un usuario con su rol y grupos."""
    if password is None and sys.stdin.isatty():
        password = click.prompt("Contraseña", hide_input=True, confirmation_prompt=True)
    with _context() as ctx:
        actor = _run(lambda: add_user(ctx, name, email, role, groups=groups, password=password, full_name=full_name))
    click.echo(f"usuario {actor.username} ({actor.role}) grupos: {', '.join(sorted(actor.groups)) or '-'}")


@users.command("token")
@click.argument("name")
def users_token(name: str) -> None:
    """Emite un token de API para el usuario (se muestra una sola vez)."""
    with _context() as ctx:
        click.echo(_run(lambda: issue_token(ctx, name)))


register_case_commands(main, _context, _run)
register_export_commands(main, _context, _run)
register_audit_commands(main, _context, _run)
register_migrate_commands(main, _context, _run)
