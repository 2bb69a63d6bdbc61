"""`mesa-ayuda mesas`: help desks, their dependencies and heads, groups, coordinators and protocols from a terminal.

The first run of an install without --demo: `init`, `users add admin ... --role admin`, then `mesas dependencia`,
`mesas crear`, `mesas grupos agregar`, `mesas importar ... --publicar`, after which requesters can report cases.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from engine.cli.background import instant
from engine.cli.runner import run_service, service_context
from engine.services.helpdesks import dependencies, desks, groups, heads, protocols, queries, transfer
from engine.services.helpdesks.reviews import send_review_reminders
from engine.services.helpdesks.views import HelpDeskView, ProtocolVersionView
from engine.services.people.users import get_actor

AS_USER = click.option("--como", "username", required=True, help="Usuario que actúa (administrador o coordinador).")


def _format_of(path: Path, given: str | None) -> str:
    if given:
        return given
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    raise click.BadParameter(f"no se sabe si '{path.name}' es JSON o YAML: use --formato o la extensión "
                             ".json, .yaml o .yml")


def _review(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} no es una fecha AAAA-MM-DD") from exc


def _show_desk(desk: HelpDeskView) -> None:
    click.echo(f"mesa {desk.code} · {desk.name} · prefijo {desk.ticket_prefix} · dependencia "
               f"{desk.dependency_code or '-'} · {'activa' if desk.active else 'inactiva'} · coordinadores: "
               f"{', '.join(desk.coordinators) or '-'}")


def _show_version(view: ProtocolVersionView) -> None:
    number = f"versión {view.number}" if view.number else "borrador"
    review = view.next_review.isoformat() if view.next_review else "-"
    services = len(view.document.catalogue.services)
    click.echo(f"protocolo de {view.help_desk_code}: {number} ({view.status}) · {services} servicio(s) · "
               f"próxima revisión {review}")


def register(main: click.Group) -> None:
    """Add the mesas command group."""

    @main.group("mesas")
    def mesas() -> None:
        """Mesas de ayuda, sus dependencias y jefes, grupos, coordinadores y protocolos."""

    @mesas.command("listar")
    @AS_USER
    def list_(username: str) -> None:
        """Lista las mesas con el estado de su protocolo."""
        with service_context() as ctx:
            actor = run_service(lambda: get_actor(ctx, username))
            found = run_service(lambda: desks.list_help_desks(ctx, actor))
            states = {s.help_desk_code: s for s in run_service(lambda: queries.protocol_status(ctx, actor))}
        for desk in found:
            _show_desk(desk)
            click.echo(f"  protocolo: {states[desk.code].state}")
        click.echo(f"{len(found)} mesa(s)")

    @mesas.command("dependencia")
    @click.argument("code")
    @click.option("--nombre", required=True)
    @click.option("--tipo", required=True, type=click.Choice(dependencies.KINDS))
    @click.option("--padre", help="Código de la dependencia de la que depende.")
    @AS_USER
    def dependency(code: str, nombre: str, tipo: str, padre: str | None, username: str) -> None:
        """Agrega una dependencia del DNP (subdirección, dirección o grupo)."""
        with service_context() as ctx:
            view = run_service(lambda: dependencies.add_dependency(
                ctx, get_actor(ctx, username), code, nombre, tipo, padre))
        click.echo(f"dependencia {view.code} · {view.name} ({view.kind}) · depende de {view.parent_code or '-'}")

    @mesas.command("crear")
    @click.argument("code")
    @click.option("--nombre", required=True)
    @click.option("--prefijo", required=True, help="Prefijo de los tickets (p. ej. TI).")
    @click.option("--dependencia", required=True)
    @click.option("--grupo-nivel1", default="", help="Por defecto CODIGO-nivel1.")
    @click.option("--grupo-nivel2", default="", help="Grupo de nivel 2 por defecto; CODIGO-nivel2 si se omite.")
    @AS_USER
    def create(code: str, nombre: str, prefijo: str, dependencia: str, grupo_nivel1: str, grupo_nivel2: str,
               username: str) -> None:
        """Crea una mesa de ayuda con sus grupos de nivel 1 y de nivel 2 por defecto."""
        spec = desks.NewHelpDesk(code, nombre, prefijo, dependencia, grupo_nivel1, grupo_nivel2)
        with service_context() as ctx:
            _show_desk(run_service(lambda: desks.create_help_desk(ctx, get_actor(ctx, username), spec)))

    @mesas.command("coordinador")
    @click.argument("code")
    @click.argument("user")
    @click.option("--retirar", is_flag=True, help="Quita al usuario en vez de agregarlo.")
    @AS_USER
    def coordinator(code: str, user: str, retirar: bool, username: str) -> None:
        """Agrega (o retira) un coordinador de la mesa."""
        verb = desks.remove_coordinator if retirar else desks.add_coordinator
        with service_context() as ctx:
            _show_desk(run_service(lambda: verb(ctx, get_actor(ctx, username), code, user)))

    @mesas.command("jefe")
    @click.argument("code", metavar="CODIGO_DEPENDENCIA")
    @click.argument("user", metavar="USUARIO")
    @click.option("--retirar", is_flag=True, help="Quita al usuario en vez de agregarlo.")
    @AS_USER
    def head(code: str, user: str, retirar: bool, username: str) -> None:
        """Agrega (o retira) un jefe de dependencia, que lee los casos de las mesas bajo ella (administradores)."""
        verb = heads.remove_head if retirar else heads.add_head
        with service_context() as ctx:
            names = run_service(lambda: verb(ctx, get_actor(ctx, username), code, user))
        click.echo(f"dependencia {code} · jefes: {', '.join(names) or '-'}")

    _register_groups(mesas)
    _register_protocols(mesas)


def _register_groups(mesas: click.Group) -> None:
    @mesas.group("grupos")
    def grupos() -> None:
        """Grupos de nivel de una mesa y sus miembros."""

    @grupos.command("listar")
    @click.argument("code")
    @AS_USER
    def list_groups(code: str, username: str) -> None:
        """Lista los grupos de la mesa con sus miembros."""
        with service_context() as ctx:
            found = run_service(lambda: groups.list_groups(ctx, get_actor(ctx, username), code))
        for group in found:
            external = " · proveedor/ente externo" if group.external else ""
            click.echo(f"nivel {group.level} · {group.name}{external} · {', '.join(group.members) or '-'}")

    @grupos.command("agregar")
    @click.argument("code")
    @click.argument("name")
    @click.option("--nivel", required=True, type=click.IntRange(1, 3))
    @click.option("--externo", is_flag=True, help="Proveedor o ente externo (solo nivel 3).")
    @click.option("--descripcion", default="")
    @AS_USER
    def add(code: str, name: str, nivel: int, externo: bool, descripcion: str, username: str) -> None:
        """Agrega un grupo de nivel a la mesa."""
        with service_context() as ctx:
            group = run_service(lambda: groups.add_group(ctx, get_actor(ctx, username), code, name, nivel,
                                                         external=externo, description=descripcion))
        click.echo(f"grupo {group.name} · nivel {group.level}{' · externo' if group.external else ''}")

    @grupos.command("miembro")
    @click.argument("code")
    @click.argument("group")
    @click.argument("user")
    @click.option("--retirar", is_flag=True, help="Quita al usuario en vez de agregarlo.")
    @AS_USER
    def member(code: str, group: str, user: str, retirar: bool, username: str) -> None:
        """Agrega (o retira) un usuario de un grupo de la mesa."""
        verb = groups.remove_member if retirar else groups.add_member
        with service_context() as ctx:
            view = run_service(lambda: verb(ctx, get_actor(ctx, username), code, group, user))
        click.echo(f"grupo {view.name}: {', '.join(view.members) or '-'}")


def _register_protocols(mesas: click.Group) -> None:
    @mesas.command("exportar")
    @click.argument("code")
    @click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Archivo; si no, stdout.")
    @click.option("--formato", type=click.Choice(transfer.FORMATS), help="Por defecto, según la extensión de --out.")
    @click.option("--version", "number", type=int, help="Número de versión; por defecto la vigente.")
    @click.option("--borrador", is_flag=True, help="Exporta el borrador.")
    @AS_USER
    def export(code: str, out: Path | None, formato: str | None, number: int | None, borrador: bool,
               username: str) -> None:
        """Exporta el protocolo de la mesa como un archivo YAML o JSON."""
        fmt = _format_of(out, formato) if out else formato or "yaml"
        which: str | int = protocols.DRAFT if borrador else number or queries.CURRENT
        with service_context() as ctx:
            text = run_service(lambda: transfer.export_protocol(ctx, get_actor(ctx, username), code, fmt, which))
        if out is None:
            click.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8")
            click.echo(f"protocolo de {code} exportado a {out}")

    @mesas.command("importar")
    @click.argument("code")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--formato", type=click.Choice(transfer.FORMATS), help="Por defecto, según la extensión.")
    @click.option("--publicar", is_flag=True, help="Publica el borrador importado.")
    @AS_USER
    def import_(code: str, path: Path, formato: str | None, publicar: bool, username: str) -> None:
        """Importa un archivo como borrador del protocolo (y lo publica con --publicar)."""
        fmt, text = _format_of(path, formato), path.read_text(encoding="utf-8")
        with service_context() as ctx:
            actor = run_service(lambda: get_actor(ctx, username))
            view = run_service(lambda: transfer.import_protocol(ctx, actor, code, text, fmt))
            if publicar:
                view = run_service(lambda: protocols.publish(ctx, actor, code))
        _show_version(view)

    @mesas.command("publicar")
    @click.argument("code")
    @click.option("--proxima-revision", "review", help="AAAA-MM-DD; por defecto, en 12 meses.")
    @click.option("--notas", default=None)
    @AS_USER
    def publish(code: str, review: str | None, notas: str | None, username: str) -> None:
        """Publica el borrador del protocolo como nueva versión."""
        with service_context() as ctx:
            _show_version(run_service(lambda: protocols.publish(
                ctx, get_actor(ctx, username), code, next_review=_review(review), notes=notas)))

    @mesas.command("estado")
    @AS_USER
    def status(username: str) -> None:
        """Estado del protocolo de cada mesa: vigente, por vencer, vencido o sin protocolo."""
        with service_context() as ctx:
            found = run_service(lambda: queries.protocol_status(ctx, get_actor(ctx, username)))
        for item in found:
            review = f" · revisión {item.next_review.isoformat()} ({item.days_left} días)" if item.next_review else ""
            draft = " · con borrador" if item.has_draft else ""
            number = f" v{item.number}" if item.number else ""
            click.echo(f"{item.help_desk_code}{number}: {item.state}{review}{draft}")

    @mesas.command("recordatorios")
    @click.option("--now", "now_text", help="Instante ISO-8601 con zona (por defecto: ahora).")
    def reminders(now_text: str | None) -> None:
        """Envía ahora los recordatorios de revisión anual de protocolos que correspondan (cada uno una vez)."""
        at = instant(now_text) if now_text else None
        with service_context(at) as ctx:
            report = run_service(lambda: send_review_reminders(ctx))
        for item in report.sent:
            click.echo(f"{item.help_desk_code} v{item.version} ({item.slot}): {', '.join(item.recipients)}")
        for code, error in report.failed:
            click.echo(f"{code}: falló: {error}", err=True)
        click.echo(f"{len(report.sent)} recordatorio(s) en cola")
        if report.failed:
            raise SystemExit(1)
