"""Schema upgrade, deployment of bpmn/ + forms/, and the demo help desk and users."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from engine.db.models import HelpDesk, User
from engine.db.schema import upgrade
from engine.deployment import SourceFile
from engine.services.context import ServiceContext
from engine.services.people.desks import HelpDeskSpec, add_group, add_help_desk, set_escalation
from engine.services.people.users import add_user
from engine.services.processes.deploy import DeploymentView, deploy

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = PROJECT_ROOT / "bpmn"
FORMS_DIR = PROJECT_ROOT / "forms"

DEMO_DESK = HelpDeskSpec(code="ti", name="Mesa de ayuda de Tecnologías de la Información", ticket_prefix="TI",
                         level1_group="ti-nivel1", level2_default_group="ti-nivel2-aplicaciones")
DEMO_LEVEL2 = {"SISCONPES": "ti-nivel2-sistemas-informacion", "SUIFP": "ti-nivel2-sistemas-informacion",
               "Correo electrónico": "ti-nivel2-infraestructura", "VPN": "ti-nivel2-infraestructura"}
DEMO_GROUP_NAMES = {"ti-nivel1": "Nivel 1 · Profesionales de la mesa de ayuda",
                    "ti-nivel2-aplicaciones": "Nivel 2 · Aplicaciones",
                    "ti-nivel2-sistemas-informacion": "Nivel 2 · Sistemas de información",
                    "ti-nivel2-infraestructura": "Nivel 2 · Infraestructura"}
DEMO_LEVEL3 = {"ti-nivel3-especialistas": "Especialistas de infraestructura",
               "ti-nivel3-proveedor": "Proveedor del sistema de información"}


@dataclass(frozen=True)
class DemoUser:
    """A demo login (password = user name; demo only)."""

    username: str
    role: str
    groups: tuple[str, ...]
    full_name: str


DEMO_USERS = (
    DemoUser("solicitante", "solicitante", (), "Sofía Solicitante"),
    DemoUser("nivel1", "agente", ("ti-nivel1",), "Nicolás Nivel Uno"),
    DemoUser("nivel2", "agente", ("ti-nivel2-aplicaciones", "ti-nivel2-sistemas-informacion",
                                  "ti-nivel2-infraestructura"), "Natalia Nivel Dos"),
    DemoUser("nivel3", "agente", tuple(DEMO_LEVEL3), "Tomás Nivel Tres"),
    DemoUser("auditor", "auditor", (), "Aura Auditora"),
    DemoUser("dueno", "dueno", (), "Diego Dueño del Proceso"),
    DemoUser("admin", "admin", (), "Adriana Administradora"),
)


def process_files(bpmn_dir: Path = BPMN_DIR, forms_dir: Path = FORMS_DIR) -> list[tuple[SourceFile, list[SourceFile]]]:
    """Each .bpmn of bpmn_dir with every .form of forms_dir (deployment keeps only the linked ones)."""
    forms = [SourceFile(p.name, p.read_bytes()) for p in sorted(forms_dir.glob("*.form"))]
    return [(SourceFile(p.name, p.read_bytes()), forms) for p in sorted(bpmn_dir.glob("*.bpmn"))]


def initialise(ctx: ServiceContext, deployed_by: str = "sistema", bpmn_dir: Path = BPMN_DIR,
               forms_dir: Path = FORMS_DIR) -> list[DeploymentView]:
    """Create or upgrade the schema and deploy the process files."""
    upgrade(ctx.db)
    return [deploy(ctx, deployed_by, bpmn, forms) for bpmn, forms in process_files(bpmn_dir, forms_dir)]


def seed_demo(ctx: ServiceContext) -> list[DemoUser]:
    """Add the demo help desk, its groups and matrix, and the demo users (idempotent)."""
    with ctx.db.read() as session:
        has_desk = session.get(HelpDesk, DEMO_DESK.code) is not None
        existing = set(session.scalars(select(User.username)))
    if not has_desk:
        for group, description in DEMO_GROUP_NAMES.items():
            add_group(ctx, group, 1 if group.endswith("nivel1") else 2, DEMO_DESK.code, description)
        add_help_desk(ctx, DEMO_DESK)
        for application, group in DEMO_LEVEL2.items():
            set_escalation(ctx, DEMO_DESK.code, application, group)
        for group, description in DEMO_LEVEL3.items():
            add_group(ctx, group, 3, DEMO_DESK.code, description)
    for user in DEMO_USERS:
        if user.username not in existing:
            add_user(ctx, user.username, f"{user.username}@demo.mesa.local", user.role, groups=user.groups,
                     password=user.username, full_name=user.full_name)
    return list(DEMO_USERS)
