"""`mesa-ayuda audit verify` and `audit replay`: check the hash chains, rebuild cases from their events."""

from __future__ import annotations

import sys
from collections.abc import Iterable

import click

from engine.cli.runner import run_service, service_context
from engine.replay.service import ReplayReport, iter_replays, replay_case
from engine.services.audit.chains import verify_chains
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


def register(main: click.Group) -> None:
    """Add the `audit` command group with `verify` and `replay` (`export` adds itself to it)."""

    @main.group()
    def audit() -> None:
        """Auditoría de los casos."""

    @audit.command("verify")
    @click.argument("case_id", required=False, type=int)
    def audit_verify(case_id: int | None) -> None:
        """Verifica las cadenas de hash de un caso o de todos."""
        with service_context() as ctx:
            checked, problems = run_service(lambda: verify_chains(ctx, case_id))
        for problem in problems:
            where = f"evento {problem.seq}" if problem.seq else "cadena"
            click.echo(f"caso {problem.case_id}: {where}: {problem.message}", err=True)
        click.echo(f"{checked} caso(s) verificados, {len(problems)} con problemas")
        if problems:
            sys.exit(1)

    @audit.command("replay")
    @click.argument("case_id", required=False, type=int)
    @click.option("--all", "every", is_flag=True, help="Reproduce todos los casos.")
    def replay(case_id: int | None, every: bool) -> None:
        """Reproduce un caso (o todos) desde su versión y sus eventos y lo compara con lo guardado."""
        if (case_id is not None) == every:
            raise click.UsageError("indique un caso o --all (no ambos)")
        with service_context() as ctx:
            if case_id is None:
                failed = run_service(lambda: _print(iter_replays(ctx)))
            else:
                failed = _print([run_service(lambda: replay_case(ctx, SYSTEM, case_id))])
        if failed:
            sys.exit(1)
