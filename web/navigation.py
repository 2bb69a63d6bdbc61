"""The main menu: which sections each role sees, and where each role lands after signing in."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from engine.services.views import Actor

ALL_ROLES = frozenset({"solicitante", "agente", "dueno", "auditor", "admin"})
REQUESTING = ALL_ROLES - {"auditor"}
DASHBOARD = "main.dashboard"


@dataclass(frozen=True)
class NavItem:
    """One entry of the main menu."""

    label: str
    endpoint: str
    roles: frozenset[str]
    demo_only: bool = False


NAV: tuple[NavItem, ...] = (
    NavItem("Reportar caso", "portal.new_case", REQUESTING),
    NavItem("Mis casos", "portal.my_cases", REQUESTING),
    # Auditors and process owners see the inbox read-only.
    NavItem("Bandeja", "inbox.index", frozenset({"agente", "admin", "auditor", "dueno"})),
    NavItem("Auditoría de casos", "audit_case.index", frozenset({"auditor", "dueno", "admin"})),
    NavItem("Exportar registro", "audit_export.index", frozenset({"auditor", "dueno", "admin"})),
    NavItem("Procesos", "processes.index", frozenset({"dueno", "admin", "auditor"})),
    NavItem("Correo de demostración", "mailbox.index", ALL_ROLES, demo_only=True),
)
HOME_BY_ROLE = {"solicitante": "portal.my_cases", "agente": "inbox.index"}


@dataclass(frozen=True)
class NavLink:
    """A menu entry ready for the template."""

    label: str
    url: str
    endpoint: str


def nav_links(actor: Actor | None, *, demo: bool) -> list[NavLink]:
    """The entries this actor sees (none when anonymous)."""
    if actor is None:
        return []
    return [NavLink(item.label, url_for(item.endpoint), item.endpoint) for item in NAV
            if actor.role in item.roles and (demo or not item.demo_only)]


def home_endpoint(actor: Actor) -> str:
    """Where the actor lands: requesters on their cases, agents on the inbox, the rest on the dashboard."""
    return HOME_BY_ROLE.get(actor.role, DASHBOARD)
