"""The main menu: which sections each role sees, and where each role lands after signing in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for

from engine.services.people import policy
from engine.services.views import Actor, Role

DASHBOARD = "main.dashboard"


@dataclass(frozen=True)
class NavItem:
    """One entry of the main menu."""

    label: str
    endpoint: str
    allowed: Callable[[Actor], bool]
    demo_only: bool = False


NAV: tuple[NavItem, ...] = (
    NavItem("Reportar caso", "portal.new_case", policy.may_report),
    NavItem("Mis casos", "portal.my_cases", policy.may_report),
    # Auditors and process owners see the inbox read-only.
    NavItem("Bandeja", "inbox.index", policy.uses_inbox),
    # The audit pages are offered to those who read every case; agents reach a case's audit from the case.
    NavItem("Auditoría de casos", "audit_case.index", policy.reads_all_cases),
    NavItem("Exportar registro", "audit_export.index", policy.may_export),
    NavItem("Procesos", "processes.index", policy.reads_processes),
    NavItem("Mesas de ayuda", "helpdesks.index", policy.may_administer_help_desks),
    NavItem("Correo de demostración", "mailbox.index", lambda actor: policy.reads_mailbox(actor, demo=True),
            demo_only=True),
)
# Where each role starts its work (a landing page, not a permission: every page checks the policy itself).
HOME_BY_ROLE = {Role.REQUESTER: "portal.my_cases", Role.AGENT: "inbox.index"}


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
            if item.allowed(actor) and (demo or not item.demo_only)]


def home_endpoint(actor: Actor) -> str:
    """Where the actor lands: requesters on their cases, agents on the inbox, the rest on the dashboard."""
    return HOME_BY_ROLE.get(actor.role, DASHBOARD)
