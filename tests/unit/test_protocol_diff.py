"""Comparing two protocol versions table by table, for the side-by-side page."""

from __future__ import annotations

from engine.helpdesk.protocol import ProtocolDocument
from engine.helpdesk.protocol_diff import TABLES, diff
from tests.unit.test_protocol import GROUPS, valid


def test_equal_documents_have_every_row_and_no_change() -> None:
    document = ProtocolDocument.from_dict(valid(), GROUPS)
    tables = diff(document, document)
    assert [t.name for t in tables] == list(TABLES)
    assert all(t.changes == () for t in tables)
    ans = next(t for t in tables if t.name == "ans")
    assert len(ans.rows) == 15 and ans.rows[0].before == ans.rows[0].after


def test_changes_are_marked_per_row_with_before_and_after() -> None:
    old = ProtocolDocument.from_dict(valid(), GROUPS)
    data = valid()
    data["catalogo"]["servicios"][0]["grupo_nivel2"] = "ti-nivel2-redes"
    del data["catalogo"]["servicios"][1]
    data["catalogo"]["servicios"].append({"nombre": "SUIFP", "descripcion": "", "grupo_nivel2": "ti-nivel2"})
    data["ans"]["incidencia"]["critica"]["resolucion"] = {"valor": 2, "unidad": "horas"}
    data["calendario"]["cierres"].append({"fecha": "2026-12-31", "motivo": "Fin de año"})
    data["plazos"]["validacion"] = 3
    changes = {t.name: {r.key: r for r in t.changes} for t in diff(old, ProtocolDocument.from_dict(data, GROUPS))}
    catalogue = changes["catalogo"]
    assert {key: row.status for key, row in catalogue.items()} == {
        "SISCONPES": "cambiado", "SUIFP": "agregado", "VPN": "eliminado"}
    assert catalogue["SISCONPES"].changed_columns == ("grupo_nivel2",)
    assert (catalogue["SISCONPES"].before or {})["grupo_nivel2"] == "ti-nivel2"
    assert (catalogue["SISCONPES"].after or {})["grupo_nivel2"] == "ti-nivel2-redes"
    assert catalogue["VPN"].after is None and catalogue["SUIFP"].before is None
    assert (changes["ans"]["incidencia · critica"].after or {})["resolucion"] == "2 horas"
    assert changes["excepciones"]["2026-12-31"].status == "agregado"
    assert (changes["plazos"]["validacion"].before, changes["plazos"]["validacion"].after) == (
        {"dias": "5"}, {"dias": "3"})
    assert changes["canales"] == {} and changes["horario"] == {}


def test_a_first_version_shows_every_row_as_added() -> None:
    tables = diff(None, ProtocolDocument.from_dict(valid(), GROUPS))
    assert all(row.status == "agregado" for table in tables for row in table.rows)
    assert sum(len(t.rows) for t in tables) > 40
