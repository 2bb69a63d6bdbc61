"""Schema upgrade, deployment of bpmn/ + forms/, and the demo help desks and users."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from engine.db.models import HelpDesk, User
from engine.db.schema import upgrade
from engine.deployment import SourceFile
from engine.services.context import ServiceContext
from engine.services.helpdesks.desks import add_coordinator
from engine.services.people.desks import HelpDeskSpec
from engine.services.people.users import add_user
from engine.services.processes.deploy import DeploymentView, deploy
from engine.services.views import SYSTEM
from engine.setup.demo_desks import INVERSIONES, TI, publish_protocols, seed_dependencies, seed_desk

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = PROJECT_ROOT / "bpmn"
FORMS_DIR = PROJECT_ROOT / "forms"

# The demo's `ti` help desk as the tests and benchmarks name it (engine.setup.demo_desks defines it).
DEMO_DESK = HelpDeskSpec(code=TI.desk.code, name=TI.desk.name, ticket_prefix=TI.desk.ticket_prefix,
                         level1_group=TI.desk.level1_group, level2_default_group=TI.desk.level2_default_group)
DEMO_LEVEL2 = {application: level2 for application, (level2, _) in TI.catalogue.items()}
DEMO_GROUP_NAMES = {name: text for name, (level, text, _) in TI.groups.items() if level < 3}
DEMO_LEVEL3 = {name: text for name, (level, text, _) in TI.groups.items() if level == 3}


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
    DemoUser("coordinador_ti", "coordinador", (), "Camila Coordinadora TI"),
    DemoUser("proveedor", "agente", ("ti-nivel3-proveedor",), "Pablo Proveedor Externo"),
)
# Demo coordinators and the help desk each one coordinates.
DEMO_COORDINATORS = {"coordinador_ti": TI.desk.code}


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
    """Add the demo dependencies, help desks (groups, published protocols) and users (idempotent)."""
    with ctx.db.read() as session:
        has_desk = session.get(HelpDesk, DEMO_DESK.code) is not None
        existing = set(session.scalars(select(User.username)))
    if not has_desk:
        seed_dependencies(ctx)
        seed_desk(ctx, TI)
        seed_desk(ctx, INVERSIONES)
    for user in DEMO_USERS:
        if user.username not in existing:
            add_user(ctx, user.username, f"{user.username}@demo.mesa.local", user.role, groups=user.groups,
                     password=user.username, full_name=user.full_name)
            if user.username in DEMO_COORDINATORS:
                add_coordinator(ctx, SYSTEM, DEMO_COORDINATORS[user.username], user.username)
    if not has_desk:
        publish_protocols(ctx)
    return list(DEMO_USERS)
