"""The `mesa-ayuda` command against a real SQLite file: init, validate, deploy, timers, audit, users."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select, text

from engine.clock import FixedClock, SystemClock
from engine.config import Settings
from engine.db.models import Deployment, User
from engine.db.session import Database
from engine.helpdesk.effects import DEFAULT_HANDLERS
from engine.replay.service import replay_all
from engine.services.cases.queries import list_cases
from engine.services.context import ServiceContext
from engine.services.people.users import actor_for_token, authenticate, get_actor
from engine.services.views import CaseView
from engine.setup.bootstrap import DEMO_USERS
from tests import helpers
from tests.conftest import FIXTURES, ROOT, T0
from tests.integration import smtp_server
from web.cli import main

BAD = FIXTURES / "bad"
MAIN_DIAGRAM = ROOT / "bpmn" / "mesa_de_ayuda.bpmn"
NEW_CASE = {"mesa": "ti", "aplicacion": "SISCONPES", "tipo": "incidencia", "asunto": "No carga el tablero",
            "descripcion": "Al ingresar aparece un error 500", "canal": "portal", "contacto": "sofia@example.org"}
FAR_FUTURE = "2030-01-01T00:00:00-05:00"
BOGOTA = ZoneInfo("America/Bogota")


class Cli:
    """Runs `mesa-ayuda` in-process with MESA_* pointing at one temporary SQLite database."""

    def __init__(self, tmp_path: Path) -> None:
        self.env = {"MESA_INSTANCE_PATH": str(tmp_path / "instance"),
                    "MESA_DATABASE_URL": f"sqlite:///{tmp_path / 'mesa.db'}"}
        self.runner = CliRunner(env=self.env)

    def __call__(self, *args: str | Path) -> Result:
        return self.runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    def ok(self, *args: str | Path) -> str:
        result = self(*args)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return result.stdout

    def context(self) -> ServiceContext:
        """Services on the same database, with the tests' clock."""
        return ServiceContext(Database(self.env["MESA_DATABASE_URL"]), Settings.from_env(self.env), FixedClock(T0))

    def count(self, model: type[Deployment] | type[User]) -> int:
        db = Database(self.env["MESA_DATABASE_URL"])
        try:
            with db.read() as session:
                return int(session.scalar(select(func.count()).select_from(model)) or 0)
        finally:
            db.dispose()


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


@pytest.fixture
def demo(cli: Cli) -> Iterator[ServiceContext]:
    """`init --demo` done; a service context on the same database (disposed afterwards)."""
    cli.ok("init", "--demo")
    ctx = cli.context()
    yield ctx
    ctx.db.dispose()


def walk_to_validation(ctx: ServiceContext) -> CaseView:
    """A case of the real process solved at level 2, waiting for the requester's validation (timers armed)."""
    case = helpers.walk_to_validation(ctx).case
    assert case is not None and [t.element_id for t in case.ready_tasks] == ["Activity_ValidarSolucion"]
    return case


def line_of(content: str, anchor: str) -> int:
    lines = [n for n, line in enumerate(content.splitlines(), 1) if anchor in line]
    assert len(lines) == 1, (anchor, lines)
    return lines[0]


def project_copy(tmp_path: Path, diagram: str) -> Path:
    """A Camunda Modeler project folder (bpmn/ + forms/) holding `diagram`; returns the .bpmn path."""
    project = tmp_path / "proyecto"
    (project / "bpmn").mkdir(parents=True)
    shutil.copytree(ROOT / "forms", project / "forms")
    path = project / "bpmn" / "mesa_de_ayuda.bpmn"
    path.write_text(diagram, encoding="utf-8")
    return path


def broken_main_diagram() -> str:
    """The real diagram with an unknown topic and a condition that does not parse."""
    real = MAIN_DIAGRAM.read_text(encoding="utf-8")
    assert real.count('camunda:topic="notificar_ticket"') == 1
    assert real.count("${informacion_completa}") == 1
    return (real.replace('camunda:topic="notificar_ticket"', 'camunda:topic="notificar_por_fax"')
            .replace("${informacion_completa}", "${informacion_completa ==}"))


# ------------------------------------------------------------------------------------------------- init


