"""The services' surroundings: database, settings, clock, topic handlers and the parsed-spec cache."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from engine.clock import Clock, SystemClock
from engine.config import Settings
from engine.db.models import Deployment
from engine.db.session import Database
from engine.deployment.rules import form_id_from_attributes
from engine.forms import FormSchema, load_form
from engine.helpdesk.effects import DEFAULT_HANDLERS, Handler
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


@dataclass
class ServiceContext:
    """Handed to every service call; one per process (web app, scheduler, CLI)."""

    db: Database
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    handlers: dict[str, Handler] = field(default_factory=lambda: dict(DEFAULT_HANDLERS))
    specs: SpecCache = field(default_factory=SpecCache)

    @property
    def topics(self) -> frozenset[str]:
        """Topics a diagram may use."""
        return frozenset(self.handlers)
