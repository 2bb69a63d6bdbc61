"""`mesa-ayuda migrate`: move the open cases of one deployed version to another.

A dry run by default: each open case is listed as ok or blocked with its reasons, and nothing changes
(exit 0). With `--apply` every movable case is migrated in its own transaction and blocked cases are left
untouched on their version; the exit status is 1 when any case was blocked or failed, so scripts notice.
"""

from __future__ import annotations

import sys

import click

from engine.cli.runner import run_service, service_context
from engine.services.people.users import get_actor
from engine.services.processes import migration
from engine.services.views import Actor, Role

# Whoever runs the CLI already holds the database; acting as an administrator matches `deploy --by cli`.
CLI_ACTOR = Actor("cli", Role.ADMIN)


def register(main: click.Group) -> None:
    """Add `migrate` to the main command group."""

    @main.command("migrate")
    @click.argument("process_id")
    @click.option("--from", "from_version", type=click.IntRange(min=1), required=True, help="Versión de origen.")
    @click.option("--to", "to_version", type=click.IntRange(min=1), required=True, help="Versión de destino.")
    @click.option("--apply", "apply_", is_flag=True, help="Migra de verdad (sin esta opción: simulación).")
    @click.option("--como", "username", help="Usuario dueño o administrador que migra (auditoría).")
    def migrate(process_id: str, from_version: int, to_version: int, apply_: bool, username: str | None) -> None:
        """Migra los casos abiertos de una versión a otra (simulación por defecto; --apply para migrar)."""
        with service_context() as ctx:
            actor = run_service(lambda: get_actor(ctx, username)) if username else CLI_ACTOR
            action = migration.apply if apply_ else migration.dry_run
            items = run_service(lambda: action(ctx, actor, process_id, from_version, to_version))
        _report(items, apply_)
        if apply_ and any(item.status in ("blocked", "failed") for item in items):
            sys.exit(1)


def _report(items: list[migration.MigrationItem], applied: bool) -> None:
    for item in items:
        reasons = f": {'; '.join(item.reasons)}" if item.reasons else ""
        click.echo(f"caso {item.case_id} {item.ticket or '-'}: {item.status}{reasons}")
    statuses = ("ok", "migrated", "blocked", "failed")
    counts = {status: sum(1 for item in items if item.status == status) for status in statuses}
    done = f"{counts['migrated']} migrado(s)" if applied else f"{counts['ok']} migrable(s)"
    click.echo(f"{len(items)} caso(s): {done}, {counts['blocked']} bloqueado(s), {counts['failed']} fallido(s)"
               + ("" if applied else " (simulación: nada cambió)"))
