"""The demo's dependencies and help desks, made through the help-desk services as an administrator would.

`ti` (Oficina de Tecnologías y Sistemas de Información) keeps the groups and escalation matrix the demo users
and the tests know; `inversiones` (Dirección de Inversiones y Finanzas Públicas) shows a second tenant of
another dependency. Each gets a published protocol: its catalogue is the escalation matrix the process reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.services.context import ServiceContext
from engine.services.helpdesks.dependencies import add_dependency
from engine.services.helpdesks.desks import NewHelpDesk, create_help_desk
from engine.services.helpdesks.groups import add_group, update_group
from engine.services.helpdesks.protocols import create_draft, publish, update_draft
from engine.services.views import SYSTEM

DEPENDENCIES = (
    ("secretaria-general", "Secretaría General", "subdireccion", None),
    ("otsi", "Oficina de Tecnologías y Sistemas de Información", "direccion", "secretaria-general"),
    ("sgise", "Subdirección General de Inversiones, Seguimiento y Evaluación", "subdireccion", None),
    ("difp", "Dirección de Inversiones y Finanzas Públicas", "direccion", "sgise"),
)


@dataclass(frozen=True)
class DemoDesk:
    """A demo help desk: its groups (name → level, description, external) and catalogue (application → groups)."""

    desk: NewHelpDesk
    groups: dict[str, tuple[int, str, bool]]
    catalogue: dict[str, tuple[str, str | None]]
    email: str


TI = DemoDesk(
    NewHelpDesk("ti", "Mesa de ayuda de Tecnologías de la Información", "TI", "otsi", "ti-nivel1",
                "ti-nivel2-aplicaciones"),
    groups={"ti-nivel1": (1, "Nivel 1 · Profesionales de la mesa de ayuda", False),
            "ti-nivel2-aplicaciones": (2, "Nivel 2 · Aplicaciones", False),
            "ti-nivel2-sistemas-informacion": (2, "Nivel 2 · Sistemas de información", False),
            "ti-nivel2-infraestructura": (2, "Nivel 2 · Infraestructura", False),
            "ti-nivel3-especialistas": (3, "Especialistas de infraestructura", False),
            "ti-nivel3-proveedor": (3, "Proveedor del sistema de información", True)},
    catalogue={"SISCONPES": ("ti-nivel2-sistemas-informacion", "ti-nivel3-proveedor"),
               "SUIFP": ("ti-nivel2-sistemas-informacion", "ti-nivel3-proveedor"),
               "Correo electrónico": ("ti-nivel2-infraestructura", "ti-nivel3-especialistas"),
               "VPN": ("ti-nivel2-infraestructura", "ti-nivel3-especialistas")},
    email="mesadeayuda@demo.mesa.local",
)
INVERSIONES = DemoDesk(
    NewHelpDesk("inversiones", "Mesa de ayuda de Inversiones y Finanzas Públicas", "INV", "difp",
                "inversiones-nivel1", "inversiones-nivel2"),
    groups={"inversiones-nivel1": (1, "Nivel 1 · Orientación a entidades", False),
            "inversiones-nivel2": (2, "Nivel 2 · Metodologías de inversión", False),
            "inversiones-nivel3-ente-externo": (3, "Ente externo: Ministerio de Hacienda", True)},
    catalogue={"MGA Web": ("inversiones-nivel2", None),
               "Proyectos de inversión": ("inversiones-nivel2", "inversiones-nivel3-ente-externo")},
    email="inversiones@demo.mesa.local",
)


def seed_dependencies(ctx: ServiceContext) -> None:
    """The demo's units of the DNP tree."""
    for code, name, kind, parent in DEPENDENCIES:
        add_dependency(ctx, SYSTEM, code, name, kind, parent)


def seed_desk(ctx: ServiceContext, demo: DemoDesk) -> None:
    """Create a demo help desk with its groups and its first protocol's draft (published once people exist)."""
    code = demo.desk.code
    create_help_desk(ctx, SYSTEM, demo.desk)
    for name, (level, description, external) in demo.groups.items():
        if name in (demo.desk.level1_group, demo.desk.level2_default_group):
            update_group(ctx, SYSTEM, code, name, external=external, description=description)
        else:
            add_group(ctx, SYSTEM, code, name, level, external=external, description=description)
    document = create_draft(ctx, SYSTEM, code).document.to_dict()
    document["catalogo"]["servicios"] = [
        {"nombre": application, "descripcion": f"Soporte de {application}", "grupo_nivel2": level2,
         "grupo_nivel3": level3} for application, (level2, level3) in demo.catalogue.items()]
    document["canales"]["correo"] = {"habilitado": True, "contacto": demo.email}
    document["canales"]["telefono"] = {"habilitado": True, "contacto": "601 3815000"}
    update_draft(ctx, SYSTEM, code, document, notes="Protocolo de demostración")


def publish_protocols(ctx: ServiceContext) -> None:
    """Publish the demo drafts: their versions then record the demo users as the responsible people."""
    for demo in (TI, INVERSIONES):
        publish(ctx, SYSTEM, demo.desk.code)
