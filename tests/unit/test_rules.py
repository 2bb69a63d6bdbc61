"""Small business rules: business days, priority matrix, settings, templates, passwords, ticket format."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.config import DEFAULT_DEADLINES, ConfigError, Settings
from engine.helpdesk.calendar import BusinessCalendar
from engine.helpdesk.deadlines import UnknownDeadlineError, deadline, plazo_function
from engine.helpdesk.escalation import application_key
from engine.helpdesk.priority import priority_of
from engine.mail.templates import TemplateError, render
from engine.services.people.passwords import hash_password, verify_password

BOGOTA = ZoneInfo("America/Bogota")


@pytest.mark.parametrize(("start", "days", "expected"), [
    (datetime(2026, 12, 1, 9, tzinfo=BOGOTA), 1, datetime(2026, 12, 2, 9, tzinfo=BOGOTA)),  # Tue → Wed
    (datetime(2026, 12, 4, 9, tzinfo=BOGOTA), 1, datetime(2026, 12, 7, 9, tzinfo=BOGOTA)),  # Fri → Mon
    (datetime(2026, 12, 5, 9, tzinfo=BOGOTA), 1, datetime(2026, 12, 7, 9, tzinfo=BOGOTA)),  # Sat → Mon
    # A working week from Tuesday 1 December skips Tuesday 8 December (Inmaculada Concepción).
    (datetime(2026, 12, 1, 9, tzinfo=BOGOTA), 5, datetime(2026, 12, 9, 9, tzinfo=BOGOTA)),
    (datetime(2026, 12, 1, 9, tzinfo=BOGOTA), 0, datetime(2026, 12, 1, 9, tzinfo=BOGOTA)),
])
def test_business_days(start: datetime, days: int, expected: datetime) -> None:
    assert BusinessCalendar(zone=BOGOTA).add_business_days(start, days) == expected


def test_plazo_gives_an_offset_datetime_in_the_configured_zone() -> None:
    settings = Settings.from_env({"MESA_PLAZOS": "validacion=2"})
    now = datetime(2026, 12, 4, 14, tzinfo=UTC)  # Friday 09:00 in Bogotá
    # Monday 7 counts, Tuesday 8 December is a holiday (Inmaculada Concepción), Wednesday 9 is the second day.
    assert plazo_function(settings, now)("validacion") == "2026-12-09T09:00:00-05:00"
    with pytest.raises(UnknownDeadlineError, match="plazos conocidos"):
        deadline(settings, "inexistente", now)


@pytest.mark.parametrize(("impact", "urgency", "expected"), [
    ("alto", "alta", ("critica", 90)), ("alto", "media", ("alta", 70)), ("medio", "media", ("media", 50)),
    ("bajo", "media", ("baja", 30)), ("bajo", "baja", ("planificada", 10)), (None, None, ("media", 50)),
])
def test_priority_matrix(impact: str | None, urgency: str | None, expected: tuple[str, int]) -> None:
    assert priority_of(impact, urgency) == expected


def test_settings_defaults_and_errors() -> None:
    settings = Settings.from_env({"MESA_INSTANCE_PATH": "/tmp/mesa-x"})
    assert settings.database_url == "sqlite:////tmp/mesa-x/mesa.db"
    assert settings.timezone == BOGOTA and dict(settings.deadlines) == DEFAULT_DEADLINES
    assert Settings.from_env({"MESA_PLAZOS": "validacion=10"}).deadlines["validacion"] == 10
    with pytest.raises(ConfigError, match="MESA_TIMEZONE"):
        Settings.from_env({"MESA_TIMEZONE": "Marte/Olympus"})
    with pytest.raises(ConfigError, match="nombre=días"):
        Settings.from_env({"MESA_PLAZOS": "validacion"})
    with pytest.raises(ConfigError, match="entero positivo"):
        Settings.from_env({"MESA_PLAZOS": "validacion=-1"})


def test_application_keys_ignore_case_accents_and_spaces() -> None:
    assert application_key("  Correo   Electrónico ") == application_key("correo electronico")


TEMPLATE_VALUES = {"ticket": "TI-2026-000001", "mesa_nombre": "Mesa TI", "nombre": "Sofía", "asunto": "VPN",
                   "prioridad": "alta", "enlace_caso": "http://x/casos/1", "enlace_portal": "http://x/",
                   "informacion_faltante": "pantallazo", "vence": "08/12/2026", "solucion": "Listo",
                   "calificacion": 5}


@pytest.mark.parametrize("name", ["notificar_ticket", "solicitar_informacion", "recordar_informacion",
                                  "cerrar_por_falta_informacion", "notificar_solucion", "recordar_validacion",
                                  "cerrar_automaticamente", "notificar_cierre"])
def test_every_template_renders_in_spanish(name: str) -> None:
    email = render(name, TEMPLATE_VALUES)
    assert email.subject and "$" not in email.subject + email.body
    assert "Mesa de Ayuda" in email.body


def test_a_template_missing_a_value_is_an_error() -> None:
    with pytest.raises(TemplateError, match=r"\$ticket"):
        render("notificar_ticket", {"nombre": "x"})


def test_passwords_are_salted_and_verified() -> None:
    first, second = hash_password("secreto"), hash_password("secreto")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("secreto", first) and not verify_password("otro", first)
    assert not verify_password("secreto", None) and not verify_password("secreto", "md5$abc")
