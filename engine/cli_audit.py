"""`mesa-ayuda audit replay`: rebuild cases from their events and compare them with what is stored."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import click

from engine.services.replay import ReplayReport, iter_replays, replay_case
from engine.services.views import SYSTEM


def _print(reports: Iterable[ReplayReport]) -> int:
    """Print each report as it comes; return how many had problems."""
    checked = failed = 0
    for report in reports:
        checked += 1
        if report.ok:
            click.echo(f"caso {report.case_id}: OK ({len(report.steps)} pasos reproducidos)")
            continue
        failed += 1
        click.echo(f"caso {report.case_id}: {len(report.problems)} problema(s)")
        for problem in report.problems:
            click.echo(f"caso {report.case_id}: {problem}", err=True)
    click.echo(f"{checked} caso(s) reproducidos, {failed} con problemas")
    return failed


def register(main: click.Group, context: Any, run: Any) -> None:
    """Add `replay` to the `audit` command group (created when missing)."""
    audit = main.commands.get("audit")
    if not isinstance(audit, click.Group):
        audit = click.Group("audit", help="Auditoría de los casos.")
        main.add_command(audit)

    @audit.command("replay")
    @click.argument("case_id", required=False, type=int)
    @click.option("--all", "every", is_flag=True, help="Reproduce todos los casos.")
    def replay(case_id: int | None, every: bool) -> None:
        """Reproduce un caso (o todos) desde su versión y sus eventos y lo compara con lo guardado."""
        if (case_id is not None) == every:
            raise click.UsageError("indique un caso o --all (no ambos)")
        with context() as ctx:
            if case_id is None:
                failed = run(lambda: _print(iter_replays(ctx)))
            else:
                failed = _print([run(lambda: replay_case(ctx, SYSTEM, case_id))])
        if failed:
            sys.exit(1)
