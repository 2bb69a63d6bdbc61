"""The installed `mesa-ayuda` command: the engine's command group plus `serve`, which composes the web app."""

from __future__ import annotations

import os

import click

from engine.cli import main
from engine.cli.runner import service_context
from engine.config import ConfigError
from engine.db.schema import upgrade
from engine.mail.sink import MailSink, mail_folder
from web.serve import ServeOptions, check_app, run

__all__ = ["main"]


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

    options = ServeOptions(host=host, port=port, workers=workers, scheduler=not no_scheduler)
    # Links in emails point at this server unless MESA_BASE_URL says where the public address is.
    os.environ.setdefault("MESA_BASE_URL", options.url)
    if demo:
        os.environ["MESA_DEMO_MAIL"] = "1"
        # The demo is plain http on this machine: a Secure cookie would never come back.
        os.environ.setdefault("MESA_SECURE_COOKIES", "0")
        click_ctx.invoke(main.commands["init"], demo=True, ejemplos=True)
    with service_context() as ctx:
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

