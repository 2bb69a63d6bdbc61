"""`mesa-ayuda mesas` against a real SQLite file: the first run from a terminal, the export/import round trip and
naming the heads of dependencies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from engine.helpdesk.protocol import default_protocol
from engine.services.helpdesks.heads import list_heads
from engine.services.helpdesks.queries import get_version
from engine.services.people.users import get_actor
from tests.integration.test_cli import Cli


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def test_first_run_from_the_terminal(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init")
    cli.ok("users", "add", "admin", "--email", "admin@dnp.gov.co", "--role", "admin", "--password", "clave")
    cli.ok("mesas", "dependencia", "sg", "--nombre", "Secretaría General", "--tipo", "subdireccion", "--como", "admin")
    cli.ok("mesas", "dependencia", "gth", "--nombre", "Grupo de Talento Humano", "--tipo", "grupo", "--padre", "sg",
           "--como", "admin")
    out = cli.ok("mesas", "crear", "rh", "--nombre", "Mesa de Talento Humano", "--prefijo", "RH",
                 "--dependencia", "gth", "--como", "admin")
    assert out.startswith("mesa rh · Mesa de Talento Humano · prefijo RH · dependencia gth · activa")
    cli.ok("mesas", "grupos", "agregar", "rh", "rh-proveedor", "--nivel", "3", "--externo", "--como", "admin")
    assert "nivel 3 · rh-proveedor · proveedor/ente externo" in cli.ok("mesas", "grupos", "listar", "rh",
                                                                         "--como", "admin")
    ctx = cli.context()
    try:
        document = default_protocol(ctx.settings, "rh-nivel2").to_dict()
    finally:
        ctx.db.dispose()
    document["catalogo"]["servicios"] = [{"nombre": "Nómina", "descripcion": "", "grupo_nivel2": "rh-nivel2",
                                          "grupo_nivel3": "rh-proveedor"}]
    path = tmp_path / "protocolo.json"
    path.write_text(json.dumps({"protocolo": document}), encoding="utf-8")
    out = cli.ok("mesas", "importar", "rh", path, "--publicar", "--como", "admin")
    assert out.startswith("protocolo de rh: versión 1 (publicado) · 1 servicio(s) · próxima revisión ")
    assert "rh v1: vigente" in cli.ok("mesas", "estado", "--como", "admin")
    assert "protocolo: vigente" in cli.ok("mesas", "listar", "--como", "admin")


def test_export_edit_import_publish_round_trip(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init", "--demo")
    exported = tmp_path / "ti.yaml"
    assert cli.ok("mesas", "exportar", "ti", "--out", exported, "--como", "admin") == \
        f"protocolo de ti exportado a {exported}\n"
    data = yaml.safe_load(exported.read_text(encoding="utf-8"))
    assert (data["mesa"], data["version"], data["estado"]) == ("ti", 1, "publicado")
    data["protocolo"]["plazos"]["validacion"] = 7
    exported.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert "versión 2 (publicado)" in cli.ok("mesas", "importar", "ti", exported, "--publicar", "--como", "admin")
    again = json.loads(cli.ok("mesas", "exportar", "ti", "--formato", "json", "--como", "admin"))
    assert again["version"] == 2 and again["protocolo"] == data["protocolo"]
    ctx = cli.context()
    try:
        assert get_version(ctx, get_actor(ctx, "auditor"), "ti").document.deadlines["validacion"] == 7
    finally:
        ctx.db.dispose()


def test_a_bad_file_is_refused_with_every_problem_and_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init", "--demo")
    data = yaml.safe_load(cli.ok("mesas", "exportar", "ti", "--como", "admin"))
    data["protocolo"]["ans"]["peticion"]["media"]["resolucion"]["valor"] = 16
    data["protocolo"]["ans"]["peticion"]["media"]["resolucion"]["unidad"] = "dias"
    data["protocolo"]["canales"]["correo"]["contacto"] = ""
    data["proxima_revision"] = "2030-01-01"
    bad = tmp_path / "malo.yml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = cli("mesas", "importar", "ti", bad, "--publicar", "--como", "admin")
    assert result.exit_code == 1
    for line in ("protocolo.ans.peticion.media.resolucion: 16 días hábiles excede el término legal",
                 "protocolo.canales.correo.contacto: el canal correo habilitado necesita una dirección",
                 "proxima_revision: la próxima revisión (2030-01-01) debe ser a más tardar el "):
        assert line in result.stderr, result.stderr
    assert "ti v1: vigente" in cli.ok("mesas", "estado", "--como", "admin")
    refused = cli("mesas", "importar", "ti", bad, "--como", "inexistente")
    assert refused.exit_code == 1 and "el usuario 'inexistente' no existe" in refused.stderr
    unknown = tmp_path / "protocolo.txt"
    unknown.write_text("{}", encoding="utf-8")
    assert "use --formato" in cli("mesas", "importar", "ti", unknown, "--como", "admin").stderr


def test_an_administrator_names_and_removes_a_head_from_the_terminal(cli: Cli) -> None:
    cli.ok("init", "--demo")
    cli.ok("users", "add", "jefa", "--email", "jefa@dnp.gov.co", "--role", "coordinador", "--password", "clave")
    assert "CODIGO_DEPENDENCIA USUARIO" in cli.ok("mesas", "jefe", "--help")
    assert cli.ok("mesas", "jefe", "sgise", "jefa", "--como", "admin") == "dependencia sgise · jefes: jefa\n"
    for args, message in ((("sgise", "jefa", "--como", "admin"), "el usuario 'jefa' ya es jefe de la dependencia"),
                          (("sgise", "jefa", "--como", "coordinador_ti"), "solo un administrador puede hacer esto"),
                          (("nada", "jefa", "--como", "admin"), "la dependencia 'nada' no existe"),
                          (("sgise", "nadie", "--como", "admin"), "el usuario 'nadie' no existe"),
                          (("sgise", "nivel1", "--como", "admin"), "usuario: un usuario con rol agente no puede"),
                          (("otsi", "jefa", "--retirar", "--como", "admin"), "'jefa' no es jefe de la dependencia")):
        refused = cli("mesas", "jefe", *args)
        assert refused.exit_code == 1 and message in refused.stderr, (args, refused.stderr)
    ctx = cli.context()
    try:
        assert list_heads(ctx, get_actor(ctx, "admin"), "sgise") == ("jefa",)
    finally:
        ctx.db.dispose()
    assert cli.ok("mesas", "jefe", "sgise", "jefa", "--retirar", "--como", "admin") == "dependencia sgise · jefes: -\n"
