"""`mesa-ayuda init`, `validate` and `deploy`: the schema, the process files and the demo data."""

from __future__ import annotations

from pathlib import Path

import click

from engine.cli.runner import run_service, service_context
from engine.db.schema import upgrade
from engine.deployment import SourceFile, validate_deployment
from engine.helpdesk.effects import DEFAULT_HANDLERS
from engine.services.processes.deploy import deploy as deploy_files
from engine.setup.bootstrap import initialise, seed_demo
from engine.setup.demo_cases import seed_demo_cases

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _sources(bpmn: Path, forms: tuple[Path, ...]) -> tuple[SourceFile, list[SourceFile]]:
    if not forms:
        # Camunda Modeler projects keep forms beside the diagram or in a sibling forms/ folder.
        forms = tuple(sorted({*bpmn.parent.glob("*.form"), *(bpmn.parent.parent / "forms").glob("*.form")}))
    return SourceFile(bpmn.name, bpmn.read_bytes()), [SourceFile(f.name, f.read_bytes()) for f in forms]


_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def register(main: click.Group) -> None:
    """Add init, validate and deploy to the main command group."""

    @main.command()
    @click.option("--demo", is_flag=True, help="Agrega la mesa de demostración, sus grupos y usuarios.")
    @click.option("--ejemplos", is_flag=True,
                  help="Con --demo: agrega casos de ejemplo en distintos pasos si la base aún no tiene casos.")
    def init(demo: bool, ejemplos: bool) -> None:
        """Crea o actualiza el esquema y despliega bpmn/ y forms/."""
        if ejemplos and not demo:
            raise click.UsageError("--ejemplos va con --demo: los casos de ejemplo usan la mesa y los usuarios "
                                   "de la demostración")
        with service_context() as ctx:
            for view in run_service(lambda: initialise(ctx, "sistema")):
                status = "nueva versión" if view.created else "sin cambios"
                click.echo(f"{view.process_id} v{view.version} ({status}) {view.content_hash[:12]}")
            if demo:
                users = run_service(lambda: seed_demo(ctx))
                click.echo("Usuarios de demostración (contraseña = nombre de usuario; solo para demostración):")
                for user in users:
                    groups = f" grupos: {', '.join(user.groups)}" if user.groups else ""
                    click.echo(f"  {user.username:<12} rol: {user.role}{groups}")
            if ejemplos:
                made = run_service(lambda: seed_demo_cases(ctx))
                if made:
                    click.echo("Casos de ejemplo:")
                for case in made:
                    click.echo(f"  {case.ticket or f'caso {case.id}'}: {case.subject} ({case.state})")
                if not made:
                    click.echo("Casos de ejemplo: la base ya tiene casos; no se agregan.")

    @main.command()
    @click.argument("bpmn", type=_FILE)
    @click.argument("forms", nargs=-1, type=_FILE)
    def validate(bpmn: Path, forms: tuple[Path, ...]) -> None:
        """Valida un .bpmn y sus formularios sin desplegar nada."""
        source, form_sources = _sources(bpmn, forms)
        checked = run_service(lambda: validate_deployment(source, form_sources, frozenset(DEFAULT_HANDLERS)))
        click.echo(f"{bpmn.name}: válido (proceso {checked.process_id}, formularios: {', '.join(checked.forms)})")


    @main.command()
    @click.argument("bpmn", type=_FILE)
    @click.argument("forms", nargs=-1, type=_FILE)
    @click.option("--by", "deployed_by", default="cli", show_default=True, help="Quién despliega (auditoría).")
    def deploy(bpmn: Path, forms: tuple[Path, ...], deployed_by: str) -> None:
        """Valida y despliega una nueva versión (contenido idéntico no crea versión)."""
        source, form_sources = _sources(bpmn, forms)
        with service_context() as ctx:
            upgrade(ctx.db)
            view = run_service(lambda: deploy_files(ctx, deployed_by, source, form_sources))
        status = "desplegada" if view.created else "sin cambios (contenido idéntico)"
        click.echo(f"{view.process_id} v{view.version} {status} {view.content_hash[:12]}")
