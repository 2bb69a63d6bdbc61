"""Migrating a process's open cases to another version: the dry run on GET, the migration on POST.

The routes are registered on the processes blueprint (see web/processes.py), which also guards them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import flash, render_template, request
from flask.typing import ResponseReturnValue

from engine.services.errors import NotFoundError
from engine.services.processes import deploy as engine_deploy
from engine.services.processes import migration
from engine.services.processes.deploy import DeploymentView
from engine.services.processes.migration import MigrationItem
from web.case_display import signed_in
from web.context import services

FROM_FIELD, TO_FIELD = "de", "a"
STATUS_LABELS = {"ok": "Migrable", "blocked": "Bloqueado", "migrated": "Migrado", "failed": "Falló"}
BAD_VERSIONS = "Elija una versión de origen y una de destino entre las desplegadas."
SAME_VERSION = "Elija dos versiones distintas: la de origen y la de destino son la misma."


@dataclass(frozen=True)
class Migration:
    """What the page shows: the chosen versions and, once run, each case (simulated or migrated)."""

    start: int | None
    end: int | None
    items: list[MigrationItem] | None = None
    applied: bool = False
    message: str = ""

    def count(self, status: str) -> int:
        """How many cases ended with this status."""
        return sum(1 for item in self.items or () if item.status == status)

    @property
    def summary(self) -> str:
        """One line, as the CLI prints it: «3 casos: 2 migrables, 1 bloqueado»."""
        total = len(self.items or ())
        parts = [_count(total, "caso", "casos") + ":"]
        if self.applied:
            parts += [_count(self.count("migrated"), "migrado", "migrados") + ",",
                      _count(self.count("blocked"), "bloqueado", "bloqueados") + ",",
                      _count(self.count("failed"), "fallido", "fallidos")]
        else:
            parts += [_count(self.count("ok"), "migrable", "migrables") + ",",
                      _count(self.count("blocked"), "bloqueado", "bloqueados")]
        return " ".join(parts)


def show(process_id: str) -> ResponseReturnValue:
    """The version form; with «de» and «a», the dry run: each open case as migrable or blocked, and why."""
    rows = _deployments(process_id)
    chosen = _chosen(request.args)
    if chosen.message or chosen.start is None or chosen.end is None:
        return _form(process_id, rows, chosen), 400 if chosen.message else 200
    items = migration.dry_run(services(), signed_in(), process_id, chosen.start, chosen.end)
    return _page(process_id, rows, Migration(chosen.start, chosen.end, items))


def run(process_id: str) -> ResponseReturnValue:
    """Migrate every movable case (each in its own transaction) and list what happened to each one."""
    chosen = _chosen(request.form, required=True)
    if chosen.message or chosen.start is None or chosen.end is None:
        return _form(process_id, _deployments(process_id), chosen), 400
    items = migration.apply(services(), signed_in(), process_id, chosen.start, chosen.end)
    done = Migration(chosen.start, chosen.end, items, applied=True)
    if items:
        flash(f"Migración a la versión {chosen.end}: {done.summary}.",
              "success" if done.count("migrated") == len(items) else "warning")
    return _page(process_id, _deployments(process_id), done)


def version_number(raw: str) -> int | None:
    """A version number typed in a form or a query string (None unless a plain positive integer)."""
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 1_000_000 else None


def _chosen(values: Mapping[str, str], *, required: bool = False) -> Migration:
    """The versions sent; a message when one is malformed (or missing, when `required`) or both are equal."""
    raw_start, raw_end = values.get(FROM_FIELD, ""), values.get(TO_FIELD, "")
    start, end = version_number(raw_start), version_number(raw_end)
    malformed = any((raw or required) and number is None for raw, number in ((raw_start, start), (raw_end, end)))
    if malformed:
        return Migration(start, end, message=BAD_VERSIONS)
    if start is not None and start == end:
        return Migration(start, end, message=SAME_VERSION)
    return Migration(start, end)


def _deployments(process_id: str) -> list[DeploymentView]:
    rows = engine_deploy.list_deployments(services(), process_id)
    if not rows:
        raise NotFoundError(f"el proceso «{process_id}» no está desplegado")
    return rows


def _form(process_id: str, rows: list[DeploymentView], chosen: Migration) -> str:
    """The form alone; a version not chosen (or not valid) defaults to the usual move: an older one to the newest."""
    older = rows[1:] or rows
    start = chosen.start or next((row.version for row in older if row.open_cases), older[0].version)
    return _page(process_id, rows, Migration(start, chosen.end or rows[0].version, message=chosen.message))


def _page(process_id: str, rows: list[DeploymentView], shown: Migration) -> str:
    return render_template("processes/migrate.html", process_id=process_id, rows=rows, migration=shown,
                           labels=STATUS_LABELS)


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"
