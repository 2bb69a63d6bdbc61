"""The services' surroundings: database, settings, clock, topic handlers, the parsed-spec and protocol caches."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from engine.clock import Clock, SystemClock
from engine.config import Settings
from engine.db.models import Deployment, ProtocolVersion
from engine.db.session import Database
from engine.deployment.rules import form_id_from_attributes
from engine.forms import FormSchema, load_form
from engine.helpdesk.effects import DEFAULT_HANDLERS, Handler
from engine.helpdesk.pinned import PinnedProtocol
from engine.helpdesk.protocol import ProtocolDocument
from engine.services.errors import NotFoundError, StoredStateError
from engine.workflow.facade import ProcessSpec, StoredFormatError


@dataclass(frozen=True)
class DeployedProcess:
    """One deployed version, parsed once and shared by every case pinned to it."""

    deployment_id: int
    process_id: str
    version: int
    process: ProcessSpec
    forms: dict[str, FormSchema]
    form_files: dict[str, str]

    def form_for(self, element_id: str) -> FormSchema | None:
        """The Camunda Form linked from an element (formRef or the older formKey)."""
        camunda = self.camunda(element_id)
        form_id, _ = form_id_from_attributes(camunda.get("formRef"), camunda.get("formKey"),
                                             self.forms.keys(), self.form_files)
        return self.forms.get(form_id) if form_id else None

    def camunda(self, element_id: str) -> dict[str, Any]:
        """camunda:* attributes kept for an element."""
        element = self.process.element(element_id)
        return dict(element.camunda) if element is not None else {}


class SpecCache:
    """Parsed deployments by id; a deployment never changes once stored, so entries never go stale."""

    def __init__(self) -> None:
        self._entries: dict[int, DeployedProcess] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, deployment_id: int) -> DeployedProcess:
        """The parsed deployment, loading it on first use."""
        entry = self._entries.get(deployment_id)
        if entry is not None:
            return entry
        row = session.get(Deployment, deployment_id)
        if row is None:
            raise NotFoundError(f"despliegue {deployment_id} no existe")
        entry = load_deployed(row)
        with self._lock:
            self._entries.setdefault(deployment_id, entry)
        return self._entries[deployment_id]


def load_deployed(row: Deployment) -> DeployedProcess:
    """Rebuild a DeployedProcess from its stored row (StoredStateError naming it when its spec cannot be read)."""
    forms_doc = json.loads(row.forms_json)
    forms = {form_id: load_form(text, f"{form_id}.form") for form_id, text in forms_doc["forms"].items()}
    subject = f"el despliegue {row.id} ({row.process_id} versión {row.version})"
    try:
        process = ProcessSpec.from_json(row.spec_json, subject)
    except StoredFormatError as exc:
        raise StoredStateError(str(exc)) from exc
    return DeployedProcess(
        deployment_id=row.id, process_id=row.process_id, version=row.version,
        process=process, forms=forms, form_files=dict(forms_doc["files"]),
    )


class ProtocolCache:
    """Parsed protocol versions by id; only published versions are pinned, and those never change."""

    def __init__(self) -> None:
        self._entries: dict[int, PinnedProtocol] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, version_id: int, settings: Settings) -> PinnedProtocol:
        """The version's rules, parsing its document on first use."""
        entry = self._entries.get(version_id)
        if entry is not None:
            return entry
        row = session.get(ProtocolVersion, version_id)
        if row is None or row.number is None:
            raise StoredStateError(f"la versión de protocolo {version_id} no existe o no fue publicada")
        document = ProtocolDocument.from_dict(json.loads(row.document_json))
        entry = PinnedProtocol.of(row.id, row.number, row.help_desk_code, document, settings.timezone)
        with self._lock:
            self._entries.setdefault(version_id, entry)
        return self._entries[version_id]


@dataclass
class ServiceContext:
    """Handed to every service call; one per process (web app, scheduler, CLI)."""

    db: Database
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    handlers: dict[str, Handler] = field(default_factory=lambda: dict(DEFAULT_HANDLERS))
    specs: SpecCache = field(default_factory=SpecCache)
    protocols: ProtocolCache = field(default_factory=ProtocolCache)

    def protocol_of(self, session: Session, version_id: int | None) -> PinnedProtocol | None:
        """The rules of a pinned protocol version (None: the case runs on MESA_PLAZOS and the defaults)."""
        return self.protocols.get(session, version_id, self.settings) if version_id is not None else None

    @property
    def topics(self) -> frozenset[str]:
        """Topics a diagram may use."""
        return frozenset(self.handlers)
