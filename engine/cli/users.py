"""`mesa-ayuda users`: local accounts and API tokens."""

from __future__ import annotations

import sys

import click

from engine.cli.runner import run_service, service_context
from engine.services.people.users import ROLES, add_user, issue_token


def register(main: click.Group) -> None:
    """Add the users command group."""

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
    def users_add(name: str, email: str, role: str, groups: tuple[str, ...], full_name: str,
                  password: str | None) -> None:
        """Crea un usuario con su rol y grupos."""
        if password is None and sys.stdin.isatty():
            password = click.prompt("Contraseña", hide_input=True, confirmation_prompt=True)
        with service_context() as ctx:
            actor = run_service(lambda: add_user(ctx, name, email, role, groups=groups, password=password,
                                                 full_name=full_name))
        click.echo(f"usuario {actor.username} ({actor.role}) grupos: {', '.join(sorted(actor.groups)) or '-'}")


    @users.command("token")
    @click.argument("name")
    def users_token(name: str) -> None:
        """Emite un token de API para el usuario (se muestra una sola vez)."""
        with service_context() as ctx:
            click.echo(run_service(lambda: issue_token(ctx, name)))
