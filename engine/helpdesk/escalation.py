"""The escalation matrix: which level-2 group a help desk sends each application to."""

from __future__ import annotations

import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import EscalationRule, HelpDesk


def application_key(name: str) -> str:
    """Normalised application name: case, accents and spacing do not matter."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.lower().split())


def propose_level2_group(session: Session, help_desk_code: str | None, application: str) -> str | None:
    """The matrix's group for the application, else the help desk's default level-2 group."""
    if not help_desk_code:
        return None
    group = session.scalar(
        select(EscalationRule.level2_group).where(
            EscalationRule.help_desk_code == help_desk_code,
            EscalationRule.application_key == application_key(application),
        )
    )
    if group:
        return group
    desk = session.get(HelpDesk, help_desk_code)
    return desk.level2_default_group if desk else None
