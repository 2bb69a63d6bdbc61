"""Settings read from the environment (MESA_*), with defaults for an embedded install."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Business days. A later protocol per help desk overrides these; until then they are configuration.
DEFAULT_DEADLINES: dict[str, int] = {
    "registro": 1,
    "informacion_recordatorio": 2,
    "informacion": 5,
    "escalamiento": 1,
    "nivel2": 3,
    "nivel3": 5,
    "validacion_recordatorio": 3,
    "validacion": 5,
}


class ConfigError(ValueError):
    """A MESA_* environment variable has a value that cannot be used."""


@dataclass(frozen=True)
class Settings:
    """Everything the engine needs to know about its surroundings."""

    database_url: str
    instance_path: Path
    timezone: ZoneInfo
    smtp_url: str | None = None
    mail_from: str = "Mesa de Ayuda DNP <mesadeayuda@localhost>"
    base_url: str = "http://127.0.0.1:5000"
    deadlines: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_DEADLINES))
    sweep_seconds: int = 60
    # Web: MESA_SECRET_KEY signs the session cookie; unset, the app keeps one in instance/secret_key.
    secret_key: str | None = field(default=None, repr=False)
    # None: Secure cookies unless the app runs in debug or test mode.
    secure_cookies: bool | None = None
    auth_backend: str = "local"
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none).
    trusted_proxies: int = 0
    # Demo: outgoing mail goes to an embedded SMTP sink and a page lists it.
    demo_mail: bool = False
    demo_smtp_port: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from MESA_* variables (os.environ by default)."""
        env = os.environ if env is None else env
        instance = Path(env.get("MESA_INSTANCE_PATH", "instance")).resolve()
        url = env.get("MESA_DATABASE_URL") or f"sqlite:///{instance / 'mesa.db'}"
        return cls(
            database_url=url,
            instance_path=instance,
            timezone=_zone(env.get("MESA_TIMEZONE", "America/Bogota")),
            smtp_url=env.get("MESA_SMTP_URL") or None,
            mail_from=env.get("MESA_MAIL_FROM", cls.mail_from),
            base_url=env.get("MESA_BASE_URL", cls.base_url).rstrip("/"),
            deadlines=_deadlines(env.get("MESA_PLAZOS", "")),
            sweep_seconds=_positive_int("MESA_SWEEP_SECONDS", env.get("MESA_SWEEP_SECONDS", "60")),
            secret_key=env.get("MESA_SECRET_KEY") or None,
            secure_cookies=_flag("MESA_SECURE_COOKIES", env.get("MESA_SECURE_COOKIES", "")),
            auth_backend=env.get("MESA_AUTH", cls.auth_backend).strip() or cls.auth_backend,
            trusted_proxies=_count("MESA_TRUSTED_PROXIES", env.get("MESA_TRUSTED_PROXIES", "0")),
            demo_mail=bool(_flag("MESA_DEMO_MAIL", env.get("MESA_DEMO_MAIL", ""))),
            demo_smtp_port=_port_or_none("MESA_DEMO_SMTP_PORT", env.get("MESA_DEMO_SMTP_PORT", "")),
        )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"MESA_TIMEZONE={name!r} no es una zona horaria IANA (p. ej. America/Bogota)") from exc


def _positive_int(name: str, text: str) -> int:
    if not text.strip().isdigit() or int(text) <= 0:
        raise ConfigError(f"{name}={text!r} debe ser un entero positivo")
    return int(text)


_TRUE = frozenset({"1", "true", "si", "sí", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _flag(name: str, text: str) -> bool | None:
    """A yes/no variable; empty means 'not set' (None)."""
    value = text.strip().lower()
    if not value:
        return None
    if value not in _TRUE | _FALSE:
        raise ConfigError(f"{name}={text!r} debe ser 1 o 0 (también true/false, si/no)")
    return value in _TRUE


def _count(name: str, text: str) -> int:
    if not text.strip().isdigit():
        raise ConfigError(f"{name}={text!r} debe ser un entero mayor o igual a cero")
    return int(text)


def _port_or_none(name: str, text: str) -> int | None:
    if not text.strip():
        return None
    port = _positive_int(name, text)
    if port > 65535:
        raise ConfigError(f"{name}={text!r} debe ser un puerto entre 1 y 65535")
    return port


def _deadlines(spec: str) -> dict[str, int]:
    """Parse MESA_PLAZOS like 'validacion=5,informacion=3' over the defaults."""
    deadlines = dict(DEFAULT_DEADLINES)
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, days = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"MESA_PLAZOS: {item!r} debe tener la forma nombre=días (p. ej. validacion=5)")
        deadlines[name.strip()] = _positive_int(f"MESA_PLAZOS[{name.strip()}]", days.strip())
    return deadlines