def test_init_creates_the_schema_and_deploys_the_process(cli: Cli) -> None:
    out = cli.ok("init")
    assert re.fullmatch(r"mesa_de_ayuda v1 \(nueva versión\) [0-9a-f]{12}\n", out)
    assert cli.count(Deployment) == 1
    assert cli.count(User) == 0


def test_init_twice_changes_nothing(cli: Cli) -> None:
    first = cli.ok("init")
    second = cli.ok("init")
    assert "mesa_de_ayuda v1 (sin cambios)" in second
    assert first.split()[-1] == second.split()[-1]  # same content hash
    assert cli.count(Deployment) == 1


def test_init_demo_lists_the_demo_users_and_their_password_rule(cli: Cli) -> None:
    out = cli.ok("init", "--demo")
    assert "contraseña = nombre de usuario" in out
    for user in DEMO_USERS:
        assert re.search(rf"^\s+{user.username}\s+rol: {user.role}", out, re.MULTILINE), user.username
    ctx = cli.context()
    try:
        assert authenticate(ctx, "nivel1", "nivel1") is not None
        assert authenticate(ctx, "nivel1", "otra") is None
    finally:
        ctx.db.dispose()


def test_init_demo_twice_is_idempotent(cli: Cli) -> None:
    cli.ok("init", "--demo")
    users = cli.count(User)
    out = cli.ok("init", "--demo")
    assert "(sin cambios)" in out
    assert (cli.count(User), cli.count(Deployment)) == (users, 1)


def test_init_demo_with_examples_leaves_cases_at_each_kind_of_step_that_replay(cli: Cli) -> None:
    out = cli.ok("init", "--demo", "--ejemplos")
    assert "Casos de ejemplo:" in out and "No carga el tablero de control (cerrado)" in out
    ctx = cli.context()
    try:
        shown = list_cases(ctx, get_actor(ctx, "auditor"), limit=10)
        waiting = {case.subject: (case.state, [task.element_id for task in case.ready_tasks]) for case in shown}
        assert waiting == {
            "No puedo conectarme a la VPN": ("en revisión", ["Activity_RevisarRegistrar"]),
            "Buzón compartido para la oficina de planeación":
                ("pendiente de información", ["Activity_CompletarInformacion"]),
            "Error al generar el reporte de proyectos": ("asignado a nivel 2", ["Activity_AnalizarSolucionar"]),
            "No carga el tablero de control": ("cerrado", []),
        }
        assert [report.problems for report in replay_all(ctx) if not report.ok] == []
    finally:
        ctx.db.dispose()
    again = cli.ok("init", "--demo", "--ejemplos")
    assert "la base ya tiene casos; no se agregan" in again
    refused = cli("init", "--ejemplos")
    assert refused.exit_code == 2 and "--ejemplos va con --demo" in refused.output


# --------------------------------------------------------------------------------------------- validate


def test_validate_accepts_the_real_diagram(cli: Cli) -> None:
    out = cli.ok("validate", MAIN_DIAGRAM)
    assert out.startswith("mesa_de_ayuda.bpmn: válido (proceso mesa_de_ayuda")
    assert "reportar_caso" in out


def test_validate_accepts_explicit_form_files(cli: Cli) -> None:
    forms = sorted(FIXTURES.glob("lineal_*.form"))
    out = cli.ok("validate", FIXTURES / "lineal.bpmn", *forms)
    assert "válido (proceso proceso_lineal, formularios: lineal_a, lineal_b, lineal_c)" in out


def test_validate_reports_every_problem_with_element_and_line(cli: Cli, tmp_path: Path) -> None:
    diagram = broken_main_diagram()
    path = project_copy(tmp_path, diagram)
    result = cli("validate", path)
    assert result.exit_code != 0
    assert result.stdout == ""
    topic_line = line_of(diagram, 'camunda:topic="notificar_por_fax"')
    flow_line = line_of(diagram, 'id="Flow_InformacionCompleta"')
    assert f"error: mesa_de_ayuda.bpmn:{topic_line} [Activity_NotificarTicket]: tema 'notificar_por_fax'" \
        in result.stderr
    assert f"error: mesa_de_ayuda.bpmn:{flow_line} [Flow_InformacionCompleta]: condición inválida" in result.stderr


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("xxe_passwd.bpmn", "DOCTYPE", id="xxe"),
        pytest.param("external_dtd.bpmn", "DOCTYPE", id="external-dtd"),
        pytest.param("mal_formado.bpmn", "error: mal_formado.bpmn:9: XML mal formado", id="malformed"),
    ],
)
def test_validate_refuses_unsafe_or_malformed_xml(cli: Cli, name: str, expected: str) -> None:
    result = cli("validate", BAD / name, *sorted(FIXTURES.glob("lineal_*.form")))
    assert result.exit_code != 0
    assert expected in result.stderr
    assert "root:" not in result.stderr


