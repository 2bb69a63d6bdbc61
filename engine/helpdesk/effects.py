"""Handlers of external service-task topics: the only Python a diagram can reach, by name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.config import Settings
from engine.db.models import Case, HelpDesk, User
from engine.helpdesk.deadlines import DeadlineRules, settings_rules
from engine.helpdesk.escalation import propose_level2_group
from engine.helpdesk.pinned import PinnedProtocol
from engine.helpdesk.priority import priority_of
from engine.helpdesk.tickets import next_ticket
from engine.mail.outbox import queue_email
from engine.workflow.script_engine import ServiceCall


@dataclass
class EffectEnv:
    """What a handler may touch: the step's session, its case row, instant and protocol; emails it queued."""

    session: Session
    case: Case
    now: datetime
    settings: Settings
    protocol: PinnedProtocol | None = None
    emails: list[str] = field(default_factory=list)

    def deadlines(self) -> DeadlineRules:
        """The case's deadline rules: its protocol version's, else MESA_PLAZOS."""
        return self.protocol.deadlines if self.protocol else settings_rules(self.settings)

    def help_desk(self) -> HelpDesk | None:
        """The case's help desk row."""
        code = self.case.help_desk_code
        return self.session.get(HelpDesk, code) if code else None

    def requester(self) -> User | None:
        """The requester's account."""
        return self.session.scalar(select(User).where(User.username == self.case.requester))


Handler = Callable[[ServiceCall, EffectEnv], dict[str, Any]]


def _assign_ticket(call: ServiceCall, env: EffectEnv) -> dict[str, Any]:
    desk = env.help_desk()
    prefix = desk.ticket_prefix if desk else "MDA"
    return {"ticket": next_ticket(env.session, prefix, env.now.astimezone(env.settings.timezone).year)}


def _compute_priority(call: ServiceCall, env: EffectEnv) -> dict[str, Any]:
    impact, urgency = call.variables.get("impacto"), call.variables.get("urgencia")
    if env.protocol is None:
        name, value = priority_of(impact, urgency)
        return {"prioridad": name, "prioridad_valor": value}
    name, value = env.protocol.priority(impact, urgency, call.variables.get("tipo"))
    # ANS targets count from the report, on the case's own protocol version and calendar.
    since = env.case.created_at or env.now
    return {"prioridad": name, "prioridad_valor": value,
            **env.protocol.service_level_due(call.variables.get("tipo"), name, since)}


def _propose_group(call: ServiceCall, env: EffectEnv) -> dict[str, Any]:
    application = str(call.variables.get("aplicacion", ""))
    if env.protocol is None:
        group = propose_level2_group(env.session, env.case.help_desk_code, application)
        return {"grupo_nivel2": group, "grupo_nivel2_propuesto": group}
    level2 = env.protocol.level2_group(application)
    outputs: dict[str, Any] = {"grupo_nivel2": level2, "grupo_nivel2_propuesto": level2}
    level3 = env.protocol.level3_group(application)
    if level3:  # preselected in the level-2 form should the case need level 3
        outputs.update(grupo_nivel3=level3, grupo_nivel3_propuesto=level3)
    return outputs


def _email(template: str, *, sets_deadline: str | None = None, shows_deadline: str | None = None) -> Handler:
    """A handler that emails the requester; it may fix a deadline (same instant as the diagram's timer)."""

    def handler(call: ServiceCall, env: EffectEnv) -> dict[str, Any]:
        outputs: dict[str, Any] = {}
        if sets_deadline:
            due = env.deadlines().due(sets_deadline, env.now)
            outputs[f"vence_{sets_deadline}"] = due.isoformat()
        user = env.requester()
        recipient = user.email if user else _contact_email(call.variables)
        if not recipient:
            return outputs
        desk = env.help_desk()
        values: dict[str, object] = {
            **{k: v for k, v in call.variables.items() if isinstance(v, str | int | float | bool)},
            "nombre": (user.full_name or user.username) if user else env.case.requester,
            "mesa_nombre": desk.name if desk else "mesa de ayuda",
            "enlace_caso": f"{env.settings.base_url}/casos/{env.case.id}",
            "enlace_portal": f"{env.settings.base_url}/",
            "ticket": call.variables.get("ticket") or "sin ticket",
        }
        due_text = outputs.get(f"vence_{sets_deadline}") or call.variables.get(f"vence_{shows_deadline}")
        values["vence"] = _human_time(due_text, env.settings) if due_text else ""
        message = queue_email(env.session, case_id=env.case.id, template=template, recipient=recipient,
                              values=values, now=env.now)
        env.emails.append(message.message_id)
        return outputs

    return handler


def _human_time(iso: str, settings: Settings) -> str:
    return datetime.fromisoformat(iso).astimezone(settings.timezone).strftime("%d/%m/%Y a las %H:%M")


def _contact_email(variables: Mapping[str, Any]) -> str | None:
    contact = str(variables.get("contacto") or "")
    return contact if "@" in contact else None


DEFAULT_HANDLERS: dict[str, Handler] = {
    "calcular_prioridad": _compute_priority,
    "asignar_ticket": _assign_ticket,
    "notificar_ticket": _email("notificar_ticket"),
    "proponer_grupo_nivel2": _propose_group,
    "solicitar_informacion": _email("solicitar_informacion", sets_deadline="informacion"),
    "recordar_informacion": _email("recordar_informacion", shows_deadline="informacion"),
    "cerrar_por_falta_informacion": _email("cerrar_por_falta_informacion"),
    "notificar_solucion": _email("notificar_solucion", sets_deadline="validacion"),
    "recordar_validacion": _email("recordar_validacion", shows_deadline="validacion"),
    "cerrar_automaticamente": _email("cerrar_automaticamente"),
    "notificar_cierre": _email("notificar_cierre"),
}
