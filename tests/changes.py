"""Changed versions of the main process (for migrations) and re-chaining an edited story (for tampering)."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.audit import GENESIS, NewEvent, canonical, chain_hash
from engine.db.models import Case, CaseEvent
from engine.deployment import SourceFile
from engine.services.context import ServiceContext
from engine.services.processes.deploy import deploy
from engine.setup.bootstrap import BPMN_DIR, FORMS_DIR, process_files
from tests.helpers import ESCALATE

REVIEW_V2 = "Revisar y registrar el caso (v2)"


def deploy_main(ctx: ServiceContext, change: Callable[[str], str]) -> int:
    """Deploy the main process with its BPMN text changed by `change`; its new version number."""
    [(bpmn, forms)] = process_files(BPMN_DIR, FORMS_DIR)
    text = change(bpmn.content.decode("utf-8"))
    return deploy(ctx, "dueno", SourceFile(bpmn.name, text.encode("utf-8")), forms).version


def renamed_review(text: str) -> str:
    """The review task renamed: every case can move to this version."""
    assert text.count('name="Revisar y registrar caso"') == 1
    return text.replace('name="Revisar y registrar caso"', f'name="{REVIEW_V2}"')


def escalate_removed(text: str) -> str:
    """Activity_EscalarNivel2 no longer exists (its replacement has another id)."""
    assert text.count(f'id="{ESCALATE}"') == 1
    return text.replace(ESCALATE, "Activity_EscalarNivel2Nuevo")


def rechain(session: Session, case_id: int) -> None:
    """Renumber and re-hash a case's events and move its head: the chain verifies again."""
    session.flush()
    case = session.get(Case, case_id)
    rows = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)).all()
    assert case is not None and rows
    prev = GENESIS
    for seq, row in enumerate(rows, 1):
        event = NewEvent(row.kind, row.actor, row.occurred_at, row.element_id, json.loads(row.payload_json))
        row.seq, row.prev_hash = seq, prev
        row.hash = prev = chain_hash(prev, canonical(case_id, seq, event))
        session.flush()
    case.audit_head, case.audit_seq = prev, len(rows)