def test_validate_reports_a_broken_form_file(cli: Cli) -> None:
    forms = [*sorted(FIXTURES.glob("lineal_*.form")), BAD / "formulario_json_invalido.form"]
    result = cli("validate", FIXTURES / "lineal.bpmn", *forms)
    assert result.exit_code != 0
    assert "formulario_json_invalido.form" in result.stderr
    assert "línea 6, columna 3" in result.stderr


def test_validate_needs_no_database(cli: Cli, tmp_path: Path) -> None:
    cli.ok("validate", MAIN_DIAGRAM)
    assert not (tmp_path / "mesa.db").exists()


def test_validate_of_a_missing_file_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("validate", tmp_path / "no_existe.bpmn")
    assert result.exit_code == 2
    assert "no_existe.bpmn" in result.stderr


# ----------------------------------------------------------------------------------------------- deploy


def test_deploy_stores_a_version_and_identical_content_changes_nothing(cli: Cli) -> None:
    out = cli.ok("deploy", MAIN_DIAGRAM, "--by", "dueno")
    assert re.fullmatch(r"mesa_de_ayuda v1 desplegada [0-9a-f]{12}\n", out)
    again = cli.ok("deploy", MAIN_DIAGRAM)
    assert "mesa_de_ayuda v1 sin cambios (contenido idéntico)" in again
    assert cli.count(Deployment) == 1
    ctx = cli.context()
    try:
        with ctx.db.read() as session:
            assert session.scalar(select(Deployment.deployed_by)) == "dueno"
    finally:
        ctx.db.dispose()


def test_deploy_of_a_changed_diagram_makes_version_2(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init")
    real = MAIN_DIAGRAM.read_text(encoding="utf-8")
    changed = real.replace('name="Analizar y solucionar"', 'name="Analizar y resolver"')
    assert changed != real
    out = cli.ok("deploy", project_copy(tmp_path, changed))
    assert out.startswith("mesa_de_ayuda v2 desplegada")
    assert cli.count(Deployment) == 2


def test_deploy_with_explicit_forms(cli: Cli) -> None:
    out = cli.ok("deploy", FIXTURES / "lineal.bpmn", *sorted(FIXTURES.glob("lineal_*.form")))
    assert out.startswith("proceso_lineal v1 desplegada")


def test_broken_deploy_fails_and_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init")
    diagram = broken_main_diagram()
    result = cli("deploy", project_copy(tmp_path, diagram))
    assert result.exit_code != 0
    flow_line = line_of(diagram, 'id="Flow_InformacionCompleta"')
    assert "[Activity_NotificarTicket]" in result.stderr
    assert f"mesa_de_ayuda.bpmn:{flow_line} [Flow_InformacionCompleta]" in result.stderr
    assert cli.count(Deployment) == 1


def test_deploy_of_an_xxe_file_stores_nothing(cli: Cli) -> None:
    cli.ok("init")
    result = cli("deploy", BAD / "xxe_passwd.bpmn", *sorted(FIXTURES.glob("lineal_*.form")))
    assert result.exit_code != 0
    assert "DOCTYPE" in result.stderr
    assert "root:" not in result.stdout + result.stderr
    assert cli.count(Deployment) == 1


# ----------------------------------------------------------------------------------------------- timers


def test_timers_run_fires_due_timers_and_prints_them(cli: Cli, demo: ServiceContext) -> None:
    case = walk_to_validation(demo)
    out = cli.ok("timers", "run", "--now", FAR_FUTURE)
    line = next(line for line in out.splitlines() if line.startswith(f"caso {case.id} "))
    assert case.ticket is not None
    assert case.ticket in line
    assert "Event_RecordatorioValidacion" in line
    assert "Event_PlazoValidacionVencido" in line
    assert line.endswith("→ cerrado automáticamente")
    assert out.endswith("1 caso(s) con temporizadores disparados\n")


def test_timers_run_fires_nothing_before_the_due_time(cli: Cli, demo: ServiceContext) -> None:
    case = walk_to_validation(demo)
    assert case.next_timer_at is not None
    early = (case.next_timer_at - timedelta(minutes=1)).astimezone(BOGOTA)
    assert cli.ok("timers", "run", "--now", early.isoformat()) == "0 caso(s) con temporizadores disparados\n"
    fired = cli.ok("timers", "run", "--now", case.next_timer_at.astimezone(BOGOTA).isoformat())
    assert "Event_RecordatorioValidacion" in fired


def test_timers_fire_only_once(cli: Cli, demo: ServiceContext) -> None:
    walk_to_validation(demo)
    cli.ok("timers", "run", "--now", FAR_FUTURE)
    assert cli.ok("timers", "run", "--now", FAR_FUTURE) == "0 caso(s) con temporizadores disparados\n"


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        pytest.param("2030-01-01T00:00:00", "zona horaria", id="without-offset"),
        pytest.param("mañana", "no es ISO-8601", id="not-iso"),
    ],
)
def test_timers_run_now_must_be_an_aware_iso_instant(cli: Cli, value: str, hint: str) -> None:
    result = cli("timers", "run", "--now", value)
    assert result.exit_code == 2
    assert "--now" in result.stderr
    assert hint in result.stderr
    assert result.stdout == ""


