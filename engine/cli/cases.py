"""`mesa-ayuda casos` and `mesa-ayuda tareas`: work the process from a terminal (operations, demos)."""

from __future__ import annotations

import json
from typing import Any

import click

from engine.cli.runner import run_service, service_context
from engine.helpdesk.service_levels import describe_seconds, describe_target
from engine.services.cases import tasks
from engine.services.cases.clocks import case_clocks
from engine.services.cases.start import complete_task, get_case, start_case
from engine.services.people.readable import readable_case
from engine.services.people.users import get_actor
from engine.services.views import CaseView, TaskView


def _data(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"JSON inválido: {exc.msg} (línea {exc.lineno}, columna {exc.colno})") from exc
    if not isinstance(value, dict):
        raise click.BadParameter("debe ser un objeto JSON, p. ej. '{\"asunto\": \"...\"}'")
    return value


def _show_case(case: CaseView) -> None:
    click.echo(f"caso {case.id} {case.ticket or '(sin ticket)'} · {case.state} · "
               f"{'abierto' if case.is_open else 'cerrado'} · {case.subject}")
    for task in case.ready_tasks:
        _show_task(task, indent="  ")


def _show_task(task: TaskView, indent: str = "") -> None:
    who = task.assignee or ",".join(task.candidate_groups + task.candidate_users) or "-"
    due = task.due_at.isoformat() if task.due_at else "-"
    click.echo(f"{indent}tarea {task.id} · {task.name} [{task.lane}] · {who} · vence {due} · "
               f"formulario {task.form_id}")


def register(main: click.Group) -> None:
    """Add the casos/tareas command groups to the main CLI."""

    @main.group("casos")
    def casos() -> None:
        """Casos del proceso."""

    @casos.command("reportar")
    @click.option("--como", "username", required=True, help="Usuario que reporta.")
    @click.option("--datos", "data", required=True, help="Datos del formulario de inicio (JSON).")
    @click.option("--a-nombre-de", "requester", help="Solicitante (solo agentes).")
    def report(username: str, data: str, requester: str | None) -> None:
        """Reporta un caso con los datos del formulario de inicio."""
        with service_context() as ctx:
            _show_case(run_service(lambda: start_case(
                ctx, get_actor(ctx, username), _data(data), requester=requester)))

    @casos.command("ver")
    @click.argument("case_id", type=int)
    @click.option("--como", "username", required=True)
    def show(case_id: int, username: str) -> None:
        """Muestra un caso, sus tareas y su historia."""
        with service_context() as ctx:
            actor = run_service(lambda: get_actor(ctx, username))
            case = readable_case(actor, run_service(lambda: get_case(ctx, actor, case_id)))
            clocks = run_service(lambda: case_clocks(ctx, actor, case_id))
            zone = ctx.settings.timezone
        _show_case(case)
        for clock in clocks:
            due = f" · vence {clock.due_at.astimezone(zone).isoformat()}" if clock.due_at else ""
            click.echo(f"  ANS {clock.label.lower()}: {clock.standing} · {describe_seconds(clock.elapsed_seconds)} "
                       f"de {describe_target(clock.target)} ({clock.percent} %) · en pausa "
                       f"{describe_seconds(clock.paused_seconds)}{due}")
        for event in case.history:
            click.echo(f"  #{event.seq} {event.occurred_at.isoformat()} {event.actor} {event.kind} "
                       f"{event.element_id or ''}")

    @main.group("tareas")
    def tareas() -> None:
        """Bandeja de tareas."""

    @tareas.command("listar")
    @click.option("--como", "username", required=True)
    @click.option("--vista", type=click.Choice(["mine", "groups", "all"]), default="all", show_default=True)
    def list_(username: str, vista: str) -> None:
        """Lista las tareas pendientes que el usuario puede ver."""
        with service_context() as ctx:
            found = run_service(lambda: tasks.list_tasks(ctx, get_actor(ctx, username), vista))  # type: ignore[arg-type]
        for task in found:
            _show_task(task)
        click.echo(f"{len(found)} tarea(s)")

    @tareas.command("completar")
    @click.argument("task_id")
    @click.option("--como", "username", required=True)
    @click.option("--datos", "data", default="{}", help="Datos del formulario de la tarea (JSON).")
    def complete(task_id: str, username: str, data: str) -> None:
        """Completa una tarea con los datos de su formulario."""
        with service_context() as ctx:
            _show_case(run_service(lambda: complete_task(ctx, get_actor(ctx, username), task_id,
                                                                 _data(data))))

    @tareas.command("tomar")
    @click.argument("task_id")
    @click.option("--como", "username", required=True)
    def claim(task_id: str, username: str) -> None:
        """Toma una tarea de sus grupos."""
        with service_context() as ctx:
            _show_task(run_service(lambda: tasks.claim_task(ctx, get_actor(ctx, username), task_id)))



