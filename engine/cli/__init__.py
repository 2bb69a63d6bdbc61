"""The `mesa-ayuda` command: one module per command group, registered on `main` here.

`web.cli` adds `serve` (which composes the web application) and is the installed console entry point.
"""

from __future__ import annotations

import click

from engine.cli import audit, background, cases, export, helpdesks, migrate, process, users


@click.group()
def main() -> None:
    """Mesa de Ayuda: el procedimiento de asistencia técnica del DNP ejecutado como BPMN."""


for _module in (process, background, audit, export, users, cases, migrate, helpdesks):
    _module.register(main)