# ------------------------------------------------------------------------------------------------ audit


def test_audit_verify_passes_on_clean_cases(cli: Cli, demo: ServiceContext) -> None:
    walk_to_validation(demo)
    walk_to_validation(demo)
    assert cli.ok("audit", "verify") == "2 caso(s) verificados, 0 con problemas\n"


def test_audit_verify_names_the_tampered_case(cli: Cli, demo: ServiceContext) -> None:
    clean = walk_to_validation(demo)
    tampered = walk_to_validation(demo)
    with demo.db.write() as session:
        changed = session.execute(
            text("UPDATE case_events SET payload_json = :payload WHERE case_id = :case AND seq = 2"),
            {"payload": '{"data": {"impacto": "bajo"}}', "case": tampered.id},
        )
        assert changed.rowcount == 1  # type: ignore[attr-defined]
    result = cli("audit", "verify")
    assert result.exit_code != 0
    assert f"caso {tampered.id}: evento 2:" in result.stderr
    assert f"caso {clean.id}:" not in result.stderr
    assert "2 caso(s) verificados, 1 con problemas" in result.stdout
    single = cli("audit", "verify", str(tampered.id))
    assert single.exit_code != 0
    assert f"caso {tampered.id}: evento 2:" in single.stderr
    cli.ok("audit", "verify", str(clean.id))


def test_audit_verify_of_an_unknown_case_fails(cli: Cli) -> None:
    cli.ok("init")
    result = cli("audit", "verify", "999")
    assert result.exit_code != 0
    assert "el caso 999 no existe" in result.stderr


# ------------------------------------------------------------------------------------------------ users


def test_users_add_creates_a_user_with_groups(cli: Cli) -> None:
    cli.ok("init")
    out = cli.ok("users", "add", "ana", "--email", "ana@example.org", "--role", "agente",
                 "--group", "ti-nivel1", "--group", "equipo", "--full-name", "Ana Agente", "--password", "s3creta")
    assert out == "usuario ana (agente) grupos: equipo, ti-nivel1\n"
    ctx = cli.context()
    try:
        actor = authenticate(ctx, "ana", "s3creta")
        assert actor is not None
        assert actor.groups == frozenset({"equipo", "ti-nivel1"})
    finally:
        ctx.db.dispose()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        pytest.param(("ana", "--email", "ana@example.org", "--role", "jefe"), 2, "'jefe' is not one of",
                     id="unknown-role"),
        pytest.param(("ana", "--email", "no-es-correo", "--role", "agente"), 1, "'no-es-correo' no es un correo",
                     id="bad-email"),
        pytest.param(("Ana María", "--email", "ana@example.org", "--role", "agente"), 1, "username",
                     id="bad-username"),
        pytest.param(("ana", "--role", "agente"), 2, "--email", id="missing-email"),
    ],
)
def test_users_add_refuses_bad_input(cli: Cli, args: Sequence[str], code: int, message: str) -> None:
    cli.ok("init")
    result = cli("users", "add", *args, "--password", "x")
    assert result.exit_code == code
    assert message in result.stderr
    assert cli.count(User) == 0


