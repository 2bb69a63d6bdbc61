"""The protocol version a case runs on, read for the process: deadlines, priorities, ANS, routing, options.

A case is pinned to the version published when it started (decision 12); everything a step asks of its help
desk's rules comes from here, parsed once per version (the services' ProtocolCache keeps them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine.helpdesk.deadlines import DeadlineRules
from engine.helpdesk.escalation import application_key
from engine.helpdesk.priority import LEVELS
from engine.helpdesk.protocol import ProtocolDocument
from engine.helpdesk.protocol_tables import Service, Target

OTHER_APPLICATION = "otra"


@dataclass(frozen=True)
class PinnedProtocol:
    """One published protocol version of a help desk, with its deadline rules in the configured zone."""

    version_id: int
    number: int
    help_desk_code: str
    document: ProtocolDocument
    deadlines: DeadlineRules

    @classmethod
    def of(cls, version_id: int, number: int, help_desk_code: str, document: ProtocolDocument,
           zone: ZoneInfo) -> PinnedProtocol:
        """Build the rules of a version (its calendar counted in `zone`)."""
        rules = DeadlineRules(dict(document.deadlines), document.calendar.business_calendar(zone),
                              f"protocolo {number} de la mesa '{help_desk_code}'")
        return cls(version_id, number, help_desk_code, document, rules)

    def priority(self, impact: object, urgency: object, kind: object) -> tuple[str, int]:
        """(name, value) from the matrix; before classification, the default priority of the tipo (else media)."""
        name = self.document.priority_matrix.get((str(impact), str(urgency)))
        name = name or self.document.default_priority.get(str(kind), "media")
        return name, LEVELS[name]

    def service(self, application: str) -> Service | None:
        """The catalogue's service for an application name (case, accents and spacing do not matter)."""
        key = application_key(application)
        return next((s for s in self.document.catalogue.services if application_key(s.name) == key), None)

    def level2_group(self, application: str) -> str:
        """The level-2 group of an application: its catalogue entry's, else the default one."""
        service = self.service(application)
        return service.level2_group if service else self.document.catalogue.default_level2_group

    def level3_group(self, application: str) -> str | None:
        """The level-3 group the catalogue names for an application, if any."""
        service = self.service(application)
        return service.level3_group if service else None

    def applications(self) -> list[dict[str, str]]:
        """The start form's application options: the catalogue, and 'otra' when the protocol allows it."""
        options = [{"label": s.name, "value": s.name} for s in self.document.catalogue.services]
        if self.document.catalogue.allows_other:
            options.append({"label": "Otra (no está en la lista)", "value": OTHER_APPLICATION})
        return options

    def channels(self) -> list[str]:
        """The channels enabled by the protocol, in the protocol's order."""
        return [name for name, channel in self.document.channels.items() if channel.enabled]

    def service_level_due(self, kind: object, priority: str, since: datetime) -> dict[str, Any]:
        """ANS due instants (first response, resolution) of a tipo × prioridad counted from `since`; {} if none."""
        level = self.document.service_levels.get((str(kind), priority))
        if level is None:
            return {}
        return {"ans_primera_respuesta": self._after(since, level.first_response).isoformat(),
                "ans_resolucion": self._after(since, level.resolution).isoformat()}

    def _after(self, since: datetime, target: Target) -> datetime:
        calendar = self.deadlines.calendar
        if target.unit == "horas":
            return calendar.add_business_hours(since, target.value)
        return calendar.add_business_days(since, target.value)
