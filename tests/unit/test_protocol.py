"""The protocol document: strict reading with every problem in Spanish at once, and a lossless round trip."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import yaml

from engine.config import DEFAULT_DEADLINES, Settings
from engine.helpdesk.protocol import (
    ProtocolDocument,
    ProtocolError,
    check_next_review,
    default_protocol,
    review_limit,
)
from engine.helpdesk.protocol_calendar import WEEKDAYS

GROUPS = {"ti-nivel1": 1, "ti-nivel2": 2, "ti-nivel2-redes": 2, "ti-nivel3": 3, "ti-proveedor": 3}
Data = dict[str, Any]


def valid() -> Data:
    """A complete protocol: two services, every channel, closures and openings, people."""
    data = default_protocol(Settings.from_env({}), "ti-nivel2").to_dict()
    data["catalogo"]["servicios"] = [
        {"nombre": "SISCONPES", "descripcion": "Seguimiento CONPES", "grupo_nivel2": "ti-nivel2",
         "grupo_nivel3": "ti-proveedor"},
        {"nombre": "VPN", "descripcion": "", "grupo_nivel2": "ti-nivel2-redes", "grupo_nivel3": None},
    ]
    data["canales"]["correo"] = {"habilitado": True, "contacto": "mesa@dnp.gov.co"}
    data["calendario"]["horario"]["lunes"] = ["08:00-12:00", "13:00-17:00"]
    data["calendario"]["cierres"] = [{"fecha": "2026-12-24", "motivo": "Nochebuena"}]
    data["calendario"]["aperturas"] = [{"fecha": "2026-12-19", "motivo": "Cierre de vigencia"}]
    data["responsables"] = {"grupos": [{"nombre": "ti-nivel1", "nivel": 1, "externo": False,
                                        "miembros": ["nivel1"]}], "coordinadores": ["coord"]}
    return data


def problems_of(data: Any, groups: dict[str, int] | None = GROUPS) -> dict[str, str]:
    with pytest.raises(ProtocolError) as caught:
        ProtocolDocument.from_dict(data, groups)
    return {problem.path: problem.message for problem in caught.value.problems}


def test_a_valid_protocol_reads_back_equal_from_its_dict_json_and_yaml() -> None:
    document = ProtocolDocument.from_dict(valid(), GROUPS)
    assert ProtocolDocument.from_dict(document.to_dict()) == document
    assert ProtocolDocument.from_dict(json.loads(json.dumps(document.to_dict()))) == document
    as_yaml = yaml.safe_dump(document.to_dict(), allow_unicode=True)
    assert ProtocolDocument.from_dict(yaml.safe_load(as_yaml)) == document
    assert document.catalogue.services[0].level3_group == "ti-proveedor"
    assert document.calendar.day_hours(0) == 8 and document.calendar.day_hours(5) == 0


def test_yaml_dates_written_without_quotes_are_read_as_dates() -> None:
    text = yaml.safe_dump(valid(), allow_unicode=True).replace("'2026-12-24'", "2026-12-24")
    assert "fecha: 2026-12-24" in text
    document = ProtocolDocument.from_dict(yaml.safe_load(text), GROUPS)
    assert document.calendar.closures[0].day == date(2026, 12, 24)


def test_the_default_protocol_takes_mesa_plazos_and_the_priority_rules_of_today() -> None:
    settings = Settings.from_env({"MESA_PLAZOS": "validacion=7,extra=2"})
    document = default_protocol(settings, "x-nivel2")
    assert document.deadlines == {**DEFAULT_DEADLINES, "validacion": 7, "extra": 2}
    assert document.priority_matrix["alto", "alta"] == "critica"
    assert document.priority_matrix["bajo", "baja"] == "planificada"
    assert [str(i) for i in document.calendar.week[0]] == ["08:00-17:00"] and document.calendar.week[5] == ()
    assert [name for name, channel in document.channels.items() if channel.enabled] == ["portal"]
    assert ProtocolDocument.from_dict(document.to_dict(), {"x-nivel2": 2}) == document


def _set(path: str, value: Any) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value
    return change


_DELETE = object()
BAD = [
    ("extra", _set("sobra", 1), "sobra", "clave desconocida"),
    ("missing section", _set("ans", _DELETE), "ans", "falta esta clave"),
    ("wrong type", _set("catalogo", []), "catalogo", "debe ser un objeto"),
    ("format", _set("formato", 2), "formato", "formato 2 desconocido"),
    ("overlap", _set("calendario.horario.martes", ["08:00-12:00", "11:00-14:00"]), "calendario.horario.martes",
     "los intervalos 08:00-12:00 y 11:00-14:00 se superponen"),
    ("backwards", _set("calendario.horario.martes", ["17:00-08:00"]), "calendario.horario.martes.0",
     "termina antes de empezar"),
    ("malformed hour", _set("calendario.horario.martes", ["8-17"]), "calendario.horario.martes.0",
     "no es un intervalo HH:MM-HH:MM"),
    ("no working day", _set("calendario.horario", {day: [] for day in WEEKDAYS}),
     "calendario.horario", "al menos un día"),
    ("closure is opening", _set("calendario.aperturas", [{"fecha": "2026-12-24", "motivo": "x"}]),
     "calendario.aperturas.0", "también figura como cierre"),
    ("bad date", _set("calendario.cierres", [{"fecha": "24/12/2026", "motivo": "x"}]), "calendario.cierres.0.fecha",
     "no es una fecha AAAA-MM-DD"),
    ("holidays", _set("calendario.festivos", "US"), "calendario.festivos", "valor 'US' no permitido"),
    ("zero target", _set("ans.incidencia.alta.resolucion.valor", 0), "ans.incidencia.alta.resolucion.valor",
     "debe ser mayor que cero (es 0)"),
    ("negative target", _set("ans.problema.baja.primera_respuesta.valor", -3),
     "ans.problema.baja.primera_respuesta.valor", "debe ser mayor que cero (es -3)"),
    ("fractional target", _set("ans.problema.baja.resolucion.valor", 1.5), "ans.problema.baja.resolucion.valor",
     "debe ser un número entero"),
    ("unit", _set("ans.incidencia.media.resolucion.unidad", "semanas"), "ans.incidencia.media.resolucion.unidad",
     "valor 'semanas' no permitido; use uno de: horas, dias"),
    ("missing cell", _set("ans.peticion.baja", _DELETE), "ans.peticion.baja", "falta esta clave"),
    ("legal term in days", _set("ans.peticion.planificada.resolucion", {"valor": 16, "unidad": "dias"}),
     "ans.peticion.planificada.resolucion", "excede el término legal del derecho de petición (15 días hábiles"),
    ("legal term in hours", _set("ans.peticion.baja.resolucion", {"valor": 121, "unidad": "horas"}),
     "ans.peticion.baja.resolucion", "15 días hábiles = 120 horas con el día hábil más corto"),
    ("matrix pair", _set("prioridades.matriz.medio.baja", _DELETE), "prioridades.matriz.medio.baja", "falta"),
    ("matrix value", _set("prioridades.matriz.alto.alta", "urgentisima"), "prioridades.matriz.alto.alta",
     "valor 'urgentisima' no permitido"),
    ("default priority", _set("prioridades.por_tipo.problema", "x"), "prioridades.por_tipo.problema", "no permitido"),
    ("mail without address", _set("canales.correo", {"habilitado": True}), "canales.correo.contacto",
     "necesita una dirección de correo válida"),
    ("no channel", _set("canales", {c: {"habilitado": False} for c in ("portal", "correo", "telefono", "presencial")}),
     "canales", "habilite al menos un canal"),
    ("zero deadline", _set("plazos.validacion", 0), "plazos.validacion", "mayor que cero"),
    ("missing deadline", _set("plazos.informacion", _DELETE), "plazos.informacion", "falta este plazo"),
    ("unknown group", _set("catalogo.servicios.0.grupo_nivel2", "otra-mesa"), "catalogo.servicios.0.grupo_nivel2",
     "el grupo 'otra-mesa' no existe en esta mesa"),
    ("wrong level", _set("catalogo.servicios.1.grupo_nivel3", "ti-nivel2"), "catalogo.servicios.1.grupo_nivel3",
     "es de nivel 2, no de nivel 3"),
    ("default group level", _set("catalogo.grupo_nivel2_por_defecto", "ti-nivel1"),
     "catalogo.grupo_nivel2_por_defecto", "es de nivel 1, no de nivel 2"),
    ("repeated service", _set("catalogo.servicios.1.nombre", "sisconpes "), "catalogo.servicios.1",
     "está repetido"),
    ("people level", _set("responsables.grupos.0.nivel", 4), "responsables.grupos.0.nivel", "1, 2 o 3"),
]


@pytest.mark.parametrize(("change", "path", "message"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_each_bad_input_is_refused_with_its_spanish_message(change: Callable[[Data], None], path: str,
                                                            message: str) -> None:
    data = valid()
    ProtocolDocument.from_dict(copy.deepcopy(data), GROUPS)
    change(data)
    found = problems_of(data)
    assert path in found, found
    assert message in found[path]


def test_the_legal_term_in_hours_is_accepted_up_to_the_limit() -> None:
    data = valid()
    data["ans"]["peticion"]["baja"]["resolucion"] = {"valor": 120, "unidad": "horas"}  # 15 × Monday's 8 h
    assert ProtocolDocument.from_dict(data, GROUPS).service_levels["peticion", "baja"].resolution.value == 120
    data["ans"]["peticion"]["planificada"]["resolucion"] = {"valor": 15, "unidad": "dias"}
    ProtocolDocument.from_dict(data, GROUPS)


def test_every_problem_is_reported_at_once() -> None:
    data = valid()
    for index in range(3, len(BAD), 4):
        BAD[index][1](data)
    expected = {BAD[index][2] for index in range(3, len(BAD), 4)}
    assert expected <= set(problems_of(data))


def test_without_groups_only_the_shape_of_group_names_is_checked() -> None:
    data = valid()
    data["catalogo"]["servicios"][0]["grupo_nivel2"] = "cualquiera"
    assert ProtocolDocument.from_dict(data).catalogue.services[0].level2_group == "cualquiera"
    assert problems_of(data) == {"catalogo.servicios.0.grupo_nivel2": "el grupo 'cualquiera' no existe en esta mesa"}


@pytest.mark.parametrize("data", [None, [], "protocolo", 3])
def test_a_document_that_is_not_an_object_is_refused(data: Any) -> None:
    assert "debe ser un objeto" in problems_of(data)[""]


def test_the_next_review_is_at_most_twelve_months_after_approval() -> None:
    approved = date(2026, 12, 1)
    assert check_next_review(approved, date(2027, 12, 1)) == []
    [late] = check_next_review(approved, date(2027, 12, 2))
    assert late.path == "proxima_revision" and "a más tardar el 2027-12-01" in late.message
    [early] = check_next_review(approved, approved)
    assert "posterior a la aprobación" in early.message
    assert review_limit(date(2028, 2, 29)) == date(2029, 2, 28)


def test_the_calendar_section_builds_the_business_calendar() -> None:
    document = ProtocolDocument.from_dict(valid(), GROUPS)
    calendar = document.calendar.business_calendar()
    assert not calendar.is_working_day(date(2026, 12, 24))  # closure (a Thursday)
    assert calendar.is_working_day(date(2026, 12, 19))  # opening (a Saturday)
    assert not calendar.is_working_day(date(2026, 12, 25))  # national holiday
    assert document.calendar.shortest_working_day() == 8