def test_users_add_refuses_an_existing_user(cli: Cli) -> None:
    cli.ok("init", "--demo")
    result = cli("users", "add", "nivel1", "--email", "n1@example.org", "--role", "agente", "--password", "x")
    assert result.exit_code == 1
    assert "el usuario 'nivel1' ya existe" in result.stderr


def test_users_token_prints_a_working_token(cli: Cli, demo: ServiceContext) -> None:
    out = cli.ok("users", "token", "nivel2")
    token = out.strip()
    assert re.fullmatch(r"mda_[A-Za-z0-9_-]{40,}", token)
    actor = actor_for_token(demo, token)
    assert actor is not None
    assert actor.username == "nivel2"
    assert cli.ok("users", "token", "nivel2").strip() != token


def test_users_token_for_an_unknown_user_fails(cli: Cli) -> None:
    cli.ok("init")
    result = cli("users", "token", "nadie")
    assert result.exit_code != 0
    assert "el usuario 'nadie' no existe" in result.stderr
    assert result.stdout == ""


# ------------------------------------------------------------------------------ installed entry point


def _console_script() -> Path:
    script = Path(sys.executable).parent / "mesa-ayuda"
    assert script.exists(), f"falta el script {script}: instale el proyecto (pip install -e .)"
    return script


def test_installed_console_script_shows_help() -> None:
    done = subprocess.run([_console_script(), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    for command in ("init", "validate", "deploy", "timers", "audit", "users", "scheduler"):
        assert re.search(rf"^\s+{command}\b", done.stdout, re.MULTILINE), command


def test_installed_console_script_runs_init_demo(tmp_path: Path) -> None:
    env = {**os.environ, "MESA_INSTANCE_PATH": str(tmp_path / "instance"),
           "MESA_DATABASE_URL": f"sqlite:///{tmp_path / 'mesa.db'}"}
    done = subprocess.run([_console_script(), "init", "--demo"], capture_output=True, text=True, timeout=120,
                          env=env, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    assert "mesa_de_ayuda v1 (nueva versión)" in done.stdout
    assert "contraseña = nombre de usuario" in done.stdout
    assert (tmp_path / "mesa.db").exists()


def test_topics_known_to_validate_are_the_engine_handlers(cli: Cli, tmp_path: Path) -> None:
    """The CLI validates against the same topics the services run (no second list to drift)."""
    result = cli("validate", project_copy(tmp_path, broken_main_diagram()))
    listed = re.search(r"temas disponibles: ([^)]*)\)", result.stderr)
    assert listed is not None
    assert listed.group(1).split(", ") == sorted(DEFAULT_HANDLERS)


def test_mail_send_delivers_the_outbox_over_smtp(cli: Cli, demo: ServiceContext) -> None:
    now = SystemClock().now()
    walk_to_validation(dataclasses.replace(demo, clock=FixedClock(now)))  # queues the ticket and solution emails
    with smtp_server() as (url, handler):
        cli.runner.env["MESA_SMTP_URL"] = url
        output = cli.ok("mail", "send")
        again = cli.ok("mail", "send")
    assert "2 enviado(s), 0 por reintentar, 0 fallido(s)" in output
    assert "0 enviado(s)" in again
    assert [m["Subject"].split("]")[0] for m in handler.messages()] == [f"[TI-{now.year}-000001"] * 2


def test_mail_send_without_smtp_says_how_to_configure_it(cli: Cli, demo: ServiceContext) -> None:
    result = cli("mail", "send")
    assert result.exit_code == 1 and "MESA_SMTP_URL" in result.stderr
