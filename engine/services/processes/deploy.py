"""Deploy a BPMN file with its forms as a new version (or recognise identical content)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from engine.db.models import Case, Deployment
from engine.deployment import SourceFile, ValidatedDeployment, validate_deployment
from engine.services.context import ServiceContext
from engine.workflow.facade import SPIFF_VERSION


@dataclass(frozen=True)
class DeploymentView:
    """A deployed version."""

    id: int
    process_id: str
    name: str
    version: int
    content_hash: str
    deployed_by: str
    deployed_at: datetime
    created: bool = False
    forms: tuple[str, ...] = ()
    open_cases: int = 0
    closed_cases: int = 0


def validate_files(ctx: ServiceContext, bpmn: SourceFile, forms: Sequence[SourceFile]) -> ValidatedDeployment:
    """Run every deploy-time check without storing anything."""
    return validate_deployment(bpmn, forms, ctx.topics)


def deploy(ctx: ServiceContext, deployed_by: str, bpmn: SourceFile, forms: Sequence[SourceFile]) -> DeploymentView:
    """Validate, then store a new version; identical content returns the existing version."""
    checked = validate_files(ctx, bpmn, forms)
    now = ctx.clock.now()
    with ctx.db.write() as session:
        latest = session.scalar(select(Deployment).where(Deployment.process_id == checked.process_id)
                                 .order_by(Deployment.version.desc()).limit(1))
        # As Camunda does: only a copy of the newest version is "no change"; redeploying older content is a
        # rollback and becomes the newest version.
        if latest is not None and latest.content_hash == checked.content_hash:
            return _view(latest, created=False)
        row = Deployment(
            process_id=checked.process_id, version=(latest.version if latest else 0) + 1, name=checked.name,
            content_hash=checked.content_hash, bpmn_name=bpmn.name,
            bpmn_xml=bpmn.content.decode("utf-8"),
            forms_json=json.dumps({"forms": checked.form_texts, "files": checked.form_files}, ensure_ascii=False),
            spec_json=checked.process.to_json(), spiff_version=SPIFF_VERSION, deployed_by=deployed_by,
            deployed_at=now,
        )
        session.add(row)
        session.flush()
        return _view(row, created=True)


def list_deployments(ctx: ServiceContext, process_id: str | None = None) -> list[DeploymentView]:
    """Deployed versions, newest first, with their open and closed case counts."""
    with ctx.db.read() as session:
        query = select(Deployment).order_by(Deployment.process_id, Deployment.version.desc())
        if process_id:
            query = query.where(Deployment.process_id == process_id)
        counts = {(dep, is_open): n for dep, is_open, n in session.execute(
            select(Case.deployment_id, Case.is_open, func.count()).group_by(Case.deployment_id, Case.is_open))}
        return [_view(row, open_cases=counts.get((row.id, True), 0), closed_cases=counts.get((row.id, False), 0))
                for row in session.scalars(query)]


def _view(row: Deployment, *, created: bool = False, open_cases: int = 0, closed_cases: int = 0) -> DeploymentView:
    forms = tuple(sorted(json.loads(row.forms_json)["forms"]))
    return DeploymentView(row.id, row.process_id, row.name, row.version, row.content_hash, row.deployed_by,
                          row.deployed_at, created, forms, open_cases, closed_cases)
